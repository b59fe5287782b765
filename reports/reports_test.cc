// The reports from a fixed set of results: golden JSON and HTML (deterministic: fixed
// environment and times, stable order), escaping of hostile strings in HTML, XML and JSON,
// JUnit structure, and the baseline comparison's verdicts.
//
// To accept an intended change of the golden files:
//   HEAPSTORM_UPDATE_GOLDEN=$PWD/reports/testdata bazel test //reports:reports_test
//     --test_env=HEAPSTORM_UPDATE_GOLDEN --sandbox_writable_path=$PWD/reports/testdata --cache_test_results=no
// (one command line; without the last three flags the test never sees the variable, or cannot write there).
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/utf8.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "model/units.h"
#include "reports/capacity.h"
#include "reports/compare.h"
#include "reports/html_report.h"
#include "reports/junit_report.h"
#include "reports/report_builder.h"
#include "reports/report_writer.h"
#include "scenarios/suite_loader.h"

namespace heapstorm {
namespace {

std::string Runfile(const std::string& path) {
  return absl::StrCat(std::getenv("TEST_SRCDIR"), "/", std::getenv("TEST_WORKSPACE"), "/", path);
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

v1::Suite FixedSuite() {
  absl::StatusOr<v1::Suite> suite = LoadSuiteText(R"(name: golden
scenarios:
  - name: cache
    description: "A cache <b>without</b> eviction & a \"quote\""
    kind: cached_data
    params: {entries: 1000}
    limits: {old_space: 32Mi}
    repeats: 5
    expect: {outcome: heap_exhausted}
  - name: buffers
    kind: large_buffers
    params: {count: 100, size: 1Mi}
    limits: {native: 160Mi}
    expect: {outcome: completed, max_external: 50Mi}
)",
                                                  "golden.yaml", "/nonexistent");
  EXPECT_TRUE(suite.ok()) << suite.status();
  return *suite;
}

// A run whose heap grows `per_unit` bytes a unit from 4 MiB, over `units` units.
v1::RunResult FixedRun(const std::string& scenario, uint32_t repeat, v1::Outcome outcome,
                       uint64_t units, double per_unit, double external_per_unit) {
  v1::RunResult r;
  r.set_scenario(scenario);
  r.set_repeat(repeat);
  r.set_assignment_id(absl::StrCat(scenario, "/-/r", repeat));
  r.set_attempt(1);
  r.set_worker("local-1");
  r.set_outcome(outcome);
  r.set_units_reached(units);
  r.set_target_units(units);
  r.set_node_version("v20.20.2");
  r.set_wall_ms(250.0 + 10 * repeat);
  r.mutable_limits()->set_max_old_space_mib(32);
  r.mutable_limits()->set_max_descriptors(1024);
  r.mutable_limits()->set_timeout_ms(60000);
  for (int i = 0; i <= 20; ++i) {
    v1::Checkpoint* c = r.add_checkpoints();
    uint64_t u = units * i / 20;
    c->set_units(u);
    c->set_t_ms(i * 10.0);
    c->set_heap_used_bytes(static_cast<uint64_t>(4194304 + per_unit * u + repeat * 1024));
    c->set_heap_total_bytes(c->heap_used_bytes() + 2097152);
    c->set_external_bytes(static_cast<uint64_t>(1048576 + external_per_unit * u));
    c->set_rss_bytes(c->heap_total_bytes() + c->external_bytes() + 30 * 1048576);
    v1::HeapSpace* s = c->add_spaces();
    s->set_name("old_space");
    s->set_used_bytes(c->heap_used_bytes() * 3 / 4);
    v1::OutsideSample* o = r.add_samples();
    o->set_t_ms(i * 10.0);
    o->set_rss_bytes(c->rss_bytes());
    o->set_descriptors(20 + i);
  }
  r.set_peak_heap_used_bytes(r.checkpoints(20).heap_used_bytes());
  r.set_peak_external_bytes(r.checkpoints(20).external_bytes());
  r.set_peak_rss_bytes(r.checkpoints(20).rss_bytes());
  r.mutable_heap_per_unit()->set_slope(per_unit);
  r.mutable_heap_per_unit()->set_r_squared(1);
  r.mutable_external_per_unit()->set_slope(external_per_unit);
  r.mutable_evidence()->set_summary(outcome == v1::OUTCOME_HEAP_EXHAUSTED
                                        ? "SIGABRT with V8's heap out-of-memory message"
                                        : "reached its target and exited 0");
  if (outcome == v1::OUTCOME_HEAP_EXHAUSTED) {
    r.mutable_evidence()->set_signal_name("SIGABRT");
    r.mutable_evidence()->set_matched_stderr(
        "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory <script>alert(1)</script>");
  } else {
    r.mutable_evidence()->set_exited(true);
    r.mutable_evidence()->set_driver_done(true);
  }
  return r;
}

v1::Report FixedReport(double cache_per_unit = 600) {
  static v1::Suite suite = FixedSuite();
  ReportInputs in;
  in.suite = &suite;
  for (uint32_t i = 0; i < 5; ++i) {
    in.runs.push_back(FixedRun("cache", i, v1::OUTCOME_HEAP_EXHAUSTED, 42000 + i * 10, cache_per_unit + i, 0));
  }
  in.runs.push_back(FixedRun("buffers", 0, v1::OUTCOME_COMPLETED, 100, 0, 1048576));
  in.environment.set_heapstorm_version("0.1.0");
  in.environment.set_node_version("v20.20.2");
  in.environment.set_hostname("golden-host");
  in.environment.set_cpus(2);
  in.environment.set_memory_bytes(24ULL << 30);
  in.started_unix_ms = 1795300000000;
  in.wall_ms = 1234.5;
  return BuildReport(in);
}

void ExpectGolden(const std::string& name, const std::string& actual) {
  if (const char* update = std::getenv("HEAPSTORM_UPDATE_GOLDEN")) {
    std::ofstream(absl::StrCat(update, "/", name), std::ios::binary) << actual;
    return;
  }
  std::string expected = Slurp(Runfile("reports/testdata/" + name));
  ASSERT_FALSE(expected.empty()) << "missing golden file " << name;
  EXPECT_TRUE(expected == actual) << name << " differs from the golden file; if the change is "
                                  << "intended, regenerate it (see the top of reports_test.cc)";
}

TEST(ReportsTest, GoldenJson) {
  absl::StatusOr<std::string> json = ReportToJson(FixedReport());
  ASSERT_TRUE(json.ok());
  ExpectGolden("golden_report.json", *json);
}

TEST(ReportsTest, GoldenHtml) { ExpectGolden("golden_report.html", RenderHtml(FixedReport())); }

// One allocation site of `leak`, as the engine fills it.
v1::AllocationSite* AddSite(v1::LeakResult* leak, const std::string& function, const std::string& file, uint32_t line,
                            uint64_t count, uint64_t bytes, uint64_t error = 0,
                            v1::AllocationPosition position = v1::ALLOCATION_POSITION_UNSPECIFIED) {
  v1::AllocationSite* site = leak->add_allocation_sites();
  site->set_function(function);
  site->set_file(file);
  site->set_line(line);
  site->set_count(count);
  site->set_bytes(bytes);
  site->set_bytes_error(error);
  site->set_position(position);
  return site;
}

// The HTML report of the fixed suite with `run` alone.
std::string HtmlOf(const v1::RunResult& run) {
  static v1::Suite suite = FixedSuite();
  ReportInputs in;
  in.suite = &suite;
  in.runs.push_back(run);
  return RenderHtml(BuildReport(in));
}

// A leak's allocation sites in the HTML: each estimate with its sampling error, none for a
// site whose objects are sampled surely (large ones).
TEST(ReportsTest, AllocationSitesShowTheirSamplingError) {
  v1::RunResult run = FixedRun("buffers", 0, v1::OUTCOME_COMPLETED, 100, 0, 1048576);
  v1::LeakResult* leak = run.mutable_leak();
  leak->set_verdict(v1::LEAK_VERDICT_LEAK);
  AddSite(leak, "exports.iteration", "/m/pooled_slice_pin.js", 18, 1, 2080, 2030);
  AddSite(leak, "grow", "/m/big.js", 4, 1, 1 << 20);
  const std::string html = HtmlOf(run);
  EXPECT_TRUE(absl::StrContains(html, absl::StrCat(FormatSize(2080), " &plusmn; ", FormatSize(2030), "</td>"))) << html;
  EXPECT_TRUE(absl::StrContains(html, absl::StrCat(FormatSize(1 << 20), "</td>"))) << html;
  EXPECT_FALSE(absl::StrContains(html, absl::StrCat(FormatSize(1 << 20), " &plusmn;"))) << html;
}

// A session store's leak as a new user read it: the window's site (the session literal) and
// the store's (`sessions.set(`), whose estimate covers far more iterations and so far more
// bytes. Each row says how its line was found and which iterations made what it counts.
TEST(ReportsTest, AllocationSitesSayHowTheLineWasFoundAndWhichIterationsTheyCount) {
  v1::RunResult run = FixedRun("buffers", 0, v1::OUTCOME_COMPLETED, 8784, 0, 1048576);
  v1::LeakResult* leak = run.mutable_leak();
  leak->set_verdict(v1::LEAK_VERDICT_LEAK);
  leak->mutable_retention()->set_s1(898);
  leak->mutable_retention()->set_s2(1098);
  leak->mutable_retention()->set_s3(8784);
  leak->mutable_retention()->set_confirmed(true);
  AddSite(leak, "createSession", "/m/session_store.js", 10, 22, 71606, 0, v1::ALLOCATION_POSITION_RETAINED);
  AddSite(leak, "createSession", "/m/session_store.js", 11, 576, 2352265, 0, v1::ALLOCATION_POSITION_STORE);
  const std::string html = HtmlOf(run);
  EXPECT_TRUE(absl::StrContains(html, "session_store.js:10:0</td><td>retained kind; made in 898&ndash;1098</td>"))
      << html;
  EXPECT_TRUE(absl::StrContains(html, "session_store.js:11:0</td><td>store; made in 1098&ndash;8784</td>")) << html;
}

// A run that made two retention checks shows the last as its retention and the first as an
// earlier check, each with its sentence (LeakResult.checks).
TEST(ReportsTest, EveryRetentionCheckOfARunIsShown) {
  v1::RunResult run = FixedRun("buffers", 0, v1::OUTCOME_COMPLETED, 20000, 0, 1048576);
  v1::LeakResult* leak = run.mutable_leak();
  leak->set_verdict(v1::LEAK_VERDICT_LEAK);
  v1::LeakRetention first;
  first.set_s1(898);
  first.set_s2(1098);
  first.set_s3(8784);
  first.set_program_bytes_per_iteration(0.4);
  first.set_suspected_slope_per_iteration(300);
  first.set_finding(v1::RETENTION_FINDING_FREED);
  v1::LeakRetention second = first;
  second.set_s1(8784);
  second.set_s2(10980);
  second.set_s3(87840);
  second.set_confirmed(true);
  second.set_finding(v1::RETENTION_FINDING_CONFIRMED);
  *leak->add_checks() = first;
  *leak->add_checks() = second;
  *leak->mutable_retention() = second;
  const std::string html = HtmlOf(run);
  EXPECT_TRUE(absl::StrContains(html, "Retention (snapshots after iterations 8784, 10980, 87840): confirmed")) << html;
  EXPECT_TRUE(absl::StrContains(html, "Earlier retention check 1 (snapshots after iterations 898, 1098, 8784): "
                                      "bounded: objects allocated after iteration 898 were freed by 8784"))
      << html;
  EXPECT_FALSE(absl::StrContains(html, "Earlier retention check 2")) << html;

  // A confirmation watched on to a fourth snapshot that stands for its s3 (stretched_from).
  v1::LeakResult* watched_leak = run.mutable_leak();
  watched_leak->clear_checks();
  v1::LeakRetention at_s3 = first;
  at_s3.set_confirmed(true);
  at_s3.set_finding(v1::RETENTION_FINDING_CONFIRMED);
  at_s3.set_program_bytes_per_iteration(290);
  at_s3.set_slope_after_per_iteration(300);
  v1::LeakRetention at_s4 = first;
  at_s4.set_s3(25000);
  at_s4.set_stretched_from(8784);
  *watched_leak->add_checks() = at_s3;
  *watched_leak->add_checks() = at_s4;
  *watched_leak->mutable_retention() = at_s4;
  const std::string watched_html = HtmlOf(run);
  EXPECT_TRUE(absl::StrContains(watched_html, "Earlier retention check 1 (snapshots after iterations 898, 1098, 8784): "
                                              "watched on to 25000 and read again there; at 8784: confirmed by "
                                              "retention up to iteration 8784"))
      << watched_html;
  EXPECT_TRUE(absl::StrContains(watched_html, "were freed by 25000")) << watched_html;
  EXPECT_TRUE(absl::StrContains(watched_html, "; at 8784 they were still alive, and its cheap iterations were "
                                              "watched on"))
      << watched_html;
}

// A sweep's configurations come in the order of their values, not of their labels' text
// (a new user read old_space=128Mi, 32Mi, 64Mi).
TEST(ReportsTest, ASweepsConfigurationsComeByValue) {
  static v1::Suite suite = FixedSuite();
  ReportInputs in;
  in.suite = &suite;
  for (const char* v : {"limits.old_space=128Mi", "limits.old_space=32Mi", "limits.old_space=1Gi",
                        "limits.old_space=64Mi"}) {
    v1::RunResult r = FixedRun("cache", 0, v1::OUTCOME_HEAP_EXHAUSTED, 1000, 0, 0);
    r.set_variation(v);
    r.set_assignment_id(absl::StrCat("cache/", v, "/r0"));
    in.runs.push_back(r);
  }
  v1::Report report = BuildReport(in);
  std::vector<std::string> order;
  for (const v1::ScenarioReport& s : report.scenarios()) order.push_back(s.variation());
  EXPECT_EQ(order, (std::vector<std::string>{"limits.old_space=32Mi", "limits.old_space=64Mi",
                                             "limits.old_space=128Mi", "limits.old_space=1Gi"}));
}

// A sweep of the old space itself says where the target load breaks; the recommendation is
// never under that (a new user's read "the old space breaks at 64.7Mi, at most 92.9Mi (95%),
// so the recommended old space keeps a margin of -19% over it", recommending 75Mi).
TEST(ReportsTest, ARecommendationIsNeverUnderTheModelsBreak) {
  absl::StatusOr<v1::Suite> suite = LoadSuiteText(R"(scenarios:
  - name: grow
    kind: cached_data
    params: {entries: 1000000, entry_size: 1Ki}
    target_units: 100000
    sweep: {parameter: limits.old_space, values: [32Mi, 64Mi, 128Mi]}
)",
                                                  "s.yaml", ".");
  ASSERT_TRUE(suite.ok()) << suite.status();
  std::vector<v1::RunResult> runs;
  const std::vector<std::pair<uint32_t, uint64_t>> broke = {{32, 14000}, {64, 30000}, {128, 60440}};
  for (const auto& [mib, units] : broke) {
    v1::RunResult r = FixedRun("grow", 0, v1::OUTCOME_HEAP_EXHAUSTED, units, 0, 0);
    r.set_variation(absl::StrCat("limits.old_space=", mib, "Mi"));
    r.mutable_limits()->set_max_old_space_mib(mib);
    // The heap a unit costs, without V8's room to collect: the peak + 15% at 100,000 units
    // is ~130Mi, under where the sweep says 100,000 units break (~210Mi).
    r.mutable_heap_per_unit()->set_slope(1100);
    r.mutable_heap_per_unit()->set_intercept(3e6);
    runs.push_back(r);
  }
  std::vector<v1::CapacityReport> capacity = BuildCapacity(*suite, runs, {});
  ASSERT_EQ(capacity.size(), 1u);
  const v1::CapacityReport& c = capacity[0];
  ASSERT_GT(c.model().slope(), 0);
  const double needed = (100000 - c.model().intercept()) / c.model().slope();
  EXPECT_GE(c.recommended_old_space_mib() * 1048576.0, needed) << c.recommendation();
  EXPECT_TRUE(absl::StrContains(c.recommendation(), "raised to where the model says that load breaks"))
      << c.recommendation();
  EXPECT_FALSE(absl::StrContains(c.recommendation(), "margin of -")) << c.recommendation();
  EXPECT_TRUE(absl::StrContains(c.recommendation(), "per MiB of old space + a base of ")) << c.recommendation();
  EXPECT_TRUE(absl::StrContains(c.recommendation(), "that load breaks at 210Mi of old space")) << c.recommendation();
}

// A limit raised to where the model says the target breaks keeps the same 15% over it, and
// a native recommendation is one a suite may set (a new user read "descriptors ≥ 3019
// (…) keeps a margin of +0%", where 3,018 descriptors broke at 2,999 of 3,000 files, and
// "native ≥ 34Mi", which the suite then refused: native is at least 64Mi).
TEST(ReportsTest, ARaisedRecommendationKeepsItsHeadroomAndNativeIsOneASuiteMaySet) {
  std::ofstream(::testing::TempDir() + "/files.js") << "module.exports = { iteration() {} };\n";
  absl::StatusOr<v1::Suite> suite = LoadSuiteText(R"(scenarios:
  - name: files
    kind: script
    params: {module: files.js, iterations: 5000}
    target_units: 3000
    sweep: {parameter: limits.descriptors, values: [1024, 2048, 4096]}
)",
                                                  "s.yaml", ::testing::TempDir());
  ASSERT_TRUE(suite.ok()) << suite.status();
  std::vector<v1::RunResult> runs;
  for (uint32_t fds : {1024u, 2048u, 4096u}) {
    const bool broke = fds < 4096;
    v1::RunResult r = FixedRun("files", 0, broke ? v1::OUTCOME_FD_EXHAUSTED : v1::OUTCOME_COMPLETED,
                               broke ? fds - 19 : 5000, 100, 0);
    r.set_variation(absl::StrCat("limits.descriptors=", fds));
    r.mutable_limits()->set_max_descriptors(fds);
    r.mutable_rss_per_unit()->set_slope(100);
    r.mutable_rss_per_unit()->set_intercept(30 << 20);
    runs.push_back(r);
  }
  std::vector<v1::CapacityReport> capacity = BuildCapacity(*suite, runs, {});
  ASSERT_EQ(capacity.size(), 1u);
  const v1::CapacityReport& c = capacity[0];
  // 3,000 files break at 3,019 descriptors; + 15%.
  EXPECT_GE(c.recommended_descriptors(), static_cast<uint32_t>(std::ceil(3019 * 1.15))) << c.recommendation();
  EXPECT_TRUE(absl::StrContains(c.recommendation(), "keeps a margin of +15%")) << c.recommendation();
  EXPECT_GE(c.recommended_native_bytes(), 64u << 20) << c.recommendation();
  EXPECT_TRUE(absl::StrContains(c.recommendation(), "native at the least a suite may set")) << c.recommendation();
}

