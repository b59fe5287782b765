// Progress of a run for people: on a terminal, one live status line (runs done/total,
// what a worker runs, failures so far — crashes, script errors, lost or refused workers —
// and the ETA) under the finished runs; in CI or a pipe, plain timestamped lines, with a
// status line every 10 seconds.
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
  size_t failures_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time last_plain_status_ ABSL_GUARDED_BY(mu_);
  std::string status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace heapstorm

#endif  // HEAPSTORM_CLI_PROGRESS_H_
