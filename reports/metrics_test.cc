// The metrics table against its users: every key of a built report (the golden report, and
// a report built here whose runs measured everything) is a row of the table, in the table's
// order; the comparison with a baseline judges each metric the way the table's direction
// says, honours its noise and breaking-point rules, and never judges a metric without a
// direction; and figures are formatted by the table's unit, not by their names.
#include "reports/metrics.h"

#include <cstdlib>
#include <set>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "model/units.h"
#include "reports/compare.h"
#include "reports/report_builder.h"
#include "reports/report_writer.h"
#include "scenarios/suite_loader.h"

namespace heapstorm {
namespace {

std::string Runfile(const std::string& path) {
  return absl::StrCat(std::getenv("TEST_SRCDIR"), "/", std::getenv("TEST_WORKSPACE"), "/", path);
}

// Fails the test for every aggregate of `report` whose key is not in the table; returns
// the keys in report order, per configuration.
std::vector<std::vector<std::string>> KeysOf(const v1::Report& report) {
  std::vector<std::vector<std::string>> keys;
  for (const v1::ScenarioReport& s : report.scenarios()) {
    keys.emplace_back();
    for (const v1::Aggregate& a : s.aggregates()) {
      EXPECT_NE(FindMetric(a.metric()), nullptr)
          << s.scenario() << ": the report has metric '" << a.metric() << "', which the table does not know";
      keys.back().push_back(a.metric());
    }
  }
  return keys;
}

TEST(MetricsTest, TableIsIndexedByIdAndNamesAreUnique) {
  std::set<std::string> names;
  for (size_t i = 0; i < AllMetrics().size(); ++i) {
    const MetricSpec& m = AllMetrics()[i];
    EXPECT_EQ(static_cast<size_t>(m.id), i) << m.name << " is out of MetricId order";
    EXPECT_EQ(&Metric(m.id), &m);
    EXPECT_EQ(FindMetric(m.name), &m);
    EXPECT_NE(m.read, nullptr) << m.name;
    EXPECT_TRUE(names.insert(m.name).second) << m.name << " twice";
  }
  EXPECT_EQ(AllMetrics().size(), static_cast<size_t>(MetricId::kWall) + 1) << "an id without a row";
  EXPECT_EQ(FindMetric("no_such_metric"), nullptr);
}

TEST(MetricsTest, EveryKeyOfTheGoldenReportIsInTheTable) {
  absl::StatusOr<v1::Report> report = ReadReportJson(Runfile("reports/testdata/golden_report.json"));
  ASSERT_TRUE(report.ok()) << report.status();
  std::vector<std::vector<std::string>> keys = KeysOf(*report);
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_GE(keys[0].size(), AllMetrics().size() - 1) << "the golden report lost metrics";
}

// One run of `scenario` that measured every metric: a leak check's forced-GC checkpoint
// (retained heap) and non-zero figures throughout.
v1::RunResult MeasuredRun(const std::string& scenario, bool after_gc) {
  v1::RunResult r;
  r.set_scenario(scenario);
  r.set_outcome(v1::OUTCOME_COMPLETED);
  r.set_units_reached(100);
  r.set_peak_heap_used_bytes(8 * 1048576);
  r.set_peak_rss_bytes(64 * 1048576);
  r.set_peak_descriptors(30);
  r.mutable_heap_per_unit()->set_slope(512);
  r.mutable_gc()->set_pause_ms_total(3.5);
  r.set_wall_ms(420);
  v1::Checkpoint* c = r.add_checkpoints();
  c->set_units(100);
  c->set_heap_used_bytes(6 * 1048576);
  c->set_after_gc(after_gc);
  return r;
}

TEST(MetricsTest, ABuiltReportHasEveryMetricInTableOrder) {
  absl::StatusOr<v1::Suite> suite = LoadSuiteText(R"(name: metrics
scenarios:
  - name: checked
    kind: cached_data
    params: {entries: 100}
  - name: plain
    kind: cached_data
    params: {entries: 100}
)",
                                                  "metrics.yaml", "/nonexistent");
  ASSERT_TRUE(suite.ok()) << suite.status();
  ReportInputs in;
  in.suite = &*suite;
  in.runs = {MeasuredRun("checked", true), MeasuredRun("plain", false)};
  v1::Report report = BuildReport(in);
  std::vector<std::vector<std::string>> keys = KeysOf(report);
  ASSERT_EQ(keys.size(), 2u);
  std::vector<std::string> all, measured;
  for (const MetricSpec& m : AllMetrics()) {
    all.push_back(m.name);
    if (!m.zero_means_unmeasured) measured.push_back(m.name);
  }
  EXPECT_EQ(keys[0], all) << "a run that measured everything has every metric, in table order";
  EXPECT_EQ(keys[1], measured) << "a metric whose zero means unmeasured is left out when it is zero";
  for (const MetricSpec& m : AllMetrics()) {
    const v1::Aggregate* a = FindAggregate(report.scenarios(0), m.id);
    ASSERT_NE(a, nullptr) << m.name;
    EXPECT_EQ(a->median(), m.read(in.runs[0])) << m.name;
  }
}

// One configuration with `repeats` runs of `outcome`, every metric at 100, 101, ...
v1::Report Uniform(int repeats, v1::Outcome outcome) {
  v1::Report report;
  v1::ScenarioReport* s = report.add_scenarios();
  s->set_scenario("s");
  for (int i = 0; i < repeats; ++i) s->add_outcomes(outcome);
  for (const MetricSpec& m : AllMetrics()) {
    v1::Aggregate* a = s->add_aggregates();
    a->set_metric(m.name);
    a->set_n(repeats);
    for (int i = 0; i < repeats; ++i) a->add_values(100 + i);
  }
  return report;
}

// `report` with `metric` `factor` times higher in every repeat.
v1::Report Higher(v1::Report report, const MetricSpec& metric, double factor = 1.5) {
  for (v1::Aggregate& a : *report.mutable_scenarios(0)->mutable_aggregates()) {
    if (a.metric() != metric.name) continue;
    for (int i = 0; i < a.values_size(); ++i) a.set_values(i, a.values(i) * factor);
  }
  return report;
}

const v1::MetricComparison* Judged(const v1::Comparison& c, const MetricSpec& metric) {
  for (const v1::MetricComparison& m : c.metrics()) {
    if (m.metric() == metric.name) return &m;
  }
  return nullptr;
}

TEST(MetricsTest, CompareJudgesEachMetricByTheTablesDirection) {
  v1::Report base = Uniform(5, v1::OUTCOME_HEAP_EXHAUSTED);
  int judged = 0;
  for (const MetricSpec& metric : AllMetrics()) {
    v1::Comparison c = Compare(base, Higher(base, metric, 2), Tolerances(), "base.json");
    for (const v1::MetricComparison& m : c.metrics()) {
      ASSERT_NE(FindMetric(m.metric()), nullptr) << "compare judged '" << m.metric() << "', not in the table";
      EXPECT_NE(FindMetric(m.metric())->direction, MetricDirection::kNeither) << m.metric();
      EXPECT_EQ(m.higher_is_worse(), FindMetric(m.metric())->direction == MetricDirection::kLowerIsBetter)
          << m.metric();
      if (m.metric() != metric.name) {
        EXPECT_EQ(m.verdict(), v1::VERDICT_UNCHANGED) << m.metric();
      }
    }
    const v1::MetricComparison* m = Judged(c, metric);
    if (metric.direction == MetricDirection::kNeither) {
      EXPECT_EQ(m, nullptr) << metric.name << " has no direction, yet a comparison judged it";
      continue;
    }
    if (m == nullptr) continue;  // not among the metrics compare judges
    ++judged;
    EXPECT_EQ(m->verdict(), metric.direction == MetricDirection::kLowerIsBetter ? v1::VERDICT_REGRESSED
                                                                                : v1::VERDICT_IMPROVED)
        << metric.name << " twice as high in every repeat";
    EXPECT_EQ(c.regressions() + c.improvements(), 1u) << metric.name;
  }
  EXPECT_GE(judged, 5) << "the comparison judges hardly any metric";
}

TEST(MetricsTest, CompareHonoursBreakingPointAndTimingRules) {
  // Completed runs: a metric that means something only when a run broke is not compared.
  v1::Report completed = Uniform(5, v1::OUTCOME_COMPLETED);
  // One repeat a side: the delta alone decides, except for a timing.
  v1::Report single = Uniform(1, v1::OUTCOME_HEAP_EXHAUSTED);
  int timings = 0, broken_only = 0;
  for (const MetricSpec& metric : AllMetrics()) {
    if (metric.only_when_broken) {
      ++broken_only;
      v1::Comparison c = Compare(completed, Higher(completed, metric), Tolerances(), "b");
      EXPECT_EQ(Judged(c, metric), nullptr) << metric.name << " compared between runs that completed";
    }
    v1::Comparison c = Compare(single, Higher(single, metric), Tolerances(), "b");
    const v1::MetricComparison* m = Judged(c, metric);
    if (m == nullptr) continue;
    EXPECT_LT(m->p_value(), 0) << metric.name << ": no U test with one repeat";
    if (metric.timing) {
      ++timings;
      EXPECT_EQ(m->verdict(), v1::VERDICT_UNCHANGED) << metric.name << ": a timing needs the U test";
    } else {
      EXPECT_NE(m->verdict(), v1::VERDICT_UNCHANGED) << metric.name << ": 50% by the delta alone";
    }
  }
  EXPECT_GE(timings, 1) << "no judged timing: the rule went untested";
  EXPECT_GE(broken_only, 1) << "no breaking-point metric: the rule went untested";
}

// A timing moves with the machine's load between a baseline and a run: it regresses only
// past kTimingTolerance (unchanged reruns of a new user's suite read gc_pause_ms +9.4% and
// +23.3%, p < 0.05, and failed the gate). Other metrics keep the suite's tolerance.
TEST(MetricsTest, ATimingRegressesOnlyPastItsOwnTolerance) {
  v1::Report base = Uniform(5, v1::OUTCOME_COMPLETED);
  const MetricSpec& pause = Metric(MetricId::kGcPause);
  ASSERT_TRUE(pause.timing);
  const v1::MetricComparison* m = nullptr;
  v1::Comparison noise = Compare(base, Higher(base, pause, 1.25), Tolerances(), "b");
  ASSERT_NE(m = Judged(noise, pause), nullptr);
  EXPECT_LT(m->p_value(), 0.05);
  EXPECT_EQ(m->verdict(), v1::VERDICT_UNCHANGED);
  EXPECT_EQ(m->note(), "a timing: a change within 50% is the machine's, not the program's");
  EXPECT_EQ(noise.regressions(), 0u);
  v1::Comparison slower = Compare(base, Higher(base, pause, 1.8), Tolerances(), "b");
  ASSERT_NE(m = Judged(slower, pause), nullptr);
  EXPECT_EQ(m->verdict(), v1::VERDICT_REGRESSED);
  const MetricSpec& heap = Metric(MetricId::kPeakHeapUsed);
  v1::Comparison bigger = Compare(base, Higher(base, heap, 1.25), Tolerances(), "b");
  ASSERT_NE(m = Judged(bigger, heap), nullptr);
  EXPECT_EQ(m->verdict(), v1::VERDICT_REGRESSED) << "a memory metric keeps the suite's 5%";
}

TEST(MetricsTest, FiguresAreFormattedByUnitNotByName) {
  const MetricSpec& heap = Metric(MetricId::kPeakHeapUsed);
  const MetricSpec& per_unit = Metric(MetricId::kHeapBytesPerUnit);
  const MetricSpec& units = Metric(MetricId::kUnitsReached);
  ASSERT_EQ(heap.unit, MetricUnit::kBytes);
  ASSERT_EQ(per_unit.unit, MetricUnit::kBytesPerUnit);
  ASSERT_EQ(units.unit, MetricUnit::kUnits);
  for (MetricStyle style : {MetricStyle::kTable, MetricStyle::kComparison, MetricStyle::kColumn}) {
    EXPECT_EQ(FormatMetric(heap, 29465600, style), FormatSize(29465600));
    EXPECT_EQ(FormatMetric(heap.name, 29465600, style), FormatSize(29465600));
    EXPECT_EQ(FormatMetric(per_unit, 602, style), FormatSize(602));
  }
  // A negative cost per unit is fit noise: a narrow column shows 0, a table the figure.
  EXPECT_EQ(FormatMetric(per_unit, -26, MetricStyle::kColumn), FormatSize(0));
  EXPECT_EQ(FormatMetric(per_unit, -26, MetricStyle::kTable), FormatSize(-26));
  EXPECT_EQ(FormatMetric(units, 2077380, MetricStyle::kTable), "2,077,380");
  EXPECT_EQ(FormatMetric(Metric(MetricId::kWall), 90.4595, MetricStyle::kTable), "90.46");
  EXPECT_EQ(FormatMetric(units, 228232, MetricStyle::kComparison), "228,232");
  EXPECT_EQ(FormatMetric(units, 42020.5, MetricStyle::kColumn), "42020");
  EXPECT_EQ(FormatMetric(Metric(MetricId::kGcPause), 10.246, MetricStyle::kComparison), "10.25");
  // A key this version does not know is a plain number, whatever its name says.
  EXPECT_EQ(FormatMetric("future_bytes_per_unit", 1048576, MetricStyle::kTable), "1.04858e+06");
}

}  // namespace
}  // namespace heapstorm
