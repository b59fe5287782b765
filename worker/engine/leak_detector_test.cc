#include "worker/engine/leak_detector.h"

#include <cmath>
#include <functional>
#include <iterator>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "worker/engine/leak_testing.h"

namespace heapstorm {
namespace {

using leak_testing::Check;
using leak_testing::Descriptors;
using leak_testing::Feed;
using leak_testing::Schedule;
using leak_testing::Suspected;

TEST(LeakDetectorTest, SteadyGrowthIsALeakWithItsRate) {
  v1::LeakResult r = Feed(40, [](double x) { return 4e6 + 100 * x; });
  EXPECT_EQ(r.verdict(), v1::LEAK_VERDICT_LEAK);
  EXPECT_NEAR(r.series(0).slope_per_iteration(), 100, 1e-6);
  EXPECT_EQ(r.series(0).verdict(), v1::LEAK_VERDICT_LEAK);
}

TEST(LeakDetectorTest, FlatIsNoLeakAndStatesItsLimit) {
  v1::LeakResult r = Feed(40, [](double) { return 4e6; });
  EXPECT_EQ(r.verdict(), v1::LEAK_VERDICT_NO_LEAK);
  // Without noise the bar is the minimum growth over the span observed (200-780).
  EXPECT_NEAR(r.series(0).detection_limit(), kMinBytesOverSpan / 580, 1e-9);
  EXPECT_EQ(r.summary_kind(), v1::LEAK_SUMMARY_KIND_NO_LEAK);
  EXPECT_EQ(r.checkpoints(), 30u);
  EXPECT_EQ(r.first_iteration(), 200u);
  EXPECT_EQ(r.last_iteration(), 780u);
}

TEST(LeakDetectorTest, TooFewPointsDecideNothingAndSayHowManyMore) {
  v1::LeakResult r = Feed(20, [](double x) { return 4e6 + 100 * x; });
  EXPECT_EQ(r.verdict(), v1::LEAK_VERDICT_INCONCLUSIVE);
  EXPECT_GT(r.more_iterations_needed(), 0u);
  EXPECT_EQ(r.summary_kind(), v1::LEAK_SUMMARY_KIND_BUDGET_SHORT);
}

TEST(LeakDetectorTest, TransientSpikeDoesNotMakeALeak) {
  v1::LeakResult r = Feed(40, [](double x) { return x == 400 ? 4.28e6 : x == 420 ? 3.72e6 : 4e6; });
  EXPECT_EQ(r.verdict(), v1::LEAK_VERDICT_NO_LEAK);
}

// Seen on node: a leak of ~8 B/iteration with transient +180 KiB spikes at two
// checkpoints one apart; the heap returns to the trend after each. Not a sawtooth.
TEST(LeakDetectorTest, LeakWithNearbyTransientSpikesIsStillALeak) {
  v1::LeakResult r = Feed(60, [](double x) {
    double spike = (x == 400 || x == 440 || x == 800) ? 185e3 : 0;
    return 3e6 + 40 * x + spike;
  });
  EXPECT_EQ(r.verdict(), v1::LEAK_VERDICT_LEAK);
}

TEST(LeakDetectorTest, WarmupThenFlatIsNotALeak) {
  v1::LeakResult r = Feed(60, [](double x) { return 4e6 + 200 * std::min(x, 500.0); });
  EXPECT_EQ(r.verdict(), v1::LEAK_VERDICT_NO_LEAK);
}

TEST(LeakDetectorTest, SawtoothIsNotALeak) {
  // Seen over five periods: no leak.
  v1::LeakResult r = Feed(90, [](double x) { return 4e6 + 60 * std::fmod(x, 333.0); });
  EXPECT_EQ(r.verdict(), v1::LEAK_VERDICT_NO_LEAK);
  // Seen over less than two periods: not a leak, and not yet known to be none.
  v1::LeakResult short_view = Feed(42, [](double x) { return 4e6 + 60 * std::fmod(x - 100, 500.0); });
  EXPECT_EQ(short_view.verdict(), v1::LEAK_VERDICT_INCONCLUSIVE);
}

// Seen on node (one_shot_at_100.mjs at 10,000, run on to 100,000; async_queue_drain.mjs at
// 2,000): heap_used after GC grows ~2-9 B/iteration, well above the bar, and gives back
// ~100 KB now and then (V8 flushing code it no longer runs). By trend alone that is a
// sawtooth, never decided; with snapshots it is a suspicion, for retention to decide.
TEST(LeakDetectorTest, GrowthThatGivesBackPastTheBudgetIsASuspicionWhenRetentionFollows) {
  auto feed = [](bool snapshots, uint64_t budget) {
    v1::LeakCheck check = Check();
    check.set_snapshots(snapshots);
    check.set_iterations(budget);
    LeakDetector d(check);
    for (int i = 0; i < 90; ++i) {
      const double x = i * 20.0;
      v1::Checkpoint c;
      c.set_after_gc(true);
      c.set_units(static_cast<uint64_t>(x));
      // 40 B/iteration, 30 KB of it given back at 1,000 (held).
      const double given_back = x >= 1000 ? 30e3 : 0;
      c.set_heap_used_bytes(static_cast<uint64_t>(4e6 + 40 * x - given_back));
      d.Add(c);
    }
    return d.Evaluate();
  };
  v1::LeakResult by_trend = feed(false, 1500);
  EXPECT_EQ(by_trend.verdict(), v1::LEAK_VERDICT_INCONCLUSIVE);
  EXPECT_EQ(by_trend.series(0).note_kind(), v1::SERIES_NOTE_SAWTOOTH);
  // Within the budget (2,000; the last point is 1,780), still not suspected.
  v1::LeakResult within = feed(true, 2000);
  EXPECT_EQ(within.verdict(), v1::LEAK_VERDICT_INCONCLUSIVE);
  EXPECT_EQ(within.series(0).note_kind(), v1::SERIES_NOTE_SAWTOOTH);
  // Past a budget of 1,500, where only an undecided check goes.
  v1::LeakResult with_snapshots = feed(true, 1500);
  EXPECT_EQ(with_snapshots.verdict(), v1::LEAK_VERDICT_LEAK) << with_snapshots.series(0).DebugString();
  EXPECT_GT(with_snapshots.series(0).drawdown(), 0);
}

// Seen on node (metrics_window.js, a window of nested Maps rebuilt every 400 iterations):
// after 2,000 iterations heap_used after GC moves ±100 KB around a flat level, far more
// than the minimum effect over the span (16 KiB). Its interval never fell under that bar,
// so the check was `inconclusive` at 2,000, 20,000 or 30,000; it is `no_leak` above the
// limit its noise sets, and says that limit.
TEST(LeakDetectorTest, NoisyFlatIsNoLeakAboveTheLimitItsNoiseSets) {
  v1::LeakResult r = Feed(90, [](double x) {
    const int i = static_cast<int>(x / 20);
    return 4e6 + ((i * 7919) % 13 - 6) * 15e3;
  });
  EXPECT_EQ(r.verdict(), v1::LEAK_VERDICT_NO_LEAK) << r.series(0).DebugString();
  EXPECT_GT(r.series(0).detection_limit(), 2 * r.series(0).min_effect());
  EXPECT_GT(r.series(0).slope_high(), r.series(0).min_effect());
  // The same noise on a leak above that limit is still a leak.
  const double limit = r.series(0).detection_limit();
  v1::LeakResult leak = Feed(90, [limit](double x) {
    const int i = static_cast<int>(x / 20);
    return 4e6 + 3 * limit * x + ((i * 7919) % 13 - 6) * 15e3;
  });
  EXPECT_EQ(leak.verdict(), v1::LEAK_VERDICT_LEAK) << leak.series(0).DebugString();
}

// Recorded on node (metrics_window.js, per-route histograms rebuilt every 400 iterations,
// bench/leak_corpus.sh at 2,000, run on to 20,000): after its warm-up the heap moves by
// ~40 KB (robust sigma) from checkpoint to checkpoint, sampled at random phases of the
// window, around a flat level. The later half's interval, [-11, 6.3] B/iteration, never
// fell under the minimum effect (0.82 at that span) nor under the noise-based limit (4.8;
// the rank-based interval is wider than the normal one): `inconclusive` at 20,000 in 7 of
// 10 repeats. It is `no_leak` above the limit its interval sets.
TEST(LeakDetectorTest, RecordedWindowRebuiltEvery400IsNoLeakAboveItsLimit) {
  const std::vector<std::pair<uint64_t, uint64_t>> heap = {
      {100, 3535192}, {112, 3294832}, {126, 3298400}, {142, 3308320},
      {160, 3320872}, {180, 3325056}, {202, 3330104}, {227, 3334896},
      {255, 3349376}, {286, 3362816}, {321, 3370568}, {360, 3378272},
      {404, 3299200}, {453, 3310664}, {508, 3324304}, {569, 3340168},
      {638, 3354928}, {715, 3377704}, {801, 3298672}, {898, 3321912},
      {1006, 3348368}, {1127, 3380296}, {1263, 3313248}, {1415, 3349832},
      {1585, 3693816}, {1776, 3346216}, {1990, 3398304}, {2000, 3302552},
      {2229, 3357888}, {2497, 3336784}, {2797, 3689712}, {3133, 3549656},
      {3509, 3573056}, {3931, 3413104}, {4403, 3337800}, {4932, 3372096},
      {5524, 3418792}, {6187, 3383536}, {6930, 3371272}, {7762, 3378336},
      {8694, 3564240}, {9738, 3399032}, {10907, 3389560}, {12216, 3416224},
      {13682, 3384360}, {15324, 3393504}, {17163, 3453560}, {19223, 3369784},
      {20000, 3363832},
  };
  v1::LeakCheck check = Check();
  check.set_warmup_iterations(100);
  check.set_snapshots(true);
  LeakDetector d(check);
  for (const auto& [units, bytes] : heap) {
    v1::Checkpoint c;
    c.set_after_gc(true);
    c.set_units(units);
    c.set_heap_used_bytes(bytes);
    d.Add(c);
  }
  v1::LeakResult r = d.Evaluate();
  EXPECT_EQ(r.verdict(), v1::LEAK_VERDICT_NO_LEAK) << r.series(0).DebugString();
  EXPECT_GT(r.series(0).detection_limit(), 4.8);
  EXPECT_LT(r.series(0).detection_limit(), 20);
}

TEST(LeakDetectorTest, WarmupCheckpointsAreDiscarded) {
  // Growth only during the first 10 checkpoints: discarded, then flat.
  v1::LeakResult r = Feed(40, [](double x) { return 4e6 + 1000 * std::min(x, 180.0); });
  EXPECT_EQ(r.verdict(), v1::LEAK_VERDICT_NO_LEAK);
}

TEST(LeakDetectorTest, WarmupIsInIterationsAndMilliseconds) {
  v1::LeakCheck check = Check();
  check.set_warmup_ms(50);
  LeakDetector d(check);
  for (int i = 0; i < 60; ++i) {
    v1::Checkpoint c;
    c.set_after_gc(true);
    c.set_units(static_cast<uint64_t>(i) * 20);
    c.set_t_ms(i * 2.0);  // 50 ms reached at iteration 500, after the 200 iterations
    c.set_heap_used_bytes(4000000);
    d.Add(c);
  }
  EXPECT_EQ(d.first_units(), 500u);
}

// Recorded on node (phase_corpus/late_listener_leak.js at 10,000, before its leak starts at
// 4,000): heap_used after GC and V8's compiled code in it. The code grew in steps as V8
// compiled and tiered up functions (+8.5 KB from 508 to 2,797); the rest moved ~4.7 KB.
// Read whole, the heap was suspected before the leak began, and the retention check that
// followed tested a window before the onset. Without the code it is not suspected.
TEST(LeakDetectorTest, V8sCompiledCodeIsNotTheProgramsHeap) {
  struct Point {
    uint64_t units;
    uint64_t heap_used, code;
  };
  const std::vector<Point> recorded = {
      {202, 3237856, 94400},   {227, 3244984, 100288},  {255, 3245704, 100288},  {286, 3251992, 105280},
      {321, 3253496, 105280},  {360, 3253176, 105280},  {404, 3253496, 105280},  {453, 3253176, 105280},
      {508, 3254848, 105792},  {569, 3254528, 105792},  {638, 3254848, 105792},  {715, 3254528, 105792},
      {801, 3254848, 105792},  {898, 3254528, 105792},  {1006, 3254848, 105792}, {1127, 3262616, 112256},
      {1263, 3262936, 112256}, {1415, 3262616, 112256}, {1585, 3262936, 112256}, {1776, 3262616, 112256},
      {1990, 3268256, 114304}, {2229, 3267936, 114304}, {2497, 3268424, 114304}, {2797, 3268104, 114304},
  };
  // The first point at which the heap is suspected (0: none), with and without the code's
  // spaces in the checkpoints; and the slope at the last point.
  auto first_suspected = [&](bool spaces, double* slope) {
    v1::LeakCheck check = Check();
    check.set_iterations(10000);
    check.set_snapshots(true);
    LeakDetector d(check);
    uint64_t first = 0;
    for (const Point& p : recorded) {
      v1::Checkpoint c;
      c.set_after_gc(true);
      c.set_units(p.units);
      c.set_heap_used_bytes(p.heap_used);
      if (spaces) {
        v1::HeapSpace* code = c.add_spaces();
        code->set_name("code_space");
        code->set_used_bytes(p.code);
        v1::HeapSpace* old = c.add_spaces();
        old->set_name("old_space");
        old->set_used_bytes(p.heap_used - p.code);
      }
      d.Add(c);
      const v1::LeakResult r = d.Evaluate();
      if (first == 0 && r.series(0).verdict() == v1::LEAK_VERDICT_LEAK) first = p.units;
      *slope = r.series(0).slope_per_iteration();
    }
    return first;
  };
  double whole_slope = 0, program_slope = 0;
  EXPECT_GT(first_suspected(false, &whole_slope), 0u);
  EXPECT_EQ(first_suspected(true, &program_slope), 0u);
  EXPECT_LT(program_slope, whole_slope / 2);
}

TEST(LeakDetectorTest, FitBetweenIsTheFitOfThatStretch) {
  LeakDetector d(Check());
  for (int i = 10; i < 60; ++i) {
    v1::Checkpoint c;
    c.set_after_gc(true);
    c.set_units(static_cast<uint64_t>(i) * 20);
    c.set_heap_used_bytes(static_cast<uint64_t>(4e6 + 300 * std::min(i * 20.0, 600.0)));
    d.Add(c);
  }
  EXPECT_NEAR(d.FitBetween("heap_used", 200, 600).slope, 300, 1e-6);
  EXPECT_NEAR(d.FitBetween("heap_used", 700, 1200).slope, 0, 1e-6);
}

// A confirmed leak's rate is read over [s1, s3] (run_monitor): the fit's interval holds the
// stretch's true slope when the points scatter around it, and two points give the slope
// between them with no width.
TEST(LeakDetectorTest, FitBetweenGivesTheSlopeWithItsInterval) {
  LeakDetector d(Check());
  for (int i = 10; i < 110; ++i) {
    v1::Checkpoint c;
    c.set_after_gc(true);
    c.set_units(static_cast<uint64_t>(i) * 20);
    const double wobble = std::sin(i * 1.7) * 4000.0;  // ±4 KB around 40 B/iteration
    c.set_heap_used_bytes(static_cast<uint64_t>(4e6 + 40 * i * 20.0 + wobble));
    d.Add(c);
  }
  const TheilSen fit = d.FitBetween("heap_used", 400, 2200);
  EXPECT_LT(fit.low, 40);
  EXPECT_GT(fit.high, 40);
  EXPECT_LT(fit.high - fit.low, 20);
  EXPECT_NEAR(fit.slope, 40, 5);
  const TheilSen two = d.FitBetween("heap_used", 400, 420);
  EXPECT_EQ(two.points, 2u);
  EXPECT_DOUBLE_EQ(two.low, two.slope);
  EXPECT_DOUBLE_EQ(two.high, two.slope);
  EXPECT_EQ(d.FitBetween("heap_used", 5000, 6000).points, 0u);
  EXPECT_EQ(d.FitBetween("no_such_series", 400, 2200).points, 0u);
}

// A check undecided at its budget goes on, to kRetentionMaxOverrun budgets or what the time
// limit allows, and stops once decided (today's run stopped at the budget: issue 13).
TEST(LeakDetectorTest, UndecidedGoesOnPastTheBudgetWithinItsLimits) {
  v1::LeakResult undecided = Feed(20, [](double x) { return 4e6 + 100 * x; });
  ASSERT_EQ(undecided.verdict(), v1::LEAK_VERDICT_INCONCLUSIVE);
  EXPECT_EQ(UndecidedGoesOnTo(undecided, 2000, 2000, 0), kRetentionMaxOverrun * 2000);
  EXPECT_EQ(UndecidedGoesOnTo(undecided, 2600, 2000, 0), kRetentionMaxOverrun * 2000);
  EXPECT_EQ(UndecidedGoesOnTo(undecided, 2000, 2000, 7000), 7000u);  // the time limit
  EXPECT_EQ(UndecidedGoesOnTo(undecided, 1980, 2000, 0), 0u);        // before the budget: no word
  EXPECT_EQ(UndecidedGoesOnTo(undecided, kRetentionMaxOverrun * 2000, 2000, 0), 0u);  // at the cap: stop
  EXPECT_EQ(UndecidedGoesOnTo(undecided, 2000, 2000, 1990), 0u);     // no time left
  v1::LeakResult flat = Feed(40, [](double) { return 4e6; });
  ASSERT_EQ(flat.verdict(), v1::LEAK_VERDICT_NO_LEAK);
  EXPECT_EQ(UndecidedGoesOnTo(flat, 2000, 2000, 0), 0u);
  v1::LeakResult suspected = Feed(40, [](double x) { return 4e6 + 100 * x; });
  ASSERT_EQ(suspected.verdict(), v1::LEAK_VERDICT_LEAK);
  EXPECT_EQ(UndecidedGoesOnTo(suspected, 2000, 2000, 0), 0u);  // a retention check decides
}

// Seen on node (tests/fixtures/leaks at 3,000, a checkpoint every 20): heap_used after GC
// grew 4.3-5.7 B/iteration (V8's own code and feedback), its interval straddling the bar
// of 16 KiB over the span, so the run ended `inconclusive` at its budget. The same drift
// watched on (the driver's geometric spacing past the budget) clears the bar as the span
// grows: a suspicion, which the retention check then decides.
TEST(LeakDetectorTest, DriftAtTheBarIsDecidedByGoingOn) {
  v1::LeakCheck check = Check();
  check.set_iterations(3000);
  check.set_warmup_iterations(100);
  LeakDetector d(check);
  auto add = [&d](uint64_t units) {
    v1::Checkpoint c;
    c.set_after_gc(true);
    c.set_units(units);
    // ~5.2 B/iteration with ±10 KB of measurement noise.
    const double noise = static_cast<double>((units * 7919) % 21) * 1000 - 10000;
    c.set_heap_used_bytes(static_cast<uint64_t>(4e6 + 5.2 * static_cast<double>(units) + noise));
    d.Add(c);
  };
  for (uint64_t u = 0; u <= 3000; u += 20) add(u);
  v1::LeakResult at_budget = d.Evaluate();
  ASSERT_EQ(at_budget.verdict(), v1::LEAK_VERDICT_INCONCLUSIVE) << at_budget.series(0).DebugString();
  const uint64_t to = UndecidedGoesOnTo(at_budget, 3000, 3000, 0);
  ASSERT_EQ(to, kRetentionMaxOverrun * 3000);
  uint64_t u = 3000;
  v1::LeakResult r = at_budget;
  while (u < to && UndecidedGoesOnTo(r, u, 3000, 0) != 0) {
    u += std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(u * 0.04)));
    add(u);
    r = d.Evaluate();
  }
  EXPECT_EQ(r.verdict(), v1::LEAK_VERDICT_LEAK) << r.series(0).DebugString();
  EXPECT_LT(u, to);
}

