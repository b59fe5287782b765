// The terminal summary of a run, pinned by a golden file: the report of reports_test's
// golden (reports/testdata/golden_report.json) as `heapstorm run` prints it, then the same
// report with the cases a narrow column has to decide (a median of units that is not a
// whole number, a negative cost per unit, which is noise) and with a regression against a
// baseline.
//
// To accept an intended change of the golden file:
//   HEAPSTORM_UPDATE_GOLDEN=$PWD/cli/testdata bazel test //cli:summary_table_test
//     --test_env=HEAPSTORM_UPDATE_GOLDEN --sandbox_writable_path=$PWD/cli/testdata --cache_test_results=no
// (one command line; without the last three flags the test never sees the variable, or cannot write there).
#include "cli/summary_table.h"

#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/files.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "reports/compare.h"

namespace heapstorm {
namespace {

std::string Runfile(const std::string& path) {
  return absl::StrCat(std::getenv("TEST_SRCDIR"), "/", std::getenv("TEST_WORKSPACE"), "/", path);
}

v1::Report GoldenReport() {
  absl::StatusOr<std::string> json = ReadFile(Runfile("reports/testdata/golden_report.json"));
  EXPECT_TRUE(json.ok()) << json.status();
  v1::Report report;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json.value_or(""), &report).ok());
  return report;
}

void SetMedian(v1::ScenarioReport* s, const std::string& metric, double median) {
  for (v1::Aggregate& a : *s->mutable_aggregates()) {
    if (a.metric() == metric) a.set_median(median);
  }
}

TEST(SummaryTableTest, Golden) {
  v1::Report report = GoldenReport();
  ASSERT_EQ(report.scenarios_size(), 2);
  std::string text = SummaryTable(report);

  v1::Report edge = report;
  SetMedian(edge.mutable_scenarios(0), "units_reached", 42020.5);
  SetMedian(edge.mutable_scenarios(1), "heap_bytes_per_unit", -26);
  v1::Report baseline = report;
  for (v1::Aggregate& a : *baseline.mutable_scenarios(0)->mutable_aggregates()) {
    if (a.metric() != "peak_heap_used_bytes") continue;
    for (int i = 0; i < a.values_size(); ++i) a.set_values(i, a.values(i) / 2);
  }
  *edge.mutable_comparison() = Compare(baseline, report, Tolerances(), "baseline.json");
  absl::StrAppend(&text, "----\n", SummaryTable(edge));

  const std::string golden = "cli/testdata/golden_summary.txt";
  if (const char* update = std::getenv("HEAPSTORM_UPDATE_GOLDEN")) {
    ASSERT_TRUE(WriteFileAtomically(absl::StrCat(update, "/golden_summary.txt"), text).ok());
    return;
  }
  absl::StatusOr<std::string> expected = ReadFile(Runfile(golden));
  ASSERT_TRUE(expected.ok()) << expected.status();
  EXPECT_TRUE(*expected == text) << "the summary differs from " << golden << "; if the change is intended, "
                                 << "regenerate it (see the top of summary_table_test.cc):\n"
                                 << text;
}

// The last line says how many configurations failed and how many runs are missing, not only
// how many there were (a new user read "FAILED: 8 configurations, 8 runs" when 5 failed).
// A module threw Error('bad bytes: \0\x1b[2J'): its message reached "failed:", and the NUL
// and the sequence that clears the screen went to the terminal as they were.
TEST(SummaryTableTest, WhatAMeasuredProcessSaidIsShownNotSentToTheTerminal) {
  v1::Report report = GoldenReport();
  ASSERT_GT(report.scenarios_size(), 0);
  v1::ExpectationCheck* check = report.mutable_scenarios(0)->add_checks();
  check->set_name("outcome");
  check->set_passed(false);
  check->set_message(std::string("the scenario threw: Error: bad bytes: \0\x1b[2J\x07 done", 49));
  const std::string text = SummaryTable(report);
  EXPECT_TRUE(absl::StrContains(text, "Error: bad bytes: \\x00\\x1b[2J\\x07 done\n")) << text;
  for (char c : text) EXPECT_TRUE(c == '\n' || static_cast<unsigned char>(c) >= 0x20) << static_cast<int>(c);
}

