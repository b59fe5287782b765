#include "common/median.h"

#include "gtest/gtest.h"

namespace heapstorm {
namespace {

TEST(MedianTest, MiddleValueOrMeanOfTheTwoMiddleOnes) {
  EXPECT_EQ(Median({}), 0);
  EXPECT_EQ(Median({7}), 7);
  EXPECT_EQ(Median({9, 1, 5}), 5);
  EXPECT_EQ(Median({4, 1, 3, 2}), 2.5);
  EXPECT_EQ(Median({-1, 100, 3, 3, 2}), 3);
  EXPECT_EQ(Median({1e300, -1e300}), 0);
}

}  // namespace
}  // namespace heapstorm