// Adds recorded after-GC heap figures (iterations, bytes), plus `leak` bytes per iteration.
void AddHeap(const std::vector<std::pair<uint64_t, double>>& recorded, double leak, LeakDetector* d) {
  for (const auto& [units, heap] : recorded) {
    v1::Checkpoint c;
    c.set_after_gc(true);
    c.set_units(units);
    c.set_heap_used_bytes(static_cast<uint64_t>(heap + leak * static_cast<double>(units)));
    d->Add(c);
  }
}

// Recorded (leak corpus metrics_window.js, budget 2,000, 2026-12-02): the check went on to 25
// budgets undecided. Over 50,000 iterations the bar per iteration is 0.33 B and the later
// half's interval, V8's own drift with ~100 KB of noise, straddled it: `inconclusive` in 2 of
// 10 runs, where the budget alone (bar ~8.6 B/iteration) decides. At the end of the run the
// series is decided against the budget's bar; before it, it is not (the check goes on).
TEST(LeakDetectorTest, UndecidedPastTheBudgetIsDecidedAtTheEndAgainstTheBudgetsBar) {
  const std::vector<std::pair<uint64_t, double>> recorded = {
      {100, 3541728},   {112, 3317984},   {126, 3321944},   {142, 3333008},   {160, 3346608},   {180, 3351024},
      {202, 3355984},   {227, 3370928},   {255, 3377472},   {286, 3390768},   {321, 3398368},   {360, 3406392},
      {404, 3331336},   {453, 3342888},   {508, 3356440},   {569, 3372392},   {638, 3387064},   {715, 3409928},
      {801, 3330808},   {898, 3354136},   {1006, 3380936},  {1127, 3412952},  {1263, 3345816},  {1415, 3382488},
      {1585, 3425336},  {1776, 3377520},  {2000, 3334176},  {2240, 3404912},  {2509, 3379784},  {2811, 3498768},
      {3149, 3453568},  {3527, 3450648},  {3951, 3455960},  {4426, 3374600},  {4958, 3408648},  {5553, 3461632},
      {6220, 3427120},  {6967, 3415776},  {7804, 3423792},  {8741, 3459136},  {9790, 3420880},  {10965, 3415360},
      {12281, 3581080}, {13755, 3414552}, {15406, 3425480}, {17255, 3548808}, {19326, 3435576}, {21646, 3416824},
      {24244, 3463704}, {27154, 3610288}, {30413, 3413312}, {34063, 3424736}, {38151, 3448736}, {42730, 3492816},
      {47858, 3478160}, {50000, 3409952}};
  v1::LeakCheck check = Check();
  check.set_warmup_iterations(100);
  LeakDetector d(check);
  AddHeap(recorded, 0, &d);
  v1::LeakResult going_on = d.Evaluate();
  ASSERT_EQ(going_on.series(0).verdict(), v1::LEAK_VERDICT_INCONCLUSIVE) << going_on.series(0).DebugString();
  v1::LeakResult at_end = d.Evaluate(/*at_end=*/true);
  const v1::LeakSeries& heap = at_end.series(0);
  EXPECT_EQ(heap.verdict(), v1::LEAK_VERDICT_NO_LEAK) << heap.DebugString();
  EXPECT_EQ(heap.note_kind(), v1::SERIES_NOTE_UNDER_THE_BUDGETS_BAR);
  EXPECT_NEAR(heap.detection_limit(), kMinBytesOverSpan / (2000.0 - 100.0), 1e-9);
  EXPECT_EQ(at_end.verdict(), v1::LEAK_VERDICT_NO_LEAK);

  // A leak at twice the budget's bar, past the budget, is never decided so.
  LeakDetector leak(check);
  AddHeap(recorded, 2 * kMinBytesOverSpan / 1900.0, &leak);
  EXPECT_NE(leak.Evaluate(true).series(0).verdict(), v1::LEAK_VERDICT_NO_LEAK);
}

// Recorded (leak corpus pooled_small_churn.mjs, budget 2,000, 2026-12-02): a check at 7,816
// found V8's own growth, the run went on to the cap of 25 budgets, and there the heap's series
// was suspected again (~24 B/iteration over the run, most of it before 10,000) with no room
// left for a check: `inconclusive`. A suspicion that no check can test any more is decided
// at the end as an undecided one is: its later half grew provably less than the budget's bar.
TEST(LeakDetectorTest, ASuspicionLeftUntestedPastTheBudgetIsDecidedAtTheEndAgainstTheBudgetsBar) {
  const std::vector<std::pair<uint64_t, double>> recorded = {
      {100, 3589440},   {112, 3577984},   {126, 3578968},   {142, 3583032},   {160, 3592680},   {180, 3600104},
      {202, 3600552},   {227, 3600936},   {255, 3610200},   {286, 3609880},   {321, 3616456},   {360, 3616136},
      {404, 3616456},   {453, 3616136},   {508, 3616456},   {569, 3616136},   {638, 3735552},   {715, 3620544},
      {801, 3620864},   {898, 3684944},   {977, 3694776},   {1466, 3745040},  {2000, 3750320},  {3908, 3789800},
      {4397, 3834976},  {4886, 3791088},  {5375, 3791480},  {5864, 3788936},  {6353, 3789328},  {6842, 3788936},
      {7331, 3789328},  {7816, 3788776},  {9745, 3863416},  {25000, 3933432}, {28125, 4429592}, {31250, 3997032},
      {34375, 3990888}, {37500, 3991472}, {40625, 3991864}, {43750, 3991472}, {46875, 3991864}, {50000, 3991168}};
  v1::LeakCheck check = Check();
  check.set_warmup_iterations(100);
  LeakDetector d(check);
  AddHeap(recorded, 0, &d);
  ASSERT_EQ(d.Evaluate().series(0).verdict(), v1::LEAK_VERDICT_LEAK) << d.Evaluate().series(0).DebugString();
  v1::LeakResult at_end = d.Evaluate(/*at_end=*/true);
  EXPECT_EQ(at_end.series(0).verdict(), v1::LEAK_VERDICT_NO_LEAK) << at_end.series(0).DebugString();
  EXPECT_EQ(at_end.series(0).note_kind(), v1::SERIES_NOTE_UNDER_THE_BUDGETS_BAR);
  EXPECT_EQ(at_end.verdict(), v1::LEAK_VERDICT_NO_LEAK);

  // A leak of twice the budget's bar on top of it stays suspected at the end.
  LeakDetector leak(check);
  AddHeap(recorded, 2 * kMinBytesOverSpan / 1900.0, &leak);
  EXPECT_EQ(leak.Evaluate(true).series(0).verdict(), v1::LEAK_VERDICT_LEAK);
}

// Within the budget the bar is the budget's: nothing changes at the end.
TEST(LeakDetectorTest, AtTheEndWithinTheBudgetNothingChanges) {
  v1::LeakResult r = Feed(20, [](double x) { return 4e6 + 100 * x; });
  ASSERT_EQ(r.verdict(), v1::LEAK_VERDICT_INCONCLUSIVE);
  LeakDetector d(Check());
  for (int i = 0; i < 20; ++i) {
    v1::Checkpoint c;
    c.set_after_gc(true);
    c.set_units(static_cast<uint64_t>(i) * 20);
    c.set_heap_used_bytes(static_cast<uint64_t>(4e6 + 2000.0 * i));
    d.Add(c);
  }
  EXPECT_EQ(d.Evaluate(true).verdict(), d.Evaluate().verdict());
}

// A value replaced by a bigger one is the suspected growth only where it grew as one growing
// by the iteration since before s1 can: no more than (s3 - s1) / (s2 - s1)-fold (with
// slack), and at least about s3 / s2-fold.
// - The check that "confirmed" io_corpus/file_logger_queue.js at 10,000 by a write batch in
//   flight at s3: at most ~19.9-fold, where a Buffer concat'd from iteration 0 grows s3 / s2
//   = 3.6-fold and one started just before s1 at most 13.2-fold.
// - A second check cut short by its limit (an audit string appended to from iteration
//   3,000, checked over [26,352, 32,915] to 50,000, grew 1.57-fold): at least 1.37-fold,
//   where 2.5 never counted it. A first check (s3 = 8 s2) still asks 2.5.
TEST(RetentionTest, AReplacedValueGrowsAsOneGrowingSinceBeforeS1) {
  const ReplacedGrowth batch = ReplacedGrowthBetween(106952, 136246, 494791);
  EXPECT_NEAR(batch.most, kReplacedPaceSlack * (494791.0 - 106952) / (136246 - 106952), 1e-9);
  EXPECT_GT(batch.most, (494791.0 - 106952) / (136246 - 106952));  // one started just before s1
  EXPECT_LT(batch.most, 50);  // a batch of 1.3 KB in flight at s2 and of 65 KB at s3 does not count
  EXPECT_EQ(batch.least, kMinBackingGrowth);
  const ReplacedGrowth capped = ReplacedGrowthBetween(26352, 32915, 50000);
  EXPECT_NEAR(capped.least, kReplacedPaceShare * 50000 / 32915, 1e-9);
  EXPECT_LT(capped.least, 1.57);
  EXPECT_GT(capped.most, 1.57);
  EXPECT_EQ(ReplacedGrowthBetween(898, 1098, 8784).least, kMinBackingGrowth);
  EXPECT_EQ(ReplacedGrowthBetween(40000, 43300, 50000).least, kMinReplacedGrowth);  // churn of one size: ~1
  // A longer window lowers the most, a later s3 raises it.
  EXPECT_LT(ReplacedGrowthBetween(898, 1500, 8784).most, ReplacedGrowthBetween(898, 1098, 8784).most);
  EXPECT_GT(ReplacedGrowthBetween(898, 1098, 20000).most, ReplacedGrowthBetween(898, 1098, 8784).most);
  EXPECT_TRUE(std::isinf(ReplacedGrowthBetween(1000, 1000, 8000).most));
}

// A replaced value's growth is per iteration of s3 - s2, over which it grew: a second check
// over [26,352, 32,915] to 50,000 whose string grew 239 KB (14 B/iteration over 17,085
// iterations, 10.1 over the span from s1) against a heap growth of 22.6 B/iteration.
TEST(RetentionTest, AReplacedValuesGrowthIsPerIterationPastS2) {
  v1::LeakSeries heap = Suspected(19.5);
  RetentionEvidence e{26352, 32915, 50000, 2136, 0, 22.6, 50000};
  e.reach = 98745;
  e.later = LaterPartFrom(e.s2, e.s3);
  e.rise_after = 22.6 * (e.s3 - e.later);
  e.backing_growth_bytes = 239190;
  const v1::LeakRetention r = ConfirmByRetention(heap, e);
  EXPECT_NEAR(r.program_bytes_per_iteration(), 2136.0 / 6563 + 239190.0 / 17085, 0.01) << r.ShortDebugString();
  EXPECT_TRUE(r.confirmed()) << r.ShortDebugString();
}

TEST(RetentionTest, PlanWaitsForTheEndOfTheBudget) {
  RetentionPlan p = PlanRetention(100, 500, 10000);
  EXPECT_TRUE(p.room);
  EXPECT_EQ(p.s2, 600u);     // a quarter of the 400 iterations watched
  EXPECT_EQ(p.s3, 10000u);   // as long as the run allows for the window's objects to go
  EXPECT_EQ(p.reach, 10000u);
}

TEST(RetentionTest, PlanRunsPastTheBudgetToItsReach) {
  // Suspected at 900 of 2,000: the window's objects must outlive 8 times s2, past the
  // budget (an LRU still filling until 7,000 is otherwise the same as a leak).
  RetentionPlan p = PlanRetention(100, 900, 2000);
  EXPECT_TRUE(p.room);
  EXPECT_EQ(p.s2, 1100u);
  EXPECT_EQ(p.s3, kRetentionReach * 1100);
  EXPECT_EQ(p.reach, p.s3);
  // Never past kRetentionMaxOverrun budgets: the reach of a suspicion raised that late
  // (while the run went on past its budget) is then out of range.
  const uint64_t suspected = kRetentionMaxOverrun * 2000 / 3;
  RetentionPlan late = PlanRetention(100, suspected, 2000, 2000);
  EXPECT_TRUE(late.room);
  EXPECT_EQ(late.s3, kRetentionMaxOverrun * 2000);
  EXPECT_GT(late.reach, late.s3);
}

TEST(RetentionTest, AReachPastHalfTheLimitIsHalfTheLimitPastS2AndTwiceS2) {
  const uint64_t half = kRetentionMaxOverrun * 2000 / 2;  // 25,000 at 2,000
  EXPECT_EQ(RetentionDecidesAt(1098, 2000), kRetentionReach * 1098);  // within it: 8 s2
  EXPECT_EQ(RetentionDecidesAt(100, 2000), 2000u);                     // the budget's end
  // Recorded: a second check after a window freed by 8,784 (phase_corpus/batch_import_leak.js
  // and codebound_corpus/14_lru_audit_log_leak.js at 2,000), s2 10,955: 8 s2 is 87,640, past
  // the limit of 50,000; its window's objects outliving s2 by 25,000 decides.
  EXPECT_EQ(RetentionDecidesAt(10955, 2000), 10955 + half);
  // Planned to 8 s2 still, cut at the limit, where it decides.
  RetentionPlan second = PlanRetention(100, 8784, 2000, 2171);
  EXPECT_EQ(second.s2, 10955u);
  EXPECT_EQ(second.s3, kRetentionMaxOverrun * 2000);
  EXPECT_EQ(second.reach, kRetentionReach * 10955);
  EXPECT_EQ(second.decides, 10955 + half);
  EXPECT_LE(second.decides, second.s3);
  // Later, 2 s2 past s2 is the longer: 3 s2.
  EXPECT_EQ(RetentionDecidesAt(15000, 2000), 45000u);
  EXPECT_EQ(RetentionDecidesAt(20000, 2000), 60000u);  // past the limit: undecided there
  // Never more than 8 s2.
  EXPECT_EQ(RetentionDecidesAt(3000, 2000), 24000u);
  // A check planned within the limit decides at its 8 s2 (s3), as before.
  RetentionPlan first = PlanRetention(100, 900, 2000);
  EXPECT_EQ(first.s3, first.reach);
  EXPECT_LE(first.decides, first.s3);
}

