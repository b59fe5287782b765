// BuildRunResult from hand-made observations: no node, no processes. Each test sets the
// raw facts of one kind of ending and checks the fields that the build derives from them.
#include "worker/engine/run_result.h"

#include <signal.h>

#include <string>

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace heapstorm {
namespace {

v1::Scenario CacheScenario() {
  v1::Scenario s;
  s.set_name("cache");
  s.mutable_cached_data()->set_entries(1000);
  v1::Limits* l = s.mutable_limits();
  l->set_max_old_space_mib(64);
  l->set_max_semi_space_mib(16);
  l->set_stack_kib(984);
  l->set_native_stack_kib(8192);
  l->set_max_descriptors(1024);
  l->set_timeout_ms(60000);
  return s;
}

FinishedRun Finished(const v1::Scenario* scenario) {
  FinishedRun f;
  f.scenario = scenario;
  f.repeat = 2;
  f.variation = "entries=1000";
  f.assignment_id = "cache/entries=1000/r2";
  f.attempt = 1;
  f.node_version = "v20.0.0";
  f.node_args = {"/usr/bin/node", "--max-old-space-size=64", "driver.js", "scenario.json"};
  f.started_unix_ms = 1795300000000;
  f.start = absl::FromUnixMillis(1795300000000);
  f.pid = 4242;
  f.seen.end = f.start + absl::Milliseconds(1500);
  return f;
}

TEST(BuildRunResult, CompletedRunCarriesIdentityMeasurementsAndFits) {
  v1::Scenario scenario = CacheScenario();
  FinishedRun f = Finished(&scenario);
  f.seen.exit.exited = true;
  f.seen.driver_done = true;
  f.seen.done.set_status(v1::DRIVER_STATUS_COMPLETED);
  f.seen.units = 1000;
  f.seen.peak_rss = 90 << 20;
  for (int u = 0; u <= 1000; u += 100) {
    f.seen.fit_units.push_back(u);
    f.seen.fit_heap.push_back(1e6 + 250.0 * u);  // 250 bytes per unit
    f.seen.fit_external.push_back(4096);
    f.seen.fit_rss.push_back(3e7 + 500.0 * u);
  }
  f.seen.peak_spaces["old_space"] = 7 << 20;

  v1::RunResult r = BuildRunResult(f);
  EXPECT_EQ(r.outcome(), v1::OUTCOME_COMPLETED);
  EXPECT_EQ(r.scenario(), "cache");
  EXPECT_EQ(r.repeat(), 2u);
  EXPECT_EQ(r.variation(), "entries=1000");
  EXPECT_EQ(r.assignment_id(), "cache/entries=1000/r2");
  EXPECT_EQ(r.target_units(), 1000u);
  EXPECT_EQ(r.units_reached(), 1000u);
  EXPECT_EQ(r.node_args_size(), 4);
  EXPECT_EQ(r.limits().max_old_space_mib(), 64u);
  EXPECT_DOUBLE_EQ(r.wall_ms(), 1500);
  EXPECT_NEAR(r.heap_per_unit().slope(), 250, 1e-6);
  EXPECT_NEAR(r.rss_per_unit().slope(), 500, 1e-6);
  EXPECT_EQ(r.heap_per_unit().points(), 11u);
  ASSERT_EQ(r.peak_spaces_size(), 1);
  EXPECT_EQ(r.peak_spaces(0).used_bytes(), 7u << 20);
  EXPECT_EQ(r.stack_depth(), 0u);  // not a deep_recursion scenario
  EXPECT_TRUE(r.evidence().exited());
  EXPECT_EQ(r.evidence().units_reached(), 1000u);
  EXPECT_EQ(r.evidence().signal_name(), "");
  EXPECT_FALSE(r.has_leak());
}

TEST(BuildRunResult, WatchdogKillCountsUnitsAtTheCrossingAndNamesTheLargestProcess) {
  v1::Scenario scenario = CacheScenario();
  scenario.mutable_limits()->set_native_bytes(256 << 20);
  FinishedRun f = Finished(&scenario);
  f.mechanism = v1::LIMIT_MECHANISM_WATCHDOG;
  f.limit_fallback = v1::LIMIT_FALLBACK_CGROUPS_OFF;
  f.seen.exit.signal = SIGKILL;
  f.seen.harness_kill = v1::HARNESS_KILL_WATCHDOG;
  f.seen.units = 900;
  f.seen.units_at_watchdog_limit = 870;
  f.seen.peak_tree_bytes = 300 << 20;
  f.seen.watchdog_victim.pid = 4243;
  f.seen.watchdog_victim.command = "sleep";
  f.seen.watchdog_victim.rss_bytes = 200 << 20;

  v1::RunResult r = BuildRunResult(f);
  EXPECT_EQ(r.outcome(), v1::OUTCOME_NATIVE_OOM);
  EXPECT_EQ(r.units_reached(), 870u);
  EXPECT_EQ(r.evidence().units_reached(), 870u);
  EXPECT_EQ(r.limit_mechanism(), v1::LIMIT_MECHANISM_WATCHDOG);
  EXPECT_EQ(r.limit_fallback(), v1::LIMIT_FALLBACK_CGROUPS_OFF);
  EXPECT_TRUE(r.limit_note().empty());  // the sentence is made by the reports
  EXPECT_EQ(r.evidence().harness_kill(), v1::HARNESS_KILL_WATCHDOG);
  EXPECT_EQ(r.evidence().oom_victim_pid(), 4243u);
  EXPECT_EQ(r.evidence().oom_victim_command(), "sleep");
  EXPECT_EQ(r.evidence().oom_victim_bytes(), 200u << 20);
  EXPECT_EQ(r.evidence().oom_victim_source(), "tree samples");
  EXPECT_EQ(r.evidence().signal_name(), "SIGKILL");
  EXPECT_EQ(r.evidence().peak_tree_bytes(), 300u << 20);
}

TEST(BuildRunResult, CgroupOomKillTakesTheCounterDeltaAndTheKernelLogsVictim) {
  v1::Scenario scenario = CacheScenario();
  scenario.mutable_limits()->set_native_bytes(256 << 20);
  FinishedRun f = Finished(&scenario);
  f.mechanism = v1::LIMIT_MECHANISM_CGROUP_V1;
  f.cgroup_before.oom_kills = 3;  // a reused counter: only the delta counts
  f.cgroup_before.failcnt = 10;
  f.cgroup_after.oom_kills = 4;
  f.cgroup_after.failcnt = 17;
  f.cgroup_after.max_usage_bytes = 256 << 20;
  OomKill kill;
  kill.pid = 4242;
  kill.command = "node";
  kill.anon_rss_bytes = 250 << 20;
  f.kernel_kills.push_back(kill);
  f.seen.exit.signal = SIGKILL;
  f.seen.units = 500;
  TreeProcess other;  // the tree's biggest: not used when the kernel log names the victim
  other.pid = 9999;
  other.command = "other";
  other.rss_bytes = 1ull << 30;
  f.seen.last_tree.push_back(other);

  v1::RunResult r = BuildRunResult(f);
  EXPECT_EQ(r.outcome(), v1::OUTCOME_NATIVE_OOM);
  EXPECT_EQ(r.evidence().cgroup_oom_kills(), 1u);
  EXPECT_EQ(r.evidence().cgroup_failcnt(), 7u);
  EXPECT_EQ(r.evidence().cgroup_max_usage_bytes(), 256u << 20);
  EXPECT_EQ(r.evidence().oom_victim_pid(), 4242u);
  EXPECT_EQ(r.evidence().oom_victim_source(), "kernel log");

  // Without the kernel log, the biggest process of the last sample is the best guess.
  f.kernel_kills.clear();
  r = BuildRunResult(f);
  EXPECT_EQ(r.evidence().oom_victim_pid(), 9999u);
  EXPECT_EQ(r.evidence().oom_victim_source(), "tree samples");
}

TEST(BuildRunResult, UntrustedTextIsValidUtf8AndTheStderrTailIsBounded) {
  v1::Scenario scenario = CacheScenario();
  FinishedRun f = Finished(&scenario);
  f.seen.exit.exited = true;
  f.seen.exit.exit_code = 1;
  f.seen.stderr_text = std::string(20000, 'x') + "\xff\xfe bad bytes\n";
  f.seen.driver_done = true;
  f.seen.done.set_status(v1::DRIVER_STATUS_SCRIPT_ERROR);
  f.seen.done.set_error_name("Error");
  f.seen.done.set_error_message("boom \xc3");

  v1::RunResult r = BuildRunResult(f);
  EXPECT_LE(r.evidence().stderr_tail().size(), 8192u + 16);
  EXPECT_NE(r.evidence().stderr_tail().find("bad bytes"), std::string::npos);
  std::string wire;
  ASSERT_TRUE(r.SerializeToString(&wire));
  v1::RunResult back;
  EXPECT_TRUE(back.ParseFromString(wire)) << "a string field is not valid UTF-8";
  EXPECT_EQ(r.evidence().driver_error().rfind("Error: boom", 0), 0u) << r.evidence().driver_error();
}

TEST(BuildRunResult, DeepRecursionDepthIsTheDeepestFrameSeen) {
  v1::Scenario scenario = CacheScenario();
  scenario.mutable_deep_recursion()->set_depth(0);
  FinishedRun f = Finished(&scenario);
  f.seen.exit.exited = true;
  f.seen.driver_done = true;
  f.seen.done.set_status(v1::DRIVER_STATUS_STACK_OVERFLOW);
  f.seen.done.set_depth(12000);
  f.seen.units = 11990;

  v1::RunResult r = BuildRunResult(f);
  EXPECT_EQ(r.outcome(), v1::OUTCOME_STACK_OVERFLOW);
  EXPECT_EQ(r.stack_depth(), 12000u);
}

}  // namespace
}  // namespace heapstorm
