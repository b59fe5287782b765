// Who the kernel's OOM killer killed in a run's memory cgroup, from the kernel log
// (/dev/kmsg). A cgroup's oom_kill counter says that someone was killed, not whom: the
// process may be node or any process the module spawned. The kernel logs two records per
// kill (cgroup v1 and v2 alike):
//
//   oom-kill:constraint=CONSTRAINT_MEMCG,...,oom_memcg=/a/b/heapstorm-1-0,task_memcg=...,task=node,pid=8809,uid=0
//   Memory cgroup out of memory: Killed process 8809 (node) total-vm:1050256kB, anon-rss:64768kB, ...
//
// The first is matched to the run's cgroup; the second gives the victim's size. Reading
// /dev/kmsg needs root (or dmesg_restrict=0); without it the engine falls back to the
// process-tree samples.
#ifndef HEAPSTORM_WORKER_ENGINE_KERNEL_OOM_LOG_H_
#define HEAPSTORM_WORKER_ENGINE_KERNEL_OOM_LOG_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace heapstorm {

struct OomKill {
  int pid = 0;
  std::string command;           // the kernel's task name (comm), untrusted bytes
  uint64_t anon_rss_bytes = 0;   // anon-rss at the kill; 0 when not logged
  std::string memcg;             // the cgroup whose limit was hit, as logged
};

// Finds, in kernel log records (one per element, /dev/kmsg format "prio,seq,usec,flags;text"
// or plain text), the kills whose oom_memcg is `cgroup_path` or a suffix of it
// (cgroup_path is a full path under /sys/fs/cgroup, the log names it from the hierarchy's
// root). Pure.
std::vector<OomKill> FindOomKills(const std::vector<std::string>& records, absl::string_view cgroup_path);

// A reader positioned at the end of the kernel log when opened: Read() returns the records
// logged since. Not thread-safe; one per run.
class KernelLog {
 public:
  // nullptr when /dev/kmsg cannot be read here (not root, or dmesg_restrict).
  static std::unique_ptr<KernelLog> OpenAtEnd();
  ~KernelLog();
  KernelLog(const KernelLog&) = delete;
  KernelLog& operator=(const KernelLog&) = delete;

  // The records logged since OpenAtEnd() (or the last Read()), without blocking.
  std::vector<std::string> Read();

 private:
  explicit KernelLog(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace heapstorm

#endif  // HEAPSTORM_WORKER_ENGINE_KERNEL_OOM_LOG_H_