TEST(RetentionTest, ACheckCutShortOfWhereItDecidesTakesTwiceTheModulesTimeToGetThere) {
  // Recorded: heldbig_corpus/01 at 2,000 in a loaded CI run. Its second check started at
  // 45,104 (first point 100); the module's own time allowed to a second (kCheapCheckMs) let
  // it go to 146,727, short of where it decides (3 s2), and it ended `inconclusive`.
  const uint64_t window = 6554;  // 256 KiB at 40 B/iteration
  const RetentionPlan plan = PlanRetention(100, 45104, 2000, window, 0, 146727);
  ASSERT_TRUE(plan.room);
  EXPECT_EQ(plan.s2, 56355u);
  EXPECT_EQ(plan.s3, 146727u);
  EXPECT_EQ(plan.decides, 3 * 56355u);
  // With twice the module's time it may go to 280,000: it goes to where it decides, no further.
  const RetentionPlan longer = PlanRetention(100, 45104, 2000, window, 0, 280000);
  const RetentionPlan to = PlanToWhereItDecides(plan, longer);
  EXPECT_EQ(to.s2, plan.s2);
  EXPECT_EQ(to.s3, 3 * 56355u);
  EXPECT_EQ(to.decides, to.s3);
  EXPECT_EQ(to.reach, plan.reach);
  // Twice the time that still falls short: the plan stays as it was (it would only cost time).
  const RetentionPlan short_too = PlanToWhereItDecides(plan, PlanRetention(100, 45104, 2000, window, 0, 160000));
  EXPECT_EQ(short_too.s3, plan.s3);
  EXPECT_EQ(short_too.decides, plan.decides);
  // A check that decides within its limit keeps its plan, however much more time there is.
  const RetentionPlan first = PlanRetention(100, 900, 2000);
  const RetentionPlan kept = PlanToWhereItDecides(first, PlanRetention(100, 900, 2000, 1, 0, 400000));
  EXPECT_EQ(kept.s2, first.s2);
  EXPECT_EQ(kept.s3, first.s3);
  // Nor does one with no room.
  const RetentionPlan none = PlanRetention(100, 1999, 2000, 1, 2000);
  EXPECT_FALSE(PlanToWhereItDecides(none, PlanRetention(100, 1999, 2000, 1, 0, 400000)).room);
}

TEST(RetentionTest, AWindowWhoseReachLiesPastTheLimitShrinksToFit) {
  // Recorded: late_onset_leak.js at 2,000 (limit 50,000), suspected at 4,958 after 100:
  // a quarter of the history ends at 6,173, whose reach (49,384) fits; at 5,100 it would
  // end at 6,350 (reach 50,800): the window ends at 6,250 instead.
  RetentionPlan p = PlanRetention(100, 5100, 2000);
  EXPECT_TRUE(p.room);
  EXPECT_EQ(p.s2, 6250u);
  EXPECT_EQ(p.s3, 50000u);
  EXPECT_EQ(p.reach, 50000u);
  // Not below the window a slow leak needs: then the reach stays out of range.
  RetentionPlan slow = PlanRetention(100, 5100, 2000, 3000);
  EXPECT_EQ(slow.s2, 8100u);
  EXPECT_EQ(slow.s3, 50000u);
  EXPECT_GT(slow.reach, slow.s3);
  EXPECT_EQ(slow.decides, 8100u + 25000u);  // but it decides there (RetentionDecidesAt)
}

TEST(RetentionTest, ACheckThatCouldOnlyEndUndecidedWaitsWhileTheSlopesWindowFits) {
  // Recorded: late_onset_leak.js at 2,000 (limit 50,000; it leaks 164 B/iteration from
  // 3,000), suspected at 3,951 with a slope of 16.9 and a lower end of 5.45 B/iteration;
  // its points are ~12% apart there.
  v1::LeakSeries s;
  s.set_name("heap_used");
  s.set_slope_per_iteration(16.9);
  s.set_slope_low(5.45);
  s.set_min_effect(1);
  const RetentionPlan now = PlanRetention(100, 3951, 2000, MinRetentionWindow(s));
  ASSERT_TRUE(now.room);
  EXPECT_GT(now.reach, now.s3);  // checked now it could only end undecided
  EXPECT_TRUE(StartRetentionCheck(100, 3951, 4426, 2000, s, 0).wait);
  // Starts now, with this window.
  auto starts_with = [](const RetentionStart& start, uint64_t window) { return !start.wait && start.window == window; };
  // Once the lower end has risen, the check fits and starts, its window at the lower end.
  v1::LeakSeries later = s;
  later.set_slope_low(14.6);
  EXPECT_TRUE(starts_with(StartRetentionCheck(100, 4425, 4958, 2000, later, 0), MinRetentionWindow(later)));
  // A check whose window fits now does not wait.
  EXPECT_TRUE(starts_with(StartRetentionCheck(100, 1500, 1700, 2000, s, 0), MinRetentionWindow(s)));
  // At the last point where a window at the slope fits (the next one lies past where any
  // reach fits: 8 x 6,300 > 50,000), the check starts with that window, not the lower
  // end's, which would leave it undecided. Recorded: suspected at 5,553 with a slope of 163
  // over its later half and a lower end of 10.8; the next point was at 6,220.
  v1::LeakSeries onset = s;
  onset.set_slope_per_iteration(163);
  onset.set_slope_low(10.8);
  v1::LeakSeries at_slope = onset;
  at_slope.set_slope_low(163);
  EXPECT_TRUE(starts_with(StartRetentionCheck(100, 5553, 6220, 2000, onset, 0), MinRetentionWindow(at_slope)));
  const RetentionPlan last = PlanRetention(100, 5553, 2000, MinRetentionWindow(at_slope));
  EXPECT_GE(last.s3, last.reach) << "the check can decide";
  // Bounded: when even a window at the slope itself would reach past the limit, the check
  // starts as planned (undecided, if its window's objects stay) rather than wait for nothing.
  EXPECT_TRUE(starts_with(StartRetentionCheck(100, 6000, 6700, 2000, s, 0), MinRetentionWindow(s)));
  // When not even a window at the slope fits now, a slope more than twice its lower end
  // (points not on one line, as just after an onset) may still rise: the check waits while
  // the next point leaves room for a window whose reach fits (before 50,000 / 8)...
  v1::LeakSeries rising = s;
  rising.set_slope_per_iteration(12);
  rising.set_slope_low(5);
  EXPECT_TRUE(StartRetentionCheck(100, 4958, 5553, 2000, rising, 0).wait);
  // ...and starts as planned where it leaves none.
  EXPECT_TRUE(starts_with(StartRetentionCheck(100, 5553, 6300, 2000, rising, 0), MinRetentionWindow(rising)));
  // A steady slow leak, whose slope is not far above its lower end, does not wait either.
  v1::LeakSeries slow = s;
  slow.set_slope_per_iteration(7);
  slow.set_slope_low(5.45);
  EXPECT_FALSE(StartRetentionCheck(100, 3951, 4426, 2000, slow, 0).wait);
  // Nor past what the time limit allows.
  EXPECT_FALSE(StartRetentionCheck(100, 3951, 4426, 2000, s, 4000).wait);
}

TEST(RetentionTest, PlanShrinksToWhatTheTimeLimitAllows) {
  RetentionPlan tight = PlanRetention(100, 1700, 2000, 1, 2000);
  EXPECT_EQ(tight.s2, 1800u);  // a third of what is left: s3 - s2 >= 2 (s2 - s1)
  EXPECT_EQ(tight.s3, 2000u);
  EXPECT_GE(tight.s3 - tight.s2, 2 * (tight.s2 - 1700));
  EXPECT_GT(tight.reach, tight.s3);  // so a retention that holds is undecided
  RetentionPlan none = PlanRetention(100, 1999, 2000, 1, 2000);
  EXPECT_FALSE(none.room);
  EXPECT_GT(none.reach, 2000u);
}

TEST(RetentionTest, RetainedAtTheSlopeIsALeak) {
  // 300 B/iteration suspected; the window 500-600 left 29 KB alive at 1200, still growing.
  RetentionEvidence e{500, 600, 1200, 29000, 3000, 290};
  v1::LeakRetention r = ConfirmByRetention(Suspected(300), e);
  EXPECT_TRUE(r.confirmed());
  EXPECT_NEAR(r.program_bytes_per_iteration(), 290, 1e-9);
}

TEST(RetentionTest, ACheckCutShortByTheLimitDecidesOnAWindowKeptAtTheDetectionLimit) {
  // Recorded: phase_corpus/batch_import_leak.js at 2,000, a second check after a window freed
  // by 8,784: s2 10,955, planned to 8 s2 = 87,640, cut at the limit of 50,000, where it
  // decides (RetentionDecidesAt: 35,955); 83.5 B/iteration of its window alive there.
  RetentionEvidence e{8784, 10955, 50000, static_cast<uint64_t>(83.5 * 2171), 800, 95};
  e.decides = RetentionDecidesAt(10955, 2000);
  e.reach = kRetentionReach * 10955;
  v1::LeakSeries suspected = Suspected(96);
  suspected.set_min_effect(3);
  v1::LeakRetention r = ConfirmByRetention(suspected, e);
  EXPECT_TRUE(r.confirmed()) << r.note();
  EXPECT_EQ(r.reach(), 35955u);
  // io_corpus/setimmediate_batch.js at 2,000, level in plain node: its window [6,220, 9,347]
  // kept 0.51 B/iteration at 50,000 (1.38 of growth), under the series' detection limit:
  // undecided, and what would decide is the full reach.
  RetentionEvidence weak{6220, 9347, 50000, 1600, 0, 1.2};
  weak.backing_growth_bytes = 7000;  // a value replaced by a bigger one: counted with the objects
  weak.decides = RetentionDecidesAt(9347, 2000);
  weak.reach = kRetentionReach * 9347;
  v1::LeakSeries faint = Suspected(2.6);
  faint.set_min_effect(3);
  v1::LeakRetention w = ConfirmByRetention(faint, weak);
  EXPECT_FALSE(w.confirmed());
  EXPECT_TRUE(w.undecided()) << w.note();
  EXPECT_EQ(w.reach(), kRetentionReach * 9347);
  // The same window at its full reach decides as before.
  weak.reach = 50000;
  EXPECT_TRUE(ConfirmByRetention(faint, weak).confirmed());
}

TEST(RetentionTest, RetainedFarAboveTheGrowthDuringTheCheckIsNotALeak) {
  // map_ttl_sweep.js at 2,000 (recorded 2026-12-02): suspected at 898 while filling (~200
  // B/iteration); the window 898-1098 left 57.7 KB alive at 8784 (entries that outlive the
  // check), but over 1098-8784 the heap grew by only 3.59 B/iteration: a turnover, not a leak.
  RetentionEvidence e{898, 1098, 8784, 57720, 0, 3.59, 8784};
  v1::LeakRetention r = ConfirmByRetention(Suspected(203), e);
  EXPECT_FALSE(r.confirmed());
  EXPECT_EQ(r.finding(), v1::RETENTION_FINDING_UNACCOUNTED);
  EXPECT_FALSE(r.undecided());
  // Cut short of where it decides, the structure may hide a leak beside it: undecided.
  // fillpast_corpus 04 at 2,000 on a loaded machine (recorded): a second check over
  // [59,922, 63,286, 70,014] that needed 189,858; 981.6 B/iteration of its window alive
  // in an LRU of 30,000 quotes, 113.6 of growth.
  RetentionEvidence cut{59922, 63286, 70014, static_cast<uint64_t>(981.6 * (63286 - 59922)), 0, 113.6, 189858};
  const v1::LeakRetention short_of_it = ConfirmByRetention(Suspected(113.6), cut);
  EXPECT_FALSE(short_of_it.confirmed());
  EXPECT_EQ(short_of_it.finding(), v1::RETENTION_FINDING_UNACCOUNTED) << short_of_it.ShortDebugString();
  EXPECT_TRUE(short_of_it.undecided());
  EXPECT_EQ(short_of_it.reach(), 189858u);
  // The same window at a growth that carries it is a leak.
  e.slope_after = 250;
  EXPECT_TRUE(ConfirmByRetention(Suspected(203), e).confirmed());
}

TEST(RetentionTest, FreedByS3IsBounded) {
  // An LRU still filling when suspected: the window's objects were evicted by s3.
  RetentionEvidence e{500, 600, 1200, 3000, 0, 0};
  v1::LeakRetention r = ConfirmByRetention(Suspected(300), e);
  EXPECT_FALSE(r.confirmed());
  EXPECT_EQ(r.finding(), v1::RETENTION_FINDING_FREED);
}

// A Set of numbers that leaks (recorded at 2,000, 2026-12-02: s1 801, s2 1001, s3 9024,
// its table 8 KiB -> 320 KiB, the later part 4512-9024 one step of 160 KiB that a fit's
// median slope reads as 2.8 B/iteration): no object of the window survives, the table
// carries it, and the run must go on to see it double again.
TEST(RetentionTest, ATableThatSteppedInTheLaterPartWaitsForItsNextStep) {
  RetentionEvidence e{801, 1001, 9024, 40, 0, 2.8, 9024};
  e.table_growth_bytes = 320 * 1024 - 8 * 1024;
  e.table_growth_after_bytes = 320 * 1024 - 16 * 1024;
  e.later = LaterPartFrom(e.s2, e.s3);
  EXPECT_EQ(e.later, 4512u);  // s3 / 2: the last step of a doubling table lies after it
  e.rise_after = 165000;
  v1::LeakRetention r = ConfirmByRetention(Suspected(45), e);
  EXPECT_FALSE(r.confirmed());
  EXPECT_TRUE(r.undecided());
  EXPECT_EQ(r.finding(), v1::RETENTION_FINDING_TABLE_STEPPED);
  EXPECT_EQ(r.table_growth_bytes(), e.table_growth_bytes);
  // 40 bytes of the window's objects survived: their own figure, beside the stores' growth.
  EXPECT_NEAR(r.objects_bytes_per_iteration(), 40.0 / 200, 1e-9);
  EXPECT_GT(r.program_bytes_per_iteration(), 10 * r.objects_bytes_per_iteration());
  // Flat in the later part (a table that filled or stepped before it): not evidence.
  e.rise_after = 9000;
  EXPECT_EQ(ConfirmByRetention(Suspected(45), e).finding(), v1::RETENTION_FINDING_FREED);
  // A rise under a quarter of what the tables grew after s2 is not their step either.
  e.rise_after = 60000;
  EXPECT_EQ(ConfirmByRetention(Suspected(45), e).finding(), v1::RETENTION_FINDING_FREED);
  // Objects of the window that carry the growth confirm it at once, table or not (a Map of
  // ids to objects: the objects grow the series evenly, the fit reads their rate).
  e.rise_after = 165000;
  e.program_bytes = 200 * 45;
  e.slope_after = 45;
  EXPECT_EQ(ConfirmByRetention(Suspected(45), e).finding(), v1::RETENTION_FINDING_CONFIRMED);
  // map_ttl_sweep.js at 30,000 (recorded 2026-12-02): 1.1 B/iteration of the window's
  // entries outlive the check, the heap level over the later part (-0.1 B/iteration) but
  // for one rise of 19 KiB, and its table grew 84 KiB through deleted entries: the objects
  // do not hold alone, so the table is watched, not taken as a leak.
  RetentionEvidence ttl{898, 1098, 30000, 220, 500, -0.1, 30000};
  ttl.table_growth_bytes = 86016;
  ttl.table_growth_after_bytes = 65536;
  ttl.later = LaterPartFrom(ttl.s2, ttl.s3);
  ttl.rise_after = 19500;
  const v1::LeakRetention ttl_r = ConfirmByRetention(Suspected(20), ttl);
  EXPECT_EQ(ttl_r.finding(), v1::RETENTION_FINDING_TABLE_STEPPED);
  EXPECT_NEAR(ttl_r.objects_bytes_per_iteration(), 220.0 / 200, 1e-9);
  EXPECT_GT(ttl_r.program_bytes_per_iteration(), ttl_r.objects_bytes_per_iteration());
}

