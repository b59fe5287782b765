#include "coordinator/scheduler.h"

#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <map>
#include <set>
#include <random>

#include "absl/strings/str_cat.h"
#include "coordinator/journal.h"
#include "coordinator/planner.h"
#include "gtest/gtest.h"
#include "scenarios/suite_loader.h"

namespace heapstorm {
namespace {

std::vector<v1::Assignment> PlanOf(int n) {
  std::vector<v1::Assignment> plan;
  for (int i = 0; i < n; ++i) {
    v1::Assignment a;
    a.set_id("a" + std::to_string(i));
    a.set_attempt(1);
    a.mutable_scenario()->set_name("s");
    a.set_repeat(i);
    plan.push_back(a);
  }
  return plan;
}

v1::RunResult ResultFor(const v1::Assignment& a) {
  v1::RunResult r;
  r.set_assignment_id(a.id());
  r.set_scenario(a.scenario().name());
  r.set_repeat(a.repeat());
  r.set_outcome(v1::OUTCOME_COMPLETED);
  return r;
}

TEST(SchedulerTest, FillsFreeSlotsAndRecordsOnce) {
  FakeClock clock;
  Scheduler s(PlanOf(5), {}, &clock);
  ASSERT_TRUE(s.AddWorker("w1", 2).ok());
  ASSERT_TRUE(s.AddWorker("w2", 1).ok());
  EXPECT_FALSE(s.AddWorker("w1", 1).ok());
  std::vector<v1::Assignment> a1 = s.Take("w1");
  std::vector<v1::Assignment> a2 = s.Take("w2");
  ASSERT_EQ(a1.size(), 2u);
  ASSERT_EQ(a2.size(), 1u);
  EXPECT_TRUE(s.Take("w1").empty()) << "no slot is free";
  EXPECT_EQ(s.Record("w1", ResultFor(a1[0])), Scheduler::RecordOutcome::kRecorded);
  EXPECT_EQ(s.Record("w1", ResultFor(a1[0])), Scheduler::RecordOutcome::kDuplicate);
  EXPECT_EQ(s.Record("w1", ResultFor(a2[0])), Scheduler::RecordOutcome::kNotLeaseHolder);
  EXPECT_EQ(s.Take("w1").size(), 1u);
  EXPECT_EQ(s.counts().recorded, 1u);
  EXPECT_FALSE(s.Done());
}

TEST(SchedulerTest, LostWorkerWorkIsRetriedElsewhereThenGivenUp) {
  FakeClock clock;
  SchedulerOptions options;
  options.max_attempts = 2;
  Scheduler s(PlanOf(1), options, &clock);
  ASSERT_TRUE(s.AddWorker("w1", 1).ok());
  ASSERT_TRUE(s.AddWorker("w2", 1).ok());
  std::vector<v1::Assignment> first = s.Take("w1");
  ASSERT_EQ(first.size(), 1u);
  s.RemoveWorker("w1", "stream ended");
  std::vector<v1::Assignment> second = s.Take("w2");
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].attempt(), 2u);
  s.RemoveWorker("w2", "stream ended");
  EXPECT_TRUE(s.Done());
  ASSERT_EQ(s.Missing().size(), 1u);
  EXPECT_NE(s.Missing()[0].reason().find("worker_lost after 2 attempts"), std::string::npos);
}

TEST(SchedulerTest, SilentWorkerLosesItsLeasesAndItsLateResultIsIgnored) {
  FakeClock clock;
  SchedulerOptions options;
  options.lease = absl::Seconds(10);
  Scheduler s(PlanOf(1), options, &clock);
  ASSERT_TRUE(s.AddWorker("stopped", 1).ok());
  ASSERT_TRUE(s.AddWorker("alive", 1).ok());
  std::vector<v1::Assignment> a = s.Take("stopped");
  ASSERT_EQ(a.size(), 1u);
  clock.Advance(absl::Seconds(5));
  s.Touch("alive");
  EXPECT_TRUE(s.ExpireSilentWorkers().empty());
  clock.Advance(absl::Seconds(6));
  s.Touch("alive");
  std::vector<std::string> expired = s.ExpireSilentWorkers();
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0], "stopped");
  std::vector<v1::Assignment> moved = s.Take("alive");
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_EQ(moved[0].attempt(), 2u);
  // The stopped worker resumes and reports: ignored.
  EXPECT_EQ(s.Record("stopped", ResultFor(a[0])), Scheduler::RecordOutcome::kNotLeaseHolder);
  EXPECT_EQ(s.Record("alive", ResultFor(moved[0])), Scheduler::RecordOutcome::kRecorded);
  EXPECT_TRUE(s.Done());
  ASSERT_EQ(s.Results().size(), 1u);
  EXPECT_EQ(s.Results()[0].attempt(), 2u);
  EXPECT_EQ(s.Results()[0].worker(), "alive");
  EXPECT_EQ(s.counts().retried, 1u);
}

