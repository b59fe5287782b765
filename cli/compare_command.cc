#include "cli/compare_command.h"

#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cli/args.h"
#include "cli/exit_codes.h"
#include "model/names.h"
#include "reports/compare.h"
#include "google/protobuf/util/json_util.h"
#include "reports/report_writer.h"

namespace heapstorm {

int CompareCommand(int argc, char** argv) {
  ArgParser parser("heapstorm compare", "BASELINE.json CURRENT.json",
                   "Compares two reports, metric by metric for every scenario: the relative\n"
                   "delta of the medians, a Mann–Whitney U test where both sides have at least\n"
                   "5 repeats, and a verdict. Scenarios added or removed and a different node\n"
                   "version or limit mechanism are reported.");
  std::string relative = "0.05";
  std::string p_value = "0.05";
  std::string json_out;
  parser.String("--tolerance", "FRACTION", "worse by more than this is a regression (default 0.05)",
                &relative);
  parser.String("--p-value", "P", "significance for the U test (default 0.05)", &p_value);
  parser.String("--json", "FILE", "also write the comparison as JSON", &json_out);
  parser.Epilog("exit codes: 0 no regression, 1 a regression, 2 bad input (unreadable report,\n"
                "            another schema version).");
  absl::Status status = parser.Parse(argc, argv);
  if (!status.ok()) {
    std::cerr << "heapstorm compare: " << status.message() << "\n";
    return kExitBadInput;
  }
  if (parser.help_requested()) {
    std::cout << parser.Help();
    return kExitOk;
  }
  if (parser.positional().size() != 2) {
    std::cerr << "heapstorm compare: name a baseline report and a current report\n\n" << parser.Help();
    return kExitBadInput;
  }
  Tolerances tolerances;
  if (!absl::SimpleAtod(relative, &tolerances.relative) || tolerances.relative < 0) {
    std::cerr << "heapstorm compare: --tolerance: expected a fraction such as 0.05, got '" << relative << "'\n";
    return kExitBadInput;
  }
  if (!absl::SimpleAtod(p_value, &tolerances.p_value) || tolerances.p_value <= 0 || tolerances.p_value >= 1) {
    std::cerr << "heapstorm compare: --p-value: expected a number between 0 and 1, got '" << p_value << "'\n";
    return kExitBadInput;
  }
  absl::StatusOr<v1::Report> base = ReadReportJson(parser.positional()[0]);
  absl::StatusOr<v1::Report> current = ReadReportJson(parser.positional()[1]);
  for (const auto* r : {&base, &current}) {
    if (!r->ok()) {
      std::cerr << "heapstorm compare: " << r->status().message() << "\n";
      return kExitBadInput;
    }
  }
  v1::Comparison c = Compare(*base, *current, tolerances, parser.positional()[0]);
  for (const std::string& w : c.warnings()) std::cout << "note: " << w << "\n";
  std::string last;
  for (const v1::MetricComparison& m : c.metrics()) {
    std::string name = ConfigurationName(m.scenario(), m.variation());
    if (name != last) {
      std::cout << name << "\n";
      last = name;
    }
    if (m.metric().empty()) {
      std::cout << "  " << m.note() << "\n";
      continue;
    }
    std::cout << "  " << DescribeComparison(m) << (m.note().empty() ? "" : absl::StrCat("  (", m.note(), ")"))
              << "\n";
  }
  std::cout << "\n" << c.regressions() << " regressed, " << c.improvements() << " improved\n";
  if (!json_out.empty()) {
    v1::Report wrapper;
    *wrapper.mutable_comparison() = c;
    absl::StatusOr<std::string> json = ReportToJson(wrapper);
    absl::Status written = json.ok() ? WriteFileAtomically(json_out, *json) : json.status();
    if (!written.ok()) {
      std::cerr << "heapstorm compare: " << written.message() << "\n";
      return ExitCodeFor(written);
    }
  }
  return c.regressions() > 0 ? kExitFailed : kExitOk;
}

int BaselineCommand(int argc, char** argv) {
  ArgParser parser("heapstorm baseline update", "REPORT.json BASELINE.json",
                   "Makes a run's report the new baseline: writes BASELINE.json (atomically)\n"
                   "with the per-scenario figures a comparison needs and without the runs'\n"
                   "series, pretty-printed so that a review shows what moved. Commit it.\n"
                   "With Bazel: bazel run //PKG:TARGET.update_baseline does the run and this.");
  absl::Status status = parser.Parse(argc, argv, 3);
  if (!status.ok()) {
    std::cerr << "heapstorm baseline: " << status.message() << "\n";
    return kExitBadInput;
  }
  // `heapstorm baseline --help` asks as much as `heapstorm baseline update --help`.
  const bool help = parser.help_requested() ||
                    (argc >= 3 && (std::string(argv[2]) == "--help" || std::string(argv[2]) == "-h"));
  if (help || argc < 3 || std::string(argv[2]) != "update") {
    (help ? std::cout : std::cerr) << parser.Help();
    return help ? kExitOk : kExitBadInput;
  }
  if (parser.positional().size() != 2) {
    std::cerr << "heapstorm baseline update: name the report and the baseline file\n";
    return kExitBadInput;
  }
  absl::StatusOr<v1::Report> report = ReadReportJson(parser.positional()[0]);
  if (!report.ok()) {
    std::cerr << "heapstorm baseline update: " << report.status().message() << "\n";
    return kExitBadInput;
  }
  if (report->status() != v1::RUN_STATUS_COMPLETE) {
    std::cerr << "heapstorm baseline update: " << parser.positional()[0]
              << " is from an incomplete run; a baseline must have every scenario\n";
    return kExitBadInput;
  }
  v1::Report baseline = *report;
  baseline.clear_runs();
  baseline.clear_comparison();
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  if (!google::protobuf::util::MessageToJsonString(baseline, &json, options).ok()) {
    std::cerr << "heapstorm baseline update: cannot write JSON\n";
    return kExitHarness;
  }
  absl::Status written = WriteFileAtomically(parser.positional()[1], json);
  if (!written.ok()) {
    std::cerr << "heapstorm baseline update: " << written.message() << "\n";
    return ExitCodeFor(written);
  }
  std::cout << "baseline " << parser.positional()[1] << ": " << baseline.scenarios_size()
            << " configurations from " << parser.positional()[0] << "\n";
  return kExitOk;
}

}  // namespace heapstorm