// V8 gives a new object the heap id of a dead one at the same address, so a bounded cache's
// turnover can look retained. codebound_corpus/04_linked_list_lru_15k.js at 2,000
// (recorded 2026-12-05): a third check, its window [25,000, 31,225] "kept" 8.9 B/iteration
// at 50,000 by the snapshots' ids, 1.3 by the allocation sampler, with a growth of 8.1
// after it; `inconclusive`. The sampler holds its objects by weak handles: what it counted
// bounds the window's objects on the heap.
TEST(RetentionTest, TheSamplerBoundsWhatTheSnapshotsIdsSayTheWindowKept) {
  RetentionEvidence e{25000, 31225, 50000, static_cast<uint64_t>(8.9 * 6225), static_cast<uint64_t>(0.6 * 6225), 8.1};
  e.later = LaterPartFrom(e.s2, e.s3);
  e.decides = RetentionDecidesAt(e.s2, 2000);
  e.reach = kRetentionReach * e.s2;
  const v1::LeakSeries suspected = Suspected(10);
  const v1::LeakRetention ids_alone = ConfirmByRetention(suspected, e);
  EXPECT_TRUE(ids_alone.confirmed() || ids_alone.undecided()) << ids_alone.ShortDebugString();
  EXPECT_EQ(ids_alone.snapshot_program_bytes_per_iteration(), 0);
  // The sampler counted 4 samples of the window alive at s3 (~8 KiB).
  e.sampled = true;
  e.sampled_bytes = 8100;
  e.sampled_error = 4050;
  const v1::LeakRetention bounded = ConfirmByRetention(suspected, e);
  EXPECT_FALSE(bounded.confirmed());
  EXPECT_FALSE(bounded.undecided());
  EXPECT_EQ(bounded.finding(), v1::RETENTION_FINDING_FREED) << bounded.ShortDebugString();
  EXPECT_NEAR(bounded.snapshot_program_bytes_per_iteration(), 8.9, 0.01);
  EXPECT_NEAR(bounded.sampled_bytes_per_iteration(), 8100.0 / 6225, 1e-9);
  EXPECT_NEAR(bounded.program_bytes_per_iteration(), (8100 + 2 * 4050 + kSampledSlackBytes) / 6225, 0.01);
  // What the sampler cannot see is not bounded by it: the same bytes in native nodes
  // (ArrayBuffers' data) decide as the snapshots say.
  e.program_native_bytes = e.program_bytes;
  const v1::LeakRetention native = ConfirmByRetention(suspected, e);
  EXPECT_EQ(native.finding(), ids_alone.finding());
  EXPECT_EQ(native.snapshot_program_bytes_per_iteration(), 0);
  // A sampler that counted as much as the ids say changes nothing.
  e.program_native_bytes = 0;
  e.sampled_bytes = e.program_bytes;
  e.sampled_error = 9000;
  EXPECT_EQ(ConfirmByRetention(suspected, e).finding(), ids_alone.finding());
}

// A native series is confirmed by the window's native nodes (ArrayBuffers' data), not by
// its objects on V8's heap. Recorded (io_corpus/file_logger_queue.js at 10,000, a write
// queue the event loop bounds): external memory grew 0.128 B/iteration over [312,697,
// 625,395], and ~5 KB of the window [134,112, 167,615]'s heap objects were alive at
// 625,395, none of its native memory: that was a leak "confirmed by retention".
TEST(RetentionTest, ANativeSeriesIsConfirmedByNativeMemoryAlone) {
  v1::LeakSeries external = Suspected(1.31);
  external.set_name("external");
  external.set_min_effect(0.01);
  RetentionEvidence e{134112, 167615, 625395, 4976, 26296, 0.128, 502845};
  e.reach = e.decides;
  e.later = 312697;
  // ~3 KB of it in values replaced by bigger ones, which count per iteration past s2, for
  // either series (a Buffer grown by Buffer.concat: its data).
  e.backing_growth_bytes = 3300;
  EXPECT_FALSE(ConfirmByRetention(external, e).confirmed()) << ConfirmByRetention(external, e).ShortDebugString();
  // The heap series is confirmed by those heap objects.
  v1::LeakSeries heap = external;
  heap.set_name("heap_used");
  EXPECT_TRUE(ConfirmByRetention(heap, e).confirmed()) << ConfirmByRetention(heap, e).ShortDebugString();
  // ArrayBuffers' data the window made, ~0.48 B/iteration of it: the native series is
  // confirmed by that alone.
  e.program_bytes += 16000;
  e.program_native_bytes = 16000;
  const v1::LeakRetention native = ConfirmByRetention(external, e);
  EXPECT_TRUE(native.confirmed()) << native.ShortDebugString();
  EXPECT_NEAR(native.program_bytes_per_iteration(), 16000.0 / (167615 - 134112) + 3300.0 / (625395 - 167615), 1e-9);
}

// The entries of a grown table's owner, counted at s3, halfway and at the check's end.
TEST(RetentionTest, ATablesEntriesDecideWhatItsCapacityCannot) {
  using F = TableEntriesFinding;
  const TableEntries none;
  auto at = [](uint64_t units, std::map<uint64_t, int64_t> owners) { return TableEntries{units, std::move(owners)}; };
  // Seen on node (table corpus leak_slow_set.js at 2,000, a Set gaining a number every 4th
  // iteration): s3 at 34,472, just past a step; the cap of 50,000 came before the next.
  EXPECT_EQ(JudgeTableEntries(at(34472, {{7, 8618}}), at(42236, {{7, 10559}}), at(50000, {{7, 12500}})), F::kGrew);
  EXPECT_EQ(JudgeTableEntries(at(34472, {{7, 8618}}), none, at(50000, {{7, 12500}})), F::kGrew);
  // An LRU of 8,000 numbers at its capacity: its table doubles once more as deleted
  // entries pile up, and its entries stay.
  EXPECT_EQ(JudgeTableEntries(at(20000, {{7, 8000}}), at(30000, {{7, 8000}}), at(40000, {{7, 8000}})), F::kStayed);
  // Seen on node (lru_numbers_8000.js at 2,000): still filling at s3 (5,484 of 8,000), full
  // by ~16,000. From s3 alone that reads as a leak; its later half is flat.
  EXPECT_EQ(JudgeTableEntries(at(11056, {{7, 5484}}), none, at(22803, {{7, 8000}})), F::kGrew);
  EXPECT_EQ(JudgeTableEntries(at(11056, {{7, 5484}}), at(17100, {{7, 8000}}), at(22803, {{7, 8000}})), F::kStayed);
  // Seen on node (a cache of one request in three, cleared every 5,000 iterations, at
  // 10,000): its counts fell in between, so it gave entries back and is no leak.
  EXPECT_EQ(JudgeTableEntries(at(14296, {{7, 1432}}), at(21890, {{7, 630}}), at(29485, {{7, 1495}})), F::kStayed);
  // A leak's entries never fall.
  EXPECT_EQ(JudgeTableEntries(at(14296, {{7, 1432}}), at(21890, {{7, 2190}}), at(29485, {{7, 2950}})), F::kGrew);
  // A leak of 1 entry per 10 iterations behind 3,000 entries made before it: a quarter of
  // the proportional growth, still a leak. Any of two owners growing is enough.
  EXPECT_EQ(JudgeTableEntries(at(10000, {{7, 4000}, {9, 500}}), none, at(20000, {{7, 5000}, {9, 500}})), F::kGrew);
  // Unread, gone, or too few entries to tell.
  EXPECT_EQ(JudgeTableEntries(at(20000, {{7, 8000}}), none, at(40000, {{7, -1}})), F::kUnknown);
  EXPECT_EQ(JudgeTableEntries(at(20000, {{7, 8000}}), at(30000, {{7, -1}}), at(40000, {{7, 8000}})), F::kUnknown);
  EXPECT_EQ(JudgeTableEntries(at(20000, {{7, 8000}}), none, at(40000, {})), F::kUnknown);
  EXPECT_EQ(JudgeTableEntries(at(20000, {{7, 20}}), none, at(40000, {{7, 20}})), F::kUnknown);
  EXPECT_EQ(JudgeTableEntries(at(20000, {{7, 8000}}), none, at(20000, {{7, 8000}})), F::kUnknown);
}

TEST(RetentionTest, AnUntestedSeriesLeaksOnlyWhileItGrowsOverTheCheck) {
  // A new user's express app: the heap's leak over [s1, s3], and the external memory that
  // had been suspected on the points before s1.
  EXPECT_TRUE(StillLeaksOverTheCheck(TheilSen{509.92, 0, 487.0, 616.1}, 24.3));
  EXPECT_FALSE(StillLeaksOverTheCheck(TheilSen{-6.21, 0, -87.0, 32.0}, 24.3));
  EXPECT_FALSE(StillLeaksOverTheCheck(TheilSen{30.0, 0, 0.0, 60.0}, 24.3));   // not significant
  EXPECT_FALSE(StillLeaksOverTheCheck(TheilSen{10.0, 0, 2.0, 18.0}, 24.3));   // under the bar
}

TEST(RetentionTest, LaterPartStartsAtHalfOfS3OrTheLaterHalf) {
  EXPECT_EQ(LaterPartFrom(1000, 8000), 4000u);
  EXPECT_EQ(LaterPartFrom(1000, 1600), 1000u);  // s3 / 2 before s2: all of [s2, s3]
  EXPECT_EQ(LaterPartFrom(1000, 1000), 1000u);
}

// The figures of a Map used as an LRU of 12,000 at the default budget
// (tests/fixtures/leaks/map_lru_12k.js): s1 898, s2 1,098, s3 8,784; ~3 µs of the module's
// time per iteration; ~310 B/iteration.
StretchInput CheapFillUp() {
  StretchInput in;
  in.s1 = 898;
  in.s2 = 1098;
  in.s3 = 8784;
  in.work_s1_ms = 3.0;
  in.work_s2_ms = 3.6;
  in.work_s3_ms = 3.6 + 0.003 * (8784 - 1098);
  in.rate = 310;
  in.room_bytes = 256.0 * 1024 * 1024 - 4e6;
  in.allowance_ms = 500;
  in.limit = 50000;
  return in;
}

TEST(RetentionTest, ACheapConfirmationIsWatchedOnToHalfItsLimit) {
  EXPECT_EQ(StretchedReach(CheapFillUp()), 25000u);
}

// Only a watch that half of the limit ended goes on once more (RunMonitor::
// WatchTheOtherHalf, to 25 budgets): not one its time, its growth or the series' room
// ended first.
TEST(RetentionTest, OnlyAWatchEndedByHalfItsLimitGoesOnOnceMore) {
  StretchInput in = CheapFillUp();
  EXPECT_TRUE(ReachEndsAtHalfTheLimit(in, StretchedReach(in)));
  StretchInput slow = in;  // 0.05 ms per iteration: 10,000 iterations past s3
  slow.work_s2_ms = slow.work_s1_ms + 0.05 * 200;
  slow.work_s3_ms = slow.work_s2_ms + 0.05 * (8784 - 1098);
  EXPECT_FALSE(ReachEndsAtHalfTheLimit(slow, StretchedReach(slow)));
  StretchInput big = in;  // 16 MiB of growth in 8,192 iterations
  big.rate = 2048;
  big.series_bytes = 3.0 * 1024 * 1024;
  EXPECT_FALSE(ReachEndsAtHalfTheLimit(big, StretchedReach(big)));
  EXPECT_FALSE(ReachEndsAtHalfTheLimit(in, 0)) << "no watch";
}

// Where that watch goes on to. Recorded at 2,000 (limit 104,060 for its cheap iterations,
// 25 budgets 50,000): knee_corpus 01, a Map LRU of 20,000 that re-sets an entry on each
// hit, kept 96.7 B/iteration of its window at 52,030 against a growth of 38.7: a
// structure's entries, watched on to the limit. lru_beside_leak.js kept 40-51 against ~46:
// a leak's window, to the limit within 50 budgets (TheOtherHalfGoesToALimitWithinFiftyBudgets).
TEST(RetentionTest, TheOtherHalfGoesToTheLimitWhereTheWindowKeptWellBeyondTheGrowth) {
  EXPECT_EQ(OtherHalfLimit(50000, 104060, 96.7, 38.7), 104060u);
  EXPECT_EQ(OtherHalfLimit(50000, 104060, 51, 46), 100000u) << "a leak's window: within 50 budgets";
  EXPECT_EQ(OtherHalfLimit(50000, 104060, 1.5 * 46, 46), 100000u) << "at the bar: not beyond it";
  EXPECT_EQ(OtherHalfLimit(50000, 104060, 10, 0), 104060u) << "a window kept where nothing grew";
  EXPECT_EQ(OtherHalfLimit(50000, 40000, 96.7, 38.7), 50000u) << "never short of the budgets";
  EXPECT_EQ(OtherHalfLimit(50000, 40000, 51, 46), 50000u);
  EXPECT_EQ(OtherHalfLimit(50000, 400000, 96.7, 38.7), 400000u);
}

// A leak's window (kept about its growth) whose watch half of a limit ended goes on to that
// limit where it lies within 50 budgets, as the other half of a watch that ended at ~48,000:
// heldbig_corpus 04 at 2,000 (a TTL cache of 60,000 iterations, its window alive at 48,000
// and freed past the TTL), whose limit was 94,000-99,000, had no room left to 25 budgets.
// Past 50 budgets, the watches that cheap iterations took there stop where they are.
TEST(RetentionTest, TheOtherHalfGoesToALimitWithinFiftyBudgets) {
  EXPECT_EQ(OtherHalfLimit(50000, 96000, 0.85 * 280, 280), 96000u);
  EXPECT_EQ(OtherHalfLimit(50000, 160000, 0.85 * 280, 280), 100000u);
  EXPECT_EQ(OtherHalfLimit(250000, 600000, 40, 40), 500000u);
}

TEST(RetentionTest, AStretchStaysWithinWhatTheModulesTimeAllows) {
  StretchInput in = CheapFillUp();
  // 0.05 ms per iteration: 500 ms buys 10,000 iterations.
  in.work_s2_ms = in.work_s1_ms + 0.05 * 200;
  in.work_s3_ms = in.work_s2_ms + 0.05 * (8784 - 1098);
  EXPECT_EQ(StretchedReach(in), 8784u + 10000);
  // 0.2 ms: 2,500, short of 1.5 s3: not worth a fourth snapshot.
  in.work_s2_ms = in.work_s1_ms + 0.2 * 200;
  in.work_s3_ms = in.work_s2_ms + 0.2 * (8784 - 1098);
  EXPECT_EQ(StretchedReach(in), 0u);
}

TEST(RetentionTest, AStretchCountsWithACostThatRisesWithTheIterations) {
  // A Buffer grown by concatenation: the cost of an iteration grows with the iterations
  // done. 10 µs over [s1, s2], 40 µs over [s2, s3]: a line through (998, 0.01 ms) and
  // (4,941, 0.04 ms) is what the stretch is held to.
  StretchInput in = CheapFillUp();
  in.work_s2_ms = in.work_s1_ms + 0.01 * 200;
  in.work_s3_ms = in.work_s2_ms + 0.04 * (8784 - 1098);
  const uint64_t rising = StretchedReach(in);
  // The same last cost, flat.
  in.work_s2_ms = in.work_s1_ms + 0.04 * 200;
  in.work_s3_ms = in.work_s2_ms + 0.04 * (8784 - 1098);
  const uint64_t flat = StretchedReach(in);
  EXPECT_EQ(flat, 8784u + 12500);
  EXPECT_GT(rising, static_cast<uint64_t>(1.5 * 8784));
  EXPECT_LT(rising, flat);
  // What it allows, by the line: 500 ms of the module's time from s3.
  const double slope = (0.04 - 0.01) / ((1098 + 8784) / 2.0 - (898 + 1098) / 2.0);
  auto cost = [&](double n) { return 0.04 + slope * (n - (1098 + 8784) / 2.0); };
  const double to = static_cast<double>(rising);
  EXPECT_NEAR((to - 8784) * (cost(8784) + cost(to)) / 2, 500, 1.0);
}

TEST(RetentionTest, AStretchStaysWithinItsGrowth) {
  StretchInput in = CheapFillUp();
  in.rate = 2048;  // 16 MiB in 8,192 iterations
  in.series_bytes = 3.0 * 1024 * 1024;
  EXPECT_EQ(StretchedReach(in), 8784u + 8192);
  // Four times the series at s3, where that is more (24 MiB: 12,288 iterations).
  in.series_bytes = 6.0 * 1024 * 1024;
  EXPECT_EQ(StretchedReach(in), 8784u + 12288);
  // Nor past half of what the series may still grow (12 MiB: 6,144 iterations).
  in.room_bytes = 24.0 * 1024 * 1024;
  EXPECT_EQ(StretchedReach(in), 8784u + 6144);
  in.room_bytes = 8.0 * 1024 * 1024;  // 2,048: short of 1.5 s3
  EXPECT_EQ(StretchedReach(in), 0u);
}

