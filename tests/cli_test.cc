// The `heapstorm` binary end to end: exit codes, messages, the example suites, and no
// node process outliving a killed heapstorm.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/version.h"
#include "reports/report_writer.h"
#include "gtest/gtest.h"
#include "tests/test_support.h"

namespace heapstorm {
namespace {

using testing_support::CommandResult;
using testing_support::RunCommand;
using testing_support::Runfile;
using testing_support::TmpDir;

std::string Heapstorm() { return Runfile("cli/heapstorm"); }

std::string WriteSuite(const std::string& name, const std::string& yaml) {
  std::string path = TmpDir() + "/" + name;
  std::ofstream(path) << yaml;
  return path;
}

TEST(CliTest, HelpAndUsage) {
  CommandResult help = RunCommand({Heapstorm(), "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(help.out, "validate SUITE.yaml")) << help.out;
  EXPECT_TRUE(absl::StrContains(help.out, "run SUITE.yaml")) << help.out;
  CommandResult version = RunCommand({Heapstorm(), "--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out, absl::StrCat("heapstorm ", kHeapstormVersion, "\n"));
  CommandResult run_help = RunCommand({Heapstorm(), "run", "--help"});
  EXPECT_EQ(run_help.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(run_help.out, "--workers N")) << run_help.out;
  // Every command answers --help on stdout with exit 0 (`baseline --help` was exit 2).
  for (const char* command : {"validate", "run", "compare", "baseline", "coordinator", "worker"}) {
    CommandResult h = RunCommand({Heapstorm(), command, "--help"});
    EXPECT_EQ(h.exit_code, 0) << command << ": " << h.err;
    EXPECT_TRUE(absl::StrContains(h.out, "usage: heapstorm ")) << command << ": " << h.out;
  }
  CommandResult unknown = RunCommand({Heapstorm(), "frobnicate"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(unknown.err, "unknown command 'frobnicate'"));
  CommandResult bad_flag = RunCommand({Heapstorm(), "run", "--wrokers", "2", "x.yaml"});
  EXPECT_EQ(bad_flag.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(bad_flag.err, "unknown flag '--wrokers'")) << bad_flag.err;
  CommandResult bad_address = RunCommand({Heapstorm(), "worker", "--coordinator", "nohostport"});
  EXPECT_EQ(bad_address.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(bad_address.err, "--coordinator: expected HOST:PORT, got 'nohostport'"))
      << bad_address.err;
  CommandResult bad_listen = RunCommand({Heapstorm(), "coordinator", "--listen", "7070", "x.yaml"});
  EXPECT_EQ(bad_listen.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(bad_listen.err, "--listen: expected HOST:PORT")) << bad_listen.err;
}

TEST(CliTest, ValidateTheExamples) {
  std::vector<std::string> argv = {Heapstorm(), "validate"};
  for (const char* name : {"cached_data", "open_connections", "large_buffers", "deep_recursion",
                           "script", "showcase"}) {
    argv.push_back(Runfile(std::string("scenarios/examples/") + name + ".yaml"));
  }
  CommandResult r = RunCommand(argv);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 6) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "OK ")) << r.out;
}

TEST(CliTest, ValidateReportsEveryProblemWithItsPlace) {
  std::string path = WriteSuite("bad.yaml", R"(scenarios:
  - name: a
    kind: cached_data
    params: {entries: 10, entyr_size: 1Ki}
    limits: {old_space: 4Mi}
)");
  CommandResult r = RunCommand({Heapstorm(), "validate", path});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(r.err, "bad.yaml:4:27: scenarios[0].params.entyr_size: unknown key"))
      << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "bad.yaml:5:25: scenarios[0].limits.old_space: must be"))
      << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

// A suite of `scenarios` scenarios, each a sweep of `values` values × `repeats`.
std::string SweepSuite(int scenarios, int values, int repeats) {
  std::string yaml = "scenarios:\n";
  for (int s = 0; s < scenarios; ++s) {
    absl::StrAppend(&yaml, "  - name: s", s, "\n    kind: cached_data\n    params: {entries: 10}\n",
                    "    repeats: ", repeats, "\n    sweep: {parameter: params.entries, values: [");
    for (int v = 1; v <= values; ++v) absl::StrAppend(&yaml, v == 1 ? "" : ", ", v);
    absl::StrAppend(&yaml, "]}\n");
  }
  return yaml;
}

TEST(CliTest, ValidateWarnsAboutABigPlanWithItsEstimate) {
  // 200 × 1,000 = 200,000 runs: over the warning threshold, under the limit.
  std::string path = WriteSuite("big.yaml", SweepSuite(1, 200, 1000));
  CommandResult r = RunCommand({Heapstorm(), "validate", path});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "200000 runs planned")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.err, "big.yaml: warning: a big plan: 200000 runs, estimated coordinator memory "))
      << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, ", estimated report ")) << r.err;
  // A small one has no warning.
  CommandResult small = RunCommand({Heapstorm(), "validate", WriteSuite("small.yaml", SweepSuite(1, 3, 2))});
  EXPECT_EQ(small.exit_code, 0) << small.err;
  EXPECT_TRUE(small.err.empty()) << small.err;
}

