// The launcher step: a tiny single-threaded program between the worker's posix_spawn and
// node. It applies the rlimits, the parent-death signal (checking that the worker is still
// there), no_new_privs, a process group of its own and the cgroup, keeps only the
// descriptors it was given, and execs the program directly (no shell).
//
//   heapstorm-launcher --parent=PID --nfds=N --error-fd=FD [--stack=B] [--nofile=N]
//       [--data=B] [--cgroup=PROCS_FILE] [--cwd=DIR] -- PROGRAM ARGS...
//
// The same binary is also the worker's janitor (`heapstorm-launcher --janitor`): one per
// worker process, in a session of its own, reading registrations on stdin ("+PGID",
// "-PGID", "c PROCS_FILE", "C PROCS_FILE", "e NAME=VALUE", "E NAME=VALUE", one per line).
// When stdin reaches EOF — the worker exited, however it died, kill -9 included — it
// SIGKILLs every process group, every member of every cgroup and every process whose
// environment holds a marker still registered (a daemon a module started with setsid),
// removes those cgroups, and exits. (node
// itself dies with the worker by its parent-death signal, but that signal is not inherited:
// the processes a module spawned would outlive the worker, re-parented to init.)
//
// If anything fails before the exec, it writes "what: strerror" to the error descriptor
// (close-on-exec, so the worker reads EOF on success) and exits 127.
//
// It links statically against libc and nothing else: it is embedded in heapstorm
// (launcher_blob) and exec'd from memory for every run, so it must start in well under a
// millisecond. (heapstorm itself, with gRPC's 70-odd shared libraries, takes ~15 ms.)
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

extern char** environ;

namespace {

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
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(arg + n + 1, &end, 10);
  if (errno != 0 || end == arg + n + 1 || *end != '\0') return false;
  *out = v;
  return true;
}

bool ParseString(const char* arg, const char* name, const char** out) {
  size_t n = std::strlen(name);
  if (std::strncmp(arg, name, n) != 0 || arg[n] != '=') return false;
  *out = arg + n + 1;
  return true;
}

// --- the janitor -------------------------------------------------------------------------------

constexpr int kMaxEntries = 4096;
constexpr int kMaxPath = 512;

struct Registry {
  int pgids[kMaxEntries];
  int npgids = 0;
  char cgroups[kMaxEntries / 16][kMaxPath];
  int ncgroups = 0;
  char markers[kMaxEntries / 16][kMaxPath];  // "NAME=VALUE" in a run's environments
  int nmarkers = 0;
};

// Adds `path` to a list (`add`), or takes it out.
void Listed(char (*list)[kMaxPath], int* n, const char* path, bool add) {
  if (std::strlen(path) >= kMaxPath) return;
  if (add) {
    if (*n < kMaxEntries / 16) std::strcpy(list[(*n)++], path);
    return;
  }
  for (int i = 0; i < *n; ++i) {
    if (std::strcmp(list[i], path) == 0) std::strcpy(list[i], list[--*n]);
  }
}

void Register(Registry* r, const char* line) {
  if (line[0] == '+' || line[0] == '-') {
    int pgid = std::atoi(line + 1);
    if (pgid <= 1) return;
    if (line[0] == '+') {
      if (r->npgids < kMaxEntries) r->pgids[r->npgids++] = pgid;
      return;
    }
    for (int i = 0; i < r->npgids; ++i) {
      if (r->pgids[i] == pgid) r->pgids[i] = r->pgids[--r->npgids];
    }
    return;
  }
  if ((line[0] == 'c' || line[0] == 'C') && line[1] == ' ') {
    Listed(r->cgroups, &r->ncgroups, line + 2, line[0] == 'c');
  }
  if ((line[0] == 'e' || line[0] == 'E') && line[1] == ' ') {
    Listed(r->markers, &r->nmarkers, line + 2, line[0] == 'e');
  }
}

