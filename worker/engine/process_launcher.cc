#include "worker/engine/process_launcher.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"

extern char** environ;

namespace heapstorm {
namespace {

constexpr char kLaunchCommand[] = "__launch";

// --- the launcher step: single-threaded, between posix_spawn and exec -------------------

// Writes "step: what: strerror" to the error descriptor and exits 127.
[[noreturn]] void Fail(int error_fd, const char* what, int err) {
  char buffer[512];
  int n = std::snprintf(buffer, sizeof(buffer), "%s: %s", what, std::strerror(err));
  if (n > 0 && error_fd >= 0) {
    ssize_t ignored = write(error_fd, buffer, static_cast<size_t>(n));
    (void)ignored;
  }
  _exit(127);
}

// Sets the soft limit, and the hard one too when `hard` (node raises its soft descriptor
// limit to the hard one at start-up, so RLIMIT_NOFILE must be capped at both).
bool SetLimit(int resource, uint64_t value, bool hard = false) {
  struct rlimit limit;
  if (getrlimit(resource, &limit) != 0) return false;
  limit.rlim_cur = value;
  if (hard || (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < value)) limit.rlim_max = value;
  return setrlimit(resource, &limit) == 0;
}

bool ParseFlag(const char* arg, const char* name, uint64_t* out) {
  size_t n = std::strlen(name);
  if (std::strncmp(arg, name, n) != 0 || arg[n] != '=') return false;
  return absl::SimpleAtoi(arg + n + 1, out);
}

bool ParseString(const char* arg, const char* name, const char** out) {
  size_t n = std::strlen(name);
  if (std::strncmp(arg, name, n) != 0 || arg[n] != '=') return false;
  *out = arg + n + 1;
  return true;
}

}  // namespace

int RunLauncherStep(int argc, char** argv) {
  uint64_t parent = 0, stack = 0, nofile = 0, data = 0, nfds = 3, error_fd_value = 0;
  const char* cgroup = "";
  const char* cwd = "";
  int i = 2;
  for (; i < argc; ++i) {
    const char* a = argv[i];
    if (std::strcmp(a, "--") == 0) {
      ++i;
      break;
    }
    if (ParseFlag(a, "--parent", &parent) || ParseFlag(a, "--stack", &stack) ||
        ParseFlag(a, "--nofile", &nofile) || ParseFlag(a, "--data", &data) ||
        ParseFlag(a, "--nfds", &nfds) || ParseFlag(a, "--error-fd", &error_fd_value) ||
        ParseString(a, "--cgroup", &cgroup) || ParseString(a, "--cwd", &cwd)) {
      continue;
    }
    std::fprintf(stderr, "heapstorm __launch: unknown option %s\n", a);
    return 127;
  }
  int error_fd = static_cast<int>(error_fd_value);
  if (i >= argc) Fail(error_fd, "no program to run", EINVAL);

  // Die with the worker's spawner thread; if it is already gone, do not start at all.
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) Fail(error_fd, "prctl(PR_SET_PDEATHSIG)", errno);
  if (parent != 0 && static_cast<uint64_t>(getppid()) != parent) {
    Fail(error_fd, "the worker exited before the run started", ESRCH);
  }
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) Fail(error_fd, "prctl(PR_SET_NO_NEW_PRIVS)", errno);
  if (setpgid(0, 0) != 0) Fail(error_fd, "setpgid", errno);
  if (!SetLimit(RLIMIT_CORE, 0)) Fail(error_fd, "setrlimit(RLIMIT_CORE)", errno);
  if (stack != 0 && !SetLimit(RLIMIT_STACK, stack)) Fail(error_fd, "setrlimit(RLIMIT_STACK)", errno);
  if (nofile != 0 && !SetLimit(RLIMIT_NOFILE, nofile, /*hard=*/true)) {
    Fail(error_fd, "setrlimit(RLIMIT_NOFILE)", errno);
  }
  if (data != 0 && !SetLimit(RLIMIT_DATA, data)) Fail(error_fd, "setrlimit(RLIMIT_DATA)", errno);
  if (*cgroup != '\0') {
    int fd = open(cgroup, O_WRONLY | O_CLOEXEC);
    if (fd < 0) Fail(error_fd, "open cgroup.procs", errno);
    char pid[32];
    int n = std::snprintf(pid, sizeof(pid), "%d\n", static_cast<int>(getpid()));
    if (write(fd, pid, static_cast<size_t>(n)) != n) Fail(error_fd, "join the cgroup", errno);
    close(fd);
  }
  if (*cwd != '\0' && chdir(cwd) != 0) Fail(error_fd, "chdir", errno);
  // Everything above nfds and the error pipe goes; the error pipe closes at exec.
  if (fcntl(error_fd, F_SETFD, FD_CLOEXEC) != 0) Fail(error_fd, "fcntl(error fd)", errno);
  unsigned int first_closed = static_cast<unsigned int>(
      std::max<uint64_t>(nfds, static_cast<uint64_t>(error_fd) + 1));
  if (syscall(SYS_close_range, first_closed, ~0U, 0) != 0) {
    for (int fd = static_cast<int>(first_closed); fd < 65536; ++fd) close(fd);
  }
  for (int fd = static_cast<int>(nfds); fd < error_fd; ++fd) close(fd);
  // Default signal dispositions and an empty mask for the program.
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  execve(argv[i], argv + i, environ);
  Fail(error_fd, argv[i], errno);
}

