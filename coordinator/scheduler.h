// The coordinator's state: which assignments wait, which are leased to which worker until
// when, which results are recorded. It knows no gRPC and reads time only from a Clock,
// so leases and lost workers are tested without waiting (scheduler_test.cc).
//
// Rules (DESIGN.md §5):
// - Work goes to free slots, the least loaded worker first.
// - A lease lasts `lease` past the worker's last sign of life (hello, heartbeat, progress,
//   result). A worker that stays silent longer, or whose stream ends, loses every lease;
//   that work is queued again with its attempt count raised. After `max_attempts` the
//   assignment is given up as missing ("worker_lost after N attempts").
// - A result is recorded once per assignment id, from the worker that holds the lease or
//   from any worker while nobody holds it (a worker that reconnects resends the results it
//   had no acknowledgement for); a late result of a lease that moved to another worker is
//   ignored.
// - A harness failure (the engine could not run it, the result could not be sent) costs
//   an attempt like a lost lease, and after `max_attempts` the run is missing with the
//   failure as its reason. A node process that dies
//   (heap OOM, crash) is a result; a worker that vanishes is lost work.
// - Every recorded result goes to the journal (when there is one): Record() appends it,
//   Flush() makes every appended result durable with one fdatasync (group commit). The
//   caller acknowledges a result only after a Flush() that follows its Record().
//
// Memory (issue 17): the plan is a LazyPlan, and each planned run costs the scheduler one
// 8-byte Entry (state, attempt, holder); an Assignment is made only when it is handed
// out. Queued work is a cursor over the plan plus the few runs that went back. Results are
// kept in their wire form (a fraction of a parsed proto) until Results() is asked for.
#ifndef HEAPSTORM_COORDINATOR_SCHEDULER_H_
#define HEAPSTORM_COORDINATOR_SCHEDULER_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/container/flat_hash_map.h"
#include "common/clock.h"
#include "common/mutex.h"
#include "coordinator/planner.h"
#include "proto/coordinator.pb.h"
#include "proto/report.pb.h"
#include "proto/result.pb.h"

namespace heapstorm {

class Journal;

struct SchedulerOptions {
  // How long a worker may stay silent before its leases go back to the queue.
  absl::Duration lease = absl::Seconds(15);
  // Leases of one assignment at most; then it is missing. At least 1.
  int max_attempts = 3;
};

class Scheduler {
 public:
  // `journal` may be null (no persistence). Assignments whose id is in `already_done`
  // (recovered from a journal) are not planned again. `clock` must outlive this.
  Scheduler(LazyPlan plan, SchedulerOptions options, Clock* clock, Journal* journal = nullptr,
            std::vector<v1::RunResult> already_done = {});
  // The same over a plan given as a list (tests, benchmarks): each assignment is kept
  // whole, as Add() keeps work added later.
  Scheduler(std::vector<v1::Assignment> plan, SchedulerOptions options, Clock* clock,
            Journal* journal = nullptr, std::vector<v1::RunResult> already_done = {});

  // A worker joined with `slots` runs at once. AlreadyExists if the id is taken by a
  // live worker.
  absl::Status AddWorker(const std::string& worker_id, int slots);

  // The worker is gone (stream ended): its leases are requeued with attempt + 1.
  void RemoveWorker(const std::string& worker_id, const std::string& reason);

  // Any message from the worker: its leases are extended.
  void Touch(const std::string& worker_id);

  // Assignments to send to this worker now, at most `max` and no more than its free
  // slots; marked leased.
  std::vector<v1::Assignment> Take(const std::string& worker_id, int max = 1 << 30);

  // Queued work for every worker with a free slot, round robin one at a time (when there is
  // less work than free slots it spreads over the workers instead of filling the first
  // ones): (worker, assignment) pairs, marked leased. Costs what it hands out plus the
  // workers with a free slot, not every worker; nothing when the queue is empty.
  std::vector<std::pair<std::string, v1::Assignment>> Distribute();

  enum class RecordOutcome { kRecorded, kDuplicate, kNotLeaseHolder, kUnknown, kJournalFailed };
  // Records a result from `worker_id`, appending it to the journal; kJournalFailed means
  // it is not recorded (and must not be acknowledged): JournalError() says why.
  RecordOutcome Record(const std::string& worker_id, const v1::RunResult& result);

  // The first failed journal append, or OK.
  absl::Status JournalError() const;

  // The harness failed at this run on `worker_id` (Failure message): the lease ends; the
  // run is queued again with attempt + 1, or missing ("harness error: REASON") after
  // max_attempts. Ignored unless `worker_id` holds the lease.
  void Fail(const std::string& worker_id, const std::string& assignment_id, const std::string& reason);

  // Makes every journaled result durable. OK without a journal.
  absl::Status Flush();

  // The worker gives an assignment back unfinished (draining): queued again, same attempt.
  void Release(const std::string& worker_id, const std::string& assignment_id);

  // The worker is stopping: every lease it holds goes back to the queue with the same
  // attempt, and it gets no more work.
  void Drain(const std::string& worker_id);

  // Expires the leases of workers silent for longer than the lease. Returns those
  // workers (their leases are requeued; they must reconnect to get work again).
  std::vector<std::string> ExpireSilentWorkers();

  // Adds work (adaptive searches). Ids already known are ignored.
  void Add(std::vector<v1::Assignment> assignments);