// SIGKILLs every process whose environment holds one of `markers` as a whole entry;
// returns how many it found.
int KillMarked(const Registry& r) {
  if (r.nmarkers == 0) return 0;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return 0;
  int count = 0;
  static char environment[1 << 16];
  while (dirent* d = readdir(proc)) {
    long pid = std::strtol(d->d_name, nullptr, 10);
    if (pid <= 1 || pid == getpid()) continue;
    char path[64];
    std::snprintf(path, sizeof(path), "/proc/%ld/environ", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    ssize_t n = read(fd, environment, sizeof(environment) - 1);
    close(fd);
    if (n <= 0) continue;
    environment[n] = '\0';
    bool marked = false;
    for (const char* e = environment; e < environment + n && !marked; e += std::strlen(e) + 1) {
      for (int i = 0; i < r.nmarkers && !marked; ++i) marked = std::strcmp(e, r.markers[i]) == 0;
    }
    if (marked) {
      kill(static_cast<pid_t>(pid), SIGKILL);
      ++count;
    }
  }
  closedir(proc);
  return count;
}

// SIGKILLs every pid listed in a cgroup.procs file; returns how many were listed.
int KillCgroupMembers(const char* procs) {
  int fd = open(procs, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buffer[65536];
  ssize_t n = read(fd, buffer, sizeof(buffer) - 1);
  close(fd);
  if (n <= 0) return 0;
  buffer[n] = '\0';
  int count = 0;
  for (char* p = buffer; *p != '\0';) {
    char* end = nullptr;
    long pid = std::strtol(p, &end, 10);
    if (end == p) break;
    if (pid > 1) {
      kill(static_cast<pid_t>(pid), SIGKILL);
      ++count;
    }
    p = end;
    while (*p == '\n') ++p;
  }
  return count;
}

int Janitor() {
  // Out of the worker's session and process group: a ^C or a kill of the worker's group
  // must not take the janitor before it has cleaned up.
  setsid();
  signal(SIGINT, SIG_IGN);
  signal(SIGTERM, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  syscall(SYS_close_range, 3U, ~0U, 0);
  static Registry registry;
  char line[kMaxPath + 8];
  size_t used = 0;
  char buffer[4096];
  while (true) {
    ssize_t n = read(0, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF: the worker is gone
    for (ssize_t i = 0; i < n; ++i) {
      if (buffer[i] == '\n') {
        line[used] = '\0';
        Register(&registry, line);
        used = 0;
      } else if (used + 1 < sizeof(line)) {
        line[used++] = buffer[i];
      }
    }
  }
  for (int i = 0; i < registry.npgids; ++i) kill(-registry.pgids[i], SIGKILL);
  // Processes may fork while being killed: again until none is found (bounded).
  for (int round = 0; round < 50 && KillMarked(registry) > 0; ++round) {
    struct timespec pause = {0, 20 * 1000 * 1000};
    nanosleep(&pause, nullptr);
  }
  for (int i = 0; i < registry.ncgroups; ++i) {
    // Members may fork while being killed: repeat until the cgroup is empty (bounded).
    for (int round = 0; round < 50 && KillCgroupMembers(registry.cgroups[i]) > 0; ++round) {
      struct timespec pause = {0, 20 * 1000 * 1000};
      nanosleep(&pause, nullptr);
    }
    char dir[kMaxPath];
    std::strcpy(dir, registry.cgroups[i]);
    char* slash = std::strrchr(dir, '/');
    if (slash != nullptr) *slash = '\0';
    for (int round = 0; round < 100 && rmdir(dir) != 0 && errno == EBUSY; ++round) {
      struct timespec pause = {0, 20 * 1000 * 1000};
      nanosleep(&pause, nullptr);
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "--janitor") == 0) return Janitor();
  uint64_t parent = 0, stack = 0, nofile = 0, data = 0, nfds = 3, error_fd_value = 0;
  const char* cgroup = "";
  const char* cwd = "";
  int i = 1;
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
    std::fprintf(stderr, "heapstorm-launcher: unknown option %s\n", a);
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