// A count is its own step: "per descriptor", "320 descriptors" (a new user read "1
// connections per descriptor of descriptors + a 20 base", "the descriptors breaks at 520",
// and "too few for an interval" for three limits exactly on a line).
TEST(ReportsTest, ACountsModelReadsAsACount) {
  absl::StatusOr<v1::Suite> suite = LoadSuiteText(R"(scenarios:
  - name: conns
    kind: open_connections
    params: {connections: 5000}
    target_units: 300
    sweep: {parameter: limits.descriptors, values: [128, 256, 512]}
)",
                                                  "s.yaml", ".");
  ASSERT_TRUE(suite.ok()) << suite.status();
  std::vector<v1::RunResult> runs;
  for (uint32_t fds : {128u, 256u, 512u}) {
    v1::RunResult r = FixedRun("conns", 0, v1::OUTCOME_FD_EXHAUSTED, fds - 20, 0, 0);
    r.set_variation(absl::StrCat("limits.descriptors=", fds));
    r.mutable_limits()->set_max_descriptors(fds);
    runs.push_back(r);
  }
  std::vector<v1::CapacityReport> capacity = BuildCapacity(*suite, runs, {});
  ASSERT_EQ(capacity.size(), 1u);
  const std::string& said = capacity[0].recommendation();
  EXPECT_TRUE(absl::StrContains(said, " per descriptor + a base of 20 (3 limits, exactly on a line)")) << said;
  EXPECT_TRUE(absl::StrContains(said, "that load breaks at 320 descriptors")) << said;
  EXPECT_FALSE(absl::StrContains(said, "of descriptors")) << said;
}

