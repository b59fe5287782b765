// A kind added in its own files only (tests/toy_kind.*, registered here) goes through the
// loader, the validator, the sweeps and capacity like a built-in one: none of their code
// names it.
#include "tests/toy_kind.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "coordinator/planner.h"
#include "gtest/gtest.h"
#include "model/kinds.h"
#include "model/names.h"
#include "model/parameters.h"
#include "model/targets.h"
#include "proto/result.pb.h"
#include "reports/capacity.h"
#include "reports/html_report.h"
#include "scenarios/suite_loader.h"
#include "tests/toy_kind.pb.h"

namespace heapstorm {
namespace {

class ToyKindTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_TRUE(RegisterKind(ToyPileKind()).ok()); }

  static absl::StatusOr<v1::Suite> Load(const std::string& yaml) {
    SuiteLoadOptions options;
    options.check_files = false;
    return LoadSuiteText(yaml, "toy.yaml", "/nonexistent", options);
  }

  static test::ToyPileParams ParamsOf(const v1::Scenario& s) {
    test::ToyPileParams params;
    params.CopyFrom(*CopyParams(*FindKind("toy_pile"), s));
    return params;
  }
};

constexpr char kSuite[] =
    "scenarios:\n"
    "  - name: pile\n"
    "    kind: toy_pile\n"
    "    params: {bricks: 1000, brick_size: 1Ki}\n"
    "    sweep: {parameter: params.brick_size, values: [64B, 2Ki]}\n"
    "    target_units: 500\n";

TEST_F(ToyKindTest, LoadsWithItsDefaultsAndTarget) {
  absl::StatusOr<v1::Suite> suite = Load(kSuite);
  ASSERT_TRUE(suite.ok()) << suite.status();
  const v1::Scenario& s = suite->scenarios(0);
  EXPECT_EQ(KindOf(s), FindKind("toy_pile"));
  EXPECT_EQ(KindNameOf(s), "toy_pile");
  EXPECT_TRUE(s.has_other_params());
  test::ToyPileParams params = ParamsOf(s);
  EXPECT_EQ(params.bricks(), 1000u);
  EXPECT_EQ(params.brick_bytes(), 1024u);
  EXPECT_EQ(params.color(), test::TOY_COLOR_RED);  // the registry's default
  EXPECT_EQ(TargetUnits(s), 1000u);
  EXPECT_EQ(s.checkpoint_every(), 10u);            // target / 100
  EXPECT_EQ(s.sweep().labels(1), "2Ki");
  EXPECT_EQ(s.limits().max_old_space_mib(), 256u);  // limits as for any kind
}