// An LRU of 25,000 sessions of ~1.2 KB (tests/fixtures/beside_corpus/06_...): ~14 MB of
// heap at s3 (8,784), ~30 MB when full at 25,000, its window [898, 1,098] evicted by
// ~26,100. Held to 16 MiB of growth, its watch stopped at ~22,400, and it was a `leak`.
TEST(RetentionTest, ACacheBiggerThanSixteenMebibytesIsWatchedToItsFill) {
  StretchInput in = CheapFillUp();
  in.rate = 1230;
  in.series_bytes = 14e6;
  in.room_bytes = 256.0 * 1024 * 1024 - in.series_bytes;
  in.limit = 200000;
  EXPECT_EQ(StretchedReach(in), 8784u + static_cast<uint64_t>(4 * 14e6 / 1230));
  EXPECT_GT(StretchedReach(in), 26100u);
  // An old space of 48 MiB leaves the watch ~18 MB of growth, ~14,600 iterations: it ends
  // short of the fill, where the full cache would take most of the old space anyway.
  in.room_bytes = 48.0 * 1024 * 1024 - in.series_bytes;
  EXPECT_LT(StretchedReach(in), 25000u);
  EXPECT_GT(StretchedReach(in), 8784u + 14000);
}

TEST(RetentionTest, NoRoomNoStretch) {
  StretchInput in = CheapFillUp();
  in.limit = 2 * 8784;
  EXPECT_EQ(StretchedReach(in), 0u);
  in.limit = 3 * 8784;  // half of it is 1.5 s3
  EXPECT_EQ(StretchedReach(in), 13176u);
}

// The module's own time at after-GC points spaced as a leak check's are (4% apart from
// 100), at `cost_ms` per iteration plus `rise_ms` per iteration for each iteration done.
std::map<uint64_t, double> WorkAt(uint64_t to, double cost_ms, double rise_ms = 0) {
  std::map<uint64_t, double> work;
  for (uint64_t u = 100; u <= to; u = u + (u + 24) / 25) {
    const double n = static_cast<double>(u);
    work[u] = cost_ms * n + rise_ms * n * n / 2;
  }
  return work;
}

TEST(CheapReachTest, AModuleOfMicrosecondIterationsGoesOnToASecondOfItsOwnTime) {
  // 3 us an iteration, 900 iterations in: ~2.7 ms of the module's time so far, ~333,000
  // iterations to a second of it.
  const std::map<uint64_t, double> work = WorkAt(900, 0.003);
  const uint64_t reach = CheapReach(work);
  const double last = static_cast<double>(std::prev(work.end())->first);
  EXPECT_NEAR(static_cast<double>(reach), last + (kCheapCheckMs - 0.003 * last) / 0.003, 2.0);
  // Past 25 budgets of 2,000, short of 25 budgets of 20,000: the limit is the larger.
  EXPECT_EQ(CheckLimit(2000, 0, reach), reach);
  EXPECT_EQ(CheckLimit(20000, 0, reach), kRetentionMaxOverrun * 20000);
  // The time limit still caps it.
  EXPECT_EQ(CheckLimit(2000, 70000, reach), 70000u);
}

TEST(CheapReachTest, DearIterationsAddNothing) {
  // 100 us an iteration: 10,000 to a second, under 25 budgets of 2,000.
  const uint64_t reach = CheapReach(WorkAt(900, 0.1));
  EXPECT_LT(reach, 11000u);
  EXPECT_EQ(CheckLimit(2000, 0, reach), kRetentionMaxOverrun * 2000);
  // Past the second already: none.
  EXPECT_EQ(CheapReach(WorkAt(20000, 0.1)), 0u);
}

TEST(CheapReachTest, ACostThatRisesWithTheIterationsIsCountedRising) {
  // A value copied bigger every iteration: 1 us plus 2 ns for each iteration done. At the
  // last cost held flat the reach would be ~3.6 times as far as what the module's rising
  // cost allows: its time to the reach is held to about a second.
  const double cost = 0.001, rise = 0.000002;
  const std::map<uint64_t, double> work = WorkAt(4000, cost, rise);
  const uint64_t reach = CheapReach(work);
  const double to = static_cast<double>(reach);
  EXPECT_NEAR(cost * to + rise * to * to / 2, kCheapCheckMs, 0.05 * kCheapCheckMs);
  const double last = static_cast<double>(std::prev(work.end())->first);
  const double flat = last + (kCheapCheckMs - work.rbegin()->second) / (cost + rise * last);
  EXPECT_LT(to, flat / 3);
}

// knee_corpus 05 at 2,000, a run whose watch ended at s4 = 55,810 holding a knee: the
// module's own time at its after-GC points from s1 on (ms; recorded by bench/leak_corpus.sh).
// A second of it was nearly spent there, and the check's limit left no room to go past
// the knee; the watch past a knee may take the module's time to two seconds.
TEST(PastTheKneeToTest, AWatchPastAKneeMayTakeTheModuleToTwoSecondsOfItsTime) {
  const std::map<uint64_t, double> work = {
      {898, 13.2},    {1098, 19.1},   {4392, 84.6},   {4941, 90.0},   {5490, 96.7},   {6039, 101.2},
      {6588, 105.4},  {7137, 109.4},  {7686, 113.9},  {8235, 118.1},  {8784, 122.0},  {27905, 596.2},
      {31394, 669.8}, {34883, 708.8}, {38372, 753.0}, {41861, 800.2}, {45350, 845.1}, {48839, 896.1},
      {52328, 929.3}, {55810, 972.9}};
  const uint64_t later = 27905, s4 = 55810;
  const uint64_t second = CheckLimit(2000, 0, CheapReach(work));
  EXPECT_LT(second, s4 + (s4 - later) / 2);
  EXPECT_EQ(PastTheKneeTo(later, s4, second, 20, -1), 0u) << "no room under a second's limit";
  const uint64_t knee = CheckLimit(2000, 0, CheapReach(work, kKneeCheckMs));
  EXPECT_GT(knee, 2 * s4);
  EXPECT_EQ(PastTheKneeTo(later, s4, knee, 20, -1), 2 * s4);
  // A series near its limit goes on no further than half of what it may still grow: 1 MiB
  // at 20 B/iteration, half of it in 26,214 iterations (room for half the later part);
  // at 40 B/iteration 13,107 (none).
  EXPECT_EQ(PastTheKneeTo(later, s4, knee, 20, 1 << 20), s4 + (1 << 20) / 2 / 20);
  EXPECT_EQ(PastTheKneeTo(later, s4, knee, 40, 1 << 20), 0u);
  // The time limit caps it too.
  EXPECT_EQ(PastTheKneeTo(later, s4, CheckLimit(2000, 80000, CheapReach(work, kKneeCheckMs)), 20, -1), 80000u);
}

// io_corpus dns_lookup_map.js at 2,000, a check that ended at s3 = 87,640 with its Map's
// table stepped (TABLE_STEPPED): the module's own time at its after-GC points from s1 on
// (ms; a quiet run, bench/leak_corpus.sh), and the same at 2.5 times the cost, as the
// module's time rose in a loaded CI run. A table's watch goes on to about twice s3
// (180,757 here); under a second's limit it had no room in the loaded run.
TEST(TableWatchMsTest, ATablesWatchMayTakeTheModuleToTwiceItsTimeAtTheChecksEnd) {
  const std::map<uint64_t, double> quiet = {
      {898, 26.1},    {1098, 27.9},   {4392, 69.9},   {4941, 71.7},   {5490, 73.1},   {6039, 75.2},
      {6588, 76.8},   {7137, 78.3},   {7686, 79.7},   {8235, 84.3},   {8784, 86.9},   {10955, 106.1},
      {43820, 474.5}, {49298, 512.1}, {54776, 570.3}, {60254, 621.6}, {65732, 676.8}, {71210, 728.8},
      {76688, 764.9}, {82166, 803.3}, {87640, 872.1}};
  std::map<uint64_t, double> loaded;
  for (const auto& [units, ms] : quiet) loaded[units] = 2.5 * ms;
  const uint64_t s3 = 87640, until = 180757;
  EXPECT_LE(CheckLimit(2000, 0, CheapReach(loaded)), s3) << "no room under a second's limit";
  // Quiet, two seconds at least: past twice s3.
  EXPECT_DOUBLE_EQ(TableWatchMs(quiet), kKneeCheckMs);
  EXPECT_GT(CheckLimit(2000, 0, CheapReach(quiet, TableWatchMs(quiet))), until);
  // Loaded, twice the ~2.2 s it had spent: most of the way to twice s3, where the owners'
  // entries decide (JudgeTableEntries), and not past it.
  EXPECT_DOUBLE_EQ(TableWatchMs(loaded), 2 * 2.5 * 872.1);
  const uint64_t limit = CheckLimit(2000, 0, CheapReach(loaded, TableWatchMs(loaded)));
  EXPECT_GT(limit, s3 + (until - s3) * 3 / 4);
  EXPECT_LT(limit, 2 * until);
  // The time limit still caps it.
  EXPECT_EQ(CheckLimit(2000, 100000, CheapReach(loaded, TableWatchMs(loaded))), 100000u);
  EXPECT_DOUBLE_EQ(TableWatchMs({}), kKneeCheckMs);
}

TEST(CheapReachTest, TooFewPointsSayNothing) {
  EXPECT_EQ(CheapReach({}), 0u);
  EXPECT_EQ(CheapReach({{100, 0.3}, {104, 0.31}, {109, 0.33}}), 0u);
}

// A check undecided short of its reach, recorded (io_corpus/file_logger_queue.js at 2,000):
// every series under the budget's bar at the end. It stands while its series is still
// suspected or undecided.
TEST(RetentionTest, AnUndecidedCheckStandsOnlyWhileItsSeriesIsNotClear) {
  v1::LeakResult at_end;
  for (const char* name : {"heap_used", "external", "array_buffers"}) {
    v1::LeakSeries* s = at_end.add_series();
    s->set_name(name);
    s->set_verdict(v1::LEAK_VERDICT_NO_LEAK);
    s->set_note_kind(v1::SERIES_NOTE_UNDER_THE_BUDGETS_BAR);
    s->set_detection_limit(8.62);
  }
  EXPECT_FALSE(UndecidedCheckStands(at_end, "heap_used"));
  at_end.mutable_series(0)->set_verdict(v1::LEAK_VERDICT_LEAK);
  EXPECT_TRUE(UndecidedCheckStands(at_end, "heap_used"));
  EXPECT_FALSE(UndecidedCheckStands(at_end, "external"));
  at_end.mutable_series(0)->set_verdict(v1::LEAK_VERDICT_INCONCLUSIVE);
  EXPECT_TRUE(UndecidedCheckStands(at_end, "heap_used"));
}

TEST(RetentionTest, OnlyV8ObjectsAreV8InternalGrowth) {
  // Code and feedback from a module that compiles functions: never a leak on their own.
  RetentionEvidence e{5000, 6000, 12000, 200, 7000, 6};
  v1::LeakRetention r = ConfirmByRetention(Suspected(7), e);
  EXPECT_FALSE(r.confirmed());
  EXPECT_EQ(r.finding(), v1::RETENTION_FINDING_V8_INTERNAL);
  EXPECT_NEAR(r.v8_internal_bytes_per_iteration(), 7, 1e-9);
}

TEST(RetentionTest, KeptFunctionsBringTheirCodeAlong) {
  // A module that keeps a new Function per iteration: closures plus their bytecode.
  RetentionEvidence e{1100, 1400, 2000, 246 * 300, 593 * 300, 900};
  v1::LeakRetention r = ConfirmByRetention(Suspected(920), e);
  EXPECT_TRUE(r.confirmed());
}

TEST(RetentionTest, RetainedShortOfItsReachIsUndecided) {
  // Everything held up to s3, but the plan needed s3 = 4,800: a flush at 3,000 is not ruled out.
  RetentionEvidence e{500, 600, 1200, 29000, 3000, 290, 4800};
  v1::LeakRetention r = ConfirmByRetention(Suspected(300), e);
  EXPECT_FALSE(r.confirmed());
  EXPECT_TRUE(r.undecided());
  EXPECT_EQ(r.reach(), 4800u);
  e.s3 = 4800;
  r = ConfirmByRetention(Suspected(300), e);
  EXPECT_TRUE(r.confirmed());
  EXPECT_EQ(r.finding(), v1::RETENTION_FINDING_CONFIRMED);
  EXPECT_EQ(r.s3(), 4800u);
}

TEST(RetentionTest, RetainedButStoppedGrowingIsNotALeak) {
  // A table filled up just after the window: still alive, but the series went flat.
  RetentionEvidence e{500, 600, 1200, 30000, 0, 1};
  v1::LeakRetention r = ConfirmByRetention(Suspected(300), e);
  EXPECT_FALSE(r.confirmed());
  EXPECT_EQ(r.finding(), v1::RETENTION_FINDING_STOPPED_GROWING);
  EXPECT_FALSE(r.undecided());
}

// heldbig_corpus 03 at 2,000, a second check cut short by the run's limit: its window
// (75,607-76,864) still alive at 79,378 in a TTL cache, the series level over its last
// ~2,500 iterations (a sweep every 1,000 moves it more than the Set of ids beside it
// grows), and it needed the run to go on to 230,592. Not bounded: undecided.
TEST(RetentionTest, RetainedAndLevelShortOfWhereItDecidesIsUndecided) {
  RetentionEvidence e{75607, 76864, 79378, 300000, 0, 1};
  e.decides = 230592;
  e.reach = 230592;
  v1::LeakRetention r = ConfirmByRetention(Suspected(50), e);
  EXPECT_FALSE(r.confirmed());
  EXPECT_EQ(r.finding(), v1::RETENTION_FINDING_STOPPED_GROWING);
  EXPECT_TRUE(r.undecided());
  EXPECT_EQ(r.reach(), 230592u);
  // At where it decides, a level series is bounded.
  e.s3 = 230592;
  e.slope_after = 0;
  r = ConfirmByRetention(Suspected(50), e);
  EXPECT_EQ(r.finding(), v1::RETENTION_FINDING_STOPPED_GROWING);
  EXPECT_FALSE(r.undecided());
}

// A fit whose interval is its slope: a series that grows evenly.
TheilSen Even(double slope) {
  TheilSen fit;
  fit.slope = fit.low = fit.high = slope;
  fit.points = 9;
  return fit;
}

TheilSen FitOf(const std::vector<std::pair<uint64_t, double>>& points) {
  std::vector<double> x, y;
  for (const auto& [units, bytes] : points) {
    x.push_back(static_cast<double>(units));
    y.push_back(bytes);
  }
  return TheilSenSlope(x, y, 0.01);
}

// Recorded points over a later part from `from` (its first point's iteration by default),
// fitted as RunMonitor::FinishRetention fits them: whole and over its two halves, split at
// its middle iteration.
LaterPartFits LaterPartOf(const std::vector<std::pair<uint64_t, double>>& points, uint64_t from = 0) {
  if (from == 0) from = points.front().first;
  const uint64_t half = from + (points.back().first - from) / 2;
  std::vector<std::pair<uint64_t, double>> first, last;
  for (const auto& point : points) {
    if (point.first <= half) first.push_back(point);
    if (point.first >= half) last.push_back(point);
  }
  return {FitOf(points), FitOf(first), FitOf(last)};
}

TEST(RetentionTest, AGrowthThatSlowedSinceItsWindowIsWatchedOnBeforeItIsALeak) {
  // Recorded at 2,000 (a module written for session 13 from a description of its shape: a
  // Map interning strings drawn at random from 5,000, full by ~30,000). Its window
  // [898, 1,098] left 57.08 B/iteration alive at 8,784, while the heap grew 14.8 there:
  // retained, and still growing, so confirmed by the rules before; but slowed.
  RetentionEvidence pool{898, 1098, 8784, 11416, 936, 14.8, 8784};
  const v1::LeakRetention slowed = ConfirmByRetention(Suspected(191), pool);
  ASSERT_TRUE(slowed.confirmed());
  EXPECT_TRUE(SlowedSinceItsWindow(slowed));
  // A leak takes in objects as fast at the end as in its window (the same session's module
  // adding an EventEmitter listener per iteration: 305.7 B/iteration left, 292.8 of growth).
  RetentionEvidence listeners{898, 1098, 8784, 61140, 500, 292.8, 8784};
  const v1::LeakRetention leak = ConfirmByRetention(Suspected(345), listeners);
  ASSERT_TRUE(leak.confirmed());
  EXPECT_FALSE(SlowedSinceItsWindow(leak));
  // Not confirmed: nothing to watch.
  pool.program_bytes = 0;
  EXPECT_FALSE(SlowedSinceItsWindow(ConfirmByRetention(Suspected(191), pool)));

  // Its heap from s3 on to 4 s3 (recorded): one step of the Map's table, then level.
  const std::vector<std::pair<uint64_t, double>> since = {
      {8784, 4059128},   {9839, 4163536},   {11020, 4150400},  {12343, 4154152}, {13825, 4154176},
      {15484, 4154016},  {17343, 4150888},  {19425, 4147248},  {21756, 4144640}, {24367, 4264400},
      {27292, 4155008},  {30568, 4153664},  {34237, 4152120},  {35136, 4152384}};
  EXPECT_FALSE(KeptPace(14.8, FitOf(since)));
  // The same pool with a leak of 12 B/iteration beside it keeps pace.
  std::vector<std::pair<uint64_t, double>> with_leak = since;
  for (auto& [units, bytes] : with_leak) bytes += 12.0 * static_cast<double>(units - 8784);
  EXPECT_TRUE(KeptPace(14.8, FitOf(with_leak)));
}

