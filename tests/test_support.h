// Helpers for the integration tests: where the test's files are, suites from text, and
// the check that a test left no process behind.
#ifndef HEAPSTORM_TESTS_TEST_SUPPORT_H_
#define HEAPSTORM_TESTS_TEST_SUPPORT_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "proto/result.pb.h"
#include "proto/suite.pb.h"

namespace heapstorm {
namespace testing_support {

// $TEST_TMPDIR (or /tmp outside Bazel).
std::string TmpDir();

// This process's environment with TMPDIR set to TmpDir(), for the processes tests start.
std::vector<std::string> ChildEnvironment();

// A file of the workspace in the test's runfiles ("tests/fixtures/throws.js").
std::string Runfile(const std::string& workspace_path);

// Loads a suite from YAML text (module paths resolve against the runfiles' root) and
// returns its first scenario. Fails the test on a load error.
v1::Scenario ScenarioFromYaml(const std::string& yaml);
v1::Suite SuiteFromYaml(const std::string& yaml);

// Processes whose parent is `pid` (from /proc/*/stat), zombies included (a child left
// unreaped is a leak too); a launcher's janitor, which lives as long as its launcher, is not
// counted.
std::vector<pid_t> ChildrenOf(pid_t pid);

// Every descendant of `pid`, depth first.
std::vector<pid_t> DescendantsOf(pid_t pid);

// How many processes on the host run `program` with `argument` first (from
// /proc/*/cmdline): a test's daemon, found wherever it went (its own session, re-parented).
int ProcessesRunning(const std::string& program, const std::string& argument);

// True if `pid` is alive and not a zombie.
bool Alive(pid_t pid);

// Waits until `pid` has exited, by polling its pidfd (no sleeping): false after `seconds`.
bool WaitForExit(pid_t pid, double seconds);

// Runs a command (argv) and returns its exit code, collecting stdout and stderr.
struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
CommandResult RunCommand(const std::vector<std::string>& argv,
                         const std::vector<std::string>& extra_env = {});

// Starts `argv` in the background with stdout and stderr going to files. Returns the pid
// (0 on failure). The caller reaps it (StopProcess or waitpid).
pid_t SpawnProcess(const std::vector<std::string>& argv, const std::string& stdout_path,
                   const std::string& stderr_path);

// Waits (bounded, polling every 20 ms) until the file contains `text`. False on timeout.
bool WaitForFileContains(const std::string& path, const std::string& text, double seconds);

// Waits (bounded) until `pid` exits and returns its exit code (128+signal when killed),
// or -1 on timeout.
int WaitForExitCode(pid_t pid, double seconds);

// SIGKILLs and reaps `pid` if it is still running.
void StopProcess(pid_t pid);

std::string ReadFile(const std::string& path);

// Why no memory cgroup can be made here, or "" when one can (a probe is made and removed).
std::string CgroupsUnavailable();

// True when the test lane says it has no memory cgroups: HEAPSTORM_TEST_LANE=no-cgroups
// (pass it with --test_env). Only then may a cgroup test skip; everywhere else, CI's lane
// included, a cgroup test without cgroups fails.
bool LaneHasNoCgroups();

// What a leak check's run did, for a failure's message: how far it went and how it ended,
// and each retention check (its snapshots, finding, and what the window kept per
// iteration).
std::string RunTrace(const v1::RunResult& r);

// The first thing of a test that needs memory cgroups: skips in a lane that has none,
// fails everywhere else when none can be made.
#define HS_REQUIRE_CGROUPS()                                                                   \
  do {                                                                                         \
    std::string hs_why = ::heapstorm::testing_support::CgroupsUnavailable();                   \
    if (!hs_why.empty()) {                                                                     \
      if (::heapstorm::testing_support::LaneHasNoCgroups()) {                                  \
        GTEST_SKIP() << "HEAPSTORM_TEST_LANE=no-cgroups: " << hs_why;                          \
      }                                                                                        \
      FAIL() << "no memory cgroup can be made here (" << hs_why                                \
             << "); a lane without cgroups must say so with HEAPSTORM_TEST_LANE=no-cgroups";   \
    }                                                                                          \
  } while (0)

}  // namespace testing_support
}  // namespace heapstorm

#endif  // HEAPSTORM_TESTS_TEST_SUPPORT_H_
