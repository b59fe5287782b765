#include "reports/statistics.h"

#include "gtest/gtest.h"

namespace heapstorm {
namespace {

TEST(MedianTest, OddEvenEmpty) {
  EXPECT_EQ(Median({3, 1, 2}), 2);
  EXPECT_EQ(Median({4, 1, 3, 2}), 2.5);
  EXPECT_EQ(Median({}), 0);
}

// Exact values worked by hand: with n1 = n2 = 5 there are C(10,5) = 252 equally likely
// arrangements under the null hypothesis.
TEST(MannWhitneyTest, ExactSmallSamples) {
  // Every x below every y: U = 0, one arrangement; two-sided p = 2/252.
  MannWhitney a = MannWhitneyU({1, 2, 3, 4, 5}, {6, 7, 8, 9, 10});
  EXPECT_TRUE(a.exact);
  EXPECT_EQ(a.u, 0);
  EXPECT_NEAR(a.p_value, 2.0 / 252.0, 1e-12);
  // One inversion: U = 1, arrangements with U <= 1 are 2; p = 4/252.
  MannWhitney b = MannWhitneyU({1, 2, 3, 4, 6}, {5, 7, 8, 9, 10});
  EXPECT_EQ(b.u, 1);
  EXPECT_NEAR(b.p_value, 4.0 / 252.0, 1e-12);
  // U = 2: arrangements with U <= 2 are 1 + 1 + 2 = 4 (partitions of 0, 1, 2 into at
  // most 5 parts of at most 5); p = 8/252.
  MannWhitney c = MannWhitneyU({1, 2, 3, 5, 6}, {4, 7, 8, 9, 10});
  EXPECT_EQ(c.u, 2);
  EXPECT_NEAR(c.p_value, 8.0 / 252.0, 1e-12);
  // Symmetric: swapping the samples gives the same p.
  EXPECT_NEAR(MannWhitneyU({6, 7, 8, 9, 10}, {1, 2, 3, 4, 5}).p_value, 2.0 / 252.0, 1e-12);
  // Interleaved: U = 10; 87 of the 252 arrangements have U <= 10, so p = 174/252. (Counted
  // by brute force over all C(10,5) splits with a Python one-liner when this test was
  // written, independently of the DP in statistics.cc.)
  MannWhitney d = MannWhitneyU({1, 3, 5, 7, 9}, {2, 4, 6, 8, 10});
  EXPECT_EQ(d.u, 10);
  EXPECT_NEAR(d.p_value, 174.0 / 252.0, 1e-12);
}

TEST(MannWhitneyTest, NormalApproximationWithTies) {
  // x = 1..5 twice, y = 6..10 twice: no overlap, n1 = n2 = 10 with ties. U = 0;
  // mean 50, tie term 10 × (8 - 2) = 60, variance = 100/12 × (21 - 60/380) = 173.684...;
  // z = (50 - 0.5)/sqrt(173.684) = 3.7560; two-sided p = erfc(3.7560/√2) = 1.7265e-4.
  std::vector<double> x, y;
  for (int r = 0; r < 2; ++r) {
    for (int i = 1; i <= 5; ++i) {
      x.push_back(i);
      y.push_back(i + 5);
    }
  }
  MannWhitney m = MannWhitneyU(x, y);
  EXPECT_FALSE(m.exact);
  EXPECT_EQ(m.u, 0);
  EXPECT_NEAR(m.p_value, 1.7265e-4, 0.0002e-4 * 50);
  // Everything equal: no evidence at all.
  EXPECT_NEAR(MannWhitneyU({5, 5, 5, 5, 5}, {5, 5, 5, 5, 5}).p_value, 1.0, 1e-12);
}

}  // namespace
}  // namespace heapstorm
