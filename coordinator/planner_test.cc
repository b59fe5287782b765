#include "coordinator/planner.h"

#include <set>

#include "gtest/gtest.h"
#include "scenarios/suite_loader.h"

namespace heapstorm {
namespace {

TEST(PlannerTest, RepeatsTimesSweepPointsWithValuesApplied) {
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
  - name: sized
    kind: large_buffers
    params: {count: 2, size: 1Ki}
    sweep: {parameter: params.size, values: [2Ki, 1Mi]}
)",
                                                  "s.yaml", "/tmp");
  ASSERT_TRUE(suite.ok()) << suite.status();
  absl::StatusOr<std::vector<v1::Assignment>> plan = Plan(*suite);
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->size(), 2u + 6u + 2u);
  std::set<std::string> ids;
  for (const v1::Assignment& a : *plan) ids.insert(a.id());
  EXPECT_EQ(ids.size(), plan->size()) << "ids must be unique";
  EXPECT_EQ((*plan)[0].id(), "plain/-/r0");
  EXPECT_EQ((*plan)[2].variation(), "limits.old_space=32Mi");
  EXPECT_EQ((*plan)[2].scenario().limits().max_old_space_mib(), 32u);
  EXPECT_EQ((*plan)[5].scenario().limits().max_old_space_mib(), 64u);
  EXPECT_FALSE((*plan)[5].scenario().has_sweep());
  EXPECT_EQ((*plan)[9].scenario().large_buffers().buffer_bytes(), 1u << 20);
  EXPECT_EQ((*plan)[9].variation(), "params.size=1Mi");
}

}  // namespace
}  // namespace heapstorm
