#include "coordinator/scheduler.h"

#include <cstdlib>

#include "coordinator/journal.h"
#include "gtest/gtest.h"

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

}  // namespace
}  // namespace heapstorm
