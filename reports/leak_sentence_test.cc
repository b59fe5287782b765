// The leak check's sentences, made here from what the engine's leak detector returns: the
// same words the engine used to write (the reports' goldens and README quote them).
#include "reports/leak_sentence.h"

#include <cmath>
#include <functional>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "proto/suite.pb.h"
#include "reports/report_builder.h"
#include "worker/engine/leak_detector.h"
#include "worker/engine/leak_testing.h"

namespace heapstorm {
namespace {

using leak_testing::Descriptors;
using leak_testing::Feed;
using leak_testing::Schedule;
using leak_testing::Suspected;

// A run whose leak check is `leak`.
v1::RunResult RunWith(const v1::LeakResult& leak) {
  v1::RunResult run;
  *run.mutable_leak() = leak;
  run.mutable_limits()->set_max_old_space_mib(256);
  return run;
}

TEST(LeakSentenceTest, DetectorVerdicts) {
  EXPECT_EQ(LeakSummarySentence(RunWith(Feed(40, [](double) { return 4e6; }))),
            "no leak above 28.2B/iteration of heap, 28.2B/iteration of external memory (30 checkpoints, iterations "
            "200-780)");
  std::string inconclusive = LeakSummarySentence(RunWith(Feed(20, [](double x) { return 4e6 + 100 * x; })));
  EXPECT_TRUE(absl::StartsWith(inconclusive, "inconclusive after 10 checkpoints (iterations 200-380): about "))
      << inconclusive;
  EXPECT_TRUE(absl::EndsWith(inconclusive, " more iterations would decide")) << inconclusive;
  v1::LeakResult leak = Feed(40, [](double x) { return 4e6 + 100 * x + (static_cast<int>(x) % 3) * 50; });
  ASSERT_EQ(leak.verdict(), v1::LEAK_VERDICT_LEAK);
  std::string said = LeakSummarySentence(RunWith(leak));
  EXPECT_TRUE(absl::StartsWith(said, "leak: heap_used +100B/iteration (p=")) << said;
  leak.set_by_trend_only(true);
  EXPECT_TRUE(absl::EndsWith(LeakSummarySentence(RunWith(leak)),
                             ") (by trend only: snapshots are off, retention unproven)"));
  // A negative rate has one sign ("+-6.21B/iteration" was read).
  leak.mutable_series(0)->set_slope_per_iteration(-6.21);
  said = LeakSummarySentence(RunWith(leak));
  EXPECT_TRUE(absl::StartsWith(said, "leak: heap_used -6.21B/iteration (p=")) << said;
}

// A module that threw at iteration 5 (a new user's): the checkpoints taken were all the
// warm-up's, none judged. The sentence says where the run ended, not "after 0 checkpoints
// (iterations 0-0)".
TEST(LeakSentenceTest, ARunThatEndedInTheWarmUpSaysSo) {
  v1::LeakResult early = Feed(4, [](double) { return 4e6; });
  ASSERT_EQ(early.summary_kind(), v1::LEAK_SUMMARY_KIND_BUDGET_SHORT);
  ASSERT_EQ(early.checkpoints(), 0u);
  v1::RunResult run = RunWith(early);
  run.set_units_reached(5);
  const std::string said = LeakSummarySentence(run);
  EXPECT_TRUE(absl::StartsWith(said, "inconclusive: the run ended at iteration 5, within the warm-up, before any "
                                     "checkpoint was judged: about "))
      << said;
  EXPECT_TRUE(absl::EndsWith(said, " more iterations would decide")) << said;
}

TEST(LeakSentenceTest, RetentionFindings) {
  RetentionEvidence freed{500, 600, 1200, 3000, 0, 0};
  EXPECT_TRUE(absl::StartsWith(RetentionSentence(ConfirmByRetention(Suspected(300), freed)),
                               "bounded: objects allocated after iteration 500 were freed by 1200"));
  v1::LeakRetention watched = ConfirmByRetention(Suspected(300), freed);
  watched.set_stretched_from(900);
  EXPECT_TRUE(absl::EndsWith(RetentionSentence(watched),
                             "; at 900 they were still alive, and its cheap iterations were watched on"))
      << RetentionSentence(watched);
  RetentionEvidence v8{5000, 6000, 12000, 200, 7000, 6};
  EXPECT_EQ(RetentionSentence(ConfirmByRetention(Suspected(7), v8)),
            "V8 internal growth, 7B/iteration (code, bytecode, feedback, maps, node's Buffer pool): not the program's "
            "objects");
  RetentionEvidence held{500, 600, 4800, 29000, 3000, 290, 4800};
  EXPECT_TRUE(absl::StartsWith(RetentionSentence(ConfirmByRetention(Suspected(300), held)),
                               "confirmed by retention up to iteration 4800: objects allocated in iterations "
                               "500-600 are still alive there, "));
  RetentionEvidence flat{500, 600, 1200, 30000, 0, 1};
  EXPECT_NE(RetentionSentence(ConfirmByRetention(Suspected(300), flat)).find("stopped growing"), std::string::npos);
  held.s3 = 1200;
  EXPECT_TRUE(absl::EndsWith(RetentionSentence(ConfirmByRetention(Suspected(300), held)),
                             "but the run could not go on to iteration 4800, so a structure that fills up or is "
                             "flushed later is not ruled out"));
}

// A confirmation whose growth slowed (RunMonitor::DecideSlowing sets these from it).
TEST(LeakSentenceTest, SlowedFindings) {
  RetentionEvidence pool{898, 1098, 8784, 11416, 936, 14.8, 8784};
  v1::LeakRetention r = ConfirmByRetention(Suspected(191), pool);
  r.set_slowing_checked_to(35136);
  r.set_slope_checked_per_iteration(0.0162);
  EXPECT_TRUE(absl::EndsWith(RetentionSentence(r), "over 1098-8784, and it kept growing, 0.0162B/iteration up to "
                                                   "iteration 35136"))
      << RetentionSentence(r);
  r.set_confirmed(false);
  r.set_finding(v1::RETENTION_FINDING_SLOWED);
  EXPECT_EQ(RetentionSentence(r),
            "bounded: objects allocated in iterations 898-1098 are still alive at 8784 (57.08B/iteration), but the "
            "growth slowed, to 14.8B/iteration over 1098-8784 and 0.0162B/iteration over 8784-35136: a structure "
            "that fills ever more slowly toward its size");
}

// A window that kept the growth, too few bytes of it to tell (apisurface_corpus 05 at 2,000).
TEST(LeakSentenceTest, WindowShortFinding) {
  RetentionEvidence slow{898, 1212, 9696, 7536, 1400, 24.53, 9696};
  slow.later = 4848;
  const v1::LeakRetention r = ConfirmByRetention(Suspected(68.47), slow);
  ASSERT_EQ(r.finding(), v1::RETENTION_FINDING_WINDOW_SHORT);
  EXPECT_EQ(RetentionSentence(r),
            "objects allocated in iterations 898-1212 are still alive at 9696 (24B/iteration, as fast as the series "
            "grew: 24.53B/iteration over 4848-9696), but a window of 314 iterations kept too few bytes to tell them "
            "from the measurement's noise");
}

// An array made at its size that held the window (RunMonitor::WatchStore).
TEST(LeakSentenceTest, StoreFindings) {
  v1::LeakRetention r;
  r.set_s1(898);
  r.set_s2(1098);
  r.set_s3(8784);
  r.set_program_bytes_per_iteration(148.2);
  r.set_slope_after_per_iteration(154);
  r.set_store_slots(12000);
  r.set_store_filled(8784);
  r.set_store_full_at(12000);
  r.set_store_settled_at(24000);
  r.set_reach(36000);
  r.set_finding(v1::RETENTION_FINDING_STORE_FILLING);
  EXPECT_EQ(RetentionSentence(r),
            "objects allocated in iterations 898-1098 are still alive at 8784 (148.2B/iteration), held by an array of "
            "12000 slots allocated before iteration 898, 8784 of them filled; it is full at about iteration 12000, "
            "and the run could not go on to 36000, where a structure of that size has stopped growing and a leak has "
            "not");
  r.set_slowing_checked_to(36000);
  r.set_slope_checked_per_iteration(0.0519);
  r.set_finding(v1::RETENTION_FINDING_STORE_FILLED);
  EXPECT_EQ(RetentionSentence(r),
            "bounded: objects allocated in iterations 898-1098 are still alive at 8784 (148.2B/iteration), held by an "
            "array of 12000 slots allocated before iteration 898 (8784 filled at 8784); it is full by iteration "
            "12000, and after one more turn of its slots, over 24000-36000, the series grew 0.0519B/iteration against "
            "154B/iteration before: a structure of a fixed size (an LRU's or a ring's slots)");
  r.set_slope_checked_per_iteration(41.5);
  r.set_confirmed(true);
  r.set_finding(v1::RETENTION_FINDING_CONFIRMED);
  EXPECT_TRUE(absl::EndsWith(RetentionSentence(r),
                             "and it kept growing after the array that holds them (12000 slots) was full at "
                             "iteration 12000: 41.5B/iteration over 24000-36000"))
      << RetentionSentence(r);
}

// A `no leak` found bounded by retention states its detection limit; where that is the
// growth past the window another check would have tested (RunMonitor::RegrowthLimit), it
// says so.
TEST(LeakSentenceTest, ABoundedWindowsLimitIsTheGrowthPastIt) {
  v1::LeakResult l;
  l.set_verdict(v1::LEAK_VERDICT_NO_LEAK);
  l.set_summary_kind(v1::LEAK_SUMMARY_KIND_RETENTION_BOUNDED);
  v1::LeakRetention* r = l.mutable_retention();
  r->set_s1(898);
  r->set_s2(1098);
  r->set_s3(8784);
  r->set_program_bytes_per_iteration(0.5);
  r->set_suspected_slope_per_iteration(90);
  r->set_finding(v1::RETENTION_FINDING_FREED);
  v1::LeakSeries* heap = l.add_series();
  heap->set_name("heap_used");
  heap->set_unit("bytes");
  heap->set_verdict(v1::LEAK_VERDICT_NO_LEAK);
  heap->set_detection_limit(1.5);
  const std::string trend = LeakSummarySentence(RunWith(l));
  EXPECT_TRUE(absl::EndsWith(trend, "; detection limit 1.5B/iteration of heap")) << trend;
  heap->set_detection_limit(33.24);
  heap->set_limit_past_window(true);
  const std::string past = LeakSummarySentence(RunWith(l));
  EXPECT_TRUE(absl::EndsWith(past, "; detection limit 33.24B/iteration of heap (the growth past the window that gets a "
                                   "check of its own)"))
      << past;
}

// A window found freed while the series grew on under the bar of another check, watched on
// (RunMonitor::WatchRegrowth) and too slow there: what it did is said after the finding.
TEST(LeakSentenceTest, RegrowthWatchedAfterAFreedWindow) {
  v1::LeakRetention r;
  r.set_s1(898);
  r.set_s2(1358);
  r.set_s3(10864);
  r.set_program_bytes_per_iteration(0.3);
  r.set_suspected_slope_per_iteration(41.3);
  r.set_finding(v1::RETENTION_FINDING_FREED);
  const std::string freed = RetentionSentence(r);
  r.set_regrowth_checked_to(22327);
  r.set_regrowth_per_iteration(3.25);
  EXPECT_EQ(RetentionSentence(r), freed + "; the series, watched on to 22327, grew 3.25B/iteration past iteration "
                                          "10864, too little to be tested again");
}

// A check that found its window freed as the one before it did, while the series grew on,
// and the objects allocated after its window carried that growth (a queue that takes in
// more than it releases: lifecycle_corpus 09 at 2,000).
TEST(LeakSentenceTest, TurnoverFinding) {
  v1::LeakRetention r;
  r.set_s1(11872);
  r.set_s2(14815);
  r.set_s3(118520);
  r.set_later_from(59260);
  r.set_slope_after_per_iteration(146.1);
  r.set_young_bytes_per_iteration(161.06);
  r.set_turnover_freed_s1(898);
  r.set_turnover_freed_s2(1484);
  r.set_turnover_freed_s3(11872);
  r.set_confirmed(true);
  r.set_finding(v1::RETENTION_FINDING_TURNOVER);
  EXPECT_EQ(RetentionSentence(r),
            "confirmed by turnover up to iteration 118520: objects allocated in iterations 11872-14815 were freed by "
            "then, as those of iterations 898-1484 were by 11872, yet the series grew 146.1B/iteration over "
            "59260-118520, and objects allocated after iteration 14815 alive at 118520 carry it (161.06B/iteration): "
            "a queue or backlog that takes in more than it releases");
}

// The same findings carried by arrays grown by pushes (ConfirmByRetention: a bound its code
// keeps, or a leak of numbers), alone or with tables.
TEST(LeakSentenceTest, ArrayFindings) {
  v1::LeakRetention r;
  r.set_s1(898);
  r.set_s2(1098);
  r.set_s3(30000);
  r.set_reach(61875);
  r.set_array_growth_bytes(340 * 1024);
  r.set_finding(v1::RETENTION_FINDING_TABLE_STEPPED);
  EXPECT_EQ(RetentionSentence(r),
            "an array grew 340Ki from iteration 898 to 30000 beyond what its window's objects account for, but the "
            "run could not go on to iteration 61875, where a leaking array has grown again and a bounded one has not");
  r.set_table_growth_bytes(1024 * 1024);
  r.set_table_entries_at_s3(20001);
  r.set_table_entries_checked(20001);
  r.set_table_checked_to(61875);
  r.set_finding(v1::RETENTION_FINDING_TABLE_ENTRIES_STAYED);
  EXPECT_EQ(RetentionSentence(r),
            "bounded: hash tables and arrays grew 1.33Mi from iteration 898 to 30000, but its owner held 20001 entries "
            "at 30000 and 20001 at 61875 (a structure kept to a bound)");
  // Summed over several owners (an lru-cache's Map and arrays), the sentence says so.
  r.set_table_owners(3);
  r.set_table_entries_at_s3(60002);
  r.set_table_entries_checked(60002);
  EXPECT_EQ(RetentionSentence(r),
            "bounded: hash tables and arrays grew 1.33Mi from iteration 898 to 30000, but its 3 owners, in all, held "
            "60002 entries at 30000 and 60002 at 61875 (a structure kept to a bound)");
  // Counted from the start of the watch that ended at s3, with no room to go on past it:
  // the first count is said where it was taken.
  r.set_table_owners(1);
  r.set_table_entries_counted_at(15000);
  r.set_table_entries_at_s3(15000);
  r.set_table_entries_checked(30000);
  r.set_table_checked_to(30000);
  r.set_finding(v1::RETENTION_FINDING_TABLE_ENTRIES_GREW);
  EXPECT_EQ(RetentionSentence(r),
            "confirmed by hash tables' and arrays' entries: it grew 1.33Mi from iteration 898 to 30000, beyond what "
            "its window's objects account for, and its owner went on from 15000 entries at 15000 to 30000 at 30000");
}

// The growth a check reads is its later part's (later_from), and the sentences say so; a
// window retained far above it is a long turnover, not something that fails to account
// (a new user's tiny-lru of 40,000 at 100,000: 82.84 B/iteration alive, 5.59 of growth).
TEST(LeakSentenceTest, TheLaterPartIsWhereTheGrowthWasRead) {
  v1::LeakRetention r;
  r.set_s1(898);
  r.set_s2(1098);
  r.set_s3(100000);
  r.set_later_from(50000);
  r.set_program_bytes_per_iteration(82.84);
  r.set_slope_after_per_iteration(5.59);
  r.set_finding(v1::RETENTION_FINDING_UNACCOUNTED);
  EXPECT_EQ(RetentionSentence(r),
            "bounded: the objects still alive (82.84B/iteration) are far more than the series grew over the end of "
            "the check (5.59B/iteration over 50000-100000): a structure whose entries outlive the check, not a leak's "
            "growth");
  // Cut short of where the check decides: not bounded, undecided.
  r.set_undecided(true);
  r.set_reach(189858);
  EXPECT_EQ(RetentionSentence(r),
            "the objects allocated in iterations 898-1098 still alive at 100000 (82.84B/iteration) are far more than "
            "the series grew over the end of the check (5.59B/iteration over 50000-100000): a structure whose entries "
            "outlive the check, and the run could not go on to 189858 to see past them");
  r.set_undecided(false);
  r.set_slope_after_per_iteration(0.0109);
  r.set_finding(v1::RETENTION_FINDING_STOPPED_GROWING);
  EXPECT_EQ(RetentionSentence(r),
            "bounded: it stopped growing by iteration 50000 (0.0109B/iteration over 50000-100000): a structure that "
            "fills up");
  // Cut short of where the check decides: not bounded, undecided.
  r.set_undecided(true);
  EXPECT_EQ(RetentionSentence(r),
            "the objects allocated in iterations 898-1098 are still alive at 100000 (82.84B/iteration) and the series "
            "grew 0.0109B/iteration over 50000-100000, but the run could not go on to 189858, where the check decides");
}

// A table's findings (RunMonitor::JudgeTable sets the last two from the first).
TEST(LeakSentenceTest, TableFindings) {
  v1::LeakRetention r;
  r.set_s1(801);
  r.set_s2(1001);
  r.set_s3(9024);
  r.set_reach(18590);
  r.set_table_growth_bytes(300 * 1024);
  r.set_finding(v1::RETENTION_FINDING_TABLE_STEPPED);
  EXPECT_EQ(RetentionSentence(r),
            "a hash table grew 300Ki from iteration 801 to 9024 beyond what its window's objects account for, but "
            "the run could not go on to iteration 18590, where a leaking table has doubled again and a bounded one with deletions "
            "has not");
  r.set_table_checked_to(15000);
  EXPECT_NE(RetentionSentence(r).find("had not doubled again by 15000, but the run could not go on to iteration 18590"),
            std::string::npos)
      << RetentionSentence(r);
  r.set_table_checked_to(18590);
  r.set_finding(v1::RETENTION_FINDING_TABLE_DOUBLED);
  EXPECT_EQ(RetentionSentence(r),
            "confirmed by a hash table's growth: it grew 300Ki from iteration 801 to 9024, beyond what its "
            "window's objects account for, and doubled again by 18590");
  r.set_finding(v1::RETENTION_FINDING_TABLE_STOPPED);
  EXPECT_EQ(RetentionSentence(r),
            "bounded: a hash table that grew 300Ki from iteration 801 to 9024 did not grow again by 18590 (a Set or "
            "Map with deletions settles at its capacity)");
  r.set_table_checked_to(15000);
  r.set_table_entries_at_s3(2250);
  r.set_table_entries_checked(3750);
  r.set_finding(v1::RETENTION_FINDING_TABLE_ENTRIES_GREW);
  EXPECT_EQ(RetentionSentence(r),
            "confirmed by a hash table's entries: it grew 300Ki from iteration 801 to 9024, beyond what its "
            "window's objects account for, and its owner went on from 2250 entries at 9024 to 3750 at 15000");
  r.set_table_entries_checked(2250);
  r.set_finding(v1::RETENTION_FINDING_TABLE_ENTRIES_STAYED);
  EXPECT_EQ(RetentionSentence(r),
            "bounded: a hash table grew 300Ki from iteration 801 to 9024, but its owner held 2250 entries at 9024 and "
            "2250 at 15000 (a Set or Map that deletes as it adds)");
}

TEST(LeakSentenceTest, Exhaustion) {
  const std::vector<uint64_t> units = Schedule(1005);
  v1::Limits limits;
  limits.set_max_descriptors(1024);
  v1::LeakResult ran_out;
  JudgeExhaustion(v1::OUTCOME_FD_EXHAUSTED, limits, 1005, Descriptors(units, [](double u) { return 19 + u; }),
                  &ran_out);
  EXPECT_EQ(ExhaustionSentence(ran_out), "ran out at iteration 1005 (limit 1024)");
  EXPECT_EQ(SeriesNoteSentence(ran_out, ran_out.series(0)), "ran out at iteration 1005 (limit 1024)");
  EXPECT_EQ(LeakSummarySentence(RunWith(ran_out)),
            "leak: descriptors +1/iteration; ran out at iteration 1005 (limit 1024)");

  v1::LeakResult grabbed = Feed(40, [](double) { return 4e6; });
  JudgeExhaustion(v1::OUTCOME_FD_EXHAUSTED, limits, 30, Descriptors({0, 1, 2, 4, 8, 16, 24}, [](double) { return 1010; }),
                  &grabbed);
  EXPECT_EQ(ExhaustionSentence(grabbed), "grabbed at setup: 1010 of 1024 was in use before the first iteration");
  EXPECT_TRUE(absl::EndsWith(LeakSummarySentence(RunWith(grabbed)),
                             "iterations 200-780); the run ran out of descriptors at iteration 30, but not by a leak: "
                             "grabbed at setup: 1010 of 1024 was in use before the first iteration"));
}

TEST(LeakSentenceTest, RateToTheOldSpaceLimitAndLimitNote) {
  v1::LeakResult leak = Feed(40, [](double x) { return 4e6 + 100 * x + (static_cast<int>(x) % 3) * 50; });
  leak.set_iterations_per_second(453.7);
  leak.set_seconds_to_old_space_limit(536);
  EXPECT_TRUE(absl::EndsWith(LeakSummarySentence(RunWith(leak)),
                             "; at 453 iterations/s the old space (256Mi) is full in 8m56s"));
  v1::RunResult run;
  run.set_limit_fallback(v1::LIMIT_FALLBACK_CGROUPS_OFF);
  EXPECT_EQ(LimitNoteSentence(run), "native limit kept by the RSS watchdog: cgroups are turned off");
  run.set_limit_fallback(v1::LIMIT_FALLBACK_CGROUP_FAILED);
  run.set_cgroup_error("cgroup v1 memory controller not writable");
  EXPECT_EQ(LimitNoteSentence(run), "native limit kept by the RSS watchdog: cgroup v1 memory controller not writable");
}

TEST(LeakSentenceTest, SentencesAlreadyThereAreKept) {
  v1::RunResult run = RunWith(Feed(40, [](double) { return 4e6; }));
  run.mutable_leak()->set_summary("written by an older version");
  run.set_limit_note("an older note");
  FillLeakSentences(&run);
  EXPECT_EQ(run.leak().summary(), "written by an older version");
  EXPECT_EQ(run.limit_note(), "an older note");
}

// The check's message names the verdict once: the summary opens with it.
TEST(LeakSentenceTest, LeakCheckMessageSaysLeakOnce) {
  v1::Scenario scenario;
  scenario.set_name("leaking");
  scenario.mutable_leak_check()->set_iterations(2000);
  v1::RunResult run = RunWith(Feed(40, [](double x) { return 4e6 + 100 * x + (static_cast<int>(x) % 3) * 50; }));
  std::vector<v1::ExpectationCheck> checks = CheckExpectations(scenario, {&run});
  bool found = false;
  for (const v1::ExpectationCheck& c : checks) {
    if (c.name() != "leak") continue;
    found = true;
    EXPECT_FALSE(c.passed());
    EXPECT_TRUE(absl::StartsWith(c.message(), "repeat 0: leak: heap_used +100B/iteration (p=")) << c.message();
    EXPECT_FALSE(absl::StrContains(c.message(), "leak: leak:")) << c.message();
  }
  EXPECT_TRUE(found);
  scenario.mutable_expect()->set_leak(true);
  run = RunWith(Feed(40, [](double) { return 4e6; }));
  checks = CheckExpectations(scenario, {&run});
  for (const v1::ExpectationCheck& c : checks) {
    if (c.name() == "leak") {
      EXPECT_TRUE(absl::StartsWith(c.message(), "repeat 0 (a leak is expected): no leak above ")) << c.message();
    }
  }
}

}  // namespace
}  // namespace heapstorm
