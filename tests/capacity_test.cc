// Capacity figures against real node: breaking points under native limits match the
// arithmetic, breaking points under old-space limits are linear and predict an unrun limit,
// a search converges within its step bound, and a 12-point sweep spreads over 3 workers.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <set>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/linear_fit.h"
#include "gtest/gtest.h"
#include "reports/report_writer.h"
#include "tests/test_support.h"
#include "worker/engine/engine.h"
#include "worker/engine/memory_cgroup.h"
#include "worker/engine/process_launcher.h"

namespace heapstorm {
namespace {

using testing_support::ReadFile;
using testing_support::Runfile;
using testing_support::ScenarioFromYaml;
using testing_support::TmpDir;

std::unique_ptr<Engine> MakeEngine(bool cgroups) {
  EngineOptions options;
  options.scratch_dir = TmpDir();
  options.use_cgroups = cgroups;
  auto engine = Engine::Create(options);
  EXPECT_TRUE(engine.ok()) << engine.status();
  return engine.ok() ? std::move(*engine) : nullptr;
}

v1::RunResult RunScenario(Engine* engine, const std::string& yaml) {
  RunRequest request;
  request.scenario = ScenarioFromYaml(yaml);
  absl::StatusOr<v1::RunResult> r = engine->Run(request);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : v1::RunResult();
}

// --- breaking points against a ground truth independent of heapstorm's driver ----------------

std::string NodeOnPath() {
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string candidate = dirs.substr(start, end - start) + "/node";
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return "";
}

struct TruthOptions {
  bool cgroup = false;          // the native limit as a memory cgroup
  uint64_t pss_limit_bytes = 0; // count only while PSS stays within this
};

// Runs tests/fixtures/capacity/ground_truth.js on `module` in plain node under the limits
// of `scenario` (the same node flags and rlimits the engine sets, and the same cgroup limit
// when asked) and returns the units it completed: a count written to a pipe after every unit.
uint64_t GroundTruth(const v1::Scenario& scenario, const std::string& module, TruthOptions options) {
  static int runs = 0;
  ++runs;
  const v1::Limits& limits = scenario.limits();
  absl::StatusOr<Pipe> counts = MakePipe();
  EXPECT_TRUE(counts.ok()) << counts.status();
  if (!counts.ok()) return 0;
  int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  std::unique_ptr<MemoryCgroup> cgroup;
  if (options.cgroup) {
    auto made = MemoryCgroup::Create(absl::StrCat("heapstorm-truth-", getpid(), "-", runs), limits.native_bytes());
    EXPECT_TRUE(made.ok()) << made.status();
    if (made.ok()) cgroup = std::move(*made);
  }
  absl::StatusOr<std::string> launcher_path = LauncherExecutable();
  EXPECT_TRUE(launcher_path.ok()) << launcher_path.status();
  PosixProcessLauncher launcher(*launcher_path);
  LaunchSpec spec;
  spec.program = NodeOnPath();
  spec.args = Engine::NodeFlags(limits);
  spec.args.push_back(Runfile("tests/fixtures/capacity/ground_truth.js"));
  spec.args.push_back(Runfile(module));
  spec.args.push_back(absl::StrCat(scenario.script().iterations()));
  if (options.pss_limit_bytes > 0) spec.args.push_back(absl::StrCat(options.pss_limit_bytes));
  spec.env = {"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8"};
  spec.working_dir = TmpDir();
  spec.stack_bytes = static_cast<uint64_t>(limits.native_stack_kib()) * 1024;
  spec.max_descriptors = limits.max_descriptors();
  if (cgroup) spec.cgroup_procs = cgroup->procs_file();
  spec.fds = {null_fd, null_fd, null_fd, counts->write_fd};
  absl::StatusOr<pid_t> pid = launcher.Launch(spec);
  EXPECT_TRUE(pid.ok()) << pid.status();
  CloseFd(&counts->write_fd);
  close(null_fd);
  // Drain to EOF (the helper is gone), keeping the last complete line.
  std::string tail;
  uint64_t count = 0;
  char buffer[65536];
  while (true) {
    ssize_t n = read(counts->read_fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    tail.append(buffer, static_cast<size_t>(n));
    size_t last = tail.rfind('\n');
    if (last == std::string::npos) continue;
    size_t before = tail.rfind('\n', last - 1);
    std::string line = tail.substr(before == std::string::npos ? 0 : before + 1, last - (before == std::string::npos ? 0 : before + 1));
    count = std::strtoull(line.c_str(), nullptr, 10);
    tail.erase(0, last + 1);
  }
  CloseFd(&counts->read_fd);
  if (pid.ok()) {
    launcher.KillGroup(*pid, SIGKILL);
    ExitInfo info;
    int pidfd = static_cast<int>(syscall(SYS_pidfd_open, *pid, 0));
    pollfd p{pidfd, POLLIN, 0};
    EXPECT_EQ(poll(&p, 1, 60000), 1) << "the ground truth did not end";
    close(pidfd);
    EXPECT_TRUE(launcher.TryReap(*pid, &info));
  }
  return count;
}

// The scenario of one case: `module` for `iterations` units under `limits`, with the
// default checkpoint_every (a hundredth of the target).
std::string CaseYaml(const std::string& module, uint64_t iterations, const std::string& limits) {
  return absl::StrCat("scenarios:\n  - name: case\n    kind: script\n    params: {module: ", module,
                      ", iterations: ", iterations, "}\n    limits: {", limits, ", timeout: 120s}\n");
}

// heapstorm's breaking point for the case against the ground truth: within 1%, with a
// target at least ten times the break. With `runs` > 1, the median of that many runs (each
// run's outcome and target checked): a native break under a cgroup moves with where V8's
// mark-compacts fall, and one run in 20-40 of intl_formatters.js came out 1.01-1.16% below
// plain node while the median stayed at -0.2% (bench/RESULTS.md, "Counting GCs moves a
// native break too").
void ExpectExactBreak(Engine* engine, const std::string& module, uint64_t iterations,
                      const std::string& limits, v1::Outcome outcome, TruthOptions truth_options, int runs = 1) {
  std::string yaml = CaseYaml(module, iterations, limits);
  v1::Scenario scenario = ScenarioFromYaml(yaml);
  uint64_t truth = GroundTruth(scenario, module, truth_options);
  ASSERT_GT(truth, 0u);
  EXPECT_GE(iterations, 10 * truth) << "the target must be at least 10x the break";
  std::vector<uint64_t> reached;
  for (int i = 0; i < runs; ++i) {
    v1::RunResult r = RunScenario(engine, yaml);
    SCOPED_TRACE(absl::StrCat(module, " under {", limits, "}: heapstorm ", r.units_reached(), ", ground truth ",
                              truth, "; ", r.evidence().summary()));
    // One line per run, for the spread over repeated runs (--runs_per_test).
    std::printf("breaking point: %s under {%s}: heapstorm %llu, ground truth %llu (%+.2f%%)\n", module.c_str(),
                limits.c_str(), static_cast<unsigned long long>(r.units_reached()),
                static_cast<unsigned long long>(truth),
                100.0 * (static_cast<double>(r.units_reached()) - truth) / truth);
    EXPECT_EQ(r.outcome(), outcome);
    EXPECT_GE(r.target_units(), 10 * truth);
    reached.push_back(r.units_reached());
  }
  std::sort(reached.begin(), reached.end());
  const uint64_t median = reached[reached.size() / 2];
  EXPECT_NEAR(static_cast<double>(median), static_cast<double>(truth), 0.01 * truth)
      << "the median of " << runs << " runs";
}

TEST(BreakingPointTest, HeapAtThreeOldSpaceSizes) {
  std::unique_ptr<Engine> engine = MakeEngine(false);
  ASSERT_NE(engine, nullptr);
  // From 128Mi up. sessions.js keeps every session in one Map, so each of these limits
  // breaks where the Map's table doubles (2^19, 2^20 and 2^21 sessions); plain node did so
  // in every run measured, beside a CI run or alone, and at 127Mi to 130Mi alike. At 64Mi
  // (2^18) heapstorm's run got past that doubling in 2 of ~16 CI runs beside other tests
  // (2,649 and 2,677 units against 2,621), and in none of 10 here: whether V8 finds room
  // for the new table there turns on its GC schedule, which the driver's few allocations
  // move. That is V8's edge, not the count (the last unit completed either way).
  for (int mib : {128, 256, 512}) {
    ExpectExactBreak(engine.get(), "tests/fixtures/capacity/sessions.js", 300000,
                     absl::StrCat("old_space: ", mib, "Mi"), v1::OUTCOME_HEAP_EXHAUSTED, {});
  }
}

TEST(BreakingPointTest, NativeUnderACgroupAtTwoSizes) {
  HS_REQUIRE_CGROUPS();
  std::unique_ptr<Engine> engine = MakeEngine(true);
  ASSERT_NE(engine, nullptr);
  for (int mib : {256, 384}) {
    ExpectExactBreak(engine.get(), "tests/fixtures/capacity/buffers.js", 5000,
                     absl::StrCat("old_space: 64Mi, native: ", mib, "Mi"), v1::OUTCOME_NATIVE_OOM,
                     {.cgroup = true});
  }
}

TEST(BreakingPointTest, NativeUnderTheWatchdog) {
  std::unique_ptr<Engine> engine = MakeEngine(false);
  ASSERT_NE(engine, nullptr);
  // The break under the watchdog is the last unit completed while the tree's own memory
  // (anonymous PSS) was within the limit; the ground truth counts the same way in-process.
  ExpectExactBreak(engine.get(), "tests/fixtures/capacity/buffers.js", 5000, "old_space: 64Mi, native: 384Mi",
                   v1::OUTCOME_NATIVE_OOM, {.pss_limit_bytes = 384u << 20});
}

// Native memory V8 does not see (ICU's, behind Intl objects): the driver learns it is near
// the limit only from the resident size, which it reads every 16 batches while what V8 sees
// stays far below the limit (worker/driver/driver.js, nearLimit).
TEST(BreakingPointTest, NativeGrowthV8DoesNotSeeUnderACgroup) {
  HS_REQUIRE_CGROUPS();
  std::unique_ptr<Engine> engine = MakeEngine(true);
  ASSERT_NE(engine, nullptr);
  ExpectExactBreak(engine.get(), "tests/fixtures/capacity/intl_formatters.js", 200000,
                   "old_space: 64Mi, native: 256Mi", v1::OUTCOME_NATIVE_OOM, {.cgroup = true}, /*runs=*/3);
}

TEST(BreakingPointTest, Descriptors) {
  std::unique_ptr<Engine> engine = MakeEngine(false);
  ASSERT_NE(engine, nullptr);
  ExpectExactBreak(engine.get(), "tests/fixtures/capacity/descriptors.js", 20000, "descriptors: 1024",
                   v1::OUTCOME_FD_EXHAUSTED, {});
}

TEST(BreakingPointTest, StackDepth) {
  std::unique_ptr<Engine> engine = MakeEngine(false);
  ASSERT_NE(engine, nullptr);
  ExpectExactBreak(engine.get(), "tests/fixtures/capacity/recursion.js", 200000, "stack: 984Ki",
                   v1::OUTCOME_STACK_OVERFLOW, {});
}

TEST(CapacityTest, BuffersBreakWhereTheArithmeticSays) {
  HS_REQUIRE_CGROUPS();
  std::unique_ptr<Engine> engine = MakeEngine(true);
  ASSERT_NE(engine, nullptr);
  for (int limit_mib : {192, 256, 384}) {
    v1::RunResult r = RunScenario(engine.get(), absl::StrCat(R"(scenarios:
  - name: buffers
    kind: large_buffers
    params: {count: 2000, size: 1Mi}
    checkpoint_every: 1
    limits: {old_space: 64Mi, native: )", limit_mib, R"(Mi}
    expect: {outcome: native_oom}
)"));
    ASSERT_EQ(r.outcome(), v1::OUTCOME_NATIVE_OOM) << limit_mib << ": " << r.evidence().summary();
    ASSERT_GT(r.checkpoints_size(), 1);
    // The base: the anonymous memory the cgroup charged node before the first buffer. (Not
    // its RSS, which counts the node binary's pages, charged elsewhere; nor the cgroup's
    // whole usage, whose page cache reclaim gives back before it kills.)
    double base = static_cast<double>(r.checkpoints(0).cgroup_anon_bytes());
    ASSERT_GT(base, 0);
    double expected = (limit_mib * 1048576.0 - base) / 1048576.0;
    EXPECT_NEAR(static_cast<double>(r.units_reached()), expected, 0.05 * expected)
        << limit_mib << " MiB: base " << base / 1048576.0 << " MiB";
  }
}

TEST(CapacityTest, OldSpaceBreakingPointsAreLinearAndPredict) {
  std::unique_ptr<Engine> engine = MakeEngine(false);
  ASSERT_NE(engine, nullptr);
  auto units_at = [&](int old_space) {
    v1::RunResult r = RunScenario(engine.get(), absl::StrCat(R"(scenarios:
  - name: cache
    kind: cached_data
    params: {entries: 3000000, entry_size: 256B}
    checkpoint_every: 1000
    limits: {old_space: )", old_space, R"(Mi, timeout: 120s}
    expect: {outcome: heap_exhausted}
)"));
    EXPECT_EQ(r.outcome(), v1::OUTCOME_HEAP_EXHAUSTED) << old_space << ": " << r.evidence().summary();
    return static_cast<double>(r.units_reached());
  };
  std::vector<double> limits = {64, 128, 256};
  std::vector<double> units;
  for (double l : limits) units.push_back(units_at(static_cast<int>(l)));
  Fit fit = LeastSquares(limits, units);
  EXPECT_GT(fit.r_squared, 0.98) << units[0] << " " << units[1] << " " << units[2];
  double predicted = fit.intercept + fit.slope * 192;
  double real = units_at(192);
  EXPECT_NEAR(predicted, real, 0.10 * real) << "model " << fit.intercept << " + " << fit.slope << " × MiB";
}

std::string Heapstorm() { return Runfile("cli/heapstorm"); }

TEST(CapacityTest, SearchConvergesWithinItsStepBound) {
  std::string dir = TmpDir() + "/search";
  ASSERT_EQ(system(("mkdir -p " + dir).c_str()), 0);
  std::ofstream(dir + "/suite.yaml") << R"(scenarios:
  - name: smallest
    kind: cached_data
    params: {entries: 50000, entry_size: 128B}
    search: {parameter: limits.old_space, low: 16Mi, high: 128Mi, precision: 4Mi, goal: smallest_completing}
)";
  testing_support::CommandResult r =
      testing_support::RunCommand({Heapstorm(), "run", "--no-cgroups", "--out", dir + "/run", dir + "/suite.yaml"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  // The header counts what is planned and what the search may add, as validate does.
  EXPECT_TRUE(absl::StrContains(r.err, "'suite', 2 runs (up to 7 as its searches narrow) on "))
      << r.err;
  absl::StatusOr<v1::Report> report = ReadReportJson(dir + "/run/report.json");
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->searches_size(), 1);
  const v1::SearchResult& s = report->searches(0);
  EXPECT_TRUE(s.found()) << s.message();
  EXPECT_LE(s.high() - s.low(), 4u);
  // ceil(log2(112 / 4)) + 2 = 7.
  EXPECT_LE(s.steps(), 7u);
  EXPECT_EQ(report->runs_size(), static_cast<int>(s.steps()));
  // The answer completes and a value one precision step below does not.
  for (const v1::RunResult& run : report->runs()) {
    uint64_t mib = run.limits().max_old_space_mib();
    if (mib >= s.value()) {
      EXPECT_EQ(run.outcome(), v1::OUTCOME_COMPLETED) << mib;
    }
    if (mib <= s.low()) {
      EXPECT_NE(run.outcome(), v1::OUTCOME_COMPLETED) << mib;
    }
  }
}

TEST(CapacityTest, TwelvePointSweepOverThreeWorkers) {
  std::string dir = TmpDir() + "/sweep";
  ASSERT_EQ(system(("rm -rf " + dir + " && mkdir -p " + dir).c_str()), 0);
  std::ofstream(dir + "/suite.yaml") << R"(scenarios:
  - name: sizes
    kind: cached_data
    params: {entries: 2000}
    sweep:
      parameter: params.entry_size
      values: [64B, 128B, 256B, 512B, 1Ki, 2Ki, 3Ki, 4Ki, 5Ki, 6Ki, 7Ki, 8Ki]
)";
  std::string out = dir + "/c.out", err = dir + "/c.err";
  pid_t coordinator = testing_support::SpawnProcess(
      {Heapstorm(), "coordinator", "--listen", "127.0.0.1:0", "--out", dir + "/run", "--expect-workers", "3",
       dir + "/suite.yaml"},
      out, err);
  ASSERT_TRUE(testing_support::WaitForFileContains(out, "listening on ", 20)) << ReadFile(err);
  std::string text = ReadFile(out);
  size_t at = text.find("listening on ") + 13;
  std::string address = text.substr(at, text.find('\n', at) - at);
  std::vector<pid_t> workers;
  for (int i = 0; i < 3; ++i) {
    workers.push_back(testing_support::SpawnProcess(
        {Heapstorm(), "worker", "--coordinator", address, "--id", absl::StrCat("w", i), "--slots", "1",
         "--no-cgroups"},
        dir + "/w.out", dir + "/w" + std::to_string(i) + ".err"));
  }
  EXPECT_EQ(testing_support::WaitForExitCode(coordinator, 120), 0) << ReadFile(err);
  for (pid_t w : workers) {
    if (testing_support::WaitForExitCode(w, 20) < 0) testing_support::StopProcess(w);
  }
  absl::StatusOr<v1::Report> report = ReadReportJson(dir + "/run/report.json");
  ASSERT_TRUE(report.ok()) << report.status();
  std::set<std::string> points, workers_used;
  for (const v1::RunResult& r : report->runs()) {
    EXPECT_TRUE(points.insert(r.variation()).second) << "twice: " << r.variation();
    workers_used.insert(r.worker());
  }
  EXPECT_EQ(points.size(), 12u);
  EXPECT_EQ(workers_used.size(), 3u);
  // Bigger entries cost more heap each.
  ASSERT_EQ(report->capacity_size(), 1);
  const auto& p = report->capacity(0).points();
  double small = 0, large = 0;
  for (const v1::CapacityPoint& point : p) {
    if (point.variation() == "params.entry_size=64B") small = point.heap_bytes_per_unit();
    if (point.variation() == "params.entry_size=8Ki") large = point.heap_bytes_per_unit();
  }
  EXPECT_GT(large, small + 4096);
}

}  // namespace
}  // namespace heapstorm
