#include "scenarios/suite_loader.h"

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace heapstorm {
namespace {

std::string TmpDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

absl::StatusOr<v1::Suite> Load(const std::string& text) {
  return LoadSuiteText(text, "s.yaml", TmpDir());
}

constexpr char kMinimal[] = R"(scenarios:
  - name: a
    kind: cached_data
    params: {entries: 10}
)";

TEST(SuiteLoaderTest, FillsDefaults) {
  absl::StatusOr<v1::Suite> suite = Load(kMinimal);
  ASSERT_TRUE(suite.ok()) << suite.status();
  EXPECT_EQ(suite->name(), "s");
  ASSERT_EQ(suite->scenarios_size(), 1);
  const v1::Scenario& s = suite->scenarios(0);
  EXPECT_EQ(s.kind(), v1::SCENARIO_KIND_CACHED_DATA);
  EXPECT_EQ(s.cached_data().entries(), 10u);
  EXPECT_EQ(s.cached_data().entry_bytes(), 1024u);
  EXPECT_EQ(s.cached_data().shape(), v1::ENTRY_SHAPE_OBJECT);
  EXPECT_EQ(s.limits().max_old_space_mib(), kDefaultOldSpaceMiB);
  EXPECT_EQ(s.limits().max_semi_space_mib(), kDefaultSemiSpaceMiB);
  EXPECT_EQ(s.limits().stack_kib(), kDefaultStackKiB);
  EXPECT_EQ(s.limits().timeout_ms(), kDefaultTimeoutMs);
  EXPECT_EQ(s.limits().max_descriptors(), kDefaultMaxDescriptors);
  EXPECT_EQ(s.limits().native_bytes(), 0u);
  EXPECT_EQ(s.repeats(), 1u);
  EXPECT_EQ(s.checkpoint_every(), 1u);
  EXPECT_EQ(s.expect().outcome(), v1::OUTCOME_COMPLETED);
  EXPECT_EQ(s.location().line(), 2u);
  EXPECT_EQ(s.location().column(), 5u);
  EXPECT_EQ(suite->sha256().size(), 64u);
  EXPECT_DOUBLE_EQ(suite->tolerance().relative(), 0.05);
}

TEST(SuiteLoaderTest, MergesDefaultsFieldByField) {
  absl::StatusOr<v1::Suite> suite = Load(R"(
defaults:
  limits: {old_space: 64Mi, timeout: 5s}
  repeats: 4
scenarios:
  - name: a
    kind: large_buffers
    params: {count: 3, size: 1Mi, pooled: true}
    limits: {old_space: 32Mi, native: 200Mi}
  - name: b
    kind: deep_recursion
    params: {depth: 100}
    repeats: 2
)");
  ASSERT_TRUE(suite.ok()) << suite.status();
  const v1::Scenario& a = suite->scenarios(0);
  EXPECT_EQ(a.limits().max_old_space_mib(), 32u);
  EXPECT_EQ(a.limits().timeout_ms(), 5000u);
  EXPECT_EQ(a.limits().native_bytes(), 200u << 20);
  EXPECT_EQ(a.repeats(), 4u);
  EXPECT_TRUE(a.large_buffers().pooled());
  EXPECT_TRUE(a.large_buffers().retain());
  const v1::Scenario& b = suite->scenarios(1);
  EXPECT_EQ(b.limits().max_old_space_mib(), 64u);
  EXPECT_EQ(b.limits().native_bytes(), 0u);
  EXPECT_EQ(b.repeats(), 2u);
}

TEST(SuiteLoaderTest, SweepAndSearchValuesUseTheParameterUnits) {
  absl::StatusOr<v1::Suite> suite = Load(R"(
scenarios:
  - name: a
    kind: cached_data
    params: {entries: 10}
    repeats: 2
    sweep: {parameter: limits.old_space, values: [32Mi, 1Gi]}
  - name: b
    kind: cached_data
    params: {entries: 10}
    search: {parameter: params.entry_size, low: 1Ki, high: 1Mi, precision: 1Ki,
             goal: largest_completing}
)");
  ASSERT_TRUE(suite.ok()) << suite.status();
  const v1::Sweep& sweep = suite->scenarios(0).sweep();
  EXPECT_EQ(sweep.parameter(), "limits.old_space");
  ASSERT_EQ(sweep.values_size(), 2);
  EXPECT_EQ(sweep.values(0), 32u);
  EXPECT_EQ(sweep.values(1), 1024u);
  EXPECT_EQ(sweep.labels(1), "1Gi");
  EXPECT_EQ(PlannedRuns(suite->scenarios(0)), 4u);
  const v1::Search& search = suite->scenarios(1).search();
  EXPECT_EQ(search.low(), 1024u);
  EXPECT_EQ(search.high(), 1u << 20);
  EXPECT_EQ(search.goal(), v1::SEARCH_GOAL_LARGEST_COMPLETING);
  EXPECT_EQ(PlannedRuns(suite->scenarios(1)), 12u);  // ceil(log2(1023)) + 2, one run a step
}

TEST(SuiteLoaderTest, ScriptModuleResolvesAgainstTheSuiteFile) {
  std::string dir = TmpDir() + "/resolve";
  ASSERT_EQ(system(("mkdir -p " + dir + "/mods").c_str()), 0);
  WriteFile(dir + "/mods/m.js", "module.exports = {iteration() {}};\n");
  WriteFile(dir + "/suite.yaml", R"(scenarios:
  - name: s
    kind: script
    params: {module: mods/m.js, iterations: 5}
)");
  absl::StatusOr<v1::Suite> suite = LoadSuiteFile(dir + "/suite.yaml");
  ASSERT_TRUE(suite.ok()) << suite.status();
  EXPECT_EQ(suite->scenarios(0).script().module_path(), dir + "/mods/m.js");
  EXPECT_EQ(suite->scenarios(0).script().iterations(), 5u);
}

// A leak check's budget is written once: as leak_check.iterations, or as the script's
// params.iterations (no longer required then), or not at all (2,000). Written twice, the two
// must agree: a new user wrote params.iterations: 500 and leak_check: {} and got a run of
// 2,000 iterations, the 500 silently unused.
TEST(SuiteLoaderTest, ALeakChecksBudgetIsWrittenOnce) {
  std::string dir = TmpDir() + "/budget";
  ASSERT_EQ(system(("mkdir -p " + dir).c_str()), 0);
  WriteFile(dir + "/m.js", "module.exports = {iteration() {}};\n");
  auto load = [&](const std::string& params, const std::string& leak) {
    WriteFile(dir + "/suite.yaml", "scenarios:\n  - name: s\n    kind: script\n    params: {module: m.js" + params +
                                       "}\n    leak_check: {" + leak + "}\n");
    return LoadSuiteFile(dir + "/suite.yaml");
  };
  absl::StatusOr<v1::Suite> neither = load("", "");
  ASSERT_TRUE(neither.ok()) << neither.status();
  EXPECT_EQ(neither->scenarios(0).leak_check().iterations(), 2000u);
  EXPECT_EQ(neither->scenarios(0).script().iterations(), 2000u);
  EXPECT_TRUE(neither->scenarios(0).leak_check().stretch());
  absl::StatusOr<v1::Suite> fixed = load("", "stretch: false");
  ASSERT_TRUE(fixed.ok()) << fixed.status();
  EXPECT_FALSE(fixed->scenarios(0).leak_check().stretch());
  absl::StatusOr<v1::Suite> params = load(", iterations: 500", "");
  ASSERT_TRUE(params.ok()) << params.status();
  EXPECT_EQ(params->scenarios(0).leak_check().iterations(), 500u);
  EXPECT_EQ(params->scenarios(0).script().iterations(), 500u);
  absl::StatusOr<v1::Suite> leak = load("", "iterations: 5000");
  ASSERT_TRUE(leak.ok()) << leak.status();
  EXPECT_EQ(leak->scenarios(0).script().iterations(), 5000u);
  absl::StatusOr<v1::Suite> both = load(", iterations: 5000", "iterations: 5000");
  ASSERT_TRUE(both.ok()) << both.status();
  EXPECT_EQ(both->scenarios(0).leak_check().iterations(), 5000u);

  absl::StatusOr<v1::Suite> differ = load(", iterations: 500", "iterations: 2000");
  ASSERT_FALSE(differ.ok());
  EXPECT_TRUE(absl::StrContains(differ.status().message(),
                                "suite.yaml:4:40: scenarios[0].params.iterations: is 500 but leak_check.iterations "
                                "is 2000: a leak check runs one budget"))
      << differ.status();
  absl::StatusOr<v1::Suite> small = load(", iterations: 150", "");
  ASSERT_FALSE(small.ok());
  EXPECT_TRUE(absl::StrContains(small.status().message(),
                                "leak_check: iterations (150) must be at least twice warmup_iterations (100)"))
      << small.status();
}

TEST(SuiteLoaderTest, ReportsEveryProblemNotJustTheFirst) {
  absl::StatusOr<v1::Suite> suite = Load(R"(scenarios:
  - name: a
    kind: cached_data
    params: {entries: 0}
    limits: {old_space: 1Mi}
  - name: b
    kind: nope
)");
  ASSERT_FALSE(suite.ok());
  std::string m(suite.status().message());
  EXPECT_NE(m.find("s.yaml:4:23: scenarios[0].params.entries"), std::string::npos) << m;
  EXPECT_NE(m.find("s.yaml:5:25: scenarios[0].limits.old_space"), std::string::npos) << m;
  EXPECT_NE(m.find("s.yaml:7:11: scenarios[1].kind"), std::string::npos) << m;
}

TEST(SuiteLoaderTest, NonUtf8FileIsRefusedWithItsPlace) {
  // A Latin-1 byte in a description: every string of a suite ends up in protos and
  // reports, which must be UTF-8.
  absl::StatusOr<v1::Suite> suite = Load("description: na\xC3\xAFve caf\xE9\nscenarios:\n  - name: a\n"
                                         "    kind: cached_data\n    params: {entries: 10}\n");
  ASSERT_FALSE(suite.ok());
  EXPECT_EQ(suite.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(suite.status().message()),
            "s.yaml:1:23: byte 0xE9 is not valid UTF-8: save the suite as UTF-8");
  // On a later line, after valid multi-byte characters.
  suite = Load(std::string(kMinimal) + "# \xE2\x82\xAC ok \xE2\x82\n");
  ASSERT_FALSE(suite.ok());
  EXPECT_EQ(std::string(suite.status().message()),
            "s.yaml:5:8: byte 0xE2 is not valid UTF-8: save the suite as UTF-8");
}

TEST(SuiteLoaderTest, MissingFileIsNotFound) {
  absl::StatusOr<v1::Suite> suite = LoadSuiteFile(TmpDir() + "/no-such.yaml");
  EXPECT_EQ(suite.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(suite.status().message().find("no-such.yaml: cannot read the suite"),
            std::string::npos);
}

TEST(SuiteLoaderTest, HugeFileIsRefusedBeforeParsing) {
  std::string path = TmpDir() + "/huge.yaml";
  WriteFile(path, "# " + std::string(2 << 20, 'x') + "\n");
  absl::StatusOr<v1::Suite> suite = LoadSuiteFile(path);
  ASSERT_EQ(suite.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(suite.status().message().find("huge.yaml:1:1: the file is 2Mi, more than the 1Mi"),
            std::string::npos)
      << suite.status();
}

TEST(SuiteLoaderTest, EveryExampleSuiteLoads) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  ASSERT_NE(srcdir, nullptr);
  std::string dir = std::string(srcdir) + "/" + workspace + "/scenarios/examples/";
  for (const char* name : {"cached_data.yaml", "open_connections.yaml", "large_buffers.yaml",
                           "deep_recursion.yaml", "script.yaml", "showcase.yaml"}) {
    absl::StatusOr<v1::Suite> suite = LoadSuiteFile(dir + name);
    EXPECT_TRUE(suite.ok()) << name << ": " << suite.status();
  }
}

// A bad input, where the first problem must be reported, and what it must say.
struct BadCase {
  const char* label;
  std::string yaml;
  const char* location;  // "line:col"; "" for a whole-file problem at 0:0
  const char* expected;  // substring of the message after the location
};

std::string Scenario(const std::string& body) {
  return "scenarios:\n  - name: a\n" + body;
}

// A table, one bad input per line: long by design.
std::vector<BadCase> BadCases() {
  std::string cd = "    kind: cached_data\n    params: {entries: 10}\n";
  return {
      {"syntax error", "scenarios: [\n", "2:1", "YAML syntax error"},
      {"tab indentation", "scenarios:\n\t- name: a\n", "2:2", "YAML syntax error"},
      {"empty file", "", "1:1", "the file is empty"},
      {"comment only", "# nothing\n", "1:1", "the file is empty"},
      {"binary garbage", std::string("scen\0arios", 10), "1:5", "the file is not text"},
      {"top level list", "- a\n- b\n", "1:1", "a suite is a mapping with 'scenarios', got a list"},
      {"top level scalar", "hello\n", "1:1", "a suite is a mapping"},
      {"no scenarios", "name: x\n", "1:1", "scenarios: is required"},
      {"scenarios not a list", "scenarios: {a: 1}\n", "1:12", "expected a list of scenarios"},
      {"empty scenarios", "scenarios: []\n", "1:12", "the list is empty"},
      {"scenario not a map", "scenarios:\n  - 5\n", "2:5", "expected a mapping, got a single value"},
      {"unknown top key", "scenaros: []\n", "1:1", "unknown key 'scenaros'; did you mean 'scenarios'?"},
      {"duplicate key", "name: a\nname: b\nscenarios: []\n", "2:1",
       "duplicate key 'name' (first at line 1, column 1)"},
      {"alias bomb",
       "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\nscenarios: []\n", "1:4", "anchors (&a)"},
      {"alias", "a: &x 1\nscenarios: *x\n", "2:12", "aliases (*name) are not supported"},
      {"second document", "scenarios: []\n---\nscenarios: []\n", "2:1", "one YAML document"},
      {"deep nesting", "scenarios: " + std::string(100, '[') + std::string(100, ']') + "\n", "",
       "nesting deeper than"},
      {"missing name", "scenarios:\n  - kind: cached_data\n    params: {entries: 1}\n", "2:5",
       "scenarios[0].name: is required"},
      {"bad name", "scenarios:\n  - name: 'a b'\n" + cd, "2:11", "scenarios[0].name: must be 1 to 100"},
      {"duplicate scenario name", "scenarios:\n  - name: a\n" + cd + "  - name: a\n" + cd, "5:5",
       "scenario name 'a' is already used at line 2"},
      {"missing kind", Scenario("    params: {entries: 1}\n"), "2:5", "scenarios[0].kind: is required"},
      {"unknown kind", Scenario("    kind: cache\n"), "3:11",
       "scenarios[0].kind: expected one of cached_data"},
      {"missing required param", Scenario("    kind: large_buffers\n    params: {count: 5}\n"), "4:13",
       "scenarios[0].params.size: is required"},
      {"param of another kind",
       Scenario("    kind: cached_data\n    params: {entries: 5, depth: 3}\n"), "4:26",
       "'depth' is a parameter of deep_recursion, not of cached_data"},
      {"param outside params", Scenario("    kind: cached_data\n    entries: 5\n"), "4:5",
       "unknown key 'entries'; parameters of a kind go under 'params'"},
      {"misspelt param", Scenario("    kind: cached_data\n    params: {entries: 5, entry_sise: 1Ki}\n"),
       "4:26", "did you mean 'entry_size'?"},
      {"wrong type count", Scenario("    kind: cached_data\n    params: {entries: many}\n"), "4:23",
       "params.entries: expected a whole number of at least 1, got 'many'"},
      {"quoted number", Scenario("    kind: cached_data\n    params: {entries: '5'}\n"), "4:23",
       "expected a whole number"},
      {"negative count", Scenario("    kind: cached_data\n    params: {entries: -5}\n"), "4:23",
       "got '-5'"},
      {"zero count", Scenario("    kind: cached_data\n    params: {entries: 0}\n"), "4:23",
       "must be a whole number of at least 1, got 0"},
      {"count past 64 bits", Scenario("    kind: cached_data\n    params: {entries: 99999999999999999999999}\n"),
       "4:23", "params.entries: must be at most "},
      {"size without unit", Scenario(cd + "    limits: {old_space: 256}\n"), "5:25",
       "limits.old_space: a size needs a unit"},
      {"unknown unit", Scenario(cd + "    limits: {old_space: 256Qb}\n"), "5:25",
       "unknown size unit 'Qb'"},
      {"negative size", Scenario(cd + "    limits: {native: -1Gi}\n"), "5:22",
       "a size cannot be negative"},
      {"old space too small", Scenario(cd + "    limits: {old_space: 4Mi}\n"), "5:25",
       "limits.old_space: must be from 16Mi to 64Gi, got 4Mi"},
      {"old space not whole MiB", Scenario(cd + "    limits: {old_space: 20000Ki}\n"), "5:25",
       "must be a whole number of MiB"},
      {"stack at the real stack", Scenario(cd + "    limits: {stack: 8190Ki}\n"), "5:13",
       "limits.stack: must stay 64Ki below native_stack (8192Ki), got 8190Ki"},
      {"native below node's baseline", Scenario(cd + "    limits: {native: 32Mi}\n"), "5:22",
       "limits.native: must be from 64Mi"},
      {"too few descriptors", Scenario(cd + "    limits: {descriptors: 10}\n"), "5:27",
       "limits.descriptors: must be a whole number from 64 to 1048576, got 10"},
      {"duration without unit", Scenario(cd + "    limits: {timeout: 30}\n"), "5:23",
       "a duration needs a unit"},
      {"timeout too short", Scenario(cd + "    limits: {timeout: 1ms}\n"), "5:23",
       "limits.timeout: must be from 100ms to 24h, got 1ms"},
      {"address space limit", Scenario(cd + "    limits: {address_space: 1Gi}\n"), "5:14",
       "RLIMIT_AS breaks node"},
      {"limits not a map", Scenario(cd + "    limits: 256Mi\n"), "5:13",
       "limits: expected a mapping, got a single value"},
      {"bad bool", Scenario("    kind: large_buffers\n    params: {count: 1, size: 1Ki, retain: yes}\n"),
       "4:43", "params.retain: expected true or false, got 'yes'"},
      {"bad enum", Scenario("    kind: cached_data\n    params: {entries: 5, shape: blob}\n"), "4:33",
       "params.shape: expected one of string, object, buffer"},
      {"lru without bound", Scenario("    kind: cached_data\n    params: {entries: 5, eviction: lru}\n"),
       "4:36", "params.max_entries: is required with eviction: lru"},
      {"unknown outcome", Scenario(cd + "    expect: {outcome: oom}\n"), "5:23",
       "expect.outcome: expected one of completed"},
      {"recursion that cannot complete", Scenario("    kind: deep_recursion\n    params: {locals: 2}\n"),
       "4:13", "params.depth: without a depth the recursion goes on"},
      {"missing script", Scenario("    kind: script\n    params: {module: nope.js, iterations: 3}\n"),
       "4:22", "params.module: cannot read"},
      {"script not js", Scenario("    kind: script\n    params: {module: x.py, iterations: 3}\n"),
       "4:22", "must be a .js, .cjs or .mjs file"},
      {"sweep unknown parameter",
       Scenario(cd + "    sweep: {parameter: limits.old_spac, values: [32Mi]}\n"), "5:24",
       "'limits.old_spac' cannot be varied; did you mean 'limits.old_space'?"},
      {"sweep parameter of another kind",
       Scenario(cd + "    sweep: {parameter: params.depth, values: [1]}\n"), "5:24",
       "'params.depth' is a parameter of deep_recursion, not of cached_data"},
      {"sweep bad value", Scenario(cd + "    sweep: {parameter: limits.old_space, values: [32]}\n"),
       "5:51", "sweep.values[0]: a size needs a unit"},
      {"sweep duplicate value",
       Scenario(cd + "    sweep: {parameter: limits.old_space, values: [32Mi, 32Mi]}\n"), "5:57",
       "value 32Mi is listed twice"},
      {"sweep and search",
       Scenario(cd + "    sweep: {parameter: limits.old_space, values: [32Mi]}\n"
                     "    search: {parameter: limits.old_space, low: 16Mi, high: 64Mi}\n"),
       "6:13", "a sweep or a search, not both"},
      {"search high below low",
       Scenario(cd + "    search: {parameter: limits.old_space, low: 64Mi, high: 16Mi}\n"), "5:60",
       "must be above low (64Mi), got 16Mi"},
      {"leak check too short", Scenario(cd + "    leak_check: {iterations: 100, warmup_iterations: 60}\n"),
       "5:17", "iterations (100) must be at least twice warmup_iterations (60)"},
      {"leak check budget too large", Scenario(cd + "    leak_check: {iterations: 4294967297}\n"), "5:30",
       "leak_check.iterations: must be at most 4294967296, got 4294967297"},
      {"leak check warmup in checkpoints", Scenario(cd + "    leak_check: {warmup: 10}\n"), "5:26",
       "leak_check.warmup: 'warmup' counted checkpoints"},
      {"leak check on wrong kind",
       Scenario("    kind: large_buffers\n    params: {count: 1, size: 1Ki}\n    leak_check: {}\n"), "5:17",
       "leak checks run script scenarios"},
      {"tolerance out of range", "tolerance: {relative: -5%}\n" + Scenario(cd), "1:23",
       "tolerance.relative: must be above 0"},
      {"limits at the top of defaults", "defaults: {old_space: 64Mi}\n" + Scenario(cd), "1:12",
       "limits go under defaults.limits"},
      {"yaml tag", "scenarios: !!set {a}\n", "1:12", "YAML tags"},
  };
}

// A param refused for its value is not also "missing" to the kind's own checks: `depth: x`
// said "without a depth the recursion goes on..." above "expected a whole number".
TEST(SuiteLoaderTest, ABadParamIsSaidOnce) {
  absl::StatusOr<v1::Suite> suite = Load("scenarios:\n  - name: r\n    kind: deep_recursion\n    params: {depth: x}\n");
  ASSERT_FALSE(suite.ok());
  const std::string message(suite.status().message());
  EXPECT_TRUE(absl::StrContains(message, "params.depth: expected a whole number")) << message;
  EXPECT_FALSE(absl::StrContains(message, "without a depth")) << message;
}

TEST(SuiteLoaderTest, BadInputsNameTheirPlaceAndProblem) {
  std::vector<BadCase> cases = BadCases();
  ASSERT_GE(cases.size(), 30u);
  for (const BadCase& c : cases) {
    absl::StatusOr<v1::Suite> suite = Load(c.yaml);
    ASSERT_FALSE(suite.ok()) << c.label << ": loaded";
    EXPECT_EQ(suite.status().code(), absl::StatusCode::kInvalidArgument) << c.label;
    std::string message(suite.status().message());
    std::string expected_prefix = std::string("s.yaml:") + c.location;
    if (*c.location != '\0') {
      EXPECT_NE(message.find(expected_prefix + ": "), std::string::npos)
          << c.label << ": expected location " << expected_prefix << " in\n" << message;
    }
    EXPECT_NE(message.find(c.expected), std::string::npos)
        << c.label << ": expected '" << c.expected << "' in\n" << message;
  }
}

}  // namespace
}  // namespace heapstorm
