// The run's journal: every recorded result, appended and flushed to disk (fdatasync)
// before it is acknowledged, so a coordinator restarted with --resume on the same folder
// loses nothing it acknowledged and redoes nothing it recorded.
//
// Format: records of [u32 little-endian length][serialized v1::RunResult]. A crash can
// leave a torn tail: a record cut short, or (with group commit, where several records wait
// for one sync) a record the disk never got while a later one arrived. Nothing from the
// first bad record on was ever acknowledged, since an acknowledgement follows a sync that
// covers every earlier record. So Load() keeps the records before it, and Open() cuts the
// file there before anything is appended, so a second crash cannot strand new records
// behind old garbage. The file is the user's alone (0600) and never a symbolic link.
#ifndef HEAPSTORM_COORDINATOR_JOURNAL_H_
#define HEAPSTORM_COORDINATOR_JOURNAL_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/mutex.h"
#include "proto/result.pb.h"

namespace heapstorm {

class Journal {
 public:
  // The journal file inside a run folder.
  static std::string PathIn(const std::string& run_dir);

  // Opens (creating if needed) the journal of `run_dir` for appending, first cutting off a
  // torn tail (and syncing the cut). Internal on failure, FailedPrecondition when the
  // journal is a symbolic link or not a regular file.
  static absl::StatusOr<std::unique_ptr<Journal>> Open(const std::string& run_dir);

  // Every record of `run_dir`'s journal before its torn tail, if any; empty when there is
  // no journal. Warns about a torn tail.
  static absl::StatusOr<std::vector<v1::RunResult>> Load(const std::string& run_dir);

  ~Journal();

  // Appends one result and waits until it is on disk. Thread-safe.
  absl::Status Append(const v1::RunResult& result);

  // Appends without waiting for the disk; Sync() makes everything appended so far durable
  // (group commit: one fdatasync for a batch of results). Thread-safe.
  absl::Status AppendUnsynced(const v1::RunResult& result);
  absl::Status Sync();

 private:
  explicit Journal(int fd) : fd_(fd) {}
  Mutex mu_;  // one append at a time
  const int fd_;
};

}  // namespace heapstorm

#endif  // HEAPSTORM_COORDINATOR_JOURNAL_H_
