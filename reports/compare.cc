#include "reports/compare.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "model/names.h"
#include "reports/metrics.h"
#include "reports/statistics.h"

namespace heapstorm {
namespace {

// The metrics judged against a baseline, in the order a comparison lists them. Direction,
// noise and when a metric means something come from the metrics table; a metric whose
// direction is kNeither is never judged, even if listed here.
constexpr MetricId kJudged[] = {
    MetricId::kPeakHeapUsed,     MetricId::kRetainedHeap, MetricId::kPeakExternal, MetricId::kPeakRss,
    MetricId::kHeapBytesPerUnit, MetricId::kUnitsReached, MetricId::kGcPause,
};

using Key = std::pair<std::string, std::string>;  // scenario, variation

std::map<Key, const v1::ScenarioReport*> Index(const v1::Report& report) {
  std::map<Key, const v1::ScenarioReport*> out;
  for (const v1::ScenarioReport& s : report.scenarios()) out[{s.scenario(), s.variation()}] = &s;
  return out;
}

bool Broken(const v1::ScenarioReport& s) {
  for (int o : s.outcomes()) {
    if (o != v1::OUTCOME_COMPLETED) return true;
  }
  return false;
}

}  // namespace

std::string DescribeComparison(const v1::MetricComparison& m) {
  std::string p = m.p_value() < 0 ? "delta only" : absl::StrFormat("p=%.3g", m.p_value());
  const char* verdict = m.verdict() == v1::VERDICT_REGRESSED  ? "regressed"
                        : m.verdict() == v1::VERDICT_IMPROVED ? "improved"
                                                              : "unchanged";
  return absl::StrFormat("%s: %s → %s (%+.1f%%, %s): %s", m.metric(),
                         FormatMetric(m.metric(), m.baseline_median(), MetricStyle::kComparison),
                         FormatMetric(m.metric(), m.current_median(), MetricStyle::kComparison),
                         100.0 * m.relative_delta(), p, verdict);
}

namespace {

// What a person should know before trusting the comparison: a different node, native
// limit mechanism or suite file.
void AddWarnings(const v1::Report& baseline, const v1::Report& current, v1::Comparison* c) {
  if (baseline.environment().node_version() != current.environment().node_version()) {
    c->add_warnings(absl::StrCat("node version differs: baseline ", baseline.environment().node_version(),
                                 ", current ", current.environment().node_version()));
  }
  // Only when both kept a native limit: a run of scenarios without one (a --filter) has none.
  const v1::LimitMechanism was = baseline.environment().limit_mechanism();
  const v1::LimitMechanism is = current.environment().limit_mechanism();
  if (was != is && was != v1::LIMIT_MECHANISM_UNSPECIFIED && is != v1::LIMIT_MECHANISM_UNSPECIFIED) {
    c->add_warnings(absl::StrCat("the native limit was kept by ", LimitMechanismName(was), " in the baseline, by ",
                                 LimitMechanismName(is), " now"));
  }
  if (baseline.suite_sha256() != current.suite_sha256()) {
    c->add_warnings("the suite file changed since the baseline");
  }
}

// One metric of one configuration, baseline `a` against current `b`: medians, relative
// delta, the Mann–Whitney test when both sides have enough repeats, and the verdict.
v1::MetricComparison CompareMetric(const MetricSpec& metric, const v1::Aggregate& a, const v1::Aggregate& b,
                                   const Tolerances& tolerances) {
  const bool higher_is_worse = metric.direction == MetricDirection::kLowerIsBetter;
  std::vector<double> xs(a.values().begin(), a.values().end());
  std::vector<double> ys(b.values().begin(), b.values().end());
  v1::MetricComparison m;
  m.set_metric(metric.name);
  m.set_baseline_median(Median(xs));
  m.set_current_median(Median(ys));
  m.set_baseline_n(a.n());
  m.set_current_n(b.n());
  m.set_higher_is_worse(higher_is_worse);
  double denominator = std::fabs(m.baseline_median());
  double delta = denominator > 0 ? (m.current_median() - m.baseline_median()) / denominator
                 : m.current_median() == m.baseline_median() ? 0.0
                                                             : (m.current_median() > 0 ? 1.0 : -1.0);
  m.set_relative_delta(delta);
  double worse = higher_is_worse ? delta : -delta;
  bool tested = xs.size() >= kMinRepeatsForTest && ys.size() >= kMinRepeatsForTest;
  bool significant = true;
  if (tested) {
    MannWhitney test = MannWhitneyU(xs, ys);
    m.set_p_value(test.p_value);
    significant = test.p_value < tolerances.p_value;
  } else if (metric.timing) {
    m.set_p_value(-1);
    m.set_note(absl::StrCat("a timing: compared only with ", kMinRepeatsForTest, " or more repeats a side"));
    significant = false;
  } else {
    m.set_p_value(-1);
    m.set_note(absl::StrCat("fewer than ", kMinRepeatsForTest, " repeats on a side: the delta alone decides"));
  }
  const double tolerance = metric.timing ? std::max(tolerances.relative, kTimingTolerance) : tolerances.relative;
  if (metric.timing && tested && std::fabs(worse) > tolerances.relative && std::fabs(worse) <= tolerance) {
    m.set_note(absl::StrCat("a timing: a change within ", absl::StrFormat("%.0f%%", 100 * tolerance),
                            " is the machine's, not the program's"));
  }
  if (worse > tolerance && significant) {
    m.set_verdict(v1::VERDICT_REGRESSED);
  } else if (-worse > tolerance && significant) {
    m.set_verdict(v1::VERDICT_IMPROVED);
  } else {
    m.set_verdict(v1::VERDICT_UNCHANGED);
  }
  return m;
}

}  // namespace

v1::Comparison Compare(const v1::Report& baseline, const v1::Report& current,
                       const Tolerances& tolerances, const std::string& baseline_path) {
  v1::Comparison c;
  c.set_baseline_path(baseline_path);
  c.set_baseline_suite_sha256(baseline.suite_sha256());
  c.set_tolerance_relative(tolerances.relative);
  c.set_tolerance_p_value(tolerances.p_value);
  AddWarnings(baseline, current, &c);
  auto base = Index(baseline);
  auto now = Index(current);
  for (const auto& [key, cur] : now) {
    auto it = base.find(key);
    if (it == base.end()) {
      v1::MetricComparison* m = c.add_metrics();
      m->set_scenario(key.first);
      m->set_variation(key.second);
      m->set_verdict(v1::VERDICT_ADDED);
      m->set_note("not in the baseline");
      continue;
    }
    const v1::ScenarioReport* old = it->second;
    for (MetricId id : kJudged) {
      const MetricSpec& metric = Metric(id);
      const v1::Aggregate* a = FindAggregate(*old, id);
      const v1::Aggregate* b = FindAggregate(*cur, id);
      if (metric.direction == MetricDirection::kNeither) continue;
      if (a == nullptr || b == nullptr || a->n() == 0 || b->n() == 0) continue;
      if (metric.only_when_broken && !(Broken(*old) && Broken(*cur))) continue;
      v1::MetricComparison* m = c.add_metrics();
      *m = CompareMetric(metric, *a, *b, tolerances);
      m->set_scenario(key.first);
      m->set_variation(key.second);
      if (m->verdict() == v1::VERDICT_REGRESSED) c.set_regressions(c.regressions() + 1);
      if (m->verdict() == v1::VERDICT_IMPROVED) c.set_improvements(c.improvements() + 1);
    }
  }
  bool common = false;
  for (const auto& [key, old] : base) {
    if (now.count(key)) {
      common = true;
      continue;
    }
    v1::MetricComparison* m = c.add_metrics();
    m->set_scenario(key.first);
    m->set_variation(key.second);
    m->set_verdict(v1::VERDICT_REMOVED);
    m->set_note("in the baseline only");
  }
  // Two reports of unrelated suites compared "0 regressed" with a note on the suite file only.
  if (!common && !base.empty() && !now.empty()) {
    c.add_warnings("no configuration is in both reports: nothing was compared (is it the right baseline?)");
  }
  return c;
}

bool Regressed(const v1::Report& report, const v1::ScenarioReport& s) {
  for (const v1::MetricComparison& m : report.comparison().metrics()) {
    if (m.scenario() == s.scenario() && m.variation() == s.variation() && m.verdict() == v1::VERDICT_REGRESSED) {
      return true;
    }
  }
  return false;
}

bool ConfigurationFailed(const v1::Report& report, const v1::ScenarioReport& s) {
  return !s.passed() || Regressed(report, s);
}

const char* ConfigurationVerdict(const v1::Report& report, const v1::ScenarioReport& s) {
  return !s.passed() ? "FAIL" : Regressed(report, s) ? "REGRESSED" : "PASS";
}

}  // namespace heapstorm
