#include "common/linear_fit.h"

#include "gtest/gtest.h"

namespace heapstorm {
namespace {

TEST(LeastSquaresTest, ExactLine) {
  Fit f = LeastSquares({0, 1, 2, 3}, {10, 12, 14, 16});
  EXPECT_DOUBLE_EQ(f.slope, 2.0);
  EXPECT_DOUBLE_EQ(f.intercept, 10.0);
  EXPECT_DOUBLE_EQ(f.r_squared, 1.0);
  EXPECT_EQ(f.points, 4u);
}

TEST(LeastSquaresTest, NoisyLineMatchesHandComputation) {
  // x = 1..5, y = 2, 4, 5, 4, 5: slope 0.6, intercept 2.2, r² = 0.6 (worked by hand).
  Fit f = LeastSquares({1, 2, 3, 4, 5}, {2, 4, 5, 4, 5});
  EXPECT_NEAR(f.slope, 0.6, 1e-12);
  EXPECT_NEAR(f.intercept, 2.2, 1e-12);
  EXPECT_NEAR(f.r_squared, 0.6, 1e-12);
}

TEST(LeastSquaresTest, IntervalsMatchHandComputation) {
  // The same points: residual sum 6 − 0.6 × 6 = 2.4 over 3 degrees of freedom (t = 3.182);
  // slope standard error sqrt(0.8 / 10) = 0.282843, intercept's sqrt(0.8 × 55 / 50) = 0.938083.
  Fit f = LeastSquares({1, 2, 3, 4, 5}, {2, 4, 5, 4, 5});
  EXPECT_NEAR(f.slope_low, 0.6 - 3.182 * 0.282843, 1e-4);
  EXPECT_NEAR(f.slope_high, 0.6 + 3.182 * 0.282843, 1e-4);
  EXPECT_NEAR(f.intercept_low, 2.2 - 3.182 * 0.938083, 1e-4);
  EXPECT_NEAR(f.intercept_high, 2.2 + 3.182 * 0.938083, 1e-4);
  Fit exact = LeastSquares({0, 1, 2, 3}, {10, 12, 14, 16});
  EXPECT_DOUBLE_EQ(exact.slope_low, 2.0);
  EXPECT_DOUBLE_EQ(exact.slope_high, 2.0);
}

TEST(LeastSquaresTest, DegenerateInputs) {
  Fit empty = LeastSquares({}, {});
  EXPECT_EQ(empty.points, 0u);
  Fit one_x = LeastSquares({3, 3}, {1, 5});
  EXPECT_EQ(one_x.slope, 0.0);
  EXPECT_EQ(one_x.intercept, 3.0);
}

}  // namespace
}  // namespace heapstorm