TEST(SchedulerTest, AResultResentAfterAReconnectIsRecordedOnce) {
  FakeClock clock;
  Scheduler s(PlanOf(2), {}, &clock);
  ASSERT_TRUE(s.AddWorker("w", 2).ok());
  std::vector<v1::Assignment> a = s.Take("w");
  ASSERT_EQ(a.size(), 2u);
  // The result went out, the stream broke before the acknowledgement came back.
  s.RemoveWorker("w", "stream ended");
  EXPECT_EQ(s.counts().queued, 2u);
  ASSERT_TRUE(s.AddWorker("w", 2).ok());
  // The worker resends it on its new session: recorded, and the run is not done twice.
  EXPECT_EQ(s.Record("w", ResultFor(a[0])), Scheduler::RecordOutcome::kRecorded);
  EXPECT_EQ(s.Record("w", ResultFor(a[0])), Scheduler::RecordOutcome::kDuplicate);
  std::vector<v1::Assignment> again = s.Take("w");
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].id(), a[1].id());
  EXPECT_EQ(s.Record("w", ResultFor(again[0])), Scheduler::RecordOutcome::kRecorded);
  EXPECT_TRUE(s.Done());
  EXPECT_EQ(s.Results().size(), 2u);
  EXPECT_TRUE(s.Missing().empty());
}

TEST(SchedulerTest, HarnessFailuresAreRetriedThenReportedAsSuch) {
  FakeClock clock;
  SchedulerOptions options;
  options.max_attempts = 2;
  Scheduler s(PlanOf(2), options, &clock);
  ASSERT_TRUE(s.AddWorker("w", 1).ok());
  std::vector<v1::Assignment> a = s.Take("w");
  ASSERT_EQ(a.size(), 1u);
  s.Fail("other", a[0].id(), "not its lease");  // ignored
  EXPECT_EQ(s.counts().leased, 1u);
  s.Fail("w", a[0].id(), "the result is 80Mi, more than a message carries");
  std::vector<v1::Assignment> b = s.Take("w");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].id(), a[0].id()) << "retried work goes first";
  EXPECT_EQ(b[0].attempt(), 2u);
  s.Fail("w", b[0].id(), "the result is 80Mi, more than a message carries");
  // Given up as a harness error, not as a lost worker; the other run goes on.
  ASSERT_EQ(s.Missing().size(), 1u);
  EXPECT_EQ(s.Missing()[0].reason(),
            "harness error after 2 attempts (last on w): the result is 80Mi, more than a message carries");
  std::vector<v1::Assignment> c = s.Take("w");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(s.Record("w", ResultFor(c[0])), Scheduler::RecordOutcome::kRecorded);
  EXPECT_TRUE(s.Done());
}

TEST(SchedulerTest, ReleasedWorkKeepsItsAttempt) {
  FakeClock clock;
  Scheduler s(PlanOf(1), {}, &clock);
  ASSERT_TRUE(s.AddWorker("w", 1).ok());
  std::vector<v1::Assignment> a = s.Take("w");
  s.Release("w", a[0].id());
  std::vector<v1::Assignment> again = s.Take("w");
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].attempt(), 1u);
}

TEST(SchedulerTest, DrainedWorkerGivesEverythingBackAndGetsNothingMore) {
  FakeClock clock;
  Scheduler s(PlanOf(3), {}, &clock);
  ASSERT_TRUE(s.AddWorker("leaving", 2).ok());
  ASSERT_TRUE(s.AddWorker("staying", 3).ok());
  ASSERT_EQ(s.Take("leaving").size(), 2u);
  s.Drain("leaving");
  EXPECT_TRUE(s.Take("leaving").empty());
  std::vector<v1::Assignment> moved = s.Take("staying");
  ASSERT_EQ(moved.size(), 3u);
  for (const v1::Assignment& a : moved) EXPECT_EQ(a.attempt(), 1u) << a.id();
}