// After a search of descriptors, every run that completed holds the target: which limit
// gives out first is read from one of them, named, and descriptors count (a new user read
// "the old space gives out first, at about 72,707 connections" where the run that said it
// had 1024 descriptors, 18 of them its base).
TEST(ReportsTest, ABindingLimitIsReadFromTheRunItNamesAndCountsDescriptors) {
  absl::StatusOr<v1::Suite> suite = LoadSuiteText(R"(scenarios:
  - name: conns
    kind: open_connections
    params: {connections: 300}
    target_units: 300
    search: {parameter: limits.descriptors, low: 64, high: 1024, precision: 8, goal: smallest_completing}
)",
                                                  "s.yaml", ".");
  ASSERT_TRUE(suite.ok()) << suite.status();
  std::vector<v1::RunResult> runs;
  for (uint32_t fds : {1024u, 304u, 326u}) {
    const bool completed = fds != 304;
    v1::RunResult r = FixedRun("conns", 0, completed ? v1::OUTCOME_COMPLETED : v1::OUTCOME_FD_EXHAUSTED,
                               completed ? 300 : 284, 1100, 0);
    r.set_variation(absl::StrCat("limits.descriptors=", fds));
    r.mutable_limits()->set_max_descriptors(fds);
    r.mutable_limits()->set_max_old_space_mib(64);
    r.set_peak_descriptors(completed ? 318 : fds);
    runs.push_back(r);
  }
  std::vector<v1::CapacityReport> capacity = BuildCapacity(*suite, runs, {});
  ASSERT_EQ(capacity.size(), 1u);
  const std::string& said = capacity[0].recommendation();
  EXPECT_EQ(capacity[0].binding_limit(), "descriptors") << said;
  EXPECT_TRUE(absl::StrContains(said, "; in its run at limits.descriptors=1024, the descriptors would give out "
                                      "first, at about 1,006 connections (by its costs per unit: it completed 300)"))
      << said;
}