// The end of a watch whose later part holds the knee where a structure stopped filling.
// Recorded at 2,000: fillpast_corpus 04, an LRU of 30,000 quotes of ~1 KB (full at
// ~35,000) beside a request log of ~60 B/iteration, its program heap over the later part
// [29,949, 59,898] of its watch. 48.3 B/iteration of the window [898, 1,098] was left
// there: against the 112.8 of the later part, "freed"; against the ~55 of its last half,
// all of the growth.
TEST(RetentionTest, AWatchWhoseLaterPartHoldsAKneeGoesOnPastIt) {
  const std::vector<std::pair<uint64_t, double>> later = {
      {30568, 34947856}, {34237, 38680344}, {38346, 40286080}, {42948, 40621216},
      {48102, 40946880}, {53875, 41239768}, {59898, 41575400}};
  v1::LeakRetention freed;
  freed.set_s1(898);
  freed.set_s2(1098);
  freed.set_s3(59898);
  freed.set_finding(v1::RETENTION_FINDING_FREED);
  EXPECT_TRUE(GoesOnPastAKnee(freed, LaterPartOf(later)));
  // A confirmation there may be the structure's fill: it goes on too.
  v1::LeakRetention confirmed = freed;
  confirmed.set_finding(v1::RETENTION_FINDING_CONFIRMED);
  EXPECT_TRUE(GoesOnPastAKnee(confirmed, LaterPartOf(later)));
  // Nothing grows past the knee (an LRU of ~1 KB entries full at 45,000, and no request
  // log): freed stays freed, and only a confirmation goes on.
  std::vector<std::pair<uint64_t, double>> bounded = later;
  for (auto& [units, bytes] : bounded) bytes = 4e6 + 1000.0 * static_cast<double>(std::min<uint64_t>(units, 45000));
  EXPECT_FALSE(GoesOnPastAKnee(freed, LaterPartOf(bounded)));
  EXPECT_TRUE(GoesOnPastAKnee(confirmed, LaterPartOf(bounded)));
  // A leak that grows at one rate throughout has no knee.
  std::vector<std::pair<uint64_t, double>> linear = later;
  for (auto& [units, bytes] : linear) bytes = 3e6 + 60.0 * static_cast<double>(units);
  EXPECT_FALSE(GoesOnPastAKnee(confirmed, LaterPartOf(linear)));
  // Level over all its later part: no growth to have a knee in.
  std::vector<std::pair<uint64_t, double>> level = later;
  for (auto& [units, bytes] : level) bytes = 4.2e7;
  EXPECT_FALSE(GoesOnPastAKnee(confirmed, LaterPartOf(level)));
  // Too few points over either half to tell.
  LaterPartFits few = LaterPartOf(later);
  few.last_half = FitOf({later.end() - 2, later.end()});
  EXPECT_FALSE(GoesOnPastAKnee(confirmed, few));
  few = LaterPartOf(later);
  few.first_half = FitOf({later.begin(), later.begin() + 2});
  EXPECT_FALSE(GoesOnPastAKnee(confirmed, few));
  // Other findings are decided as they are.
  v1::LeakRetention stopped = freed;
  stopped.set_finding(v1::RETENTION_FINDING_STOPPED_GROWING);
  EXPECT_FALSE(GoesOnPastAKnee(stopped, LaterPartOf(later)));
}

// A watch's end whose window was freed but kept more than the bar, where the series fell
// over the later part's last half. Recorded at 2,000 on a busy machine: knee_corpus 04, a
// TTL cache of ~1.2 KB quotes (full at ~18,750, then shrinking as its entries expire)
// beside ~52 B/iteration of subscribers never removed, watched to 27,796: 59.7 B/iteration
// of its window [898, 1,098] kept, against 377 over the later part. It goes on past the
// knee, as a check's s3 does (KeptPastAKnee); where the window kept less than the bar, it
// is freed.
TEST(RetentionTest, AWatchWhoseFreedWindowKeptMoreThanTheBarGoesOnPastAKnee) {
  const std::vector<std::pair<uint64_t, double>> later = {
      {13898, 20144800}, {15636, 22075960}, {17374, 24017808}, {19112, 24878864}, {20850, 26244664},
      {22588, 26049232}, {24326, 25853200}, {26064, 25655744}, {27796, 26522128}};
  v1::LeakRetention freed;
  freed.set_s1(898);
  freed.set_s2(1098);
  freed.set_s3(27796);
  freed.set_finding(v1::RETENTION_FINDING_FREED);
  freed.set_program_bytes_per_iteration(59.68);
  const LaterPartFits fits = LaterPartOf(later);
  ASSERT_LT(fits.last_half.slope, RegrowthBar(898, 27796)) << "the last half falls";
  EXPECT_TRUE(GoesOnPastAKnee(freed, fits));
  freed.set_program_bytes_per_iteration(0.5 * RegrowthBar(898, 27796));
  EXPECT_FALSE(GoesOnPastAKnee(freed, fits));
}

// Two checks in a row that found their windows freed. Recorded at 2,000: lifecycle_corpus 09,
// a queue that takes in two jobs of ~146 B per iteration and releases one from 4,000 on.
// Its first check's window [1,127, 1,822] was freed by 14,576, its second's [14,576, 15,479]
// by 123,832 (each window is released at about twice its age), while its program heap
// grew at 146 B/iteration over the second's later part, the pace the first saw. Bounded
// modules whose second check also found its window freed, recorded at the same budgets,
// were level there: an LRU that doubles (leak_corpus/lru_doubling.js at 2,000), a slab pool
// (store_corpus/slab_pool_9k.js at 10,000), a ring of 256 audit records
// (native_corpus/04 at 2,000).
TEST(RetentionTest, AQueueThatFreesEveryWindowWhileItGrowsGrowsByTurnover) {
  const auto check = [](uint64_t s1, uint64_t s2, uint64_t s3, double suspected) {
    v1::LeakRetention r;
    r.set_s1(s1);
    r.set_s2(s2);
    r.set_s3(s3);
    r.set_finding(v1::RETENTION_FINDING_FREED);
    r.set_suspected_slope_per_iteration(suspected);
    return r;
  };
  const v1::LeakRetention first = check(1127, 1822, 14576, 29);
  const v1::LeakRetention second = check(14576, 15479, 123832, 145);
  const std::vector<std::pair<uint64_t, double>> queue = {
      {61916, 12249112},  {69656, 13252320},  {77396, 14389808},  {85136, 15514968}, {92876, 16652840},
      {100616, 17778000}, {108356, 18913520}, {116096, 20042208}, {123832, 21167984}};
  EXPECT_TRUE(GrowsByTurnover(first, second, LaterPartOf(queue)));
  // At 10,000 its first window's growth was V8's own (its program objects freed as well).
  v1::LeakRetention internal = check(1415, 2245, 17960, 30);
  internal.set_finding(v1::RETENTION_FINDING_V8_INTERNAL);
  EXPECT_TRUE(GrowsByTurnover(internal, check(17960, 22425, 179400, 146), LaterPartOf(queue)));

  // The bounded ones, each with its own checks' figures.
  const std::vector<std::pair<uint64_t, double>> lru = {
      {43820, 4745648}, {49298, 4707616}, {54776, 4707536}, {60254, 4707536}, {65732, 4707512},
      {71210, 4707536}, {76688, 4707536}, {82166, 4707536}, {87640, 4707280}};
  EXPECT_FALSE(GrowsByTurnover(check(898, 1098, 8784, 197), check(8784, 10955, 87640, 70), LaterPartOf(lru)));
  const std::vector<std::pair<uint64_t, double>> slabs = {
      {49900, 5988848}, {56138, 5967816}, {62376, 5961048}, {68614, 5967616}, {74852, 5960736},
      {81090, 5964768}, {87328, 5961312}, {93566, 5964888}, {99800, 5962504}};
  EXPECT_FALSE(GrowsByTurnover(check(898, 1098, 10000, 252), check(10000, 12475, 99800, 265), LaterPartOf(slabs)));
  const std::vector<std::pair<uint64_t, double>> ring = {
      {45940, 3705736}, {51683, 3632952}, {57426, 3632952}, {63169, 3624888}, {68912, 3624888},
      {74655, 3624888}, {80398, 3624888}, {86141, 3624952}, {91880, 3624744}};
  EXPECT_FALSE(GrowsByTurnover(check(898, 1151, 9208, 70), check(9208, 11485, 91880, 22), LaterPartOf(ring)));

  // Or a table's finding before it (a ring's slots that stepped, then stopped): whatever
  // the reading before, the growth over its later part went on.
  v1::LeakRetention table = first;
  table.set_finding(v1::RETENTION_FINDING_TABLE_STOPPED);
  EXPECT_TRUE(GrowsByTurnover(table, second, LaterPartOf(queue)));
  // The queue's growth, but a reading before it that confirmed a leak (that one decides),
  // a second window that is not freed, or one from before the first was read.
  v1::LeakRetention kept = first;
  kept.set_finding(v1::RETENTION_FINDING_CONFIRMED);
  kept.set_confirmed(true);
  EXPECT_FALSE(GrowsByTurnover(kept, second, LaterPartOf(queue)));
  v1::LeakRetention undecided = second;
  undecided.set_finding(v1::RETENTION_FINDING_UNDECIDED);
  EXPECT_FALSE(GrowsByTurnover(first, undecided, LaterPartOf(queue)));
  EXPECT_FALSE(GrowsByTurnover(first, check(14000, 15479, 123832, 145), LaterPartOf(queue)));
  // Growing at under half its suspicion's pace: a structure settling.
  EXPECT_FALSE(GrowsByTurnover(first, check(14576, 15479, 123832, 400), LaterPartOf(queue)));
  // A fill that stops within the later part (a FIFO that started after the second window and
  // is full at ~100,000): a knee.
  std::vector<std::pair<uint64_t, double>> fill = queue;
  for (auto& [units, bytes] : fill) bytes = 4e6 + 146.0 * static_cast<double>(std::min<uint64_t>(units, 100000));
  EXPECT_FALSE(GrowsByTurnover(first, second, LaterPartOf(fill)));
}

// The program's objects allocated after s2 and alive at s3 carry the growth of [s2, s3], or
// they do not (V8's code and feedback grew, which the program's objects leave out).
TEST(RetentionTest, TheObjectsAfterTheWindowCarryATurnoversGrowth) {
  // The queue: ~146 B/iteration over [15,479, 123,832], ~16 MB of jobs alive at s3.
  EXPECT_TRUE(TurnoverCarriesTheGrowth(15800000, 15479, 123832, 146));
  EXPECT_FALSE(TurnoverCarriesTheGrowth(2000000, 15479, 123832, 146));
  EXPECT_FALSE(TurnoverCarriesTheGrowth(15800000, 123832, 123832, 146));
  EXPECT_FALSE(TurnoverCarriesTheGrowth(15800000, 15479, 123832, -3));
}

// A growth past a freed window under RegrowthBar. Recorded at 2,000: backlog_corpus 07, a
// search indexer that skips every tenth tick (~24 B/iteration of updates behind, each
// indexed in the end). Its first check's window [898, 1,358] was freed by 10,864 while the
// program heap grew 25 B/iteration over [5,432, 10,864], under RegrowthBar there (26.3): the run
// was `no_leak`. It is watched on to where RegrowthBar is half that growth, at least 3 s3;
// over a watch [11,000, 22,413] (another run's heap, code included, watched to 2 s3 by the
// first build, the points after s3 lifted by the check's third snapshot) it grew on at that
// pace: the next check tests it.
TEST(RetentionTest, AGrowthPastAFreedWindowUnderTheBarIsWatchedOn) {
  const std::vector<std::pair<uint64_t, double>> later = {
      {5432, 3606880}, {6111, 3613952}, {6790, 3633488}, {7469, 3655232}, {8148, 3671160},
      {8827, 3690856}, {9506, 3706448}, {10185, 3722472}, {10864, 3738664}};
  const TheilSen after = FitOf(later);
  ASSERT_FALSE(KeepsGrowing(after, 898, 10864)) << after.slope << " against " << RegrowthBar(898, 10864);
  const uint64_t to = RegrowthWatchTo(898, 10864, after, 1000000);
  EXPECT_GE(to, kRegrowthWatchLeast * 10864);
  EXPECT_LE(to, kSlowingReach * 10864);
  EXPECT_LE(RegrowthBar(898, to), after.slope / kRegrowthWatchMargin + 0.01);
  // No room for it: no watch.
  EXPECT_EQ(RegrowthWatchTo(898, 10864, after, kRegrowthWatchLeast * 10864 - 1), 0u);

  const std::vector<std::pair<uint64_t, double>> watch = {
      {12320, 4133144}, {13799, 4147664}, {15455, 4190216}, {17310, 4256648},
      {19388, 4305336}, {21715, 4362680}, {22413, 4378824}};
  EXPECT_TRUE(RegrowsOverTheWatch(FitOf(watch), 898, 22413, after.slope));
  // Level over the watch (a fill that stopped at s3): the check's finding stands.
  std::vector<std::pair<uint64_t, double>> level = watch;
  for (auto& point : level) point.second = 4133144 + (point.first % 7) * 1000;
  EXPECT_FALSE(RegrowsOverTheWatch(FitOf(level), 898, 22413, after.slope));
  // At under half the pace that started it: not kept.
  std::vector<std::pair<uint64_t, double>> slower = watch;
  for (auto& point : slower) point.second = 4133144 + 0.4 * after.slope * (point.first - 12320.0);
  EXPECT_FALSE(RegrowsOverTheWatch(FitOf(slower), 898, 22413, after.slope));

  // A growth that clears RegrowthBar starts the next check at once (GrewPastItsWindow);
  // one that is not provably above the check's own bar, or too slow to clear RegrowthBar
  // within kSlowingReach s3 (V8's own drift, ~3 B/iteration), is not watched.
  std::vector<std::pair<uint64_t, double>> faster = later, drift = later, flat = later;
  for (size_t i = 0; i < later.size(); ++i) {
    const double x = static_cast<double>(later[i].first - 5432);
    faster[i].second = 3606880 + 40 * x + (i % 2) * 2000;
    drift[i].second = 3606880 + 3 * x + (i % 2) * 500;
    flat[i].second = 3606880 + (i % 3) * 20000;
  }
  EXPECT_EQ(RegrowthWatchTo(898, 10864, FitOf(faster), 1000000), 0u);
  EXPECT_EQ(RegrowthWatchTo(898, 10864, FitOf(drift), 1000000), 0u);
  EXPECT_EQ(RegrowthWatchTo(898, 10864, FitOf(flat), 1000000), 0u);
}

// A fill that slows on and on, watched to its s4. Recorded at 2,000: knee_corpus 05 (a Map of
// 12,000 cells overwritten at random, ~550 B a cell, filling as e^(-i/12,000)), its heap over
// the later part [25,011, 50,022] of a watch from 8,784. Its last half grew at 0.55 of the
// whole, no knee by that measure, and the watch stopped there with the fill going on (a
// `leak`); in the other runs the points fell so that it read under half. Its halves: 41.8
// and 14.7 B/iteration.
TEST(RetentionTest, AFillThatSlowsHoldsAKneeWhereverItsPointsFall) {
  const std::vector<std::pair<uint64_t, double>> later = {{27292, 10360912}, {30568, 10520280}, {34237, 10651280},
                                                          {38346, 10760872}, {42948, 10854536}, {50022, 10932736}};
  const LaterPartFits fits = LaterPartOf(later, 25011);
  ASSERT_EQ(fits.first_half.points, 3u);
  ASSERT_EQ(fits.last_half.points, 3u);
  EXPECT_GT(fits.last_half.slope, kKneeDrop * fits.whole.slope);
  const double bar = RegrowthBar(898, 50022);
  EXPECT_TRUE(HoldsAKnee(fits, bar));
  v1::LeakRetention confirmed;
  confirmed.set_s1(898);
  confirmed.set_s2(1098);
  confirmed.set_s3(50022);
  confirmed.set_finding(v1::RETENTION_FINDING_CONFIRMED);
  EXPECT_TRUE(GoesOnPastAKnee(confirmed, fits));
  // The same curve (its two ends) at 9 even steps: a knee too.
  const double scale = (10932736.0 - 10360912.0) / (std::exp(-27292.0 / 12000) - std::exp(-50022.0 / 12000));
  std::vector<std::pair<uint64_t, double>> even, linear;
  for (uint64_t units = 25011; units <= 50022; units += 3126) {
    even.emplace_back(units, 10932736.0 + scale * (std::exp(-50022.0 / 12000) - std::exp(-static_cast<double>(units) / 12000)));
    linear.emplace_back(units, 1e7 + 25.0 * static_cast<double>(units));
  }
  EXPECT_TRUE(HoldsAKnee(LaterPartOf(even), bar));
  // A leak at about the same slope throughout: none, at even steps or at the recorded ones.
  EXPECT_FALSE(HoldsAKnee(LaterPartOf(linear), bar));
  std::vector<std::pair<uint64_t, double>> recorded_linear = later;
  for (auto& [units, bytes] : recorded_linear) bytes = 1e7 + 25.0 * static_cast<double>(units);
  EXPECT_FALSE(HoldsAKnee(LaterPartOf(recorded_linear, 25011), bar));
}

