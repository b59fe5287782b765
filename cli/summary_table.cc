#include "cli/summary_table.h"

#include <algorithm>
#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/sizes.h"
#include "reports/compare.h"
#include "scenarios/suite_loader.h"
#include "scenarios/units.h"

namespace heapstorm {
namespace {

double Median(const v1::ScenarioReport& s, const std::string& metric) {
  for (const v1::Aggregate& a : s.aggregates()) {
    if (a.metric() == metric) return a.median();
  }
  return 0;
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

}  // namespace

std::string SummaryTable(const v1::Report& report) {
  std::vector<std::vector<std::string>> rows = {
      {"scenario", "outcome", "units", "heap peak", "external", "RSS peak", "heap/unit", "ext/unit", "result"}};
  for (const v1::ScenarioReport& s : report.scenarios()) {
    std::string name = s.variation().empty() ? s.scenario() : absl::StrCat(s.scenario(), " [", s.variation(), "]");
    rows.push_back({name, Outcomes(s), absl::StrCat(static_cast<uint64_t>(Median(s, "units_reached"))),
                    FormatSize(Median(s, "peak_heap_used_bytes")),
                    FormatSize(Median(s, "peak_external_bytes")),
                    FormatSize(Median(s, "peak_rss_bytes")),
                    FormatSize(std::max(0.0, Median(s, "heap_bytes_per_unit"))),
                    FormatSize(std::max(0.0, Median(s, "external_bytes_per_unit"))),
                    s.passed() ? "PASS" : "FAIL"});
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  std::string out = "\n";
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      bool right = i >= 2 && i <= 7;
      std::string pad(width[i] - row[i].size(), ' ');
      absl::StrAppend(&out, right ? pad + row[i] : row[i] + pad, i + 1 < row.size() ? "  " : "\n");
    }
  }
  std::string capacity;
  for (const v1::CapacityReport& c : report.capacity()) {
    for (const v1::SearchResult& sr : c.searches()) {
      absl::StrAppend(&capacity, "  ", c.scenario(), ": ", sr.message(), " (", sr.steps(), " runs)\n");
    }
    if (c.model().points() >= 2) {
      absl::StrAppend(&capacity, "  ", c.scenario(), ": units at break ≈ ",
                      absl::StrFormat("%.4g + %.4g per MiB of %s (R² %.3f)", c.model().intercept(),
                                      c.model().slope() * static_cast<double>(kMiB), c.parameter(), c.model().r_squared()),
                      "\n");
    }
    if (!c.recommendation().empty()) absl::StrAppend(&capacity, "  ", c.scenario(), ": ", c.recommendation(), "\n");
  }
  if (!capacity.empty()) absl::StrAppend(&out, "\ncapacity:\n", capacity);
  std::string failures;
  for (const v1::ScenarioReport& s : report.scenarios()) {
    for (const v1::ExpectationCheck& c : s.checks()) {
      if (c.passed()) continue;
      absl::StrAppend(&failures, "  ", s.scenario(), s.variation().empty() ? "" : absl::StrCat(" [", s.variation(), "]"),
                      ": ", c.name(), ": ", c.message(), "\n");
    }
  }
  if (report.has_comparison()) {
    for (const v1::MetricComparison& m : report.comparison().metrics()) {
      if (m.verdict() != v1::VERDICT_REGRESSED) continue;
      absl::StrAppend(&failures, "  ", m.scenario(), m.variation().empty() ? "" : absl::StrCat(" [", m.variation(), "]"),
                      ": regression: ", DescribeComparison(m), "\n");
    }
  }
  for (const v1::Missing& m : report.missing()) {
    absl::StrAppend(&failures, "  ", m.scenario(), " r", m.repeat(), ": missing: ", m.reason(), "\n");
  }
  if (!failures.empty()) absl::StrAppend(&out, "\nfailed:\n", failures);
  if (report.has_comparison()) {
    const v1::Comparison& c = report.comparison();
    absl::StrAppend(&out, "\nagainst ", c.baseline_path(), ": ", c.regressions(), " regressed, ",
                    c.improvements(), " improved\n");
    for (const std::string& w : c.warnings()) absl::StrAppend(&out, "  note: ", w, "\n");
  }
  absl::StrAppend(&out, "\n", report.passed() ? "PASSED" : "FAILED", ": ", report.scenarios_size(),
                  " configuration", report.scenarios_size() == 1 ? "" : "s", ", ", report.runs_size(),
                  " run", report.runs_size() == 1 ? "" : "s", "\n");
  return out;
}

}  // namespace heapstorm