// A sweep of a param of the load costs differently at each point: the recommendation holds
// at the heaviest, and says which (a new user's sweep of entry_size over 128B, 256B and 1Ki
// recommended 38Mi for 100,000 entries, from the 128B run, where 1Ki broke at 53,150 in 64Mi).
TEST(ReportsTest, AParamSweepsRecommendationHoldsAtItsHeaviestPoint) {
  absl::StatusOr<v1::Suite> suite = LoadSuiteText(R"(scenarios:
  - name: cache
    kind: cached_data
    params: {entries: 1000000, entry_size: 256B}
    limits: {old_space: 64Mi}
    target_units: 100000
    sweep: {parameter: params.entry_size, values: [128B, 256B, 1Ki]}
)",
                                                  "s.yaml", ".");
  ASSERT_TRUE(suite.ok()) << suite.status();
  std::vector<v1::RunResult> runs;
  const std::vector<std::tuple<std::string, uint64_t, double>> points = {
      {"128B", 226701, 280}, {"256B", 148315, 430}, {"1Ki", 53150, 1200}};
  for (const auto& [label, units, per_unit] : points) {
    v1::RunResult r = FixedRun("cache", 0, v1::OUTCOME_HEAP_EXHAUSTED, units, per_unit, 0);
    r.set_variation("params.entry_size=" + label);
    r.mutable_heap_per_unit()->set_intercept(4194304);
    r.mutable_limits()->set_max_old_space_mib(64);
    runs.push_back(r);
  }
  std::vector<v1::CapacityReport> capacity = BuildCapacity(*suite, runs, {});
  ASSERT_EQ(capacity.size(), 1u);
  const v1::CapacityReport& c = capacity[0];
  // 1Ki's heap at 100,000 entries: 4Mi + 1,200 B × 100,000 ≈ 118.4Mi, + 15% = 137Mi.
  EXPECT_GE(c.recommended_old_space_mib(), (4194304 + 1200 * 100000.0) * 1.15 / 1048576) << c.recommendation();
  EXPECT_TRUE(absl::StrContains(c.recommendation(), "at params.entry_size=1Ki, the heaviest point"))
      << c.recommendation();
  EXPECT_TRUE(absl::StrContains(c.recommendation(), "; in its run at params.entry_size=1Ki, the old space gave out "
                                                    "at 53,150 entries"))
      << c.recommendation();
}