TEST(CliTest, ValidateRejectsAnAbsurdPlanAtItsKey) {
  // 10 × 1,000 × 1,000 = 10M runs: refused at the sweep of the scenario that goes over
  // 1M (the second: line 11), with the estimate; `run` refuses it the same way.
  std::string path = WriteSuite("absurd.yaml", SweepSuite(10, 1000, 1000));
  CommandResult r = RunCommand({Heapstorm(), "validate", path});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(r.err, "absurd.yaml:11:5: scenarios[1].sweep: the plan is too big: 2000000 runs"))
      << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  CommandResult run = RunCommand({Heapstorm(), "run", "--out", TmpDir() + "/absurd", path});
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_TRUE(absl::StrContains(run.err, "scenarios[1].sweep: the plan is too big")) << run.err;
  EXPECT_NE(access((TmpDir() + "/absurd").c_str(), F_OK), 0) << "nothing is written";
  // Without a sweep, at the repeats key.
  std::string repeats = WriteSuite("repeats.yaml", "defaults: {repeats: 1000}\nscenarios:\n" + [] {
    std::string list;
    for (int i = 0; i < 1001; ++i) absl::StrAppend(&list, "  - {name: s", i, ", kind: cached_data, params: {entries: 1}}\n");
    return list;
  }());
  CommandResult by_default = RunCommand({Heapstorm(), "validate", repeats});
  EXPECT_EQ(by_default.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(by_default.err, "repeats.yaml:1:12: defaults.repeats: the plan is too big: 1001000 runs"))
      << by_default.err;
}

TEST(CliTest, RunWithoutNodeIsExit3) {
  std::string path = WriteSuite("ok.yaml", R"(scenarios:
  - {name: a, kind: cached_data, params: {entries: 10}}
)");
  CommandResult r =
      RunCommand({Heapstorm(), "run", "--node", "/nonexistent/node", "--out", TmpDir() + "/o3", path});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "/nonexistent/node")) << r.err;
}

TEST(CliTest, RunBadSuiteIsExit2AndWritesNothing) {
  std::string path = WriteSuite("bad-run.yaml", "scenarios: [\n");
  std::string out = TmpDir() + "/never";
  CommandResult r = RunCommand({Heapstorm(), "run", "--out", out, path});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(access(out.c_str(), F_OK), 0) << "nothing may be written for bad input";
}