TEST(SchedulerTest, JournalThenResumeSkipsRecordedWork) {
  std::string dir = std::getenv("TEST_TMPDIR");
  FakeClock clock;
  {
    auto journal = Journal::Open(dir);
    ASSERT_TRUE(journal.ok()) << journal.status();
    Scheduler s(PlanOf(3), {}, &clock, journal->get());
    ASSERT_TRUE(s.AddWorker("w", 2).ok());
    std::vector<v1::Assignment> a = s.Take("w");
    ASSERT_EQ(s.Record("w", ResultFor(a[0])), Scheduler::RecordOutcome::kRecorded);
    ASSERT_EQ(s.Record("w", ResultFor(a[1])), Scheduler::RecordOutcome::kRecorded);
  }
  absl::StatusOr<std::vector<v1::RunResult>> recovered = Journal::Load(dir);
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  ASSERT_EQ(recovered->size(), 2u);
  Scheduler resumed(PlanOf(3), {}, &clock, nullptr, *recovered);
  ASSERT_TRUE(resumed.AddWorker("w", 3).ok());
  std::vector<v1::Assignment> left = resumed.Take("w");
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].id(), "a2");
  EXPECT_EQ(resumed.counts().recorded, 2u);
}

// Work added as results come in (a search's steps) and recovered from the journal is
// recorded when the replay adds it again, not run a second time (a resumed search ran its
// recovered 44Mi and 72Mi points again, and reported 14 runs for its 8).
TEST(SchedulerTest, RecoveredWorkAddedAgainIsRecordedNotRun) {
  FakeClock clock;
  std::vector<v1::Assignment> steps = PlanOf(3);
  for (v1::Assignment& a : steps) a.set_id("step-" + a.id());
  std::vector<v1::RunResult> recovered = {ResultFor(PlanOf(1)[0]), ResultFor(steps[0]), ResultFor(steps[1])};
  Scheduler resumed(PlanOf(1), {}, &clock, nullptr, recovered);
  EXPECT_EQ(resumed.counts().recorded, 1u);
  resumed.Add({steps[0], steps[1], steps[2]});
  EXPECT_EQ(resumed.counts().recorded, 3u);
  EXPECT_EQ(resumed.counts().total, 4u);
  ASSERT_TRUE(resumed.AddWorker("w", 3).ok());
  std::vector<v1::Assignment> left = resumed.Take("w");
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].id(), "step-a2");
  EXPECT_EQ(resumed.Results().size(), 3u) << "each recovered result once";
}

TEST(SchedulerTest, CancelMakesTheRestMissing) {
  FakeClock clock;
  Scheduler s(PlanOf(3), {}, &clock);
  ASSERT_TRUE(s.AddWorker("w", 1).ok());
  std::vector<v1::Assignment> a = s.Take("w");
  ASSERT_EQ(s.Record("w", ResultFor(a[0])), Scheduler::RecordOutcome::kRecorded);
  s.Cancel("cancelled: interrupted");
  EXPECT_TRUE(s.Done());
  EXPECT_EQ(s.Missing().size(), 2u);
  EXPECT_TRUE(s.Take("w").empty());
}

TEST(SchedulerTest, DistributeSpreadsRoundRobinAndFillsEverySlot) {
  FakeClock clock;
  Scheduler s(PlanOf(10), {}, &clock);
  ASSERT_TRUE(s.AddWorker("w1", 2).ok());
  ASSERT_TRUE(s.AddWorker("w2", 1).ok());
  ASSERT_TRUE(s.AddWorker("w3", 3).ok());
  ASSERT_TRUE(s.AddWorker("w4", 1).ok());
  s.Drain("w4");  // a draining worker gets nothing
  std::vector<std::pair<std::string, v1::Assignment>> handed = s.Distribute();
  ASSERT_EQ(handed.size(), 6u) << "every free slot of the three live workers";
  // The first pass gives one to each worker before anyone gets a second.
  std::set<std::string> first_pass = {handed[0].first, handed[1].first, handed[2].first};
  EXPECT_EQ(first_pass, (std::set<std::string>{"w1", "w2", "w3"}));
  std::map<std::string, int> per_worker;
  for (const auto& [worker, a] : handed) ++per_worker[worker];
  EXPECT_EQ(per_worker["w1"], 2);
  EXPECT_EQ(per_worker["w2"], 1);
  EXPECT_EQ(per_worker["w3"], 3);
  EXPECT_EQ(per_worker.count("w4"), 0u);
  EXPECT_TRUE(s.Distribute().empty()) << "no slot is free";
  // A result frees its slot: the next distribution goes to that worker alone.
  for (const auto& [worker, a] : handed) {
    if (worker == "w2") {
      ASSERT_EQ(s.Record("w2", ResultFor(a)), Scheduler::RecordOutcome::kRecorded);
    }
  }
  std::vector<std::pair<std::string, v1::Assignment>> next = s.Distribute();
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].first, "w2");
}

