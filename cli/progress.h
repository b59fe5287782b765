// Progress of a run for people: on a terminal, one live status line (runs done/total,
// what a worker runs, runs that crashed or threw, workers lost or refused, and the ETA)
// under the finished runs; in CI or a pipe, plain timestamped lines, with a status line
// every 10 seconds.
#ifndef HEAPSTORM_CLI_PROGRESS_H_
#define HEAPSTORM_CLI_PROGRESS_H_

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/mutex.h"
#include "coordinator/scheduler.h"
#include "proto/result.pb.h"

namespace heapstorm {

// The status line: "[9/11] 1 worker, 0 running, 2 queued, 0 missing, 1 retried, 1 worker
// lost or refused, ETA 4s". Runs that crashed or threw, and workers lost or refused, are
// named only when there are some, each in its own words: they are not failures of the run
// (a lost worker's runs are retried; a refused one never ran anything). Pure.
std::string ProgressStatus(const Scheduler::Counts& counts, size_t workers, size_t crashed, size_t workers_gone,
                           const std::string& eta);

class Progress {
 public:
  // Writes to `out` (stderr); live mode when it is a terminal and $CI is unset.
  explicit Progress(FILE* out);

  void Result(const v1::RunResult& result, size_t done, size_t total);
  void WorkerEvent(const std::string& worker, const std::string& event);
  // Redraws the status line (terminal) or prints one every 10 s (plain).
  void Tick(const Scheduler::Counts& counts,
            const std::map<std::string, std::vector<std::string>>& running);
  void Finish();

 private:
  void Line(const std::string& text) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  FILE* out_;
  const bool live_;
  const absl::Time start_;
  Mutex mu_;
  size_t crashed_ ABSL_GUARDED_BY(mu_) = 0;       // runs that crashed or threw
  size_t workers_gone_ ABSL_GUARDED_BY(mu_) = 0;  // workers lost or refused
  absl::Time last_plain_status_ ABSL_GUARDED_BY(mu_);
  std::string status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace heapstorm

#endif  // HEAPSTORM_CLI_PROGRESS_H_
