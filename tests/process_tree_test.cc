// A native limit covers the run's whole process tree, and nothing of a run outlives it:
// a child the module spawns that breaks the limit makes the run native_oom with the child
// named (cgroup and watchdog), processes a module spawned die with a kill -9 of
// `heapstorm run`, and the cgroups of a killed heapstorm are swept at the next start.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "reports/outcome_sentence.h"
#include "tests/test_support.h"
#include "worker/engine/engine.h"
#include "worker/engine/memory_cgroup.h"

namespace heapstorm {
namespace {

using testing_support::ChildrenOf;
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

const char kChildHogYaml[] = R"(scenarios:
  - name: child-hog
    kind: script
    params: {module: tests/fixtures/capacity/child_hog.js, iterations: 1}
    limits: {old_space: 64Mi, native: 256Mi, timeout: 60s}
)";

void ExpectChildNamed(const v1::RunResult& r) {
  EXPECT_EQ(r.outcome(), v1::OUTCOME_NATIVE_OOM) << OutcomeSentence(r);
  EXPECT_NE(r.evidence().oom_victim_pid(), 0u) << OutcomeSentence(r);
  EXPECT_EQ(r.evidence().oom_victim_command(), "node") << OutcomeSentence(r);
  // The child holds ~256 MiB, node itself (the module) far less: the victim is the child.
  EXPECT_GT(r.evidence().oom_victim_bytes(), 128u << 20) << OutcomeSentence(r);
  EXPECT_NE(OutcomeSentence(r).find(absl::StrCat("pid ", r.evidence().oom_victim_pid())), std::string::npos)
      << OutcomeSentence(r);
  EXPECT_TRUE(ChildrenOf(getpid()).empty()) << "a process of the run is left";
}

TEST(ProcessTreeTest, ChildOverTheLimitIsNativeOomUnderACgroup) {
  HS_REQUIRE_CGROUPS();
  std::unique_ptr<Engine> engine = MakeEngine(true);
  ASSERT_NE(engine, nullptr);
  RunRequest request;
  request.scenario = ScenarioFromYaml(kChildHogYaml);
  absl::StatusOr<v1::RunResult> r = engine->Run(request);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->limit_mechanism() == v1::LIMIT_MECHANISM_CGROUP_V1 ||
              r->limit_mechanism() == v1::LIMIT_MECHANISM_CGROUP_V2);
  EXPECT_GE(r->evidence().cgroup_oom_kills(), 1u);
  ExpectChildNamed(*r);
  // node itself was not the one killed.
  EXPECT_EQ(OutcomeSentence(*r).find("node itself"), std::string::npos);
}

TEST(ProcessTreeTest, ChildOverTheLimitIsNativeOomUnderTheWatchdog) {
  std::unique_ptr<Engine> engine = MakeEngine(false);
  ASSERT_NE(engine, nullptr);
  RunRequest request;
  request.scenario = ScenarioFromYaml(kChildHogYaml);
  absl::StatusOr<v1::RunResult> r = engine->Run(request);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->limit_mechanism(), v1::LIMIT_MECHANISM_WATCHDOG);
  EXPECT_EQ(r->evidence().harness_kill(), v1::HARNESS_KILL_WATCHDOG);
  EXPECT_GT(r->evidence().peak_tree_bytes(), 256u << 20);
  ExpectChildNamed(*r);
}

