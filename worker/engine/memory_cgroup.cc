#include "worker/engine/memory_cgroup.h"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>


#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/files.h"

namespace heapstorm {
namespace {

// A write to a control file of the cgroup filesystem (one value, no temporary file).
absl::Status WriteControl(const std::string& path, const std::string& value) {
  std::ofstream out(path);
  if (!out) return absl::FailedPreconditionError(absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
  out << value;
  out.flush();
  if (!out) {
    return absl::FailedPreconditionError(absl::StrCat("cannot write ", value, " to ", path, ": ",
                                                      std::strerror(errno)));
  }
  return absl::OkStatus();
}

uint64_t ReadNumber(const std::string& path) {
  absl::StatusOr<std::string> read = ReadFile(path);
  if (!read.ok()) return 0;
  absl::string_view text = absl::StripAsciiWhitespace(*read);
  uint64_t value = 0;
  if (text == "max") return UINT64_MAX;
  return absl::SimpleAtoi(text, &value) ? value : 0;
}

// "key value" lines (memory.oom_control, memory.events): the value of `key`.
uint64_t ReadKeyed(const std::string& path, absl::string_view key) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return 0;
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(line, ' ');
    uint64_t value = 0;
    if (kv.first == key && absl::SimpleAtoi(kv.second, &value)) return value;
  }
  return 0;
}

// The path after "memory:" (v1) or "0::" (v2) in /proc/self/cgroup.
std::string OwnCgroup(absl::string_view controller_prefix) {
  absl::StatusOr<std::string> text = ReadFile("/proc/self/cgroup");
  if (!text.ok()) return "";
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    std::vector<absl::string_view> parts = absl::StrSplit(line, absl::MaxSplits(':', 2));
    if (parts.size() != 3) continue;
    if (controller_prefix == "v2" && parts[0] == "0" && parts[1].empty()) return std::string(parts[2]);
    if (controller_prefix == "memory") {
      for (absl::string_view c : absl::StrSplit(parts[1], ',')) {
        if (c == "memory") return std::string(parts[2]);
      }
    }
  }
  return "";
}

absl::Status MakeDir(const std::string& path) {
  if (mkdir(path.c_str(), 0755) == 0 || errno == EEXIST) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat("mkdir ", path, ": ", std::strerror(errno)));
}

// Where Create() makes cgroups: the v2 parent (when it delegates memory) and the v1 parent.
std::vector<std::string> Parents(const std::string& root) {
  std::vector<std::string> parents;
  struct stat st;
  std::string unified = root;
  if (stat((root + "/unified").c_str(), &st) == 0) unified = root + "/unified";
  std::string own_v2 = OwnCgroup("v2");
  if (!own_v2.empty()) parents.push_back(unified + (own_v2 == "/" ? "" : own_v2));
  std::string own_v1 = OwnCgroup("memory");
  if (!own_v1.empty()) parents.push_back(root + "/memory" + (own_v1 == "/" ? "" : own_v1));
  return parents;
}

// The parent PID of `pid`, from /proc/PID/status; 0 when it cannot be read.
int ParentOf(int pid) {
  absl::StatusOr<std::string> status = ReadFile(absl::StrCat("/proc/", pid, "/status"));
  if (!status.ok()) return 0;
  size_t at = status->find("\nPPid:");
  if (at == std::string::npos) return 0;
  int ppid = 0;
  size_t end = status->find('\n', at + 1);
  (void)absl::SimpleAtoi(absl::StripAsciiWhitespace(status->substr(at + 6, end - at - 6)), &ppid);
  return ppid;
}

}  // namespace

bool MemoryCgroup::OnlyOrphansIn(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path + "/cgroup.procs");
  if (!text.ok()) return false;
  std::set<int> members;
  for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    int pid = 0;
    if (!absl::SimpleAtoi(line, &pid)) return false;
    if (pid <= 0) return false;  // a process outside our PID namespace: someone's live run
    members.insert(pid);
  }
  for (int pid : members) {
    int parent = ParentOf(pid);
    if (parent == 0 || parent == 1 || parent == getpid() || members.count(parent)) continue;
    if (kill(parent, 0) == 0 || errno == EPERM) return false;  // a live parent outside
  }
  return true;
}

std::vector<std::string> MemoryCgroup::SweepStale(const std::string& root_override) {
  const std::string root = root_override.empty() ? "/sys/fs/cgroup" : root_override;
  std::vector<std::string> removed;
  for (const std::string& parent : Parents(root)) {
    DIR* d = opendir(parent.c_str());
    if (d == nullptr) continue;
    std::vector<std::string> stale;
    while (dirent* e = readdir(d)) {
      absl::string_view name = e->d_name;
      if (e->d_type != DT_DIR || !absl::ConsumePrefix(&name, "heapstorm-")) continue;
      // heapstorm-PID-N, and the tests' heapstorm-probe-PID / heapstorm-truth-PID-N.
      if (!absl::ConsumePrefix(&name, "probe-")) (void)absl::ConsumePrefix(&name, "truth-");
      int pid = 0;
      if (!absl::SimpleAtoi(name.substr(0, name.find('-')), &pid) || pid <= 0) continue;
      if (kill(pid, 0) == 0 || errno == EPERM) continue;  // its heapstorm still runs
      stale.push_back(absl::StrCat(parent, "/", e->d_name));
    }
    closedir(d);
    for (const std::string& path : stale) {
      // A PID in the name proves nothing from another PID namespace (a container, a
      // sandbox): the cgroup may belong to a live heapstorm there. Its members tell: one we
      // cannot see (read as 0), or one whose parent lives outside the cgroup, is a live
      // run's; only orphans (reparented to init or a subreaper) are leftovers.
      if (!OnlyOrphansIn(path)) continue;
      {
        MemoryCgroup cgroup(path, v1::LIMIT_MECHANISM_NONE);
        for (int round = 0; round < 50; ++round) {
          std::vector<int> pids = cgroup.Pids();
          if (pids.empty()) break;
          for (int pid : pids) {
            if (pid > 0) kill(pid, SIGKILL);
          }
          absl::SleepFor(absl::Milliseconds(10));
        }
      }  // ~MemoryCgroup removes it, waiting for the killed to leave
      if (access(path.c_str(), F_OK) != 0) removed.push_back(path);
    }
  }
  return removed;
}

