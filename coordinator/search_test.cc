#include "coordinator/search.h"

#include <cmath>

#include "gtest/gtest.h"

namespace heapstorm {
namespace {

v1::Scenario WithSearch(uint64_t low, uint64_t high, uint64_t precision, v1::SearchGoal goal) {
  v1::Scenario s;
  s.set_name("s");
  s.set_kind(v1::SCENARIO_KIND_CACHED_DATA);
  v1::Search* search = s.mutable_search();
  search->set_parameter("limits.old_space");
  search->set_low(low);
  search->set_high(high);
  search->set_precision(precision);
  search->set_goal(goal);
  return s;
}

// Runs a search against a threshold: completes iff value >= threshold (smallest) or
// value <= threshold (largest). Returns the number of runs it asked for.
int Drive(SearchController* c, uint64_t threshold, bool smallest) {
  int runs = 0;
  for (int round = 0; round < 100 && !c->Done(); ++round) {
    for (uint64_t v : c->Next()) {
      ++runs;
      c->Record(v, smallest ? v >= threshold : v <= threshold);
    }
  }
  return runs;
}

TEST(SearchTest, SmallestCompletingWithinPrecisionAndStepBound) {
  for (uint64_t threshold : {17u, 40u, 52u, 99u, 128u}) {
    SearchController c(WithSearch(16, 128, 4, v1::SEARCH_GOAL_SMALLEST_COMPLETING));
    int runs = Drive(&c, threshold, true);
    ASSERT_TRUE(c.Done());
    v1::SearchResult r = c.Result();
    ASSERT_TRUE(r.found()) << threshold;
    EXPECT_GE(r.value(), threshold);
    EXPECT_LE(r.value(), threshold + 4);
    EXPECT_LE(runs, static_cast<int>(std::ceil(std::log2(112.0 / 4))) + 2) << threshold;
    EXPECT_EQ(r.steps(), static_cast<uint32_t>(runs));
  }
}

TEST(SearchTest, LargestCompleting) {
  SearchController c(WithSearch(1024, 1 << 20, 1024, v1::SEARCH_GOAL_LARGEST_COMPLETING));
  int runs = Drive(&c, 300000, false);
  v1::SearchResult r = c.Result();
  ASSERT_TRUE(r.found());
  EXPECT_LE(r.value(), 300000u);
  EXPECT_GE(r.value() + 1024, 300000u);
  EXPECT_LE(runs, static_cast<int>(std::ceil(std::log2((1048576.0 - 1024) / 1024))) + 2);
}

TEST(SearchTest, BracketThatHoldsNoChange) {
  SearchController never(WithSearch(16, 128, 4, v1::SEARCH_GOAL_SMALLEST_COMPLETING));
  EXPECT_EQ(Drive(&never, 1000, true), 2);
  EXPECT_FALSE(never.Result().found());
  EXPECT_NE(never.Result().message().find("does not complete even at the high end"), std::string::npos);
  SearchController always(WithSearch(16, 128, 4, v1::SEARCH_GOAL_SMALLEST_COMPLETING));
  EXPECT_EQ(Drive(&always, 1, true), 2);
  EXPECT_TRUE(always.Result().found());
  EXPECT_EQ(always.Result().value(), 16u);
}

TEST(SearchTest, ACountSearchIsExactToTheUnitAndSaysARampAnswersInOneRun) {
  v1::Scenario s = WithSearch(1, 5000, 1, v1::SEARCH_GOAL_LARGEST_COMPLETING);
  s.mutable_cached_data()->set_entries(100);
  s.mutable_search()->set_parameter("params.entries");
  SearchController c(s);
  int runs = Drive(&c, 2471, false);
  ASSERT_TRUE(c.Done());
  v1::SearchResult r = c.Result();
  EXPECT_TRUE(r.found()) << r.message();
  EXPECT_EQ(r.value(), 2471u) << r.message();
  EXPECT_LE(runs, 15);
  EXPECT_NE(r.ramp_note().find("one run with params.entries = 5000"), std::string::npos) << r.ramp_note();
}

TEST(SearchTest, ALimitSearchHasNoRampNote) {
  SearchController c(WithSearch(16, 128, 4, v1::SEARCH_GOAL_SMALLEST_COMPLETING));
  Drive(&c, 52, true);
  EXPECT_EQ(c.Result().ramp_note(), "");
}

}  // namespace
}  // namespace heapstorm
