// The only code that starts, signals and reaps processes (STYLE.md: one launcher file
// behind an interface).
//
// A worker is multithreaded (gRPC), so it never forks freely. `PosixProcessLauncher` owns
// one long-lived spawner thread that posix_spawn()s a small single-threaded launcher step
// (launcher_main.cc: a static binary embedded in heapstorm, exec'd from memory). That step
// applies the rlimits, the parent-death signal (it follows the spawning *thread*, hence the
// long-lived one), no_new_privs, a process group of its own and the cgroup, closes every
// descriptor it was not given, and then execs the target directly: no shell, so node's own
// exit status (e.g. SIGABRT on heap OOM) is what wait4() sees.
#ifndef HEAPSTORM_WORKER_ENGINE_PROCESS_LAUNCHER_H_
#define HEAPSTORM_WORKER_ENGINE_PROCESS_LAUNCHER_H_

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/mutex.h"

namespace heapstorm {

// What to start and under which limits.
struct LaunchSpec {
  std::string program;              // absolute path, exec'd directly
  std::vector<std::string> args;    // argv[1..]; argv[0] is `program`
  std::vector<std::string> env;     // the whole environment, "KEY=value"
  std::string working_dir;          // "" keeps the worker's
  uint64_t stack_bytes = 0;         // RLIMIT_STACK; 0 leaves it
  uint64_t max_descriptors = 0;     // RLIMIT_NOFILE; 0 leaves it
  uint64_t data_bytes = 0;          // RLIMIT_DATA; 0 leaves it. Never RLIMIT_AS.
  std::string cgroup_procs;         // a cgroup.procs file to join before exec; "" none
  // "NAME=VALUE", one of `env`, that every process of the run inherits: the janitor kills
  // those left when the worker dies (launcher_main.cc). "" none.
  std::string environment_marker;
  // Descriptors for the child: stdin, stdout, stderr, then fd 3 onwards in order.
  // Every other descriptor is closed in the child.
  std::vector<int> fds;
};

// How a process ended (wait4).
struct ExitInfo {
  bool exited = false;  // true: exit_code; false: killed by signal
  int exit_code = 0;
  int signal = 0;
  uint64_t max_rss_bytes = 0;  // ru_maxrss
  double user_cpu_s = 0;
  double system_cpu_s = 0;
};

class ProcessLauncher {
 public:
  virtual ~ProcessLauncher() = default;

  // Starts the process and returns its pid once it has exec'd the program (or has failed
  // to: then FailedPrecondition/NotFound with the launcher step's reason, and nothing is
  // left running). The pid is also its process group id. Thread-safe.
  virtual absl::StatusOr<pid_t> Launch(const LaunchSpec& spec) = 0;

  // Sends `signal` to the whole process group of a launched process. Thread-safe.
  virtual void KillGroup(pid_t pid, int signal) = 0;

  // Reaps `pid` if it has ended: true with `info` filled, false while it runs. Before the
  // reap (while the ended leader still holds its pid, so the group id cannot be reused) it
  // SIGKILLs what is left of its process group, then reaps those members too (descendants
  // re-parented to this subreaper), so nothing of the run is left, zombies included.
  virtual bool TryReap(pid_t pid, ExitInfo* info) = 0;

  // Waits for `pid` if it is a child of ours (a descendant of a run that left its process
  // group and was re-parented to this subreaper), after the caller has killed it, so it
  // stays no zombie. Returns at once for any other pid. Thread-safe.
  virtual void ReapStray(pid_t pid) = 0;
};

// The real one. Makes the worker a child subreaper, so a run's grandchildren are ours to
// reap and kill while the worker lives. For after it (kill -9 of the worker included) it
// starts a janitor process (the launcher binary in --janitor mode) that holds every live
// run's process group and cgroup, and kills them when the worker's end of its pipe closes.
class PosixProcessLauncher : public ProcessLauncher {
 public:
  // `launcher` is the launcher step's executable (see LauncherExecutable()).
  explicit PosixProcessLauncher(std::string launcher);
  ~PosixProcessLauncher() override;

  absl::StatusOr<pid_t> Launch(const LaunchSpec& spec) override;
  void KillGroup(pid_t pid, int signal) override;
  bool TryReap(pid_t pid, ExitInfo* info) override;
  void ReapStray(pid_t pid) override;

 private:
  struct Request;
  void SpawnerLoop();
  void Spawn(Request* request);

  void StartJanitor();
  void TellJanitor(const std::string& line);

  std::string launcher_;
  int janitor_fd_ = -1;     // our end of the janitor's stdin (a socket: no SIGPIPE)
  pid_t janitor_pid_ = -1;
  Mutex mu_;
  std::map<pid_t, std::string> cgroup_of_ ABSL_GUARDED_BY(mu_);  // live runs' cgroup.procs
  std::map<pid_t, std::string> marker_of_ ABSL_GUARDED_BY(mu_);  // live runs' environment markers
  std::vector<Request*> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread spawner_;
};

// The path of the embedded launcher step, made executable once per process: a memfd
// (no filesystem, so a noexec /tmp does not matter) named as /proc/self/fd/N, N above the
// descriptors a spawn rearranges. Internal when it cannot be made. Thread-safe.
absl::StatusOr<std::string> LauncherExecutable();

// A pipe with both ends close-on-exec, enlarged to `capacity` bytes where the kernel
// allows (F_SETPIPE_SZ; node loses pipe output past 64 KiB on abort otherwise).
struct Pipe {
  int read_fd = -1;
  int write_fd = -1;
};
absl::StatusOr<Pipe> MakePipe(int capacity = 1 << 20);

// Closes a descriptor if it is open and sets it to -1.
void CloseFd(int* fd);

}  // namespace heapstorm

#endif  // HEAPSTORM_WORKER_ENGINE_PROCESS_LAUNCHER_H_