void MaybeRunLauncherStep(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], kLaunchCommand) == 0) {
    std::exit(RunLauncherStep(argc, argv));
  }
}

// --- pipes -------------------------------------------------------------------------------

absl::StatusOr<Pipe> MakePipe(int capacity) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return absl::ResourceExhaustedError(absl::StrCat("pipe2: ", std::strerror(errno)));
  }
  if (capacity > 0) {
    // Best effort: pipe-max-size may be lower for unprivileged users.
    (void)fcntl(fds[1], F_SETPIPE_SZ, capacity);
  }
  return Pipe{fds[0], fds[1]};
}

void CloseFd(int* fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

// --- the spawner ---------------------------------------------------------------------------

struct PosixProcessLauncher::Request {
  const LaunchSpec* spec;
  absl::StatusOr<pid_t> result = absl::UnknownError("not started");
  absl::Notification done;
};

PosixProcessLauncher::PosixProcessLauncher(std::string self) : self_(std::move(self)) {
  // Grandchildren of a run (node's own children) come back to us when node dies, so they
  // can be reaped and never outlive the run.
  (void)prctl(PR_SET_CHILD_SUBREAPER, 1);
  spawner_ = std::thread([this] { SpawnerLoop(); });
}

PosixProcessLauncher::~PosixProcessLauncher() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  spawner_.join();
}

absl::StatusOr<pid_t> PosixProcessLauncher::Launch(const LaunchSpec& spec) {
  Request request;
  request.spec = &spec;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return absl::CancelledError("the launcher is shutting down");
    queue_.push_back(&request);
  }
  request.done.WaitForNotification();
  return request.result;
}

void PosixProcessLauncher::SpawnerLoop() {
  while (true) {
    Request* request = nullptr;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || !queue_.empty();
      };
      mu_.Await(absl::Condition(&ready));
      if (queue_.empty()) return;  // stopping, nothing left
      request = queue_.front();
      queue_.erase(queue_.begin());
    }
    Spawn(request);
    request->done.Notify();
  }
}