// A series' verdict reads as in report.json and the summaries: "inconclusive", not a word
// of the HTML's own ("undecided", which a new user took for something else).
TEST(ReportsTest, ASeriesVerdictIsTheJsonsWord) {
  v1::RunResult run = FixedRun("buffers", 0, v1::OUTCOME_COMPLETED, 100, 0, 1048576);
  v1::LeakSeries* s = run.mutable_leak()->add_series();
  s->set_name("external");
  s->set_unit("bytes");
  s->set_verdict(v1::LEAK_VERDICT_INCONCLUSIVE);
  const std::string html = HtmlOf(run);
  EXPECT_TRUE(absl::StrContains(html, "<td>inconclusive")) << html;
  EXPECT_FALSE(absl::StrContains(html, "undecided")) << html;
}

TEST(ReportsTest, AggregatesAndChecks) {
  v1::Report report = FixedReport();
  ASSERT_EQ(report.scenarios_size(), 2);
  const v1::ScenarioReport& cache = report.scenarios(0);
  EXPECT_EQ(cache.scenario(), "cache");
  EXPECT_TRUE(cache.passed());
  EXPECT_EQ(cache.outcomes_size(), 5);
  bool found = false;
  for (const v1::Aggregate& a : cache.aggregates()) {
    if (a.metric() != "units_reached") continue;
    found = true;
    EXPECT_EQ(a.n(), 5u);
    EXPECT_EQ(a.median(), 42020);
    EXPECT_EQ(a.min(), 42000);
    EXPECT_EQ(a.max(), 42040);
  }
  EXPECT_TRUE(found);
  // buffers: external peaks at 101 MiB against a 50 MiB expectation.
  const v1::ScenarioReport& buffers = report.scenarios(1);
  EXPECT_FALSE(buffers.passed());
  EXPECT_FALSE(report.passed());
  EXPECT_EQ(report.status(), v1::RUN_STATUS_COMPLETE);
}