// A count of what the last milliseconds made. Recorded at 2,000: lifecycle_corpus 08 (a
// timeout of 5 ms per 8th request, cleared when it fires), its active handles. At points 12%
// of the iterations apart it grew with their spacing, 11 at 801 to 38 at 2,811: a leak of
// 0.0133 handles/iteration by its trend. Watched on to 8 x 801 with the later half at even
// steps of ~400 iterations, it is level at 50. A timer never cleared (1 per iteration) grows
// there at its slope.
TEST(CountWatchTest, ACountLevelAtEvenStepsIsBoundedAndALeaksKeepsGrowing) {
  const std::vector<std::pair<uint64_t, double>> spaced = {
      {801, 11}, {898, 12}, {1006, 13}, {1127, 15}, {1263, 17}, {1415, 19}, {1585, 22}, {1776, 23}, {2000, 28},
      {2240, 30}, {2509, 34}, {2811, 38}};
  const TheilSen trend = FitOf(spaced);
  ASSERT_GT(trend.low, 0);
  const std::vector<std::pair<uint64_t, double>> even = {{3204, 49}, {3605, 50}, {4006, 50}, {4407, 50}, {4808, 50},
                                                         {5209, 51}, {5610, 50}, {6011, 50}, {6408, 49}};
  EXPECT_FALSE(CountKeptGrowing(trend.slope, FitOf(even)));
  std::vector<std::pair<uint64_t, double>> leak = even;
  for (auto& [units, count] : leak) count = 3.0 + static_cast<double>(units);
  EXPECT_TRUE(CountKeptGrowing(1.0, FitOf(leak)));
  // A leak of one descriptor in four, read at the same points.
  for (auto& [units, count] : leak) count = 20.0 + static_cast<double>(units / 4);
  EXPECT_TRUE(CountKeptGrowing(0.25, FitOf(leak)));
  // Grown on, but at under half the trend's slope: a count still levelling off.
  for (auto& [units, count] : leak) count = 40.0 + 0.1 * static_cast<double>(units);
  EXPECT_FALSE(CountKeptGrowing(0.25, FitOf(leak)));
  // Too few points to say it kept growing.
  EXPECT_FALSE(CountKeptGrowing(1.0, FitOf({{3204, 3207}, {6408, 6411}})));
}

TEST(CountWatchTest, ABoundedCountIsNoLeakAndNoCulprit) {
  v1::LeakResult r;
  r.set_verdict(v1::LEAK_VERDICT_LEAK);
  r.set_summary_kind(v1::LEAK_SUMMARY_KIND_TREND);
  auto add = [&r](const std::string& name, v1::LeakVerdict verdict) {
    v1::LeakSeries* s = r.add_series();
    s->set_name(name);
    s->set_unit(name == "heap_used" ? "bytes" : "count");
    s->set_verdict(verdict);
    if (verdict == v1::LEAK_VERDICT_LEAK) s->set_evidence("trend");
  };
  add("heap_used", v1::LEAK_VERDICT_NO_LEAK);
  add("descriptors", v1::LEAK_VERDICT_NO_LEAK);
  add("handles", v1::LEAK_VERDICT_LEAK);
  v1::LeakCulprit* timers = r.add_culprits();
  timers->set_constructor("Timeout");
  timers->set_node_type("handle");
  v1::LeakResult bounded = r;
  CountBounded("handles", "bounded: level", &bounded);
  EXPECT_EQ(bounded.verdict(), v1::LEAK_VERDICT_NO_LEAK);
  EXPECT_EQ(bounded.summary_kind(), v1::LEAK_SUMMARY_KIND_NO_LEAK);
  EXPECT_EQ(bounded.series(2).verdict(), v1::LEAK_VERDICT_NO_LEAK);
  EXPECT_EQ(bounded.series(2).note(), "bounded: level");
  EXPECT_TRUE(bounded.series(2).evidence().empty());
  EXPECT_EQ(bounded.culprits_size(), 0);
  // Another series still undecided: so is the run.
  v1::LeakResult undecided = r;
  undecided.mutable_series(0)->set_verdict(v1::LEAK_VERDICT_INCONCLUSIVE);
  CountBounded("handles", "bounded: level", &undecided);
  EXPECT_EQ(undecided.verdict(), v1::LEAK_VERDICT_INCONCLUSIVE);
  EXPECT_EQ(undecided.summary_kind(), v1::LEAK_SUMMARY_KIND_BUDGET_SHORT);
  // Another series' leak stands, with its culprits.
  v1::LeakResult other = r;
  other.mutable_series(1)->set_verdict(v1::LEAK_VERDICT_LEAK);
  v1::LeakCulprit* files = other.add_culprits();
  files->set_constructor("file");
  files->set_node_type("descriptor");
  CountBounded("handles", "bounded: level", &other);
  EXPECT_EQ(other.verdict(), v1::LEAK_VERDICT_LEAK);
  EXPECT_EQ(other.summary_kind(), v1::LEAK_SUMMARY_KIND_TREND);
  ASSERT_EQ(other.culprits_size(), 1);
  EXPECT_EQ(other.culprits(0).node_type(), "descriptor");
}

// A check's s3 whose freed window kept more than the regrowth bar, past a knee in its later
// part. Recorded at 30,000: knee_corpus 04, a TTL cache of ~1.2 KB quotes (full at ~18,750)
// beside ~52 B/iteration of subscribers never removed, its heap over [15,000, 30,000]. The
// window [898, 1,098] kept 67.4 B/iteration at 30,000; the growth over its last half is
// level (the cache's entries shrank as the subscribers grew), and the check read `no_leak`
// where only a growth over the last half went on past a knee. It goes on, at a check's s3
// and (since session 37) at a watch's end.
TEST(RetentionTest, AFreedWindowThatKeptMoreThanTheBarGoesOnPastAKnee) {
  const std::vector<std::pair<uint64_t, double>> later = {
      {15000, 21134152}, {16875, 23160392}, {18750, 25251504}, {20625, 25703264}, {22500, 25655336},
      {24375, 25613280}, {26250, 25568968}, {28125, 25525664}, {30000, 26531504}};
  v1::LeakRetention freed;
  freed.set_s1(898);
  freed.set_s2(1098);
  freed.set_s3(30000);
  freed.set_finding(v1::RETENTION_FINDING_FREED);
  freed.set_program_bytes_per_iteration(67.4);
  ASSERT_LT(LaterPartOf(later).last_half.slope, RegrowthBar(898, 30000));
  EXPECT_TRUE(GoesOnPastAKnee(freed, LaterPartOf(later)));
  EXPECT_TRUE(KeptPastAKnee(freed, LaterPartOf(later)));
  // Freed to below the bar (9.0 B/iteration here): a fill's end and nothing beside it.
  v1::LeakRetention emptied = freed;
  emptied.set_program_bytes_per_iteration(0.3);
  EXPECT_FALSE(KeptPastAKnee(emptied, LaterPartOf(later)));
  // Level over all its later part: the window's remainder is a structure's (an intern pool).
  const std::vector<std::pair<uint64_t, double>> level(later.begin() + 3, later.end() - 1);
  EXPECT_FALSE(KeptPastAKnee(freed, LaterPartOf(level)));
  // A leak that grows at one rate throughout has no knee.
  std::vector<std::pair<uint64_t, double>> linear = later;
  for (auto& [units, bytes] : linear) bytes = 3e6 + 60.0 * static_cast<double>(units);
  EXPECT_FALSE(KeptPastAKnee(freed, LaterPartOf(linear)));
  // Other findings are decided as they are.
  v1::LeakRetention unaccounted = freed;
  unaccounted.set_finding(v1::RETENTION_FINDING_UNACCOUNTED);
  EXPECT_FALSE(KeptPastAKnee(unaccounted, LaterPartOf(later)));
}

// Arrays grown by pushes that carry the retention alone, the window's own objects freed: a
// leak of numbers (an array of ints), or a bound its code keeps (lru-cache with `maxSize`
// of ~20,000 entries at 30,000, its arrays grown ~20-fold since s1 while it filled, its
// window's objects evicted: "confirmed by retention" before). Like a table's, they are
// watched until a leaking one has grown again (TABLE_STEPPED), their owners' entries
// deciding. A value replaced by a bigger one (a string appended to) still confirms at once.
TEST(RetentionTest, ArraysThatCarryTheRetentionAloneAreWatchedLikeATable) {
  RetentionEvidence e{898, 1098, 30000, 1200, 1232, 38.6, 30000};
  e.backing_growth_bytes = e.array_growth_bytes = 340 * 1024;
  e.later = LaterPartFrom(e.s2, e.s3);
  const v1::LeakRetention r = ConfirmByRetention(Suspected(238), e);
  EXPECT_FALSE(r.confirmed());
  EXPECT_TRUE(r.undecided());
  EXPECT_EQ(r.finding(), v1::RETENTION_FINDING_TABLE_STEPPED);
  EXPECT_EQ(r.array_growth_bytes(), e.array_growth_bytes);
  EXPECT_EQ(r.table_growth_bytes(), 0u);
  // The same growth as a value replaced by a bigger one: no entries to count, a leak.
  e.array_growth_bytes = 0;
  EXPECT_EQ(ConfirmByRetention(Suspected(238), e).finding(), v1::RETENTION_FINDING_CONFIRMED);
  // Window objects that carry the growth on their own confirm it, arrays or not.
  e.array_growth_bytes = e.backing_growth_bytes;
  e.program_bytes = 200 * 60;
  EXPECT_EQ(ConfirmByRetention(Suspected(238), e).finding(), v1::RETENTION_FINDING_CONFIRMED);
}

TEST(RetentionTest, AnArrayMadeAtItsSizeIsWatchedPastWhereItIsFullAndOneMoreTurn) {
  // Recorded at 2,000: a new user's lru-cache with max 12,000 (its #valList made at 12,000
  // slots), confirmed by retention on [898, 1,098] at s3 = 8,784 with 8,784 slots filled,
  // 898 at s1. Full at 12,000; one more turn of its slots to 24,000; watched to 36,000.
  const StoreWatch w = PlanStoreWatch(898, 8784, 12000, 898, 8784);
  EXPECT_EQ(w.full_at, 12000u);
  EXPECT_EQ(w.settle, 24000u);
  EXPECT_EQ(w.until, 36000u);
  EXPECT_EQ(w.short_until, 28800u);
  // max 20,000 at 2,000 (a cap of 50,000), with the slots filled at s1 read two past s1:
  // a fill rate 0.03% slower than one per iteration still fits under the cap.
  const StoreWatch at_cap = PlanStoreWatch(898, 8784, 20000, 900, 8784);
  EXPECT_GT(at_cap.until, 50000u);
  EXPECT_LE(at_cap.short_until, 50000u);
  // Full before s3 (max 8,000): from s3, and a turn of 8,000 slots at the rate the check
  // saw (7,102 filled in 7,886 iterations: slower than it was, so the watch is longer).
  const StoreWatch full = PlanStoreWatch(898, 8784, 8000, 898, 8000);
  EXPECT_EQ(full.full_at, 8784u);
  EXPECT_EQ(full.settle, 8784u + 8884u);
  // An array that did not fill over the check, or was full at s1: nothing to watch.
  EXPECT_EQ(PlanStoreWatch(898, 8784, 12000, 900, 900).full_at, 0u);
  EXPECT_EQ(PlanStoreWatch(898, 8784, 12000, 12000, 12000).full_at, 0u);

  // Its heap from full on (recorded): lru-cache's Map of keys doubles its table once more as
  // deleted entries pile up (~500 KB at ~17,000), then level.
  const std::vector<std::pair<uint64_t, double>> heap = {
      {12343, 6378712}, {13825, 6396016}, {15484, 6393240}, {17343, 6894152},
      {19425, 6894576}, {21756, 6895872}, {24367, 6896280}, {27292, 6895872},
      {30568, 6896672}, {34237, 6896264}, {36000, 6896832}};
  std::vector<std::pair<uint64_t, double>> settled;
  for (const auto& point : heap) {
    if (point.first >= w.settle) settled.push_back(point);
  }
  ASSERT_GE(settled.size(), kStoreWatchPoints);
  EXPECT_FALSE(StillLeaksOverTheCheck(FitOf(settled), 1.0));
  // The same cache with a leak of 40 B/iteration beside it (a Map of metadata never
  // deleted from) still grows there.
  std::vector<std::pair<uint64_t, double>> with_leak = settled;
  for (auto& [units, bytes] : with_leak) bytes += 40.0 * static_cast<double>(units - 12000);
  EXPECT_TRUE(StillLeaksOverTheCheck(FitOf(with_leak), 1.0));
  EXPECT_TRUE(StoreGrewOn(FitOf(with_leak), with_leak.back().second - with_leak.front().second, 1.0));
  EXPECT_FALSE(StoreGrewOn(FitOf(settled), settled.back().second - settled.front().second, 1.0));
  // A leak beside the cache whose few points leave the fit's lower end under 0
  // (lru_meta_map_15k.js: 105 B/iteration over [30,000, 45,000], ~1.5 MB): it grew on.
  const TheilSen few{105.0, 0, -3.0, 330.0};
  EXPECT_FALSE(StillLeaksOverTheCheck(few, 8.0));
  EXPECT_TRUE(StoreGrewOn(few, 105.0 * 15000, 8.0));
  // Not with the rise of a settled cache's noise, nor under the bar.
  EXPECT_FALSE(StoreGrewOn(few, 35000, 8.0));
  EXPECT_FALSE(StoreGrewOn(TheilSen{2.3, 0, -1.0, 6.0}, 2.3 * 15000, 8.0));
}

