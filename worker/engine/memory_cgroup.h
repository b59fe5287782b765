// The memory cgroup of one run: the only code that touches /sys/fs/cgroup.
//
// Create() makes a child cgroup with a memory limit: cgroup v2 (`memory.max`) where the
// memory controller is delegated to our own cgroup, else v1 (`memory.limit_in_bytes`)
// nested under the process's own memory cgroup (/proc/self/cgroup). Where neither works
// (no controller, read-only /sys as in Bazel's sandbox) it returns FailedPrecondition
// with the reason, and the engine falls back to its RSS watchdog and says so.
//
// A cgroup OOM kill is a bare SIGKILL; only the oom_kill counter tells it from any other
// SIGKILL, so the counters are read before and after a run (NODE_FACTS.md §3c).
#ifndef HEAPSTORM_WORKER_ENGINE_MEMORY_CGROUP_H_
#define HEAPSTORM_WORKER_ENGINE_MEMORY_CGROUP_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/result.pb.h"

namespace heapstorm {

struct CgroupCounters {
  uint64_t oom_kills = 0;       // processes killed by the OOM killer in this cgroup
  uint64_t failcnt = 0;         // times usage hit the limit (v1), or memory.events max (v2)
  uint64_t max_usage_bytes = 0; // peak usage (v1 max_usage_in_bytes, v2 memory.peak)
  uint64_t usage_bytes = 0;     // now
};

class MemoryCgroup {
 public:
  // Creates a child cgroup named `name` with `limit_bytes` of memory and no swap.
  // `root_override` replaces /sys/fs/cgroup (tests). FailedPrecondition when no memory
  // controller can be used here, with the reason.
  static absl::StatusOr<std::unique_ptr<MemoryCgroup>> Create(const std::string& name,
                                                              uint64_t limit_bytes,
                                                              const std::string& root_override = "");

  // Removes the cgroups a dead heapstorm left behind (kill -9): children named
  // "heapstorm-PID-..." of the places Create() makes them, whose PID is no longer running.
  // Their remaining members are SIGKILLed first. Returns the paths removed. `root_override`
  // as for Create(). Best effort: a cgroup that will not go is left and logged by the caller.
  static std::vector<std::string> SweepStale(const std::string& root_override = "");

  // Removes the cgroup, waiting up to 2 s for killed processes to leave it. The owner
  // kills what is inside first (the launcher does every kill: see Pids()).
  ~MemoryCgroup();

  MemoryCgroup(const MemoryCgroup&) = delete;
  MemoryCgroup& operator=(const MemoryCgroup&) = delete;

  v1::LimitMechanism mechanism() const { return mechanism_; }
  const std::string& path() const { return path_; }
  // The file a process writes its pid to, to join.
  std::string procs_file() const { return path_ + "/cgroup.procs"; }

  // Reads the counters. Thread-safe (reads files only).
  CgroupCounters Read() const;
  // Current usage only (cheap: one small file). Bytes; 0 when unreadable.
  uint64_t Usage() const;
  // Anonymous memory charged to the cgroup (memory.stat: v1 total_rss, v2 anon): usage
  // that reclaim cannot give back. Bytes; 0 when unreadable.
  uint64_t AnonUsage() const;

  // The processes still inside.
  std::vector<int> Pids() const;

 private:
  // True when every process in the cgroup at `path` is an orphan of a dead run (no member
  // hidden in another PID namespace, no member whose parent lives outside the cgroup).
  static bool OnlyOrphansIn(const std::string& path);

  MemoryCgroup(std::string path, v1::LimitMechanism mechanism)
      : path_(std::move(path)), mechanism_(mechanism) {}

  std::string path_;
  v1::LimitMechanism mechanism_;
};

}  // namespace heapstorm

#endif  // HEAPSTORM_WORKER_ENGINE_MEMORY_CGROUP_H_