TEST(ReportsTest, HostileStringsAreEscapedEverywhere) {
  v1::Report report = FixedReport();
  report.set_suite_name("</title><script>alert('x')</script>");
  report.mutable_scenarios(0)->set_scenario("</script><img src=x onerror=alert(1)>");
  report.mutable_runs(0)->set_scenario("</script><img src=x onerror=alert(1)>");
  report.mutable_runs(0)->mutable_evidence()->set_stderr_tail("]]></failure><evil attr=\"1\"/>\x01\x02");
  std::string html = RenderHtml(report);
  EXPECT_FALSE(absl::StrContains(html, "<img src=x")) << "HTML must escape scenario names";
  EXPECT_FALSE(absl::StrContains(html, "<script>alert"));
  EXPECT_TRUE(absl::StrContains(html, "&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"));
  EXPECT_FALSE(absl::StrContains(html, "<script"));
  EXPECT_FALSE(absl::StrContains(html, "http://")) << "no external URL";
  EXPECT_FALSE(absl::StrContains(html, "https://")) << "no external URL";

  report.mutable_scenarios(1)->mutable_checks(0)->set_message("a < b && \"c\" > 'd' ]]> \x07");
  std::string xml = RenderJunit(report);
  EXPECT_FALSE(absl::StrContains(xml, "<img"));
  EXPECT_TRUE(absl::StrContains(xml, "&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"));
  EXPECT_FALSE(absl::StrContains(xml, "\x07")) << "control characters are not XML";


  absl::StatusOr<std::string> json = ReportToJson(report);
  ASSERT_TRUE(json.ok());
  v1::Report back;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(*json, &back).ok());
  EXPECT_EQ(back.suite_name(), report.suite_name()) << "JSON round-trips hostile text exactly";
  EXPECT_EQ(back.runs(0).evidence().stderr_tail(), report.runs(0).evidence().stderr_tail());

  // Bytes from a measured process: invalid UTF-8, a cut multi-byte character, and U+FFFE
  // (valid UTF-8, but not an XML character).
  report.mutable_scenarios(1)->set_scenario("bad \xFF byte, U+FFFE \xEF\xBF\xBE, cut \xE2\x82");
  report.mutable_runs(0)->mutable_evidence()->set_stderr_tail("latin-1 caf\xE9 \xEF\xBF\xBF");
  for (const std::string& out : {RenderJunit(report), RenderHtml(report)}) {
    EXPECT_TRUE(IsValidUtf8(out));
    EXPECT_FALSE(absl::StrContains(out, "\xEF\xBF\xBE")) << "U+FFFE is not an XML character";
    EXPECT_FALSE(absl::StrContains(out, "\xEF\xBF\xBF")) << "U+FFFF is not an XML character";
  }
  EXPECT_TRUE(absl::StrContains(RenderJunit(report), "bad \xEF\xBF\xBD byte"));
}

TEST(ReportsTest, JunitKeepsFailuresErrorsAndSkipsApart) {
  v1::Report report = FixedReport();
  v1::Missing* m = report.add_missing();
  m->set_scenario("lost");
  m->set_reason("worker_lost after 3 attempts");
  std::string xml = RenderJunit(report, {"filtered-out"});
  EXPECT_TRUE(absl::StrContains(xml, "tests=\"4\" failures=\"1\" errors=\"1\" skipped=\"1\"")) << xml;
  EXPECT_TRUE(absl::StrContains(xml, "<testcase classname=\"golden\" name=\"cache\" time=\"1.350\"/>")) << xml;
  EXPECT_TRUE(absl::StrContains(xml, "<failure message=\"max_external: repeat 0: max_external 101Mi &gt; 50Mi\""))
      << xml;
  EXPECT_TRUE(absl::StrContains(xml, "<testcase classname=\"golden\" name=\"lost\"")) << xml;
  EXPECT_TRUE(absl::StrContains(xml, "<error message=\"no result: worker_lost after 3 attempts (r0)\"")) << xml;
  // A run missing from a configuration that has others is an error of that configuration's
  // own case: one name across a partial run and its resume.
  m = report.add_missing();
  m->set_scenario("buffers");
  m->set_repeat(1);
  m->set_reason("cancelled: interrupted");
  const std::string partial = RenderJunit(report, {"filtered-out"});
  EXPECT_TRUE(absl::StrContains(partial, "<testcase classname=\"golden\" name=\"buffers\" time=")) << partial;
  EXPECT_FALSE(absl::StrContains(partial, "name=\"buffers r1\"")) << partial;
  EXPECT_TRUE(absl::StrContains(partial, "<error message=\"no result: cancelled: interrupted (r1)\"")) << partial;
  EXPECT_TRUE(absl::StrContains(partial, "tests=\"4\" failures=\"1\" errors=\"2\"")) << partial;
  EXPECT_TRUE(absl::StrContains(xml, "<skipped message=\"filtered out\"/>")) << xml;
  // The suite and the file around it took the run's wall time, whatever its cases add up to.
  const std::string time = absl::StrFormat("time=\"%.3f\"", report.wall_ms() / 1000);
  EXPECT_TRUE(absl::StrContains(xml, absl::StrCat("<testsuites name=\"heapstorm\" tests=\"4\" failures=\"1\" "
                                                  "errors=\"1\" skipped=\"1\" ", time, ">")))
      << xml;
  EXPECT_TRUE(absl::StrContains(xml, absl::StrCat("<testsuite name=\"golden\" tests=\"4\" failures=\"1\" "
                                                  "errors=\"1\" skipped=\"1\" ", time, ">")))
      << xml;
}

