#include "cli/run_command.h"

#include <cstdlib>
#include "absl/strings/str_split.h"

#include <iostream>
#include <thread>

#include "cli/args.h"
#include "cli/exit_codes.h"
#include "cli/signals.h"
#include "cli/suite_run.h"
#include "common/logging.h"

namespace heapstorm {
namespace {

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

// Bazel's test contract: where scratch, reports and JUnit go, which scenarios run, and the
// premature-exit marker.
void ApplyBazelTestEnvironment(SuiteRunOptions* options) {
  std::string tmp = Env("TEST_TMPDIR");
  std::string outputs = Env("TEST_UNDECLARED_OUTPUTS_DIR");
  if (!tmp.empty()) options->engine.scratch_dir = tmp;
  if (options->out_dir.empty()) {
    options->out_dir = !outputs.empty() ? outputs : (tmp.empty() ? "heapstorm-out" : tmp + "/heapstorm-out");
  }
  std::string junit = Env("XML_OUTPUT_FILE");
  if (!junit.empty()) options->report_paths.junit = junit;
  std::string only = Env("TESTBRIDGE_TEST_ONLY");
  for (absl::string_view f : absl::StrSplit(only, ',', absl::SkipEmpty())) options->filters.emplace_back(f);
  options->premature_exit_file = Env("TEST_PREMATURE_EXIT_FILE");
}

}  // namespace

int RunCommand(int argc, char** argv) {
  ArgParser parser("heapstorm run", "SUITE.yaml",
                   "Runs a suite on this machine: a coordinator on loopback and local workers,\n"
                   "the same path as a cluster with nothing to set up. Every scenario runs in\n"
                   "a real node process under its limits. Prints each run as it ends, then a\n"
                   "table, and writes report.json into the output folder.");
  int64_t workers = 0;
  std::string out_dir;
  std::string resume;
  std::string node;
  std::string baseline;
  std::string filter;
  bool bazel_test = false;
  bool keep = false;
  bool no_cgroups = false;
  bool verbose = false;
  parser.Int("--workers", "N", "runs at once (default: one per core)", &workers);
  parser.String("--out", "DIR",
                "the run folder for reports and the journal (default:\n"
                "heapstorm-out/SUITE-YYYYmmdd-HHMMSS in the current folder)",
                &out_dir);
  parser.String("--resume", "DIR", "continue an interrupted run in DIR; its recorded runs are kept",
                &resume);
  parser.String("--baseline", "REPORT.json",
                "compare with an earlier report; a regression fails the run (exit 1)", &baseline);
  parser.String("--filter", "GLOBS", "only scenarios whose name matches (comma-separated, * and ?)",
                &filter);
  parser.Bool("--bazel-test", "follow Bazel's test contract (see bazel/heapstorm.bzl): scratch in\n"
              "$TEST_TMPDIR, reports in $TEST_UNDECLARED_OUTPUTS_DIR, JUnit in\n"
              "$XML_OUTPUT_FILE, --test_filter, TEST_PREMATURE_EXIT_FILE",
              &bazel_test);
  parser.String("--node", "PATH", "the node executable (default: node on PATH)", &node);
  parser.Bool("--keep-run-dirs", "keep each run's scratch folder (driver, config, snapshots)", &keep);
  parser.Bool("--no-cgroups", "keep native limits with the RSS watchdog, not a memory cgroup",
              &no_cgroups);
  parser.Bool("--verbose", "log what the harness does", &verbose);
  parser.Epilog(
      "exit codes: 0 every expectation held, 1 an expectation failed or a regression,\n"
      "            2 bad input or usage, 3 heapstorm could not run (no node, interrupted).\n"
      "The run folder gets report.json, report.html and junit.xml.");
  absl::Status status = parser.Parse(argc, argv);
  if (!status.ok()) {
    std::cerr << "heapstorm run: " << status.message() << "\n";
    return kExitBadInput;
  }
  if (parser.help_requested()) {
    std::cout << parser.Help();
    return kExitOk;
  }
  if (parser.positional().size() > 1 || (parser.positional().empty() && resume.empty())) {
    std::cerr << "heapstorm run: name one suite file (or --resume DIR)\n\n" << parser.Help();
    return kExitBadInput;
  }
  if (workers < 0 || workers > 256) {
    std::cerr << "heapstorm run: --workers must be from 1 to 256, got " << workers << "\n";
    return kExitBadInput;
  }
  SetLogLevel(verbose ? LogLevel::kDebug : LogLevel::kWarning);
  InstallStopSignals();

  SuiteRunOptions options;
  options.suite_path = parser.positional().empty() ? "" : parser.positional()[0];
  options.out_dir = resume.empty() ? out_dir : resume;
  options.resume = !resume.empty();
  options.local_workers = static_cast<int>(
      workers > 0 ? workers : std::max(1u, std::thread::hardware_concurrency()));
  options.engine.node_path = node;
  options.engine.keep_run_dirs = keep;
  options.engine.use_cgroups = !no_cgroups;
  options.baseline = baseline;
  options.interrupted = StopRequested();
  for (absl::string_view f : absl::StrSplit(filter, ',', absl::SkipEmpty())) options.filters.emplace_back(f);
  if (bazel_test) ApplyBazelTestEnvironment(&options);
  return RunSuite(options);
}

}  // namespace heapstorm
