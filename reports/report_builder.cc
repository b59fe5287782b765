#include "reports/report_builder.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/median.h"
#include "model/names.h"
#include "model/parameters.h"
#include "model/units.h"
#include "reports/capacity.h"
#include "reports/leak_sentence.h"
#include "reports/metrics.h"
#include "reports/outcome_sentence.h"

namespace heapstorm {
namespace {

v1::Aggregate Aggregate(const char* name, std::vector<double> values) {
  v1::Aggregate a;
  a.set_metric(name);
  a.set_n(static_cast<uint32_t>(values.size()));
  if (values.empty()) return a;
  for (double v : values) a.add_values(v);
  a.set_median(Median(values));
  a.set_min(*std::min_element(values.begin(), values.end()));
  a.set_max(*std::max_element(values.begin(), values.end()));
  return a;
}

// Keeps a report readable at a thousand runs: every run keeps its figures, at most
// kReportCheckpoints checkpoints and samples; only the first repeat of a configuration
// keeps per-space and GC detail in its series (the journal keeps everything).
constexpr int kReportCheckpoints = 200;

template <typename Field>
void ThinField(Field* series, int limit) {
  int n = series->size();
  if (n <= limit) return;
  Field kept;
  for (int i = 0; i < limit; ++i) {
    int index = static_cast<int>(static_cast<int64_t>(i) * (n - 1) / (limit - 1));
    *kept.Add() = (*series)[index];
  }
  series->Swap(&kept);
}

void SlimForReport(v1::RunResult* r, bool keep_detail) {
  ThinField(r->mutable_checkpoints(), kReportCheckpoints);
  ThinField(r->mutable_samples(), kReportCheckpoints);
  if (keep_detail) return;
  for (v1::Checkpoint& c : *r->mutable_checkpoints()) {
    c.clear_spaces();
    c.clear_gc();
  }
}

v1::ExpectationCheck Check(std::string name, bool passed, std::string message) {
  v1::ExpectationCheck c;
  c.set_name(std::move(name));
  c.set_passed(passed);
  c.set_message(std::move(message));
  return c;
}

std::string Run(const v1::RunResult& r) {
  return absl::StrCat("repeat ", r.repeat());
}

}  // namespace

std::vector<v1::ExpectationCheck> CheckExpectations(const v1::Scenario& scenario,
                                                    const std::vector<const v1::RunResult*>& runs) {
  std::vector<v1::ExpectationCheck> checks;
  const v1::Expectation& e = scenario.expect();
  v1::Outcome want = e.outcome() == v1::OUTCOME_UNSPECIFIED ? v1::OUTCOME_COMPLETED : e.outcome();
  for (const v1::RunResult* r : runs) {
    bool ok = r->outcome() == want;
    checks.push_back(Check(
        "outcome", ok,
        ok ? absl::StrCat(Run(*r), ": ", OutcomeName(r->outcome()), " as expected (",
                          r->evidence().summary(), ")")
           : absl::StrCat(Run(*r), ": expected ", OutcomeName(want), ", got ",
                          OutcomeName(r->outcome()), ": ", r->evidence().summary())));
  }
  // A bound on a metric, checked in every run: "max_heap_used: repeat 0: max_heap_used 12Mi ≤ 16Mi".
  auto limit = [&](const char* name, uint64_t bound, MetricId id) {
    if (bound == 0) return;
    const MetricSpec& metric = Metric(id);
    for (const v1::RunResult* r : runs) {
      double value = metric.read(*r);
      bool ok = value <= static_cast<double>(bound);
      checks.push_back(Check(name, ok,
                             absl::StrCat(Run(*r), ": ", name, " ", FormatMetric(metric, value, MetricStyle::kTable),
                                          ok ? " ≤ " : " > ",
                                          FormatMetric(metric, static_cast<double>(bound), MetricStyle::kTable))));
    }
  };
  limit("max_heap_used", e.max_heap_used_bytes(), MetricId::kPeakHeapUsed);
  limit("max_rss", e.max_rss_bytes(), MetricId::kPeakRss);
  limit("max_external", e.max_external_bytes(), MetricId::kPeakExternal);
  limit("max_heap_per_unit", e.max_heap_bytes_per_unit(), MetricId::kHeapBytesPerUnit);
  if (scenario.has_leak_check()) {
    for (const v1::RunResult* r : runs) {
      if (!r->has_leak()) continue;
      const v1::LeakResult& leak = r->leak();
      bool leaked = leak.verdict() == v1::LEAK_VERDICT_LEAK;
      bool ok = e.leak() ? leaked : !leaked;
      std::string culprit;
      if (leak.allocation_sites_size() > 0) {
        const v1::AllocationSite& a = leak.allocation_sites(0);
        culprit = absl::StrCat("; allocated in ", a.function(), " (", a.file(), ":", a.line(), ":", a.column(), ")");
      }
      for (const v1::LeakCulprit& c : leak.culprits()) {
        if (c.v8_internal()) continue;
        absl::StrAppend(&culprit, "; growing: ", c.constructor(), " (", c.count(), " new objects, ",
                        FormatSize(static_cast<double>(c.bytes())), ")");
        break;
      }
      if (!leak.retainer_path().text().empty()) absl::StrAppend(&culprit, "; held by ", leak.retainer_path().text());
      // The summary opens with the verdict ("leak: ...", "no leak above ...").
      checks.push_back(Check("leak", ok,
                             absl::StrCat(Run(*r), e.leak() ? " (a leak is expected)" : "", ": ",
                                          LeakSummarySentence(*r), culprit)));
    }
  }
  if (e.min_units() > 0) {
    for (const v1::RunResult* r : runs) {
      bool ok = r->units_reached() >= e.min_units();
      checks.push_back(Check("min_units", ok,
                             absl::StrCat(Run(*r), ": reached ", r->units_reached(), " units",
                                          ok ? " ≥ " : " < ", e.min_units())));
    }
  }
  return checks;
}

namespace {

// The runs in a stable order (suite order of scenarios, then variation, then repeat), each
// with its sentences. The engine writes no prose: the outcome's and the leak check's
// sentences are made here, from the evidence and the figures.
std::vector<v1::RunResult> OrderedRuns(const ReportInputs& in) {
  std::map<std::string, int> order;
  for (int i = 0; i < in.suite->scenarios_size(); ++i) order[in.suite->scenarios(i).name()] = i;
  std::vector<v1::RunResult> runs = in.runs;
  for (v1::RunResult& r : runs) {
    r.mutable_evidence()->set_summary(OutcomeSentence(r));
    FillLeakSentences(&r);
  }
  std::stable_sort(runs.begin(), runs.end(), [&](const v1::RunResult& a, const v1::RunResult& b) {
    int oa = order.count(a.scenario()) ? order[a.scenario()] : 1 << 30;
    int ob = order.count(b.scenario()) ? order[b.scenario()] : 1 << 30;
    if (oa != ob) return oa < ob;
    if (a.variation() != b.variation()) return VariationBefore(a.variation(), b.variation());
    return a.repeat() < b.repeat();
  });
  return runs;
}

// One configuration (scenario × variation) of the report: its outcomes, the aggregate of
// every metric it measured, and its checks.
v1::ScenarioReport ConfigurationReport(const v1::Scenario& scenario, const std::string& variation,
                                       const std::vector<const v1::RunResult*>& group,
                                       const std::vector<v1::SearchResult>& searches) {
  v1::ScenarioReport s;
  s.set_scenario(scenario.name());
  s.set_variation(variation);
  s.set_kind(scenario.kind());
  s.set_description(scenario.description());
  for (const v1::RunResult* r : group) s.add_outcomes(r->outcome());
  for (const MetricSpec& m : AllMetrics()) {
    std::vector<double> values;
    for (const v1::RunResult* r : group) values.push_back(m.read(*r));
    if (m.zero_means_unmeasured && std::all_of(values.begin(), values.end(), [](double v) { return v == 0; })) {
      continue;
    }
    *s.add_aggregates() = Aggregate(m.name, values);
  }
  std::vector<v1::ExpectationCheck> checks;
  if (scenario.has_search()) {
    // A search's steps fail and complete by design: the search itself is the check.
    for (const v1::SearchResult& sr : searches) {
      if (sr.scenario() == scenario.name()) checks.push_back(Check("search", sr.found(), sr.message()));
    }
  } else if (absl::StrContains(variation, "confirm@")) {
    // A confirming run, a margin below a breaking point, must complete.
    v1::Scenario confirm = scenario;
    confirm.mutable_expect()->Clear();
    confirm.mutable_expect()->set_outcome(v1::OUTCOME_COMPLETED);
    checks = CheckExpectations(confirm, group);
  } else {
    checks = CheckExpectations(scenario, group);
  }
  bool ok = true;
  for (v1::ExpectationCheck& c : checks) {
    ok = ok && c.passed();
    *s.add_checks() = std::move(c);
  }
  s.set_passed(ok);
  return s;
}

// Adds the configurations of `scenario` found among the report's runs, in run order;
// true when every check of every one passed.
bool AddScenario(const v1::Scenario& scenario, const std::vector<v1::SearchResult>& searches, v1::Report* report) {
  std::vector<std::string> variations;
  for (const v1::RunResult& r : report->runs()) {
    if (r.scenario() != scenario.name()) continue;
    if (std::find(variations.begin(), variations.end(), r.variation()) == variations.end()) {
      variations.push_back(r.variation());
    }
  }
  bool passed = true;
  for (const std::string& variation : variations) {
    std::vector<const v1::RunResult*> group;
    for (const v1::RunResult& r : report->runs()) {
      if (r.scenario() == scenario.name() && r.variation() == variation) group.push_back(&r);
    }
    v1::ScenarioReport* s = report->add_scenarios();
    *s = ConfigurationReport(scenario, variation, group, searches);
    passed = passed && s->passed();
  }
  return passed;
}

}  // namespace

v1::Report BuildReport(const ReportInputs& in) {
  v1::Report report;
  report.set_schema_version(kReportSchemaVersion);
  report.set_suite_name(in.suite->name());
  report.set_suite_path(in.suite->path());
  report.set_suite_sha256(in.suite->sha256());
  *report.mutable_environment() = in.environment;
  // The mechanism that kept native limits (the first run that had one).
  for (const v1::RunResult& r : in.runs) {
    if (r.limit_mechanism() != v1::LIMIT_MECHANISM_NONE &&
        r.limit_mechanism() != v1::LIMIT_MECHANISM_UNSPECIFIED) {
      report.mutable_environment()->set_limit_mechanism(r.limit_mechanism());
      break;
    }
  }
  report.set_started_unix_ms(in.started_unix_ms);
  report.set_wall_ms(in.wall_ms);
  for (const v1::Missing& m : in.missing) *report.add_missing() = m;

  std::set<std::pair<std::string, std::string>> detailed;
  for (const v1::RunResult& r : OrderedRuns(in)) {
    v1::RunResult* added = report.add_runs();
    *added = r;
    SlimForReport(added, detailed.insert({r.scenario(), r.variation()}).second);
  }
  bool passed = in.missing.empty() && !in.aborted;
  for (const v1::Scenario& scenario : in.suite->scenarios()) {
    passed = AddScenario(scenario, in.searches, &report) && passed;
  }
  for (const v1::SearchResult& sr : in.searches) *report.add_searches() = sr;
  for (v1::CapacityReport& c : BuildCapacity(*in.suite, in.runs, in.searches)) {
    *report.add_capacity() = std::move(c);
  }
  report.set_status(in.aborted            ? v1::RUN_STATUS_ABORTED
                    : in.missing.empty() ? v1::RUN_STATUS_COMPLETE
                                         : v1::RUN_STATUS_PARTIAL);
  report.set_passed(passed);
  return report;
}

}  // namespace heapstorm