void PosixProcessLauncher::Spawn(Request* request) {
  const LaunchSpec& spec = *request->spec;
  absl::StatusOr<Pipe> error_pipe = MakePipe(0);
  if (!error_pipe.ok()) {
    request->result = error_pipe.status();
    return;
  }
  const int nfds = static_cast<int>(std::max<size_t>(3, spec.fds.size()));
  const int error_fd = nfds;

  std::vector<std::string> args = {self_, kLaunchCommand,
                                   absl::StrCat("--parent=", getpid()),
                                   absl::StrCat("--nfds=", nfds),
                                   absl::StrCat("--error-fd=", error_fd)};
  if (spec.stack_bytes) args.push_back(absl::StrCat("--stack=", spec.stack_bytes));
  if (spec.max_descriptors) args.push_back(absl::StrCat("--nofile=", spec.max_descriptors));
  if (spec.data_bytes) args.push_back(absl::StrCat("--data=", spec.data_bytes));
  if (!spec.cgroup_procs.empty()) args.push_back(absl::StrCat("--cgroup=", spec.cgroup_procs));
  if (!spec.working_dir.empty()) args.push_back(absl::StrCat("--cwd=", spec.working_dir));
  args.push_back("--");
  args.push_back(spec.program);
  for (const std::string& a : spec.args) args.push_back(a);

  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_copy = spec.env;
  std::vector<char*> envp;
  for (std::string& e : env_copy) envp.push_back(e.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  // Move every source descriptor out of the way first, so that dup2 onto 0..n-1 never
  // overwrites a source that is still needed.
  const int kScratchBase = 1000;
  std::vector<int> sources = spec.fds;
  while (sources.size() < 3) {
    int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    sources.push_back(null_fd);
  }
  for (size_t i = 0; i < sources.size(); ++i) {
    posix_spawn_file_actions_adddup2(&actions, sources[i], kScratchBase + static_cast<int>(i));
  }
  posix_spawn_file_actions_adddup2(&actions, error_pipe->write_fd, kScratchBase + nfds);
  for (int i = 0; i < nfds; ++i) {
    posix_spawn_file_actions_adddup2(&actions, kScratchBase + i, i);
  }
  posix_spawn_file_actions_adddup2(&actions, kScratchBase + nfds, error_fd);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  sigset_t all;
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  pid_t pid = -1;
  int rc = posix_spawn(&pid, self_.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  for (size_t i = spec.fds.size(); i < sources.size(); ++i) close(sources[i]);
  CloseFd(&error_pipe->write_fd);
  if (rc != 0) {
    CloseFd(&error_pipe->read_fd);
    request->result = absl::InternalError(
        absl::StrCat("posix_spawn ", self_, ": ", std::strerror(rc)));
    return;
  }
  // The error pipe closes at exec (EOF, nothing read) or carries the step's reason.
  std::string reason;
  char buffer[512];
  while (true) {
    ssize_t n = read(error_pipe->read_fd, buffer, sizeof(buffer));
    if (n > 0) {
      reason.append(buffer, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break;
  }
  CloseFd(&error_pipe->read_fd);
  if (!reason.empty()) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (reason.find("No such file") != std::string::npos ||
        reason.find("Permission denied") != std::string::npos) {
      request->result = absl::NotFoundError(absl::StrCat("cannot start ", spec.program, ": ", reason));
    } else {
      request->result =
          absl::FailedPreconditionError(absl::StrCat("cannot start ", spec.program, ": ", reason));
    }
    return;
  }
  request->result = pid;
}

void PosixProcessLauncher::KillGroup(pid_t pid, int signal) {
  if (pid <= 0) return;
  if (kill(-pid, signal) != 0 && errno == ESRCH) {
    (void)kill(pid, signal);  // the leader may have left its group; try it alone
  }
}

bool PosixProcessLauncher::TryReap(pid_t pid, ExitInfo* info) {
  int status = 0;
  struct rusage usage;
  pid_t r;
  do {
    r = wait4(pid, &status, WNOHANG, &usage);
  } while (r < 0 && errno == EINTR);
  if (r == 0) return false;
  if (r < 0) {
    // Already reaped, or not ours: report it as gone.
    info->exited = false;
    info->signal = 0;
    return true;
  }
  info->exited = WIFEXITED(status);
  info->exit_code = info->exited ? WEXITSTATUS(status) : 0;
  info->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  info->max_rss_bytes = static_cast<uint64_t>(usage.ru_maxrss) * 1024;
  info->user_cpu_s = usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6;
  info->system_cpu_s = usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
  // Whatever else of the group is left: kill and reap it, so nothing outlives the run.
  (void)kill(-pid, SIGKILL);
  while (waitpid(-pid, nullptr, WNOHANG) > 0) {
  }
  return true;
}

}  // namespace heapstorm