// `heapstorm run` is killed with SIGKILL while its module's children sleep: none survives.
void KillNineLeavesNothing(bool cgroups) {
  std::string dir = absl::StrCat(TmpDir(), "/kill9-", cgroups ? "cgroup" : "watchdog");
  ASSERT_EQ(system(("rm -rf " + dir + " && mkdir -p " + dir).c_str()), 0);
  std::string pids = dir + "/pids";
  // node, a child in node's process group, and (with a cgroup) one that left it (setsid).
  std::ofstream(dir + "/sleeper.js") << "'use strict';\n"
      << "const { spawn } = require('child_process');\n"
      << "const fs = require('fs');\n"
      << "module.exports = { iteration() { return new Promise(() => {\n"
      << "  const kept = spawn('sleep', ['1000'], { stdio: 'ignore' });\n"
      << "  const left = " << (cgroups ? "spawn('sleep', ['1001'], { stdio: 'ignore', detached: true })" : "kept")
      << ";\n"
      << "  fs.writeFileSync('" << pids << ".tmp', process.pid + ' ' + kept.pid + ' ' + left.pid + '\\n');\n"
      << "  fs.renameSync('" << pids << ".tmp', '" << pids << "');\n"
      << "}); } };\n";
  std::ofstream(dir + "/suite.yaml") << "scenarios:\n  - name: sleeper\n    kind: script\n"
                                     << "    params: {module: " << dir << "/sleeper.js, iterations: 1}\n"
                                     << "    limits: {native: 512Mi, timeout: 120s}\n";
  std::vector<std::string> argv = {testing_support::Runfile("cli/heapstorm"), "run", "--out", dir + "/out"};
  if (!cgroups) argv.push_back("--no-cgroups");
  argv.push_back(dir + "/suite.yaml");
  pid_t heapstorm = testing_support::SpawnProcess(argv, dir + "/hs.out", dir + "/hs.err");
  ASSERT_GT(heapstorm, 0);
  ASSERT_TRUE(testing_support::WaitForFileContains(pids, "\n", 60)) << testing_support::ReadFile(dir + "/hs.err");
  std::istringstream in(testing_support::ReadFile(pids));
  pid_t node = 0, kept = 0, left = 0;
  in >> node >> kept >> left;
  ASSERT_GT(node, 0);
  ASSERT_TRUE(testing_support::Alive(kept));
  ASSERT_TRUE(testing_support::Alive(left));
  ASSERT_EQ(kill(heapstorm, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(heapstorm, &status, 0), heapstorm);
  for (pid_t p : {node, kept, left}) {
    EXPECT_TRUE(testing_support::WaitForExit(p, 20)) << "pid " << p << " outlived a kill -9 of heapstorm";
    EXPECT_FALSE(testing_support::Alive(p)) << "pid " << p << " outlived a kill -9 of heapstorm";
  }
}

TEST(ProcessTreeTest, KillNineOfHeapstormLeavesNoProcessWithTheWatchdog) { KillNineLeavesNothing(false); }

TEST(ProcessTreeTest, KillNineOfHeapstormLeavesNoProcessWithACgroup) {
  HS_REQUIRE_CGROUPS();
  KillNineLeavesNothing(true);
}

TEST(ProcessTreeTest, CgroupsOfADeadHeapstormAreSweptAtStart) {
  HS_REQUIRE_CGROUPS();
  // A pid that has come and gone names a cgroup nobody will remove.
  testing_support::CommandResult gone = testing_support::RunCommand({"/bin/sh", "-c", "echo $$"});
  int dead = std::atoi(gone.out.c_str());
  ASSERT_GT(dead, 0);
  ASSERT_FALSE(testing_support::Alive(dead));
  std::string stale_path, live_path;
  {
    auto stale = MemoryCgroup::Create(absl::StrCat("heapstorm-", dead, "-0"), 64 << 20);
    ASSERT_TRUE(stale.ok()) << stale.status();
    auto live = MemoryCgroup::Create(absl::StrCat("heapstorm-", getpid(), "-999"), 64 << 20);
    ASSERT_TRUE(live.ok()) << live.status();
    stale_path = (*stale)->path();
    live_path = (*live)->path();
    // Keep both directories past the owners (as a kill -9 would): recreate after release.
    stale->reset();
    live->reset();
  }
  ASSERT_EQ(mkdir(stale_path.c_str(), 0755), 0);
  ASSERT_EQ(mkdir(live_path.c_str(), 0755), 0);
  std::unique_ptr<Engine> engine = MakeEngine(true);
  ASSERT_NE(engine, nullptr);
  EXPECT_NE(access(stale_path.c_str(), F_OK), 0) << "the dead heapstorm's cgroup is still there: " << stale_path;
  EXPECT_EQ(access(live_path.c_str(), F_OK), 0) << "a live heapstorm's cgroup was removed: " << live_path;
  rmdir(live_path.c_str());
}

}  // namespace
}  // namespace heapstorm