// A module node cannot parse is bad input, said with its line and column, before anything
// runs (a new user's module with a syntax error passed validate, and run filed it as an
// expectation that failed: exit 1, reports written, no line).
TEST(CliTest, AModuleNodeCannotParseIsBadInput) {
  std::ofstream(TmpDir() + "/broken.js") << "'use strict';\nmodule.exports = {\n  iteration() { let x = * 2; },\n};\n";
  std::ofstream(TmpDir() + "/fine.js") << "module.exports = { iteration() {} };\n";
  std::string path = WriteSuite("broken-module.yaml", R"(scenarios:
  - {name: fine, kind: script, params: {module: fine.js, iterations: 10}}
  - {name: broken, kind: script, params: {module: broken.js, iterations: 10}}
  - {name: broken-too, kind: script, params: {module: broken.js, iterations: 20}}
)");
  const std::string said = path + ": scenario 'broken' (and 1 more): module " + TmpDir() +
                           "/broken.js:3:25: SyntaxError: Unexpected token '*'";
  CommandResult validated = RunCommand({Heapstorm(), "validate", path});
  EXPECT_EQ(validated.exit_code, 2) << validated.out << validated.err;
  EXPECT_TRUE(absl::StrContains(validated.err, said)) << validated.err;
  std::string out = TmpDir() + "/o-broken";
  CommandResult run = RunCommand({Heapstorm(), "run", "--out", out, path});
  EXPECT_EQ(run.exit_code, 2) << run.out << run.err;
  EXPECT_TRUE(absl::StrContains(run.err, said)) << run.err;
  EXPECT_NE(access(out.c_str(), F_OK), 0) << "nothing may be written for bad input";
}

TEST(CliTest, FailedExpectationIsExit1) {
  std::string path = WriteSuite("fails.yaml", R"(scenarios:
  - name: too-big
    kind: cached_data
    params: {entries: 20000, entry_size: 512B}
    expect: {max_heap_used: 1Mi}
)");
  std::string out = TmpDir() + "/o-fail";
  CommandResult r = RunCommand({Heapstorm(), "run", "--out", out, path});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "max_heap_used")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "FAIL")) << r.out;
  EXPECT_EQ(access((out + "/report.json").c_str(), F_OK), 0);
}

// A second run into a folder that holds one is refused: its records would join the first's
// in the journal (a later --resume would read both), and its reports would replace the
// first's. A new user's second run into the same --out did both, silently.
TEST(CliTest, ARunIntoAFolderThatHoldsOneIsRefused) {
  std::string path = WriteSuite("twice.yaml", R"(scenarios:
  - {name: a, kind: cached_data, params: {entries: 10}}
)");
  std::string out = TmpDir() + "/o-twice";
  CommandResult first = RunCommand({Heapstorm(), "run", "--workers", "1", "--out", out, path});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  std::ifstream before_file(out + "/report.json");
  const std::string before((std::istreambuf_iterator<char>(before_file)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(before.empty());
  CommandResult second = RunCommand({Heapstorm(), "run", "--workers", "1", "--out", out, path});
  EXPECT_EQ(second.exit_code, 2) << second.err;
  EXPECT_TRUE(absl::StrContains(second.err, "holds a run already")) << second.err;
  EXPECT_TRUE(absl::StrContains(second.err, "--resume " + out)) << second.err;
  std::ifstream after_file(out + "/report.json");
  const std::string after((std::istreambuf_iterator<char>(after_file)), std::istreambuf_iterator<char>());
  EXPECT_EQ(after, before) << "the first run's report must stay as it was";
  // --resume continues it: every run is in the journal, so nothing runs again, and the
  // report keeps when the run started and how long it took (a resume of a finished run
  // wrote its own start and its 7 ms).
  CommandResult resumed = RunCommand({Heapstorm(), "run", "--workers", "1", "--resume", out});
  EXPECT_EQ(resumed.exit_code, 0) << resumed.err;
  std::ifstream resumed_file(out + "/report.json");
  const std::string after_resume((std::istreambuf_iterator<char>(resumed_file)), std::istreambuf_iterator<char>());
  EXPECT_EQ(after_resume, before);

  // A baseline written into a folder that is not there is the user's path: exit 2, said.
  CommandResult baseline = RunCommand(
      {Heapstorm(), "baseline", "update", out + "/report.json", TmpDir() + "/no-such-folder/base.json"});
  EXPECT_EQ(baseline.exit_code, 2) << baseline.err;
  EXPECT_TRUE(absl::StrContains(baseline.err, "there is no folder " + TmpDir() + "/no-such-folder"))
      << baseline.err;
}

// A resume goes on with the scenarios its run started with (run.json keeps --filter): a
// new user's `--resume DIR --filter recursion` said "1 run (1 recovered)", ran recursion
// too, and reported 2 runs under a table of one.
TEST(CliTest, AResumeKeepsTheFilterItsRunStartedWith) {
  std::string path = WriteSuite("filtered.yaml", R"(scenarios:
  - {name: kept, kind: cached_data, params: {entries: 10}}
  - {name: left-out, kind: cached_data, params: {entries: 10}}
)");
  std::string out = TmpDir() + "/o-filtered";
  CommandResult first = RunCommand({Heapstorm(), "run", "--workers", "1", "--filter", "kept", "--out", out, path});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  CommandResult other = RunCommand({Heapstorm(), "run", "--workers", "1", "--resume", out, "--filter", "left-out"});
  EXPECT_EQ(other.exit_code, 2) << other.err;
  EXPECT_TRUE(absl::StrContains(other.err, "the run started with --filter kept")) << other.err;
  CommandResult resumed = RunCommand({Heapstorm(), "run", "--workers", "1", "--resume", out});
  EXPECT_EQ(resumed.exit_code, 0) << resumed.err;
  absl::StatusOr<v1::Report> report = ReadReportJson(out + "/report.json");
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->runs_size(), 1);
  EXPECT_EQ(report->runs(0).scenario(), "kept");
}

// Each example suite's expectations state what its comments promise; a run passes only
// when every scenario ended that way.
class ExampleSuiteTest : public ::testing::TestWithParam<const char*> {};

TEST_P(ExampleSuiteTest, ShowsThePromisedOutcome) {
  std::string suite = Runfile(std::string("scenarios/examples/") + GetParam() + ".yaml");
  std::string out = TmpDir() + "/example-" + GetParam();
  CommandResult r = RunCommand({Heapstorm(), "run", "--no-cgroups", "--out", out, suite});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "PASSED")) << r.out;
  std::ifstream report(out + "/report.json");
  EXPECT_TRUE(report.good());
}

