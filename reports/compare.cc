#include "reports/compare.h"

#include <cmath>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "reports/statistics.h"
#include "model/units.h"

namespace heapstorm {
namespace {

struct MetricRule {
  const char* name;
  bool higher_is_worse;
  bool bytes;
  bool only_when_broken;  // units at the breaking point mean nothing for a completed run
  bool timing;            // scheduler noise: a verdict only with the U test (≥ 5 repeats)
};

const std::vector<MetricRule>& Rules() {
  static const auto* rules = new std::vector<MetricRule>{
      {"peak_heap_used_bytes", true, true, false, false},
      {"retained_heap_bytes", true, true, false, false},
      {"peak_external_bytes", true, true, false, false},
      {"peak_rss_bytes", true, true, false, false},
      {"heap_bytes_per_unit", true, true, false, false},
      {"units_reached", false, false, true, false},
      {"gc_pause_ms", true, false, false, true},
  };
  return *rules;
}

using Key = std::pair<std::string, std::string>;  // scenario, variation

std::map<Key, const v1::ScenarioReport*> Index(const v1::Report& report) {
  std::map<Key, const v1::ScenarioReport*> out;
  for (const v1::ScenarioReport& s : report.scenarios()) out[{s.scenario(), s.variation()}] = &s;
  return out;
}

const v1::Aggregate* Find(const v1::ScenarioReport& s, const std::string& metric) {
  for (const v1::Aggregate& a : s.aggregates()) {
    if (a.metric() == metric) return &a;
  }
  return nullptr;
}

bool Broken(const v1::ScenarioReport& s) {
  for (int o : s.outcomes()) {
    if (o != v1::OUTCOME_COMPLETED) return true;
  }
  return false;
}

std::string Value(double v, bool bytes) {
  return bytes ? FormatSize(v) : absl::StrFormat("%.4g", v);
}

}  // namespace

std::string DescribeComparison(const v1::MetricComparison& m) {
  bool bytes = absl::EndsWith(m.metric(), "_bytes") || absl::EndsWith(m.metric(), "_per_unit");
  std::string p = m.p_value() < 0 ? "delta only" : absl::StrFormat("p=%.3g", m.p_value());
  const char* verdict = m.verdict() == v1::VERDICT_REGRESSED  ? "regressed"
                        : m.verdict() == v1::VERDICT_IMPROVED ? "improved"
                                                              : "unchanged";
  return absl::StrFormat("%s: %s → %s (%+.1f%%, %s): %s", m.metric(), Value(m.baseline_median(), bytes),
                         Value(m.current_median(), bytes), 100.0 * m.relative_delta(), p, verdict);
}

v1::Comparison Compare(const v1::Report& baseline, const v1::Report& current,
                       const Tolerances& tolerances, const std::string& baseline_path) {
  v1::Comparison c;
  c.set_baseline_path(baseline_path);
  c.set_baseline_suite_sha256(baseline.suite_sha256());
  c.set_tolerance_relative(tolerances.relative);
  c.set_tolerance_p_value(tolerances.p_value);
  if (baseline.environment().node_version() != current.environment().node_version()) {
    c.add_warnings(absl::StrCat("node version differs: baseline ", baseline.environment().node_version(),
                                ", current ", current.environment().node_version()));
  }
  if (baseline.environment().limit_mechanism() != current.environment().limit_mechanism()) {
    c.add_warnings(absl::StrCat("native limit mechanism differs: baseline ",
                                v1::LimitMechanism_Name(baseline.environment().limit_mechanism()),
                                ", current ",
                                v1::LimitMechanism_Name(current.environment().limit_mechanism())));
  }
  if (baseline.suite_sha256() != current.suite_sha256()) {
    c.add_warnings("the suite file changed since the baseline");
  }
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
    for (const MetricRule& rule : Rules()) {
      const v1::Aggregate* a = Find(*old, rule.name);
      const v1::Aggregate* b = Find(*cur, rule.name);
      if (a == nullptr || b == nullptr || a->n() == 0 || b->n() == 0) continue;
      if (rule.only_when_broken && !(Broken(*old) && Broken(*cur))) continue;
      std::vector<double> xs(a->values().begin(), a->values().end());
      std::vector<double> ys(b->values().begin(), b->values().end());
      v1::MetricComparison* m = c.add_metrics();
      m->set_scenario(key.first);
      m->set_variation(key.second);
      m->set_metric(rule.name);
      m->set_baseline_median(Median(xs));
      m->set_current_median(Median(ys));
      m->set_baseline_n(a->n());
      m->set_current_n(b->n());
      m->set_higher_is_worse(rule.higher_is_worse);
      double denominator = std::fabs(m->baseline_median());
      double delta = denominator > 0 ? (m->current_median() - m->baseline_median()) / denominator
                     : m->current_median() == m->baseline_median() ? 0.0
                                                                   : (m->current_median() > 0 ? 1.0 : -1.0);
      m->set_relative_delta(delta);
      double worse = rule.higher_is_worse ? delta : -delta;
      bool tested = xs.size() >= kMinRepeatsForTest && ys.size() >= kMinRepeatsForTest;
      bool significant = true;
      if (tested) {
        MannWhitney test = MannWhitneyU(xs, ys);
        m->set_p_value(test.p_value);
        significant = test.p_value < tolerances.p_value;
      } else if (rule.timing) {
        m->set_p_value(-1);
        m->set_note(absl::StrCat("a timing: compared only with ", kMinRepeatsForTest,
                                 " or more repeats a side"));
        significant = false;
      } else {
        m->set_p_value(-1);
        m->set_note(absl::StrCat("fewer than ", kMinRepeatsForTest,
                                 " repeats on a side: the delta alone decides"));
      }
      if (worse > tolerances.relative && significant) {
        m->set_verdict(v1::VERDICT_REGRESSED);
        c.set_regressions(c.regressions() + 1);
      } else if (-worse > tolerances.relative && significant) {
        m->set_verdict(v1::VERDICT_IMPROVED);
        c.set_improvements(c.improvements() + 1);
      } else {
        m->set_verdict(v1::VERDICT_UNCHANGED);
      }
    }
  }
  for (const auto& [key, old] : base) {
    if (now.count(key)) continue;
    v1::MetricComparison* m = c.add_metrics();
    m->set_scenario(key.first);
    m->set_variation(key.second);
    m->set_verdict(v1::VERDICT_REMOVED);
    m->set_note("in the baseline only");
  }
  return c;
}

}  // namespace heapstorm