// What is read as a report (a baseline, `compare`'s sides) is one: a stub with a schema
// version and nothing else passed CI as a baseline (every scenario "not in the baseline").
TEST(CompareTest, OnlyAReportOfSomeConfigurationIsReadAsOne) {
  const std::string dir = ::testing::TempDir();
  auto read = [&dir](const std::string& name, const std::string& text) {
    std::ofstream(dir + "/" + name) << text;
    return ReadReportJson(dir + "/" + name);
  };
  absl::StatusOr<v1::Report> stub = read("stub.json", "{\"schema_version\": 1}");
  ASSERT_FALSE(stub.ok());
  EXPECT_TRUE(absl::StrContains(stub.status().message(), "stub.json: a heapstorm report of no configuration"))
      << stub.status();
  absl::StatusOr<v1::Report> other = read("other.json", "{\"foo\": 1}");
  ASSERT_FALSE(other.ok());
  EXPECT_TRUE(absl::StrContains(other.status().message(), "other.json: not a heapstorm report: it has no "
                                                           "schema_version"))
      << other.status();
  absl::StatusOr<v1::Report> yaml = read("suite.yaml", "scenarios:\n  - name: a\n");
  ASSERT_FALSE(yaml.ok());
  EXPECT_TRUE(absl::StrContains(yaml.status().message(), "suite.yaml: not a heapstorm report")) << yaml.status();
  absl::StatusOr<v1::Report> golden = ReadReportJson(Runfile("reports/testdata/golden_report.json"));
  EXPECT_TRUE(golden.ok()) << golden.status();
}

TEST(CompareTest, RegressionImprovementAndNoChange) {
  v1::Report base = FixedReport(600);
  Tolerances t;
  // The same report: unchanged everywhere.
  v1::Comparison same = Compare(base, base, t, "base.json");
  EXPECT_EQ(same.regressions(), 0u);
  EXPECT_EQ(same.improvements(), 0u);
  EXPECT_TRUE(same.warnings().empty());
  // 20% more heap per entry in every repeat: regressed, significant with 5 repeats each.
  v1::Comparison worse = Compare(base, FixedReport(720), t, "base.json");
  EXPECT_GE(worse.regressions(), 1u);
  bool found = false;
  for (const v1::MetricComparison& m : worse.metrics()) {
    if (m.scenario() != "cache" || m.metric() != "heap_bytes_per_unit") continue;
    found = true;
    EXPECT_EQ(m.verdict(), v1::VERDICT_REGRESSED);
    EXPECT_NEAR(m.relative_delta(), 0.2, 0.01);
    EXPECT_NEAR(m.p_value(), 2.0 / 252.0, 1e-9);  // no overlap: the exact two-sided p for 5 vs 5
    EXPECT_TRUE(m.note().empty());
  }
  EXPECT_TRUE(found);
  // And the other way round: improved.
  v1::Comparison better = Compare(FixedReport(720), base, t, "base.json");
  EXPECT_GE(better.improvements(), 1u);
  EXPECT_EQ(better.regressions(), 0u);
}

TEST(CompareTest, FewRepeatsAddedRemovedAndEnvironment) {
  v1::Report base = FixedReport();
  v1::Report current = FixedReport();
  current.mutable_environment()->set_node_version("v22.1.0");
  current.mutable_scenarios(1)->set_scenario("renamed");
  v1::Comparison c = Compare(base, current, Tolerances(), "base.json");
  ASSERT_EQ(c.warnings_size(), 1);
  EXPECT_TRUE(absl::StrContains(c.warnings(0), "node version differs"));
  bool added = false, removed = false;
  for (const v1::MetricComparison& m : c.metrics()) {
    added |= m.scenario() == "renamed" && m.verdict() == v1::VERDICT_ADDED;
    removed |= m.scenario() == "buffers" && m.verdict() == v1::VERDICT_REMOVED;
  }
  EXPECT_TRUE(added);
  EXPECT_TRUE(removed);
  // buffers has one repeat a side: no test, the delta alone decides (with a note).
  v1::Report one = FixedReport();
  ASSERT_EQ(one.scenarios(1).aggregates(0).metric(), "peak_heap_used_bytes");
  one.mutable_scenarios(1)->mutable_aggregates(0)->set_values(0, 1e9);
  v1::Comparison single = Compare(FixedReport(), one, Tolerances(), "base.json");
  bool regressed_by_delta = false;
  for (const v1::MetricComparison& m : single.metrics()) {
    if (m.scenario() == "buffers" && m.metric() == "peak_heap_used_bytes") {
      regressed_by_delta = m.verdict() == v1::VERDICT_REGRESSED && m.p_value() < 0 &&
                           absl::StrContains(m.note(), "fewer than 5 repeats");
    }
  }
  EXPECT_TRUE(regressed_by_delta);
}