TEST(SchedulerTest, DistributeWithLessWorkThanSlotsGivesOneEach) {
  FakeClock clock;
  Scheduler s(PlanOf(3), {}, &clock);
  for (const char* w : {"a", "b", "c"}) ASSERT_TRUE(s.AddWorker(w, 4).ok());
  std::vector<std::pair<std::string, v1::Assignment>> handed = s.Distribute();
  ASSERT_EQ(handed.size(), 3u);
  std::set<std::string> workers;
  for (const auto& [worker, a] : handed) workers.insert(worker);
  EXPECT_EQ(workers.size(), 3u);
}

// The counters kept as entries change agree with what the public views show, over a long
// random mix of every event a coordinator sees.
TEST(SchedulerTest, CountsStayTrueThroughRandomEvents) {
  FakeClock clock;
  SchedulerOptions options;
  options.max_attempts = 3;
  options.lease = absl::Seconds(10);
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    std::mt19937 rng(seed);
    Scheduler s(PlanOf(40), options, &clock);
    std::map<std::string, std::vector<v1::Assignment>> held;  // what each worker was handed
    int next_worker = 0;
    for (int step = 0; step < 400 && !s.Done(); ++step) {
      int op = static_cast<int>(rng() % 10);
      std::string some = held.empty() ? "" : std::next(held.begin(), rng() % held.size())->first;
      if (op == 0 || held.empty()) {
        std::string id = "w" + std::to_string(next_worker++);
        ASSERT_TRUE(s.AddWorker(id, 1 + static_cast<int>(rng() % 3)).ok());
        held[id];
      } else if (op <= 3) {
        for (auto& [worker, a] : s.Distribute()) held[worker].push_back(a);
      } else if (op <= 6 && !held[some].empty()) {
        v1::Assignment a = held[some].back();
        held[some].pop_back();
        (void)s.Record(some, ResultFor(a));
      } else if (op == 7 && !held[some].empty()) {
        s.Release(some, held[some].back().id());
        held[some].pop_back();
      } else if (op == 8) {
        s.RemoveWorker(some, "its stream ended");
        held.erase(some);
      } else {
        clock.Advance(absl::Seconds(6));
        for (const std::string& w : s.ExpireSilentWorkers()) held.erase(w);
      }
      Scheduler::Counts c = s.counts();
      size_t running = 0;
      for (const auto& [w, ids] : s.Running()) running += ids.size();
      ASSERT_EQ(c.leased, running) << "seed " << seed << " step " << step;
      ASSERT_EQ(c.recorded, s.Results().size()) << "seed " << seed << " step " << step;
      ASSERT_EQ(c.missing, s.Missing().size()) << "seed " << seed << " step " << step;
      ASSERT_EQ(c.total, 40u);
      ASSERT_EQ(c.recorded + c.missing + c.leased + c.queued, c.total);
      ASSERT_EQ(s.Done(), c.recorded + c.missing == c.total) << "seed " << seed << " step " << step;
    }
    s.Cancel("cancelled: the test is over");
    EXPECT_EQ(s.counts().leased, 0u);
    EXPECT_EQ(s.counts().recorded + s.counts().missing, 40u);
  }
}


// Heap bytes in use, from the allocator itself: arena chunks plus mmap'ed blocks.
size_t HeapInUse() {
  struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
}