  // Called inside Record() for every recorded result, under the scheduler's lock, so the
  // work it returns is queued before the run can be seen as done. It must not call back
  // into the scheduler. Set before any worker joins.
  void SetFollowUp(std::function<std::vector<v1::Assignment>(const v1::RunResult&)> follow_up);

  // Stops handing out work; everything not recorded becomes missing with `reason`.
  void Cancel(const std::string& reason);

  // True when every assignment is recorded or given up, or after Cancel().
  bool Done() const;

  struct Counts {
    size_t total = 0;
    size_t recorded = 0;
    size_t leased = 0;
    size_t queued = 0;
    size_t missing = 0;
    size_t retried = 0;  // assignments that needed more than one attempt
  };
  Counts counts() const;

  std::vector<v1::RunResult> Results() const;
  std::vector<v1::Missing> Missing() const;
  // What each worker is running now (for progress views).
  std::map<std::string, std::vector<std::string>> Running() const;

 private:
  // A run's index: [0, plan_.size()) are the lazy plan's, the rest index extras_.
  using Index = uint64_t;
  enum class State : uint8_t { kQueued, kLeased, kRecorded, kMissing };
  // Everything the scheduler keeps per run: 8 bytes.
  struct Entry {
    State state = State::kQueued;
    uint8_t attempt = 1;     // leases so far (at most max_attempts, ≤ 255)
    uint32_t detail = 0;     // kLeased: the holder's worker number; kMissing: reason number
  };
  static_assert(sizeof(Entry) == 8, "an Entry is 8 bytes");
  struct Worker {
    uint32_t number = 0;  // index in worker_names_
    int slots = 1;
    absl::Time last_seen;
    std::set<Index> leases;
    bool live = true;
    bool draining = false;
  };

  // The index of an assignment id; nullopt when the id is not of this run.
  std::optional<Index> FindLocked(const std::string& id) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  std::string IdLocked(Index index) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // The assignment of `index`, made now, with its current attempt.
  v1::Assignment AssignmentLocked(Index index) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // The next queued run (retries first, then the plan in order, then added work), taken
  // off the queue; nullopt when nothing is queued.
  std::optional<Index> PopQueuedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool QueueEmptyLocked() const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  uint32_t ReasonLocked(std::string reason) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  const std::string& HolderLocked(const Entry& e) const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  void RequeueLocked(const std::string& worker_id, const std::string& reason)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Ends the lease of `e` (held by `worker_id`) and queues it again with attempt + 1, or
  // marks it missing with `missing_reason` once max_attempts are used.
  void RetryOrGiveUpLocked(Index index, Entry& e, const std::string& worker_id, const std::string& why,
                           const std::string& missing_reason) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::vector<v1::Assignment> TakeLocked(const std::string& worker_id, Worker& w, int max)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Keeps `hungry_` true to the worker's state after its leases or status changed.
  void UpdateHungerLocked(const std::string& worker_id, const Worker& w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Every change of an entry's lease goes through these two, so `leased_` stays true.
  void LeaseLocked(Entry& e, const Worker& w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void UnleaseLocked(Entry& e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MarkMissingLocked(Entry& e, std::string reason) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AddLocked(std::vector<v1::Assignment> assignments) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RecoverLocked(std::vector<v1::RunResult> already_done) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const SchedulerOptions options_;
  Clock* const clock_;
  Journal* const journal_;
  const LazyPlan plan_;

  mutable Mutex mu_;
  std::vector<Entry> entries_ ABSL_GUARDED_BY(mu_);  // by index
  // Work added whole (Add(), or a plan given as a list), and its ids.
  std::vector<v1::Assignment> extras_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Index> extra_index_ ABSL_GUARDED_BY(mu_);
  // Recovered results of runs not planned yet (a search's steps, a confirming run): their
  // entries are recorded as they are added, not queued again.
  absl::flat_hash_map<std::string, uint8_t> recovered_unplanned_ ABSL_GUARDED_BY(mu_);  // id → attempt
  // The queue: runs that went back (first), the plan from `next_planned_` on, then added work.
  std::deque<Index> requeued_ ABSL_GUARDED_BY(mu_);
  Index next_planned_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<Index> added_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Worker> workers_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> worker_names_ ABSL_GUARDED_BY(mu_);  // by worker number
  std::vector<std::string> reasons_ ABSL_GUARDED_BY(mu_);       // why runs are missing
  absl::flat_hash_map<std::string, uint32_t> reason_numbers_ ABSL_GUARDED_BY(mu_);
  // Live, not draining, with a free slot.
  std::set<std::string> hungry_ ABSL_GUARDED_BY(mu_);
  // Kept as entries change, so Done() and counts() cost nothing at 1,000 workers.
  size_t recorded_ ABSL_GUARDED_BY(mu_) = 0;
  size_t missing_ ABSL_GUARDED_BY(mu_) = 0;
  size_t leased_ ABSL_GUARDED_BY(mu_) = 0;
  size_t retried_ ABSL_GUARDED_BY(mu_) = 0;
  // Recorded results, serialized, in the order they were recorded.
  std::vector<std::string> results_ ABSL_GUARDED_BY(mu_);
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  std::string cancel_reason_ ABSL_GUARDED_BY(mu_);
  absl::Status journal_error_ ABSL_GUARDED_BY(mu_);
  std::function<std::vector<v1::Assignment>(const v1::RunResult&)> follow_up_ ABSL_GUARDED_BY(mu_);
};

}  // namespace heapstorm

#endif  // HEAPSTORM_COORDINATOR_SCHEDULER_H_