INSTANTIATE_TEST_SUITE_P(Examples, ExampleSuiteTest,
                         ::testing::Values("cached_data", "open_connections", "large_buffers",
                                           "deep_recursion", "script"));

// The node process running the driver under `heapstorm` (not its `node --version` probe).
pid_t DriverNodeOf(pid_t heapstorm) {
  for (pid_t child : testing_support::DescendantsOf(heapstorm)) {
    std::ifstream cmdline("/proc/" + std::to_string(child) + "/cmdline");
    std::string text((std::istreambuf_iterator<char>(cmdline)), std::istreambuf_iterator<char>());
    if (absl::StrContains(text, "driver.js")) return child;
  }
  return 0;
}

// Starts `heapstorm run --out OUT SUITE` in the background and waits (bounded) for the node
// running its driver. Returns {heapstorm pid, node pid}; node is 0 if it never started.
std::pair<pid_t, pid_t> StartRunAndFindNode(const std::string& suite, const std::string& out_dir,
                                            const std::string& err = "/dev/null") {
  std::string bin = Heapstorm();
  pid_t heapstorm = testing_support::SpawnProcess({bin, "run", "--out", out_dir, suite}, "/dev/null", err);
  pid_t node = 0;
  for (int i = 0; i < 1000 && heapstorm != 0 && node == 0; ++i) {
    node = DriverNodeOf(heapstorm);
    if (node == 0) poll(nullptr, 0, 10);
  }
  return {heapstorm, node};
}

