#include "worker/engine/leak_detector.h"

#include <cmath>
#include <functional>

#include "gtest/gtest.h"

namespace heapstorm {
namespace {

v1::LeakCheck Check() {
  v1::LeakCheck c;
  c.set_iterations(2000);
  c.set_warmup_checkpoints(10);
  c.set_checkpoint_every(20);
  c.set_p_value(0.01);
  return c;
}

// Feeds n after-GC checkpoints with heap = f(iteration).
v1::LeakResult Feed(int n, const std::function<double(double)>& heap) {
  LeakDetector d(Check());
  for (int i = 0; i < n; ++i) {
    v1::Checkpoint c;
    c.set_after_gc(true);
    c.set_units(static_cast<uint64_t>(i) * 20);
    c.set_heap_used_bytes(static_cast<uint64_t>(heap(i * 20.0)));
    d.Add(c);
  }
  return d.Evaluate();
}

TEST(LeakDetectorTest, SteadyGrowthIsALeakWithItsRate) {
  v1::LeakResult r = Feed(40, [](double x) { return 4e6 + 100 * x; });
  EXPECT_EQ(r.verdict(), v1::LEAK_VERDICT_LEAK);
  EXPECT_NEAR(r.series(0).slope_per_iteration(), 100, 1e-6);
  EXPECT_EQ(r.series(0).verdict(), v1::LEAK_VERDICT_LEAK);
}

TEST(LeakDetectorTest, FlatIsNoLeakAndStatesItsLimit) {
  v1::LeakResult r = Feed(40, [](double) { return 4e6; });
  EXPECT_EQ(r.verdict(), v1::LEAK_VERDICT_NO_LEAK);
  // 512 B per 20-iteration checkpoint is the bar when there is no noise.
  EXPECT_NEAR(r.series(0).detection_limit(), 512.0 / 20, 1e-9);
}

TEST(LeakDetectorTest, TooFewPointsDecideNothing) {
  EXPECT_EQ(Feed(20, [](double x) { return 4e6 + 100 * x; }).verdict(), v1::LEAK_VERDICT_INCONCLUSIVE);
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
  EXPECT_EQ(r.verdict(), v1::LEAK_VERDICT_LEAK) << r.summary() << " " << r.series(0).note();
}

TEST(LeakDetectorTest, WarmupThenFlatIsNotALeak) {
  v1::LeakResult r = Feed(60, [](double x) { return 4e6 + 200 * std::min(x, 500.0); });
  EXPECT_NE(r.verdict(), v1::LEAK_VERDICT_LEAK);
}

TEST(LeakDetectorTest, SawtoothIsNotALeak) {
  v1::LeakResult r = Feed(40, [](double x) { return 4e6 + 60 * std::fmod(x, 333.0); });
  EXPECT_NE(r.verdict(), v1::LEAK_VERDICT_LEAK) << r.summary();
  // Seen over less than two periods.
  v1::LeakResult short_view = Feed(42, [](double x) { return 4e6 + 60 * std::fmod(x - 100, 500.0); });
  EXPECT_NE(short_view.verdict(), v1::LEAK_VERDICT_LEAK) << short_view.summary();
}

TEST(LeakDetectorTest, WarmupCheckpointsAreDiscarded) {
  // Growth only during the first 10 checkpoints: discarded, then flat.
  v1::LeakResult r = Feed(40, [](double x) { return 4e6 + 1000 * std::min(x, 180.0); });
  EXPECT_EQ(r.verdict(), v1::LEAK_VERDICT_NO_LEAK);
}

}  // namespace
}  // namespace heapstorm