// The native limit's mechanism is compared only when both sides kept one, and said in words:
// a run filtered to scenarios without a native limit read "native limit mechanism differs:
// baseline LIMIT_MECHANISM_CGROUP_V1, current LIMIT_MECHANISM_UNSPECIFIED".
TEST(CompareTest, TheNativeLimitsMechanismIsComparedWhenBothKeptOne) {
  v1::Report base = FixedReport();
  base.mutable_environment()->set_limit_mechanism(v1::LIMIT_MECHANISM_CGROUP_V1);
  v1::Report filtered = FixedReport();
  filtered.mutable_environment()->set_limit_mechanism(v1::LIMIT_MECHANISM_UNSPECIFIED);
  EXPECT_EQ(Compare(base, filtered, Tolerances(), "b").warnings_size(), 0);
  v1::Report watchdog = FixedReport();
  watchdog.mutable_environment()->set_limit_mechanism(v1::LIMIT_MECHANISM_WATCHDOG);
  v1::Comparison c = Compare(base, watchdog, Tolerances(), "b");
  ASSERT_EQ(c.warnings_size(), 1);
  EXPECT_EQ(c.warnings(0),
            "the native limit was kept by a cgroup v1 (memory.limit_in_bytes) in the baseline, by heapstorm's RSS "
            "watchdog now");
}

// The comparison as people read it, pinned so that a change of formatting shows: every
// metric's line (DescribeComparison, also in the terminal and JUnit) and the HTML table
// "Against the baseline". The cache scenario got 20% worse per entry; its units reached
// and GC pauses (figures that are not sizes) changed too.
TEST(CompareTest, ReportsWithNoConfigurationInCommonSaySo) {
  v1::Report baseline = FixedReport();
  v1::Report current = FixedReport();
  for (v1::ScenarioReport& s : *current.mutable_scenarios()) s.set_scenario("renamed-" + s.scenario());
  const v1::Comparison c = Compare(baseline, current, Tolerances(), "base.json");
  EXPECT_EQ(c.regressions(), 0);
  EXPECT_TRUE(std::any_of(c.warnings().begin(), c.warnings().end(), [](const std::string& w) {
    return absl::StartsWith(w, "no configuration is in both reports");
  })) << c.ShortDebugString();
  const v1::Comparison same = Compare(baseline, baseline, Tolerances(), "base.json");
  EXPECT_TRUE(std::none_of(same.warnings().begin(), same.warnings().end(),
                           [](const std::string& w) { return absl::StartsWith(w, "no configuration"); }));
}

// A configuration whose expectations held but whose metric regressed failed: the HTML says
// so as the terminal does (it read "2 (0 failed)" and PASS beside the terminal's REGRESSED).
TEST(CompareTest, TheHtmlCountsARegressionAsAFailure) {
  v1::Report current = FixedReport();
  ASSERT_GT(current.scenarios_size(), 0);
  for (v1::ScenarioReport& s : *current.mutable_scenarios()) s.set_passed(true);
  v1::MetricComparison* m = current.mutable_comparison()->add_metrics();
  m->set_scenario(current.scenarios(0).scenario());
  m->set_variation(current.scenarios(0).variation());
  m->set_metric("peak_heap_used_bytes");
  m->set_verdict(v1::VERDICT_REGRESSED);
  const std::string html = RenderHtml(current);
  EXPECT_TRUE(absl::StrContains(html, absl::StrCat("<div>configurations</div><div>", current.scenarios_size(),
                                                   " (1 failed)")))
      << html.substr(0, 3000);
  EXPECT_TRUE(absl::StrContains(html, "<span class=\"badge fail\">REGRESSED</span>")) << html.substr(0, 3000);
  EXPECT_TRUE(Regressed(current, current.scenarios(0)));
  if (current.scenarios_size() > 1) {
    EXPECT_FALSE(Regressed(current, current.scenarios(1)));
  }
}

TEST(CompareTest, GoldenComparisonText) {
  v1::Report current = FixedReport(720);
  for (v1::Aggregate& a : *current.mutable_scenarios(0)->mutable_aggregates()) {
    for (int i = 0; i < a.values_size(); ++i) {
      if (a.metric() == "units_reached") a.set_values(i, 51234.5 + i);
      if (a.metric() == "gc_pause_ms") a.set_values(i, 10.0 + 0.123 * i);
    }
  }
  *current.mutable_comparison() = Compare(FixedReport(600), current, Tolerances(), "base.json");
  std::string text;
  for (const v1::MetricComparison& m : current.comparison().metrics()) {
    absl::StrAppend(&text, m.scenario(), ": ", m.metric().empty() ? m.note() : DescribeComparison(m), "\n");
  }
  std::string html = RenderHtml(current);
  size_t begin = html.find("<h2>Against the baseline</h2>");
  ASSERT_NE(begin, std::string::npos);
  size_t end = html.find("<h2>", begin + 1);
  ASSERT_NE(end, std::string::npos);
  absl::StrAppend(&text, html.substr(begin, end - begin), "\n");
  ExpectGolden("golden_comparison.txt", text);
}

}  // namespace
}  // namespace heapstorm