// An undecided leak check passes, and its row and a line under the table say what would
// decide it (the row read "PASS  inconclusive", its reason only in report.json).
TEST(SummaryTableTest, AnUndecidedLeakCheckSaysWhatWouldDecideIt) {
  v1::Report report = GoldenReport();
  ASSERT_GT(report.runs_size(), 0);
  v1::RunResult* run = report.mutable_runs(0);
  v1::LeakResult* leak = run->mutable_leak();
  leak->set_verdict(v1::LEAK_VERDICT_INCONCLUSIVE);
  leak->set_summary_kind(v1::LEAK_SUMMARY_KIND_RETENTION_UNDECIDED);
  leak->set_more_iterations_needed(111216);
  leak->set_summary(
      "inconclusive: objects allocated in iterations 898-1098 are still alive at 8784 (348.52B/iteration), held "
      "by an array of 40000 slots allocated before iteration 898, 8784 of them filled; it is full at about "
      "iteration 40000, and the run could not go on to 120000, where a structure of that size has stopped growing "
      "and a leak has not: about 111216 more iterations (or a longer time limit) would decide");
  const std::string text = SummaryTable(report);
  EXPECT_TRUE(absl::StrContains(text, "inconclusive: ~111216 more iterations would decide")) << text;
  EXPECT_TRUE(absl::StrContains(text, absl::StrCat("\nundecided leak checks (they pass):\n  ", run->scenario(),
                                                   " r", run->repeat(), ": ", leak->summary(), "\n")))
      << text;
  leak->set_summary_kind(v1::LEAK_SUMMARY_KIND_RETENTION_FAILED);
  leak->set_summary("inconclusive: the retention check failed (no space left on device)");
  EXPECT_TRUE(absl::StrContains(SummaryTable(report), "inconclusive: its retention check failed")) << text;
  leak->set_verdict(v1::LEAK_VERDICT_NO_LEAK);
  EXPECT_FALSE(absl::StrContains(SummaryTable(report), "undecided")) << SummaryTable(report);
}

TEST(SummaryTableTest, TheLastLineCountsTheFailedAndTheMissing) {
  v1::Report report = GoldenReport();
  ASSERT_EQ(report.scenarios_size(), 2);
  report.mutable_scenarios(0)->set_passed(true);
  report.mutable_scenarios(1)->set_passed(false);
  report.set_passed(false);
  report.add_missing()->set_scenario("cache");
  v1::Missing* point = report.add_missing();
  point->set_scenario("cache");
  point->set_variation("limits.old_space=64Mi");
  point->set_reason("cancelled");
  const std::string text = SummaryTable(report);
  // A sweep's point is named (two lines read "cache r0: missing" alike).
  EXPECT_TRUE(absl::StrContains(text, "  cache [limits.old_space=64Mi] r0: missing: cancelled\n")) << text;
  EXPECT_TRUE(absl::EndsWith(text, absl::StrCat("\nFAILED: 1 of 2 configurations failed, ", report.runs_size(),
                                                " runs, 2 missing\n")))
      << text;
  // A configuration whose metric regressed failed too, though its expectations held; its
  // row says so (it read PASS).
  report.clear_missing();
  v1::MetricComparison* regressed = report.mutable_comparison()->add_metrics();
  regressed->set_scenario(report.scenarios(0).scenario());
  regressed->set_variation(report.scenarios(0).variation());
  regressed->set_verdict(v1::VERDICT_REGRESSED);
  const std::string with_regression = SummaryTable(report);
  EXPECT_TRUE(absl::StrContains(with_regression, "  REGRESSED\n")) << with_regression;
  EXPECT_TRUE(absl::StrContains(with_regression, "\nFAILED: 2 of 2 configurations failed, ")) << with_regression;
  EXPECT_FALSE(absl::StrContains(with_regression, "leak check")) << "no leak check, no column for it";
  report.clear_comparison();
  report.mutable_scenarios(1)->set_passed(true);
  // Interrupted with nothing failed: incomplete, not failed.
  report.set_status(v1::RUN_STATUS_PARTIAL);
  report.add_missing()->set_scenario("cache");
  EXPECT_TRUE(absl::EndsWith(SummaryTable(report), absl::StrCat("\nINCOMPLETE: 2 configurations passed, ",
                                                                report.runs_size(), " runs, 1 missing\n")))
      << SummaryTable(report);
  // Interrupted before any run ended.
  v1::Report nothing;
  nothing.set_status(v1::RUN_STATUS_ABORTED);
  nothing.add_missing()->set_scenario("cache");
  nothing.add_missing()->set_scenario("buffers");
  EXPECT_TRUE(absl::EndsWith(SummaryTable(nothing), "\nINCOMPLETE: no run finished, 2 missing\n"))
      << SummaryTable(nothing);
  report.clear_missing();
  report.set_status(v1::RUN_STATUS_COMPLETE);
  report.set_passed(true);
  EXPECT_TRUE(absl::EndsWith(SummaryTable(report), absl::StrCat("\nPASSED: 2 configurations, ", report.runs_size(),
                                                                " runs\n")));
}

}  // namespace
}  // namespace heapstorm
