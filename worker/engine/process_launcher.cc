#include "worker/engine/process_launcher.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/files.h"
#include "common/logging.h"
#include "common/mutex.h"
#include "worker/engine/launcher_blob.h"

extern char** environ;

namespace heapstorm {

// --- the embedded launcher ------------------------------------------------------------------

absl::StatusOr<std::string> LauncherExecutable() {
  static absl::StatusOr<std::string>* path = [] {
    int fd = static_cast<int>(syscall(SYS_memfd_create, "heapstorm-launcher", MFD_CLOEXEC));
    if (fd < 0) {
      return new absl::StatusOr<std::string>(
          absl::InternalError(absl::StrCat("memfd_create: ", std::strerror(errno))));
    }
    size_t written = 0;
    while (written < kLauncherBlobSize) {
      ssize_t n = write(fd, kLauncherBlob + written, kLauncherBlobSize - written);
      if (n <= 0 && errno != EINTR) {
        close(fd);
        return new absl::StatusOr<std::string>(
            absl::InternalError(absl::StrCat("writing the launcher: ", std::strerror(errno))));
      }
      if (n > 0) written += static_cast<size_t>(n);
    }
    // Out of the way of the descriptors a spawn rearranges (0..n and 1000+).
    int high = fcntl(fd, F_DUPFD_CLOEXEC, 900);
    if (high >= 0 && high < 1000) {
      close(fd);
      fd = high;
    } else if (high >= 0) {
      close(high);
    }
    return new absl::StatusOr<std::string>(absl::StrCat("/proc/self/fd/", fd));
  }();
  return *path;
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

// The launcher checks that its parent is still this process after it asked for the
// parent-death signal (else a worker that died in between would leave node running). Under
// ThreadSanitizer, posix_spawn goes through TSan's own helper process, so the launcher's
// parent is that helper: the TSan build (tests only) skips the check.
#if defined(__SANITIZE_THREAD__)
constexpr bool kCheckParent = false;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
constexpr bool kCheckParent = false;
#else
constexpr bool kCheckParent = true;
#endif
#else
constexpr bool kCheckParent = true;
#endif

struct PosixProcessLauncher::Request {
  const LaunchSpec* spec;
  absl::StatusOr<pid_t> result = absl::UnknownError("not started");
  Notification done;
};

PosixProcessLauncher::PosixProcessLauncher(std::string launcher) : launcher_(std::move(launcher)) {
  // Grandchildren of a run (node's own children) come back to us when node dies, so they
  // can be reaped and never outlive the run.
  (void)prctl(PR_SET_CHILD_SUBREAPER, 1);
  StartJanitor();
  spawner_ = std::thread([this] { SpawnerLoop(); });
}

PosixProcessLauncher::~PosixProcessLauncher() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
  }
  spawner_.join();
  // EOF: the janitor kills whatever is still registered (nothing, after an orderly end).
  CloseFd(&janitor_fd_);
  if (janitor_pid_ > 0) {
    while (waitpid(janitor_pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
}

void PosixProcessLauncher::StartJanitor() {
  int ends[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0) {
    HS_LOG(WARNING) << "no janitor (socketpair: " << std::strerror(errno)
                    << "): processes a module spawns may outlive a killed worker";
    return;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, ends[1], 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  char arg0[] = "heapstorm-janitor";
  char arg1[] = "--janitor";
  char* argv[] = {arg0, arg1, nullptr};
  char* envp[] = {nullptr};
  pid_t pid = -1;
  int rc = posix_spawn(&pid, launcher_.c_str(), &actions, nullptr, argv, envp);
  posix_spawn_file_actions_destroy(&actions);
  close(ends[1]);
  if (rc != 0) {
    close(ends[0]);
    HS_LOG(WARNING) << "no janitor (posix_spawn " << launcher_ << ": " << std::strerror(rc)
                    << "): processes a module spawns may outlive a killed worker";
    return;
  }
  janitor_fd_ = ends[0];
  janitor_pid_ = pid;
}

void PosixProcessLauncher::TellJanitor(const std::string& line) {
  if (janitor_fd_ < 0) return;
  std::string text = line + "\n";
  // One short line: a single send, whole or not at all in practice.
  (void)!send(janitor_fd_, text.data(), text.size(), MSG_NOSIGNAL);
}

absl::StatusOr<pid_t> PosixProcessLauncher::Launch(const LaunchSpec& spec) {
  Request request;
  request.spec = &spec;
  {
    MutexLock lock(&mu_);
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
      MutexLock lock(&mu_);
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

namespace {

// The launcher step's command line: its flags for what it sets up, then node's own.
std::vector<std::string> LauncherArgs(const LaunchSpec& spec, int nfds, int error_fd) {
  std::vector<std::string> args = {"heapstorm-launcher",
                                   absl::StrCat("--parent=", kCheckParent ? getpid() : 0),
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
  return args;
}

// What the launcher step's reason for not starting `program` means: NOT_FOUND when node
// is missing or not executable, FAILED_PRECONDITION for any other setup step (a limit,
// the cgroup, the working directory).
absl::Status StartFailure(const std::string& program, const std::string& reason) {
  if (reason.find("No such file") != std::string::npos ||
      reason.find("Permission denied") != std::string::npos) {
    return absl::NotFoundError(absl::StrCat("cannot start ", program, ": ", reason));
  }
  return absl::FailedPreconditionError(absl::StrCat("cannot start ", program, ": ", reason));
}

}  // namespace

void PosixProcessLauncher::Spawn(Request* request) {
  const LaunchSpec& spec = *request->spec;
  absl::StatusOr<Pipe> error_pipe = MakePipe(0);
  if (!error_pipe.ok()) {
    request->result = error_pipe.status();
    return;
  }
  const int nfds = static_cast<int>(std::max<size_t>(3, spec.fds.size()));
  const int error_fd = nfds;

  std::vector<std::string> args = LauncherArgs(spec, nfds, error_fd);

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
  int rc = posix_spawn(&pid, launcher_.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  for (size_t i = spec.fds.size(); i < sources.size(); ++i) close(sources[i]);
  CloseFd(&error_pipe->write_fd);
  if (rc != 0) {
    CloseFd(&error_pipe->read_fd);
    request->result = absl::InternalError(
        absl::StrCat("posix_spawn ", launcher_, ": ", std::strerror(rc)));
    return;
  }
  // The error pipe closes at exec (EOF, nothing read) or carries the step's reason.
  // Empty when the exec of node succeeded: the launcher's error pipe is close-on-exec.
  std::string reason;
  (void)ReadToEnd(error_pipe->read_fd, &reason);
  CloseFd(&error_pipe->read_fd);
  if (!reason.empty()) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    request->result = StartFailure(spec.program, reason);
    return;
  }
  TellJanitor(absl::StrCat("+", pid));
  if (!spec.cgroup_procs.empty()) {
    TellJanitor(absl::StrCat("c ", spec.cgroup_procs));
    MutexLock lock(&mu_);
    cgroup_of_[pid] = spec.cgroup_procs;
  }
  if (!spec.environment_marker.empty()) {
    TellJanitor(absl::StrCat("e ", spec.environment_marker));
    MutexLock lock(&mu_);
    marker_of_[pid] = spec.environment_marker;
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
  // Look without reaping: an ended leader stays a zombie, holding its pid and so its group id.
  siginfo_t ended;
  std::memset(&ended, 0, sizeof(ended));
  int r;
  do {
    r = waitid(P_PID, static_cast<id_t>(pid), &ended, WEXITED | WNOHANG | WNOWAIT);
  } while (r < 0 && errno == EINTR);
  if (r == 0 && ended.si_pid == 0) return false;  // still running
  // Whatever else of the group is left dies first, while the group id is still ours.
  (void)kill(-pid, SIGKILL);
  int status = 0;
  struct rusage usage;
  std::memset(&usage, 0, sizeof(usage));
  pid_t reaped;
  do {
    reaped = wait4(pid, &status, 0, &usage);
  } while (reaped < 0 && errno == EINTR);
  // Then reap the members: all were sent SIGKILL, and each is our child by now (its parent
  // died, and we are the subreaper), so this ends with ECHILD once the last one is gone.
  while (true) {
    pid_t member = waitpid(-pid, nullptr, 0);
    if (member > 0 || (member < 0 && errno == EINTR)) continue;
    break;
  }
  TellJanitor(absl::StrCat("-", pid));
  {
    MutexLock lock(&mu_);
    auto it = cgroup_of_.find(pid);
    if (it != cgroup_of_.end()) {
      TellJanitor(absl::StrCat("C ", it->second));
      cgroup_of_.erase(it);
    }
    // The run's monitor kills what is left of it by the marker next (RunMonitor).
    auto marker = marker_of_.find(pid);
    if (marker != marker_of_.end()) {
      TellJanitor(absl::StrCat("E ", marker->second));
      marker_of_.erase(marker);
    }
  }
  if (reaped < 0) {
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
  return true;
}

void PosixProcessLauncher::ReapStray(pid_t pid) {
  if (pid <= 0) return;
  // ECHILD at once when it is not ours; otherwise it was killed and ends promptly.
  while (waitpid(pid, nullptr, __WALL) < 0 && errno == EINTR) {
  }
}

}  // namespace heapstorm
