// Outside sampling of a running process from /proc: resident set, its high-water mark,
// threads, and open descriptors. One status read (5-8 µs) and one stat of /proc/PID/fd
// (3 µs; its st_size is the open-descriptor count on Linux, where a readdir costs 6.8 ms
// at 10k descriptors) per sample — cheap enough for 20 Hz and more.
#ifndef HEAPSTORM_WORKER_ENGINE_PROC_SAMPLER_H_
#define HEAPSTORM_WORKER_ENGINE_PROC_SAMPLER_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace heapstorm {

struct ProcStatus {
  uint64_t rss_bytes = 0;  // VmRSS
  uint64_t hwm_bytes = 0;  // VmHWM
  uint32_t threads = 0;    // Threads
};

// Parses the text of /proc/PID/status. Missing fields stay 0. Pure.
ProcStatus ParseProcStatus(absl::string_view text);

// Reads /proc/PID/status. False when the process is gone.
bool ReadProcStatus(pid_t pid, ProcStatus* out);

// Open descriptors of `pid` (stat("/proc/PID/fd").st_size); 0 when unknown.
uint32_t CountDescriptors(pid_t pid);

// One process of a run's tree, as sampled.
struct TreeProcess {
  pid_t pid = 0;
  std::string command;       // /proc/PID/comm, as the kernel keeps it (untrusted bytes)
  uint64_t rss_bytes = 0;    // VmRSS
  uint64_t pss_bytes = 0;    // its own memory's PSS from /proc/PID/smaps_rollup (ParsePss); 0 when unreadable
  // What the process costs the tree: PSS where known (shared pages split), else RSS.
  uint64_t bytes() const { return pss_bytes > 0 ? pss_bytes : rss_bytes; }
};

// `root` and its descendants (through /proc/PID/task/TID/children), parents first.
// Processes that have left are skipped. Costs one status read per process, and one
// smaps_rollup read per process when `with_pss` (tens of µs for node).
std::vector<TreeProcess> SampleTree(pid_t root, bool with_pss);

// The same for a given set of pids (a cgroup's members).
std::vector<TreeProcess> SamplePids(const std::vector<int>& pids, bool with_pss);

// The processes other than this one whose environment holds `entry` ("NAME=VALUE", whole),
// among those /proc lets this user read. A run's every process inherits the marker the
// engine puts in node's environment unless it was started with an environment of its own:
// so the run's descendants are found however far they went (a `setsid` daemon, a double
// fork re-parented away) when neither a cgroup nor the sampled tree holds them.
std::vector<int> PidsWithEnvironment(absl::string_view entry);

// The PSS of the memory a process allocated, from smaps_rollup text, in bytes: Pss_Anon +
// Pss_Shmem where the kernel reports them (Linux 5.7 and later), else the whole "Pss:" line;
// 0 when absent. File-backed pages (node's own binary and libraries, ~30 MiB) are left out:
// their PSS is split among every process that maps them, so it moves with how many other
// node processes run on the host (measured: a 384 MiB limit broke at 342 MiB buffers alone
// and at 363-367 beside one idle node), while the run's own memory does not. Pure.
uint64_t ParsePss(absl::string_view smaps_rollup);

}  // namespace heapstorm

#endif  // HEAPSTORM_WORKER_ENGINE_PROC_SAMPLER_H_