TEST_F(ToyKindTest, BadParamsAreLocatedAndNamed) {
  struct Case {
    std::string params;
    std::string expected;
  };
  for (const Case& c : std::vector<Case>{
           {"{bricks: 10, brick_size: lots}", "toy.yaml:4:38: scenarios[0].params.brick_size: "},
           {"{bricks: 0}", "toy.yaml:4:22: scenarios[0].params.bricks: must be a whole number from 1 to 1000000"},
           {"{brick_size: 1Ki}", "toy.yaml:4:13: scenarios[0].params.bricks: is required"},
           {"{bricks: 5, color: green}", "toy.yaml:4:32: scenarios[0].params.color: expected one of red, blue"},
           {"{bricks: 5, entries: 3}",
            "toy.yaml:4:25: scenarios[0].params.entries: 'entries' is a parameter of cached_data, not of toy_pile"},
           {"{bricks: 5, brick_size: 2Ki, color: blue}",
            "toy.yaml:4:49: scenarios[0].params.brick_size: blue bricks are at most 1Ki"},
       }) {
    std::string yaml = "scenarios:\n  - name: pile\n    kind: toy_pile\n    params: " + c.params + "\n";
    absl::StatusOr<v1::Suite> suite = Load(yaml);
    ASSERT_FALSE(suite.ok()) << c.params;
    EXPECT_EQ(suite.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(suite.status().message().find(c.expected), std::string::npos)
        << c.params << ": expected '" << c.expected << "' in\n" << suite.status().message();
  }
  // A sweep over a param of another kind is refused by name.
  absl::StatusOr<v1::Suite> suite =
      Load("scenarios:\n  - name: pile\n    kind: toy_pile\n    params: {bricks: 5}\n"
           "    sweep: {parameter: params.depth, values: [1]}\n");
  ASSERT_FALSE(suite.ok());
  EXPECT_NE(suite.status().message().find("'params.depth' is a parameter of deep_recursion, not of toy_pile"),
            std::string::npos)
      << suite.status().message();
}

TEST_F(ToyKindTest, SweepsItsParams) {
  absl::StatusOr<v1::Suite> suite = Load(kSuite);
  ASSERT_TRUE(suite.ok()) << suite.status();
  std::string label;
  absl::StatusOr<v1::Scenario> point = ApplyPoint(suite->scenarios(0), "params.brick_size", 2048, &label);
  ASSERT_TRUE(point.ok()) << point.status();
  EXPECT_EQ(ParamsOf(*point).brick_bytes(), 2048u);
  EXPECT_EQ(label, "params.brick_size=2Ki");
  point = ApplyPoint(suite->scenarios(0), "params.bricks", 77, &label);
  ASSERT_TRUE(point.ok()) << point.status();
  EXPECT_EQ(TargetUnits(*point), 77u);
  // A param of another kind does not apply.
  EXPECT_FALSE(ApplyPoint(suite->scenarios(0), "params.entries", 5, &label).ok());
}

TEST_F(ToyKindTest, CapacityReadsItsUnitsAndDescriptors) {
  absl::StatusOr<v1::Suite> suite = Load(kSuite);
  ASSERT_TRUE(suite.ok()) << suite.status();
  v1::RunResult run;
  run.set_scenario("pile");
  run.set_variation("params.brick_size=64B");
  run.set_outcome(v1::OUTCOME_COMPLETED);
  run.set_units_reached(1000);
  run.set_peak_descriptors(1010);
  *run.mutable_limits() = suite->scenarios(0).limits();
  v1::Checkpoint* c = run.add_checkpoints();
  c->set_units(1000);
  c->set_heap_used_bytes(64 << 20);
  c->set_rss_bytes(128 << 20);
  std::vector<v1::CapacityReport> capacity = BuildCapacity(*suite, {run}, {});
  ASSERT_EQ(capacity.size(), 1u);
  EXPECT_NE(capacity[0].recommendation().find("For 500 bricks: "), std::string::npos)
      << capacity[0].recommendation();
  // The kind says each brick holds a descriptor, so capacity recommends descriptors.
  EXPECT_GT(capacity[0].recommended_descriptors(), 500u);
}

// A sweep over the kind's sized param: capacity and the HTML read its words, unit and scale
// from the registry (the point at 2Ki is 2048 bytes, read per KiB of "brick size").
TEST_F(ToyKindTest, CapacityAndHtmlShowASweptParamInItsUnit) {
  absl::StatusOr<v1::Suite> suite = Load(kSuite);
  ASSERT_TRUE(suite.ok()) << suite.status();
  std::vector<v1::RunResult> runs;
  // A brick costs its size + 96 B of heap: 160 B at 64B, 2,144 B at 2Ki.
  for (const auto& [label, bricks] : std::vector<std::pair<std::string, uint64_t>>{{"64B", 900}, {"2Ki", 300}}) {
    for (uint64_t extra : {0, 10}) {
      v1::RunResult run;
      run.set_scenario("pile");
      run.set_variation("params.brick_size=" + label);
      run.set_outcome(v1::OUTCOME_HEAP_EXHAUSTED);
      run.set_units_reached(bricks + extra);
      run.mutable_heap_per_unit()->set_slope(label == "64B" ? 160 : 2144);
      runs.push_back(run);
    }
  }
  std::vector<v1::CapacityReport> capacity = BuildCapacity(*suite, runs, {});
  ASSERT_EQ(capacity.size(), 1u);
  ASSERT_EQ(capacity[0].points_size(), 2);
  EXPECT_EQ(capacity[0].points(0).limit(), 64);
  EXPECT_EQ(capacity[0].points(1).limit(), 2048);
  // Bricks at break fall as 1/cost, so the param gets no line of units against it (it read
  // "≈ -310 bricks per KiB of brick size"), but what a brick costs per KiB of it.
  EXPECT_EQ(capacity[0].model().points(), 0u) << capacity[0].model_summary();
  EXPECT_EQ(capacity[0].unit_cost_summary(),
            "heap per unit ≈ 1Ki per KiB of brick size + 96B (2 points: too few for an interval)");

  v1::Report report;
  v1::ScenarioReport* s = report.add_scenarios();
  s->set_scenario("pile");
  s->set_kind(suite->scenarios(0).kind());
  *report.add_capacity() = capacity[0];
  std::string html = RenderHtml(report);
  EXPECT_NE(html.find("<tr><td>64B</td>"), std::string::npos);
  EXPECT_NE(html.find("<tr><td>2Ki</td>"), std::string::npos);
  EXPECT_EQ(html.find("<tr><td>0B</td>"), std::string::npos);
  EXPECT_NE(html.find("limit (KiB)"), std::string::npos);
  EXPECT_NE(html.find("heap per unit ≈ 1Ki per KiB of brick size"), std::string::npos);
}

TEST_F(ToyKindTest, TheRegistryRefusesASecondKindOfTheSameName) {
  EXPECT_EQ(RegisterKind(ToyPileKind()).code(), absl::StatusCode::kAlreadyExists);
  KindSpec nameless = ToyPileKind();
  nameless.target_param = "color";
  nameless.name = "toy_other";
  EXPECT_EQ(RegisterKind(nameless).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace heapstorm