// A million planned runs (10 scenarios × a sweep of 1,000 values × 100 repeats) cost the
// planner and the scheduler a few bytes each, not an Assignment each (which is ~1 KiB
// with its scenario: 1M of them took 2.5 GB, issue 17).
TEST(SchedulerTest, AMillionPlannedRunsCostAFewBytesEach) {
  std::string yaml = "scenarios:\n";
  for (int s = 0; s < 10; ++s) {
    absl::StrAppend(&yaml, "  - name: s", s, "\n    kind: cached_data\n    params: {entries: 10}\n",
                    "    repeats: 100\n    sweep: {parameter: params.entries, values: [");
    for (int v = 1; v <= 1000; ++v) absl::StrAppend(&yaml, v == 1 ? "" : ", ", v);
    absl::StrAppend(&yaml, "]}\n");
  }
  absl::StatusOr<v1::Suite> suite = LoadSuiteText(yaml, "big.yaml", "/tmp");
  ASSERT_TRUE(suite.ok()) << suite.status();

  const size_t before = HeapInUse();
  absl::StatusOr<LazyPlan> plan = LazyPlan::Create(*suite);
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->size(), 1000000u);
  FakeClock clock;
  auto s = std::make_unique<Scheduler>(*std::move(plan), SchedulerOptions{}, &clock);
  const double per_run = static_cast<double>(HeapInUse() - before) / 1e6;
  EXPECT_LT(per_run, 32.0) << "bytes of planner + scheduler state per planned run";
  std::printf("planner + scheduler: %.1f bytes per planned run\n", per_run);

  // Hand out and record the first 20,000 runs: what the scheduler keeps per recorded run
  // is its result, not its assignment.
  ASSERT_TRUE(s->AddWorker("w", 1000).ok());
  const size_t before_results = HeapInUse();
  size_t recorded = 0;
  std::string last_id;
  while (recorded < 20000) {
    std::vector<std::pair<std::string, v1::Assignment>> handed = s->Distribute();
    ASSERT_FALSE(handed.empty());
    for (const auto& [worker, a] : handed) {
      ASSERT_NE(a.id(), last_id);
      last_id = a.id();
      ASSERT_EQ(s->Record(worker, ResultFor(a)), Scheduler::RecordOutcome::kRecorded) << a.id();
      ++recorded;
    }
  }
  const double per_result = static_cast<double>(HeapInUse() - before_results) / 20000;
  EXPECT_LT(per_result, 200.0) << "bytes kept per recorded (tiny) result";
  std::printf("scheduler: %.1f bytes per recorded tiny result\n", per_result);
  EXPECT_EQ(s->counts().recorded, 20000u);
  EXPECT_EQ(s->counts().total, 1000000u);
  EXPECT_EQ(s->Results().size(), 20000u);

  // A cancel marks nothing per run, and the report's view still names every run left.
  s->Cancel("cancelled: interrupted");
  EXPECT_EQ(s->counts().missing, 980000u);
}

// A lazy plan hands out the same assignments, in the same order, as the whole list.
TEST(SchedulerTest, LazyPlanMatchesTheWholePlan) {
  absl::StatusOr<v1::Suite> suite = LoadSuiteText(R"(
scenarios:
  - name: plain
    kind: cached_data
    params: {entries: 10}
    repeats: 2
  - name: swept
    kind: cached_data
    params: {entries: 10}
    repeats: 3
    sweep: {parameter: limits.old_space, values: [32Mi, 64Mi]}
)",
                                                  "s.yaml", "/tmp");
  ASSERT_TRUE(suite.ok()) << suite.status();
  absl::StatusOr<std::vector<v1::Assignment>> whole = Plan(*suite);
  absl::StatusOr<LazyPlan> lazy = LazyPlan::Create(*suite);
  ASSERT_TRUE(whole.ok() && lazy.ok());
  ASSERT_EQ(lazy->size(), 8u);
  FakeClock clock;
  Scheduler s(*std::move(lazy), {}, &clock);
  ASSERT_TRUE(s.AddWorker("w", 100).ok());
  std::vector<v1::Assignment> taken = s.Take("w");
  ASSERT_EQ(taken.size(), whole->size());
  for (size_t i = 0; i < taken.size(); ++i) {
    v1::Assignment expected = (*whole)[i];
    expected.set_lease_ms(taken[i].lease_ms());
    EXPECT_EQ(taken[i].SerializeAsString(), expected.SerializeAsString()) << i;
  }
  // Ids round-trip; others are unknown.
  EXPECT_EQ(s.Record("w", ResultFor(taken[4])), Scheduler::RecordOutcome::kRecorded);
  v1::RunResult stranger;
  for (const char* id : {"swept/limits.old_space=32Mi/r3", "swept/limits.old_space=32Mi/r01", "nope/-/r0",
                         "plain/x/r0", "plain", ""}) {
    stranger.set_assignment_id(id);
    EXPECT_EQ(s.Record("w", stranger), Scheduler::RecordOutcome::kUnknown) << id;
  }
}

}  // namespace
}  // namespace heapstorm