absl::StatusOr<std::unique_ptr<MemoryCgroup>> MemoryCgroup::Create(const std::string& name,
                                                                  uint64_t limit_bytes,
                                                                  const std::string& root_override) {
  const std::string root = root_override.empty() ? "/sys/fs/cgroup" : root_override;
  std::string why;

  // cgroup v2: our own cgroup must offer the memory controller to its children.
  std::string unified = root;
  struct stat st;
  if (stat((root + "/unified").c_str(), &st) == 0) unified = root + "/unified";
  std::string own_v2 = OwnCgroup("v2");
  std::string v2_parent = unified + (own_v2 == "/" ? "" : own_v2);
  absl::StatusOr<std::string> controllers = ReadFile(v2_parent + "/cgroup.subtree_control");
  if (controllers.ok() && controllers->find("memory") != std::string::npos) {
    std::string path = absl::StrCat(v2_parent, "/", name);
    absl::Status s = MakeDir(path);
    if (s.ok()) s = WriteControl(path + "/memory.max", absl::StrCat(limit_bytes));
    if (s.ok()) (void)WriteControl(path + "/memory.swap.max", "0");
    if (s.ok()) {
      return std::unique_ptr<MemoryCgroup>(new MemoryCgroup(path, v1::LIMIT_MECHANISM_CGROUP_V2));
    }
    rmdir(path.c_str());
    why = absl::StrCat("cgroup v2: ", s.message(), "; ");
  } else {
    why = "cgroup v2: no memory controller delegated here; ";
  }

  // cgroup v1: a child of our own memory cgroup.
  std::string own_v1 = OwnCgroup("memory");
  std::string v1_root = root + "/memory";
  if (own_v1.empty() || stat(v1_root.c_str(), &st) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(why, "cgroup v1: no memory hierarchy"));
  }
  std::string parent = v1_root + (own_v1 == "/" ? "" : own_v1);
  std::string path = absl::StrCat(parent, "/", name);
  absl::Status s = MakeDir(path);
  if (s.ok()) s = WriteControl(path + "/memory.limit_in_bytes", absl::StrCat(limit_bytes));
  if (s.ok()) {
    // No swap on these machines, but be explicit where memsw is accounted.
    (void)WriteControl(path + "/memory.swappiness", "0");
    return std::unique_ptr<MemoryCgroup>(new MemoryCgroup(path, v1::LIMIT_MECHANISM_CGROUP_V1));
  }
  rmdir(path.c_str());
  return absl::FailedPreconditionError(absl::StrCat(why, "cgroup v1: ", s.message()));
}

MemoryCgroup::~MemoryCgroup() {
  // A cgroup can be removed only when empty; killed processes take a moment to leave.
  for (int attempt = 0; attempt < 200; ++attempt) {
    if (rmdir(path_.c_str()) == 0 || errno == ENOENT) return;
    absl::SleepFor(absl::Milliseconds(10));
  }
}

CgroupCounters MemoryCgroup::Read() const {
  CgroupCounters c;
  if (mechanism_ == v1::LIMIT_MECHANISM_CGROUP_V2) {
    c.oom_kills = ReadKeyed(path_ + "/memory.events", "oom_kill");
    c.failcnt = ReadKeyed(path_ + "/memory.events", "max");
    c.max_usage_bytes = ReadNumber(path_ + "/memory.peak");
    c.usage_bytes = ReadNumber(path_ + "/memory.current");
  } else {
    c.oom_kills = ReadKeyed(path_ + "/memory.oom_control", "oom_kill");
    c.failcnt = ReadNumber(path_ + "/memory.failcnt");
    c.max_usage_bytes = ReadNumber(path_ + "/memory.max_usage_in_bytes");
    c.usage_bytes = ReadNumber(path_ + "/memory.usage_in_bytes");
  }
  return c;
}

uint64_t MemoryCgroup::Usage() const {
  return ReadNumber(path_ + (mechanism_ == v1::LIMIT_MECHANISM_CGROUP_V2 ? "/memory.current"
                                                                          : "/memory.usage_in_bytes"));
}

uint64_t MemoryCgroup::AnonUsage() const {
  return ReadKeyed(path_ + "/memory.stat",
                   mechanism_ == v1::LIMIT_MECHANISM_CGROUP_V2 ? "anon" : "total_rss");
}

std::vector<int> MemoryCgroup::Pids() const {
  std::vector<int> pids;
  absl::StatusOr<std::string> text = ReadFile(path_ + "/cgroup.procs");
  if (!text.ok()) return pids;
  for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    int pid = 0;
    if (absl::SimpleAtoi(line, &pid) && pid > 0) pids.push_back(pid);
  }
  return pids;
}

}  // namespace heapstorm
