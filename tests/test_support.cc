#include "tests/test_support.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/files.h"
#include "gtest/gtest.h"
#include "scenarios/suite_loader.h"
#include "worker/engine/memory_cgroup.h"

extern char** environ;

namespace heapstorm {
namespace testing_support {

std::string TmpDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

std::vector<std::string> ChildEnvironment() {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "TMPDIR=", 7) != 0) env.emplace_back(*e);
  }
  // Scratch (heapstorm's run folders) stays inside the test's own folder.
  env.push_back("TMPDIR=" + TmpDir());
  return env;
}

std::string Runfile(const std::string& workspace_path) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir == nullptr || workspace == nullptr) return workspace_path;
  return std::string(srcdir) + "/" + workspace + "/" + workspace_path;
}

v1::Suite SuiteFromYaml(const std::string& yaml) {
  absl::StatusOr<v1::Suite> suite = LoadSuiteText(yaml, "test.yaml", Runfile(""));
  EXPECT_TRUE(suite.ok()) << suite.status();
  return suite.ok() ? *suite : v1::Suite();
}

v1::Scenario ScenarioFromYaml(const std::string& yaml) {
  v1::Suite suite = SuiteFromYaml(yaml);
  return suite.scenarios_size() > 0 ? suite.scenarios(0) : v1::Scenario();
}

namespace {

// Fields of /proc/PID/stat after the command: state is [0], ppid is [1].
bool StatFields(pid_t pid, std::vector<std::string>* fields) {
  absl::StatusOr<std::string> read = heapstorm::ReadFile("/proc/" + std::to_string(pid) + "/stat");
  if (!read.ok()) return false;
  const std::string& text = *read;
  size_t close = text.rfind(')');
  if (close == std::string::npos) return false;
  *fields = absl::StrSplit(text.substr(close + 2), ' ');
  return fields->size() > 2;
}

}  // namespace

std::vector<pid_t> ChildrenOf(pid_t parent) {
  std::vector<pid_t> out;
  DIR* d = opendir("/proc");
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    int pid = 0;
    if (!absl::SimpleAtoi(e->d_name, &pid)) continue;
    std::vector<std::string> fields;
    int ppid = 0;
    if (!StatFields(pid, &fields) || !absl::SimpleAtoi(fields[1], &ppid) || ppid != parent) continue;
    // The launcher's janitor lives as long as its launcher, by design.
    std::string cmdline = heapstorm::ReadFile("/proc/" + std::to_string(pid) + "/cmdline").value_or("");
    if (cmdline.rfind("heapstorm-janitor", 0) == 0) continue;
    out.push_back(pid);
  }
  closedir(d);
  return out;
}

int ProcessesRunning(const std::string& program, const std::string& argument) {
  int count = 0;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return 0;
  while (dirent* d = readdir(proc)) {
    if (d->d_name[0] < '0' || d->d_name[0] > '9') continue;
    std::ifstream in(std::string("/proc/") + d->d_name + "/cmdline");
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // argv[0] (its last path component) and argv[1] only: a `setsid sleep X` on its way to
    // exec `sleep` holds "sleep\0X" too, and reads as nothing while it execs, so a count of
    // every argv that held them read 1, then 0 (cli_test, in a CI run).
    const std::vector<std::string> argv = absl::StrSplit(cmdline, '\0');
    if (argv.size() < 2) continue;
    const size_t slash = argv[0].rfind('/');
    const std::string name = slash == std::string::npos ? argv[0] : argv[0].substr(slash + 1);
    if (name == program && argv[1] == argument) ++count;
  }
  closedir(proc);
  return count;
}

std::vector<pid_t> DescendantsOf(pid_t pid) {
  std::vector<pid_t> out;
  for (pid_t child : ChildrenOf(pid)) {
    out.push_back(child);
    for (pid_t grandchild : DescendantsOf(child)) out.push_back(grandchild);
  }
  return out;
}

bool Alive(pid_t pid) {
  std::vector<std::string> fields;
  return StatFields(pid, &fields) && fields[0] != "Z" && fields[0] != "X";
}

bool WaitForExit(pid_t pid, double seconds) {
  int fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return !Alive(pid);
  pollfd p{fd, POLLIN, 0};
  int n = poll(&p, 1, static_cast<int>(seconds * 1000));
  close(fd);
  return n > 0 || !Alive(pid);
}