TEST(RetentionTest, GrowthPastAFreedWindowIsCheckedAgain) {
  // Recorded (tests/fixtures/leaks/flush_then_leak.js at 2,000: a warm-up cache of ~240
  // B/iteration dropped at 1,500, a leak of ~90 B/iteration from 3,000; the first suspicion
  // at 898): the window's objects were freed by 8,784 while the heap grew ~93 B/iteration
  // over the check's later part, 45 times the bar.
  const TheilSen leak_after = FitOf({{4392, 3588424}, {4941, 3633808}, {5490, 3685784}, {6039, 3743704},
                                     {6588, 3793096}, {7137, 3833528}, {7686, 3895432}, {8235, 3939256},
                                     {8784, 4008288}});
  RetentionEvidence leak{898, 1098, 8784, 16, 488, leak_after.slope, 8784};
  v1::LeakRetention r = ConfirmByRetention(Suspected(243.9), leak);
  EXPECT_EQ(r.finding(), v1::RETENTION_FINDING_FREED);
  EXPECT_TRUE(GrewPastItsWindow(r, leak_after)) << leak_after.slope << " [" << leak_after.low << ", " << leak_after.high << "]";
  // Recorded (set_window.js, bounded, at 2,000): freed, and flat after it, 2.67 B/iteration.
  RetentionEvidence bounded{898, 1114, 8912, 182, 488, 2.67, 8912};
  r = ConfirmByRetention(Suspected(112.8), bounded);
  EXPECT_EQ(r.finding(), v1::RETENTION_FINDING_FREED);
  EXPECT_FALSE(GrewPastItsWindow(r, Even(2.67)));
  // Recorded (phase_corpus/batch_import_leak.js at 2,000: an import buffer of ~8 KiB per
  // iteration dropped at 1,500, ~100 B per iteration kept from then): growth 47 times the
  // bar, 0.012 of the suspicion's slope. Checked again.
  RetentionEvidence behind_a_big_fill{801, 977, 7816, 16, 128, 97.7, 7816};
  r = ConfirmByRetention(Suspected(8100), behind_a_big_fill);
  EXPECT_EQ(r.finding(), v1::RETENTION_FINDING_FREED);
  EXPECT_TRUE(GrewPastItsWindow(r, Even(97.7)));
  // Growth over the bar, but not 16 times it (template_cache.js, bounded: 13 times).
  bounded.slope_after = 27;
  r = ConfirmByRetention(Suspected(560), bounded);
  EXPECT_EQ(r.finding(), v1::RETENTION_FINDING_FREED);
  EXPECT_FALSE(GrewPastItsWindow(r, Even(27)));
  // A table found bounded by its owners' entries, while the series grew on over its watch
  // [10,000, 20,625] (codebound_corpus/14_lru_audit_log_leak.js at 10,000: 143 B/iteration),
  // or by a fourth snapshot's tables.
  v1::LeakRetention stayed;
  stayed.set_s1(898);
  stayed.set_s2(1098);
  stayed.set_s3(10000);
  stayed.set_finding(v1::RETENTION_FINDING_TABLE_ENTRIES_STAYED);
  EXPECT_TRUE(GrewPastItsWindow(stayed, Even(143)));
  EXPECT_FALSE(GrewPastItsWindow(stayed, Even(2)));
  stayed.set_finding(v1::RETENTION_FINDING_TABLE_STOPPED);
  EXPECT_TRUE(GrewPastItsWindow(stayed, Even(143)));
  // Recorded (knee_corpus/06_latency_history_warmup_never_dropped.js at 2,000: warm-up
  // records kept forever, ~500 B/iteration up to ~20,000, then a leak of ~50 B/iteration):
  // at 50,000 the window is held far beyond the growth over [25,000, 50,000], which goes on
  // at 9 times the bar. Checked again, not bounded.
  const TheilSen past_the_records = FitOf({{25000, 14258776}, {27973, 14388424}, {31330, 14516160},
                                           {35090, 14805200}, {39301, 15221736}, {44018, 15188576},
                                           {50000, 15427288}});
  RetentionEvidence records{898, 1098, 50000, 200 * 500, 1056, past_the_records.slope, 8784};
  records.later = 25000;
  r = ConfirmByRetention(Suspected(529.8), records);
  ASSERT_EQ(r.finding(), v1::RETENTION_FINDING_UNACCOUNTED) << r.ShortDebugString();
  EXPECT_TRUE(GrewPastItsWindow(r, past_the_records))
      << past_the_records.slope << " [" << past_the_records.low << ", " << past_the_records.high << "]";
  // Held so while the series stays level (map_ttl_sweep.js's long turnover): bounded.
  EXPECT_FALSE(GrewPastItsWindow(r, Even(3.59)));
  // The same module at 30,000, its warm-up over by s3: a fill that slowed (SLOWED, 506.7
  // B/iteration of the window at 30,000, 141.6 over [15,000, 30,000]), then watched on to
  // 120,000, over which the series grew 49.8 B/iteration, 5.5 times the bar. Checked again;
  // a fill that went on slowing toward its size is not.
  v1::LeakRetention slowed;
  slowed.set_s1(898);
  slowed.set_s2(1098);
  slowed.set_s3(30000);
  slowed.set_finding(v1::RETENTION_FINDING_SLOWED);
  const TheilSen over_watch = FitOf({{30000, 14217704}, {32721, 14568936}, {35791, 14816512}, {39302, 15420704},
                                     {43300, 15395664}, {47805, 15323192}, {52900, 15729392}, {58630, 15958592},
                                     {65069, 16216152}, {72312, 16505888}, {80479, 17137888}, {89740, 17508552},
                                     {100174, 17925912}, {112000, 18398936}, {120000, 19176736}});
  EXPECT_TRUE(GrewPastItsWindow(slowed, over_watch)) << over_watch.slope << " [" << over_watch.low << "]";
  EXPECT_FALSE(GrewPastItsWindow(slowed, Even(3)));
  // A retained window is not "bounded": nothing to check again.
  RetentionEvidence retained{898, 1098, 8784, 200 * 90, 0, 93.1, 8784};
  r = ConfirmByRetention(Suspected(90), retained);
  EXPECT_TRUE(r.confirmed());
  EXPECT_FALSE(GrewPastItsWindow(r, leak_after));
}

// Recorded (apisurface_corpus 05 at 2,000: listeners added to a process-wide EventTarget,
// ~28 B/iteration, behind an early fill that made the suspicion 68.5 B/iteration): its
// window [898, 1,212] kept 24 B/iteration at 9,696, as fast as the series grew over its later
// part (24.5), but 7.4 KiB in all, under the noise's 8 KiB. Not freed: a window too short to
// tell, checked again over one sized for the growth.
TEST(RetentionTest, AWindowTooShortForTheGrowthIsCheckedAgain) {
  RetentionEvidence slow{898, 1212, 9696, 7536, 1400, 24.53, 9696};
  slow.later = 4848;
  v1::LeakRetention r = ConfirmByRetention(Suspected(68.47), slow);
  EXPECT_EQ(r.finding(), v1::RETENTION_FINDING_WINDOW_SHORT) << r.ShortDebugString();
  EXPECT_TRUE(r.undecided());
  EXPECT_FALSE(r.confirmed());
  EXPECT_TRUE(GrewPastItsWindow(r, Even(24.53)));
  EXPECT_FALSE(GrewPastItsWindow(r, Even(1)));  // under the check's bar (1.86 here)
  // With V8's own objects beside them at more than half the growth (a CI run at 2,000: the
  // window [898, 1,194] kept 25.46 B/iteration of the program's objects and 39.76 of V8's at
  // 9,552, against 25.63 of growth): the program's objects account for the growth, so still
  // too short to tell, not "V8 internal growth" (that was `no_leak`).
  RetentionEvidence with_v8{898, 1194, 9552, 7536, 11768, 25.63, 9552};
  with_v8.later = 4776;
  EXPECT_EQ(ConfirmByRetention(Suspected(68.47), with_v8).finding(), v1::RETENTION_FINDING_WINDOW_SHORT);
  // The same rate over a window four times as long: enough bytes, confirmed.
  RetentionEvidence longer{898, 2154, 9696, 4 * 7536, 1400, 24.53, 9696};
  longer.later = 4848;
  EXPECT_TRUE(ConfirmByRetention(Suspected(68.47), longer).confirmed());
  // A window freed while the series grew (a batch flushed): freed, as before.
  RetentionEvidence flushed{898, 1098, 8784, 60, 100, 13.5, 8784};
  EXPECT_EQ(ConfirmByRetention(Suspected(147), flushed).finding(), v1::RETENTION_FINDING_FREED);
  // Kept far beyond the growth (an intern pool's first-seen strings): not this finding.
  RetentionEvidence pool{898, 1098, 8784, 7000, 100, 0.7, 8784};
  EXPECT_NE(ConfirmByRetention(Suspected(135), pool).finding(), v1::RETENTION_FINDING_WINDOW_SHORT);
}

// A confirmation watched on to a fourth snapshot asks whether its window was freed since
// s3. tests/fixtures/leaks/lru_beside_leak.js at 2,000 (recorded 2026-12-06): confirmed at
// 8,784 by the LRU's values and the kept records of [898, 1,098]; at the watch's end,
// 73,479, the values were evicted and the records were left, 40.3 B/iteration (8,060
// bytes) against a growth of 45.9 over the later part, beside the kept array's and the
// Map's growth. A fresh window of so few bytes is noise, and the arrays carried it
// (TABLE_STEPPED, which needs the run to go on to ~150,000); the window confirmed at s3 was
// not freed.
TEST(RetentionTest, AWatchedConfirmationsWindowNotFreedStaysConfirmed) {
  RetentionEvidence end{898, 1098, 73479, 8060, 1620, 45.9, 8784};
  end.later = LaterPartFrom(end.s2, end.s3);
  end.rise_after = 45.9 * (end.s3 - end.later);
  end.table_growth_bytes = 888832;
  end.table_growth_after_bytes = 888832 - 16384;
  end.backing_growth_bytes = end.array_growth_bytes = 600088;
  EXPECT_EQ(ConfirmByRetention(Suspected(124), end).finding(), v1::RETENTION_FINDING_TABLE_STEPPED);
  end.confirmed_before = true;
  const v1::LeakRetention watched = ConfirmByRetention(Suspected(124), end);
  EXPECT_TRUE(watched.confirmed()) << watched.ShortDebugString();
  EXPECT_EQ(watched.finding(), v1::RETENTION_FINDING_CONFIRMED);
  EXPECT_NEAR(watched.program_bytes_per_iteration(), 40.3, 1e-9);
  // Freed at the watch's end (a bounded structure full by then): freed, watched or not.
  RetentionEvidence freed = end;
  freed.program_bytes = 300;
  EXPECT_FALSE(ConfirmByRetention(Suspected(124), freed).confirmed());
  // Under half the noise even so (a quarter of kMinBytesOverSpan): not confirmed.
  RetentionEvidence fewer = end;
  fewer.program_bytes = 3900;
  fewer.slope_after = 30;
  EXPECT_FALSE(ConfirmByRetention(Suspected(124), fewer).confirmed());
  // The same window at a check's own s3 (not watched): the bytes' bar is the noise's half.
  RetentionEvidence fresh = end;
  fresh.confirmed_before = false;
  fresh.table_growth_bytes = fresh.table_growth_after_bytes = 0;
  fresh.backing_growth_bytes = fresh.array_growth_bytes = 0;
  EXPECT_FALSE(ConfirmByRetention(Suspected(124), fresh).confirmed());
}

// The end of a watch gone on past a knee. Recorded at 2,000: knee_corpus 05 (a Map of 12,000
// cells overwritten at random, filling as e^(-i/12,000); the keys first set in the window
// stay with the Map), its window [898, 1,098] at 83,889: 29.1 B/iteration kept (6.6 of it
// V8's) against a growth of 5.8 over the later part, the fill's tail. Within 4 times it,
// it read as a leak. Recorded at 30,000: knee_corpus 04, subscribers of ~52 B/iteration
// never removed beside a TTL cache that shrinks past its fill as they grow, at 60,000: 50.0
// kept (8.0 V8's) against 42.8.
TEST(RetentionTest, PastAKneeAWindowKeptFarBeyondTheGrowthIsNoLeak) {
  RetentionEvidence cells{898, 1098, 83889, 5820, 1320, 5.8, 8784};
  cells.later = LaterPartFrom(cells.s2, cells.s3);
  cells.confirmed_before = true;
  ASSERT_TRUE(ConfirmByRetention(Suspected(560), cells).confirmed());
  cells.past_knee = true;
  const v1::LeakRetention bounded = ConfirmByRetention(Suspected(560), cells);
  EXPECT_FALSE(bounded.confirmed()) << bounded.ShortDebugString();
  EXPECT_EQ(bounded.finding(), v1::RETENTION_FINDING_UNACCOUNTED);
  RetentionEvidence subscribers{898, 1098, 60000, 10000, 1600, 42.8, 60000};
  subscribers.later = LaterPartFrom(subscribers.s2, subscribers.s3);
  subscribers.past_knee = true;
  const v1::LeakRetention leak = ConfirmByRetention(Suspected(187), subscribers);
  EXPECT_TRUE(leak.confirmed()) << leak.ShortDebugString();
}

// Recorded (leak corpus pooled_small_churn.mjs at 2,000, a non-leak): a check over
// [7,816, 50,000] of the native series, which moves by MBs between checkpoints as pooled
// slabs come and go, found only V8's own objects of its window alive (19.8 B/iteration).
// The series' slope over the later part was 3 times RegrowthBar, its interval [-205, 113]:
// noise, not growth past the window. Called growing, it stayed untested at the cap, and the
// run ended `inconclusive`.
TEST(RetentionTest, NoiseOverTheLaterPartIsNotGrowth) {
  const TheilSen noise = FitOf({{25000, 3912272}, {28125, 5386747}, {31250, 5632420}, {34375, 5566884},
                                {37500, 5845412}, {40625, 5648804}, {43750, 6033828}, {46875, 5714340},
                                {50000, 1790374}});
  ASSERT_GT(noise.slope, RegrowthBar(7816, 50000));
  ASSERT_LT(noise.low, 0);
  EXPECT_FALSE(KeepsGrowing(noise, 7816, 50000));
  RetentionEvidence e{7816, 9745, 50000, 400, 38200, noise.slope, 77960};
  v1::LeakRetention r = ConfirmByRetention(Suspected(40), e);
  ASSERT_EQ(r.finding(), v1::RETENTION_FINDING_V8_INTERNAL);
  EXPECT_FALSE(GrewPastItsWindow(r, noise));
  // The same slope, grown evenly, is growth.
  EXPECT_TRUE(KeepsGrowing(Even(noise.slope), 7816, 50000));
}

TEST(ExhaustionTest, GrowingToTheLimitIsALeak) {
  v1::Limits limits;
  limits.set_max_descriptors(1024);
  v1::LeakResult r;
  r.set_verdict(v1::LEAK_VERDICT_INCONCLUSIVE);
  JudgeExhaustion(v1::OUTCOME_FD_EXHAUSTED, limits, 1005, Descriptors(Schedule(1005), [](double u) { return 19 + u; }),
                  &r);
  EXPECT_EQ(r.verdict(), v1::LEAK_VERDICT_LEAK);
  EXPECT_EQ(r.exhausted().finding(), v1::EXHAUSTION_FINDING_RAN_OUT);
  EXPECT_EQ(r.exhausted().at_iteration(), 1005u);
  EXPECT_EQ(r.exhausted().limit(), 1024);
  ASSERT_EQ(r.series_size(), 1);
  EXPECT_EQ(r.series(0).name(), "descriptors");
  EXPECT_EQ(r.series(0).evidence(), "exhaustion");
  EXPECT_NEAR(r.series(0).slope_per_iteration(), 1.0, 1e-9);
}

TEST(ExhaustionTest, GrabbingAtSetupIsNotALeak) {
  v1::Limits limits;
  limits.set_max_descriptors(1024);
  v1::LeakResult r;
  r.set_verdict(v1::LEAK_VERDICT_INCONCLUSIVE);
  JudgeExhaustion(v1::OUTCOME_FD_EXHAUSTED, limits, 30, Descriptors({0, 1, 2, 4, 8, 16, 24}, [](double) { return 1010; }),
                  &r);
  EXPECT_EQ(r.verdict(), v1::LEAK_VERDICT_INCONCLUSIVE);
  EXPECT_EQ(r.exhausted().finding(), v1::EXHAUSTION_FINDING_GRABBED_AT_SETUP);
}

TEST(ExhaustionTest, GrabbingInOneStepIsNotALeak) {
  v1::Limits limits;
  limits.set_max_old_space_mib(64);
  std::vector<v1::Checkpoint> cps;
  for (uint64_t u : Schedule(700)) {
    v1::Checkpoint c;
    c.set_after_gc(true);
    c.set_units(u);
    c.set_heap_used_bytes(u < 500 ? 4000000 : 60000000);
    cps.push_back(c);
  }
  v1::LeakResult r;
  r.set_verdict(v1::LEAK_VERDICT_NO_LEAK);
  JudgeExhaustion(v1::OUTCOME_HEAP_EXHAUSTED, limits, 700, cps, &r);
  EXPECT_EQ(r.verdict(), v1::LEAK_VERDICT_NO_LEAK);
  EXPECT_EQ(r.exhausted().finding(), v1::EXHAUSTION_FINDING_GRABBED_IN_ONE_STEP);
}

TEST(ExhaustionTest, ALeakThatRunsOutDuringTheWarmUpIsALeak) {
  // One descriptor per iteration under `descriptors: 64`: dead at iteration 45, with only
  // the warm-up's doubling points. Their last interval, 16 to 32, is half of the
  // iterations and holds half of the rise: a steady leak, not one grab.
  v1::Limits limits;
  limits.set_max_descriptors(64);
  v1::LeakResult r;
  r.set_verdict(v1::LEAK_VERDICT_INCONCLUSIVE);
  JudgeExhaustion(v1::OUTCOME_FD_EXHAUSTED, limits, 45,
                  Descriptors({0, 1, 2, 4, 8, 16, 32}, [](double u) { return 19 + u; }), &r);
  EXPECT_EQ(r.verdict(), v1::LEAK_VERDICT_LEAK);
  EXPECT_EQ(r.exhausted().finding(), v1::EXHAUSTION_FINDING_RAN_OUT);
  ASSERT_EQ(r.series_size(), 1);
  EXPECT_NEAR(r.series(0).slope_per_iteration(), 1.0, 1e-9);

  // The same points, one grab between 16 and 32: most of the rise in half the iterations.
  r.Clear();
  r.set_verdict(v1::LEAK_VERDICT_INCONCLUSIVE);
  JudgeExhaustion(v1::OUTCOME_FD_EXHAUSTED, limits, 45,
                  Descriptors({0, 1, 2, 4, 8, 16, 32}, [](double u) { return u < 20 ? 19 : 62; }), &r);
  EXPECT_EQ(r.verdict(), v1::LEAK_VERDICT_INCONCLUSIVE);
  EXPECT_EQ(r.exhausted().finding(), v1::EXHAUSTION_FINDING_GRABBED_IN_ONE_STEP);
  EXPECT_EQ(r.exhausted().biggest_step_at(), 32u);
}

TEST(ExhaustionTest, OtherOutcomesChangeNothing) {
  v1::Limits limits;
  limits.set_max_descriptors(1024);
  v1::LeakResult r;
  r.set_verdict(v1::LEAK_VERDICT_NO_LEAK);
  JudgeExhaustion(v1::OUTCOME_COMPLETED, limits, 1005, Descriptors(Schedule(1005), [](double u) { return u; }), &r);
  EXPECT_EQ(r.verdict(), v1::LEAK_VERDICT_NO_LEAK);
  EXPECT_FALSE(r.has_exhausted());
}

}  // namespace
}  // namespace heapstorm