TEST(CliTest, KillingHeapstormLeavesNoNodeBehind) {
  std::string path = WriteSuite("spin.yaml", R"(scenarios:
  - name: spin
    kind: script
    params: {module: )" + Runfile("tests/fixtures/spins.js") + R"(, iterations: 1}
    limits: {timeout: 60s}
)");
  auto [heapstorm, node] = StartRunAndFindNode(path, TmpDir() + "/o-kill");
  ASSERT_NE(node, 0) << "heapstorm never started node";
  ASSERT_EQ(kill(heapstorm, SIGKILL), 0);
  int status = 0;
  waitpid(heapstorm, &status, 0);
  EXPECT_TRUE(testing_support::WaitForExit(node, 10.0))
      << "node " << node << " outlived its killed heapstorm";
}

// A daemon a module started with setsid is in no process group nor cgroup of the run: the
// janitor finds it by the run's environment marker when heapstorm is killed (a new user's
// `sleep` outlived `kill -9`).
TEST(CliTest, KillingHeapstormLeavesNoDaemonOfItsModuleBehind) {
  const std::string tag = absl::StrCat("8", getpid() % 100000, ".25");
  const std::string module = TmpDir() + "/daemon_then_spin.js";
  std::ofstream(module) << "const { spawn } = require('child_process');\n"
                           "module.exports = {\n"
                           "  setup() { spawn('sh', ['-c', 'setsid sleep " << tag << " >/dev/null 2>&1 &'], { stdio: 'ignore' }); },\n"
                           "  iteration() { const end = Date.now() + 60000; while (Date.now() < end) {} },\n"
                           "};\n";
  std::string path = WriteSuite("daemon.yaml", "scenarios:\n  - name: daemon\n    kind: script\n    params: {module: " +
                                                   module + ", iterations: 1}\n    limits: {timeout: 60s}\n");
  auto [heapstorm, node] = StartRunAndFindNode(path, TmpDir() + "/o-daemon");
  ASSERT_NE(node, 0) << "heapstorm never started node";
  for (int i = 0; i < 500 && testing_support::ProcessesRunning("sleep", tag) == 0; ++i) poll(nullptr, 0, 10);
  ASSERT_EQ(testing_support::ProcessesRunning("sleep", tag), 1) << "the module's daemon never started";
  ASSERT_EQ(kill(heapstorm, SIGKILL), 0);
  int status = 0;
  waitpid(heapstorm, &status, 0);
  for (int i = 0; i < 500 && testing_support::ProcessesRunning("sleep", tag) > 0; ++i) poll(nullptr, 0, 20);
  EXPECT_EQ(testing_support::ProcessesRunning("sleep", tag), 0) << "`sleep " << tag << "` outlived its killed heapstorm";
}

TEST(CliTest, SigtermWritesAPartialReport) {
  std::string path = WriteSuite("spin2.yaml", R"(scenarios:
  - name: spin
    kind: script
    params: {module: )" + Runfile("tests/fixtures/spins.js") + R"(, iterations: 1}
    limits: {timeout: 60s}
)");
  std::string out = TmpDir() + "/o-term";
  auto [heapstorm, node] = StartRunAndFindNode(path, out, TmpDir() + "/o-term.err");
  ASSERT_NE(node, 0);
  ASSERT_EQ(kill(heapstorm, SIGTERM), 0);
  ASSERT_TRUE(testing_support::WaitForExit(heapstorm, 10.0)) << "heapstorm ignored SIGTERM";
  int status = 0;
  waitpid(heapstorm, &status, 0);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 3);
  EXPECT_FALSE(testing_support::Alive(node));
  std::ifstream report(out + "/report.json");
  std::string text((std::istreambuf_iterator<char>(report)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(absl::StrContains(text, "RUN_STATUS_")) << text.substr(0, 300);
  EXPECT_TRUE(absl::StrContains(text, "cancelled")) << text.substr(0, 2000);
  // It says how to go on, and its own workers end with it rather than wait for a resume.
  std::ifstream err_file(TmpDir() + "/o-term.err");
  const std::string err((std::istreambuf_iterator<char>(err_file)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(absl::StrContains(err, "continue it with: heapstorm run --resume " + out)) << err;
  EXPECT_FALSE(absl::StrContains(err, "reconnecting")) << err;
}

}  // namespace
}  // namespace heapstorm