CommandResult RunCommand(const std::vector<std::string>& argv,
                         const std::vector<std::string>& extra_env) {
  CommandResult result;
  std::string out_path = TmpDir() + "/cmd.out." + std::to_string(getpid());
  std::string err_path = TmpDir() + "/cmd.err." + std::to_string(getpid());
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> args = argv;
  std::vector<char*> c_argv;
  for (std::string& a : args) c_argv.push_back(a.data());
  c_argv.push_back(nullptr);
  std::vector<std::string> env = ChildEnvironment();
  for (const std::string& e : extra_env) env.push_back(e);
  std::vector<char*> c_env;
  for (std::string& e : env) c_env.push_back(e.data());
  c_env.push_back(nullptr);
  pid_t pid;
  if (posix_spawn(&pid, c_argv[0], &actions, nullptr, c_argv.data(), c_env.data()) != 0) {
    posix_spawn_file_actions_destroy(&actions);
    return result;
  }
  posix_spawn_file_actions_destroy(&actions);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = ReadFile(out_path);
  result.err = ReadFile(err_path);
  unlink(out_path.c_str());
  unlink(err_path.c_str());
  return result;
}

pid_t SpawnProcess(const std::vector<std::string>& argv, const std::string& stdout_path,
                   const std::string& stderr_path) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> args = argv;
  std::vector<char*> c_argv;
  for (std::string& a : args) c_argv.push_back(a.data());
  c_argv.push_back(nullptr);
  std::vector<std::string> env = ChildEnvironment();
  std::vector<char*> c_env;
  for (std::string& e : env) c_env.push_back(e.data());
  c_env.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, c_argv[0], &actions, nullptr, c_argv.data(), c_env.data());
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : 0;
}

std::string ReadFile(const std::string& path) {
  return heapstorm::ReadFile(path).value_or("");
}

bool WaitForFileContains(const std::string& path, const std::string& text, double seconds) {
  for (int i = 0; i < static_cast<int>(seconds * 50); ++i) {
    if (ReadFile(path).find(text) != std::string::npos) return true;
    poll(nullptr, 0, 20);
  }
  return ReadFile(path).find(text) != std::string::npos;
}

int WaitForExitCode(pid_t pid, double seconds) {
  if (!WaitForExit(pid, seconds)) return -1;
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void StopProcess(pid_t pid) {
  if (pid <= 0) return;
  kill(pid, SIGCONT);
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
}

std::string CgroupsUnavailable() {
  auto probe = MemoryCgroup::Create("heapstorm-probe-" + std::to_string(getpid()), 64 << 20);
  return probe.ok() ? "" : std::string(probe.status().message());
}

bool LaneHasNoCgroups() {
  const char* lane = std::getenv("HEAPSTORM_TEST_LANE");
  // A comma-separated list of what the lane lacks: "no-cgroups", "no-netns".
  return lane != nullptr && absl::StrContains(absl::StrCat(",", lane, ","), ",no-cgroups,");
}

std::string RunTrace(const v1::RunResult& r) {
  std::string text = absl::StrCat("  ran to ", r.units_reached(), ", ", v1::Outcome_Name(r.outcome()));
  for (const v1::LeakRetention& c : r.leak().checks()) {
    absl::StrAppend(&text, "\n  check ", c.s1(), "-", c.s2(), "-", c.s3(), ": ", v1::RetentionFinding_Name(c.finding()),
                    ", program ", c.program_bytes_per_iteration(), " B/iteration (ids ",
                    c.snapshot_program_bytes_per_iteration(), ", sampler ", c.sampled_bytes_per_iteration(),
                    c.finding() == v1::RETENTION_FINDING_TABLE_STEPPED
                        ? absl::StrCat(", objects alone ", c.objects_bytes_per_iteration())
                        : "",
                    "), V8 ",
                    c.v8_internal_bytes_per_iteration(), ", slope after ", c.slope_after_per_iteration(), " (suspected ",
                    c.suspected_slope_per_iteration(), "), reach ", c.reach());
  }
  return text;
}

}  // namespace testing_support
}  // namespace heapstorm
