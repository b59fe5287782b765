#include "cli/summary_table.h"

#include <algorithm>
#include <iterator>
#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/utf8.h"
#include "model/names.h"
#include "model/units.h"
#include "reports/compare.h"
#include "reports/leak_sentence.h"
#include "reports/metrics.h"

namespace heapstorm {
namespace {

// The metrics in the table, in column order, with their headings.
struct MetricColumn {
  MetricId metric;
  const char* heading;
};
constexpr MetricColumn kMetricColumns[] = {
    {MetricId::kUnitsReached, "units"},         {MetricId::kPeakHeapUsed, "heap peak"},
    {MetricId::kPeakExternal, "external"},      {MetricId::kPeakRss, "RSS peak"},
    {MetricId::kHeapBytesPerUnit, "heap/unit"}, {MetricId::kExternalBytesPerUnit, "ext/unit"},
};
constexpr size_t kFirstMetricColumn = 2;  // after scenario and outcome

// A configuration's median of `column`'s metric as its cell; a metric the report lacks as 0.
std::string Cell(const v1::ScenarioReport& s, const MetricColumn& column) {
  const v1::Aggregate* a = FindAggregate(s, column.metric);
  return FormatMetric(Metric(column.metric), a == nullptr ? 0 : a->median(), MetricStyle::kColumn);
}

std::string Outcomes(const v1::ScenarioReport& s) {
  std::map<std::string, int> counts;
  std::vector<std::string> order;
  for (int o : s.outcomes()) {
    std::string name = OutcomeName(static_cast<v1::Outcome>(o));
    if (counts[name]++ == 0) order.push_back(name);
  }
  std::vector<std::string> parts;
  for (const std::string& name : order) {
    parts.push_back(counts[name] > 1 ? absl::StrCat(name, "×", counts[name]) : name);
  }
  return absl::StrJoin(parts, ",");
}

// The leak checks of a scenario's runs, for its line: the verdicts (with their count over
// repeats) and, for a leak, the steepest series' rate and the first culprit: its allocation
// site when one is known, else its constructor or kind. "" without a leak check.
std::string LeakCell(const v1::Report& report, const v1::ScenarioReport& s) {
  std::map<std::string, int> counts;
  std::vector<std::string> order;
  std::string detail;
  for (const v1::RunResult& r : report.runs()) {
    if (r.scenario() != s.scenario() || r.variation() != s.variation() || !r.has_leak()) continue;
    const v1::LeakResult& l = r.leak();
    std::string v = l.verdict() == v1::LEAK_VERDICT_LEAK      ? "leak"
                    : l.verdict() == v1::LEAK_VERDICT_NO_LEAK ? "no leak"
                                                              : "inconclusive";
    if (counts[v]++ == 0) order.push_back(v);
    // Undecided: what would decide it (the whole sentence is under "undecided:").
    if (l.verdict() == v1::LEAK_VERDICT_INCONCLUSIVE && detail.empty()) {
      detail = l.summary_kind() == v1::LEAK_SUMMARY_KIND_RETENTION_FAILED ? "its retention check failed"
               : l.more_iterations_needed() > 0
                   ? absl::StrCat("~", l.more_iterations_needed(), " more iterations would decide")
                   : "";
      continue;
    }
    if (l.verdict() != v1::LEAK_VERDICT_LEAK || !detail.empty()) continue;
    const v1::LeakSeries* steepest = nullptr;
    for (const v1::LeakSeries& series : l.series()) {
      if (series.verdict() == v1::LEAK_VERDICT_LEAK &&
          (steepest == nullptr || series.slope_per_iteration() > steepest->slope_per_iteration())) {
        steepest = &series;
      }
    }
    if (steepest != nullptr) {
      detail = absl::StrCat(steepest->name(), " +",
                            steepest->unit() == "bytes" ? FormatSize(steepest->slope_per_iteration())
                                                        : absl::StrFormat("%.3g", steepest->slope_per_iteration()),
                            "/it");
    }
    if (l.allocation_sites_size() > 0) {
      const v1::AllocationSite& a = l.allocation_sites(0);
      std::string file = a.file().substr(a.file().rfind('/') == std::string::npos ? 0 : a.file().rfind('/') + 1);
      absl::StrAppend(&detail, ", ", a.function(), " (", file, ":", a.line(), ")");
    } else {
      for (const v1::LeakCulprit& c : l.culprits()) {
        if (c.v8_internal()) continue;
        absl::StrAppend(&detail, ", ", c.constructor());
        break;
      }
    }
    if (!l.exhaustion().empty()) absl::StrAppend(&detail, ", ", l.exhaustion());
  }
  std::vector<std::string> parts;
  for (const std::string& v : order) parts.push_back(counts[v] > 1 ? absl::StrCat(v, "×", counts[v]) : v);
  std::string cell = absl::StrJoin(parts, ",");
  return detail.empty() ? cell : absl::StrCat(cell, ": ", detail);
}

// Whether a metric of this configuration regressed against the baseline: it fails the run
// though its own expectations held.
// The summary as written, before TerminalText.
std::string SummaryText(const v1::Report& report) {
  std::vector<std::string> heading = {"scenario", "outcome"};
  for (const MetricColumn& column : kMetricColumns) heading.push_back(column.heading);
  heading.insert(heading.end(), {"result", "leak check"});
  std::vector<std::vector<std::string>> rows = {heading};
  bool leak_checks = false;
  for (const v1::ScenarioReport& s : report.scenarios()) {
    std::string name = ConfigurationName(s.scenario(), s.variation());
    std::vector<std::string> row = {name, Outcomes(s)};
    for (const MetricColumn& column : kMetricColumns) row.push_back(Cell(s, column));
    row.insert(row.end(), {ConfigurationVerdict(report, s), LeakCell(report, s)});
    leak_checks = leak_checks || !row.back().empty();
    rows.push_back(std::move(row));
  }
  // No leak check in the suite: no column for it.
  if (!leak_checks) {
    for (auto& row : rows) row.pop_back();
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], Utf8Width(row[i]));
  }
  std::string out = "\n";
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      bool right = i >= kFirstMetricColumn && i < kFirstMetricColumn + std::size(kMetricColumns);
      std::string pad(width[i] - Utf8Width(row[i]), ' ');
      absl::StrAppend(&line, right ? pad + row[i] : row[i] + pad, i + 1 < row.size() ? "  " : "");
    }
    line.erase(line.find_last_not_of(' ') + 1);  // no leak check: no trailing blanks
    absl::StrAppend(&out, line, "\n");
  }
  std::string capacity;
  for (const v1::CapacityReport& c : report.capacity()) {
    for (const v1::SearchResult& sr : c.searches()) {
      absl::StrAppend(&capacity, "  ", c.scenario(), ": ", sr.message(), " (", sr.steps(), " runs)\n");
      if (!sr.ramp_note().empty()) absl::StrAppend(&capacity, "  ", c.scenario(), ": ", sr.ramp_note(), "\n");
    }
    if (!c.model_summary().empty()) {
      absl::StrAppend(&capacity, "  ", c.scenario(), ": units at break ", c.model_summary(), "\n");
    }
    if (!c.unit_cost_summary().empty()) absl::StrAppend(&capacity, "  ", c.scenario(), ": ", c.unit_cost_summary(), "\n");
    if (!c.recommendation().empty()) absl::StrAppend(&capacity, "  ", c.scenario(), ": ", c.recommendation(), "\n");
  }
  if (!capacity.empty()) absl::StrAppend(&out, "\ncapacity:\n", capacity);
  // Leak checks that ended undecided pass (no leak was found), but say why and what would
  // decide them here: the row has room for a few words only.
  std::string undecided;
  for (const v1::RunResult& r : report.runs()) {
    if (!r.has_leak() || r.leak().verdict() != v1::LEAK_VERDICT_INCONCLUSIVE) continue;
    absl::StrAppend(&undecided, "  ", ConfigurationName(r.scenario(), r.variation()), " r", r.repeat(), ": ",
                    LeakSummarySentence(r), "\n");
  }
  if (!undecided.empty()) absl::StrAppend(&out, "\nundecided leak checks (they pass):\n", undecided);
  std::string failures;
  for (const v1::ScenarioReport& s : report.scenarios()) {
    for (const v1::ExpectationCheck& c : s.checks()) {
      if (c.passed()) continue;
      absl::StrAppend(&failures, "  ", ConfigurationName(s.scenario(), s.variation()),
                      ": ", c.name(), ": ", c.message(), "\n");
    }
  }
  if (report.has_comparison()) {
    for (const v1::MetricComparison& m : report.comparison().metrics()) {
      if (m.verdict() != v1::VERDICT_REGRESSED) continue;
      absl::StrAppend(&failures, "  ", ConfigurationName(m.scenario(), m.variation()),
                      ": regression: ", DescribeComparison(m), "\n");
    }
  }
  for (const v1::Missing& m : report.missing()) {
    absl::StrAppend(&failures, "  ", ConfigurationName(m.scenario(), m.variation()),
                    " r", m.repeat(), ": missing: ", m.reason(), "\n");
  }
  if (!failures.empty()) absl::StrAppend(&out, "\nfailed:\n", failures);
  if (report.has_comparison()) {
    const v1::Comparison& c = report.comparison();
    absl::StrAppend(&out, "\nagainst ", c.baseline_path(), ": ", c.regressions(), " regressed, ",
                    c.improvements(), " improved\n");
    for (const std::string& w : c.warnings()) absl::StrAppend(&out, "  note: ", w, "\n");
  }
  // "FAILED: 5 of 8 configurations failed, 8 runs, 2 missing": how many failed (an
  // expectation or a regression), not only how many there were.
  const int failed = static_cast<int>(
      std::count_if(report.scenarios().begin(), report.scenarios().end(),
                    [&report](const v1::ScenarioReport& s) { return ConfigurationFailed(report, s); }));
  // A run that did not finish, where nothing that ran failed, is not a failure of what ran:
  // "INCOMPLETE: 1 configuration passed, 1 run, 10 missing" (it read "FAILED: 1
  // configuration, 1 run, 10 missing" after a Ctrl-C).
  const bool incomplete = !report.passed() && failed == 0 && report.status() != v1::RUN_STATUS_COMPLETE;
  if (incomplete && report.runs_size() == 0) {
    absl::StrAppend(&out, "\nINCOMPLETE: no run finished, ", report.missing_size(), " missing\n");
    return out;
  }
  absl::StrAppend(&out, "\n", report.passed() ? "PASSED" : incomplete ? "INCOMPLETE" : "FAILED", ": ",
                  failed > 0 ? absl::StrCat(failed, " of ") : "", report.scenarios_size(), " configuration",
                  report.scenarios_size() == 1 ? "" : "s", failed > 0 ? " failed" : incomplete ? " passed" : "", ", ",
                  report.runs_size(), " run", report.runs_size() == 1 ? "" : "s",
                  report.missing_size() > 0 ? absl::StrCat(", ", report.missing_size(), " missing") : "", "\n");
  return out;
}

}  // namespace

// What a measured process said reaches the table (an exception's message in "failed:", a
// class name among the culprits): shown, never sent to the terminal as control characters.
std::string SummaryTable(const v1::Report& report) { return TerminalText(SummaryText(report)); }

}  // namespace heapstorm
