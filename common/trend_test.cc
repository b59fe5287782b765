#include "common/trend.h"

#include <cmath>

#include "gtest/gtest.h"

namespace heapstorm {
namespace {

TEST(NormalQuantileTest, KnownValues) {
  EXPECT_NEAR(NormalQuantile(0.5), 0.0, 1e-12);
  EXPECT_NEAR(NormalQuantile(0.975), 1.959963984540054, 1e-9);
  EXPECT_NEAR(NormalQuantile(0.995), 2.5758293035489, 1e-9);
  EXPECT_NEAR(NormalQuantile(0.8), 0.8416212335729143, 1e-9);
  EXPECT_NEAR(NormalQuantile(0.001), -3.090232306167813, 1e-9);
}

TEST(TheilSenTest, ExactLineAndOutliers) {
  std::vector<double> x, y;
  for (int i = 0; i < 30; ++i) {
    x.push_back(i * 10);
    y.push_back(1000 + 7.0 * i * 10);
  }
  TheilSen clean = TheilSenSlope(x, y, 0.05);
  EXPECT_DOUBLE_EQ(clean.slope, 7.0);
  EXPECT_DOUBLE_EQ(clean.intercept, 1000.0);
  EXPECT_DOUBLE_EQ(clean.low, 7.0);
  EXPECT_DOUBLE_EQ(clean.high, 7.0);
  // Two wild outliers (a transient spike and its revert) barely move it.
  y[10] += 280000;
  y[11] -= 275000;
  TheilSen robust = TheilSenSlope(x, y, 0.05);
  EXPECT_NEAR(robust.slope, 7.0, 0.5);
  EXPECT_LE(robust.low, robust.slope);
  EXPECT_GE(robust.high, robust.slope);
}

TEST(TheilSenTest, HandWorkedSmallExample) {
  // x = 1,2,3,4; y = 1,3,2,5: slopes 2, 0.5, 4/3, -1, 1, 3 → sorted -1, 0.5, 1, 4/3, 2, 3;
  // median (1 + 4/3)/2 = 7/6.
  TheilSen f = TheilSenSlope({1, 2, 3, 4}, {1, 3, 2, 5}, 0.05);
  EXPECT_NEAR(f.slope, 7.0 / 6.0, 1e-12);
}

TEST(MannKendallTest, HandWorked) {
  // y = 1,3,2,5: pairs (1,3)+ (1,2)+ (1,5)+ (3,2)- (3,5)+ (2,5)+ → S = 4; Var = 4·3·13/18
  // = 8.667; z = (4-1)/2.944 = 1.019; p = 0.308.
  MannKendall mk = MannKendallTest({1, 3, 2, 5});
  EXPECT_EQ(mk.s, 4);
  EXPECT_NEAR(mk.variance, 4.0 * 3 * 13 / 18, 1e-12);
  EXPECT_NEAR(mk.p_value, std::erfc(3.0 / std::sqrt(mk.variance) / std::sqrt(2.0)), 1e-12);
  EXPECT_NEAR(mk.p_value, 0.308, 0.001);
  // A constant series has no trend at all.
  EXPECT_EQ(MannKendallTest({5, 5, 5, 5, 5, 5}).p_value, 1.0);
  // A strictly increasing series of 30 is significant far below 0.001.
  std::vector<double> up;
  for (int i = 0; i < 30; ++i) up.push_back(i);
  EXPECT_LT(MannKendallTest(up).p_value, 1e-6);
}

TEST(RobustNoiseTest, IgnoresOutliers) {
  std::vector<double> x, y;
  for (int i = 0; i < 40; ++i) {
    x.push_back(i);
    y.push_back(i % 2 == 0 ? 100 : -100);
  }
  y[5] = 1e6;
  TheilSen f = TheilSenSlope(x, y, 0.05);
  EXPECT_NEAR(RobustNoise(x, y, f), 148.26, 1.0);
}

}  // namespace
}  // namespace heapstorm
