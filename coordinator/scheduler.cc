#include "coordinator/scheduler.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "coordinator/journal.h"

namespace heapstorm {

Scheduler::Scheduler(std::vector<v1::Assignment> plan, SchedulerOptions options, Clock* clock,
                     Journal* journal, std::vector<v1::RunResult> already_done)
    : options_(options), clock_(clock), journal_(journal) {
  absl::MutexLock lock(&mu_);
  std::set<std::string> done;
  for (v1::RunResult& r : already_done) {
    if (done.insert(r.assignment_id()).second) results_.push_back(std::move(r));
  }
  for (v1::Assignment& a : plan) {
    std::string id = a.id();
    if (entries_.count(id)) continue;
    Entry e;
    e.assignment = std::move(a);
    e.recorded = done.count(id) > 0;
    recorded_ += e.recorded;
    retried_ += e.assignment.attempt() > 1;
    entries_.emplace(id, std::move(e));
    order_.push_back(id);
    if (!done.count(id)) queue_.push_back(id);
  }
}

void Scheduler::SetHolderLocked(Entry& e, const std::string& holder) {
  bool was = !e.holder.empty() && !e.recorded && !e.missing;
  e.holder = holder;
  bool is = !e.holder.empty() && !e.recorded && !e.missing;
  leased_ = leased_ + is - was;
}

void Scheduler::MarkMissingLocked(Entry& e, std::string reason) {
  if (e.recorded || e.missing) return;
  if (!e.holder.empty()) --leased_;
  e.missing = true;
  e.missing_reason = std::move(reason);
  ++missing_;
}

void Scheduler::UpdateHungerLocked(const std::string& worker_id, const Worker& w) {
  if (w.live && !w.draining && static_cast<int>(w.leases.size()) < w.slots) {
    hungry_.insert(worker_id);
  } else {
    hungry_.erase(worker_id);
  }
}

absl::Status Scheduler::AddWorker(const std::string& worker_id, int slots) {
  absl::MutexLock lock(&mu_);
  auto it = workers_.find(worker_id);
  if (it != workers_.end() && it->second.live) {
    return absl::AlreadyExistsError(absl::StrCat("a worker named '", worker_id, "' is connected"));
  }
  Worker w;
  w.slots = std::max(1, slots);
  w.last_seen = clock_->Now();
  UpdateHungerLocked(worker_id, w);
  workers_[worker_id] = std::move(w);
  return absl::OkStatus();
}

void Scheduler::RequeueLocked(const std::string& worker_id, const std::string& reason) {
  auto it = workers_.find(worker_id);
  if (it == workers_.end()) return;
  for (const std::string& id : it->second.leases) {
    Entry& e = entries_[id];
    if (e.recorded || e.missing || e.holder != worker_id) continue;
    RetryOrGiveUpLocked(id, e, worker_id, reason,
                        absl::StrCat("worker_lost after ", e.assignment.attempt(), " attempts (last: ",
                                     worker_id, ", ", reason, ")"));
  }
  it->second.leases.clear();
  UpdateHungerLocked(worker_id, it->second);
}

void Scheduler::RetryOrGiveUpLocked(const std::string& id, Entry& e, const std::string& worker_id,
                                    const std::string& why, const std::string& missing_reason) {
  SetHolderLocked(e, "");
  if (cancelled_) return;
  if (static_cast<int>(e.assignment.attempt()) >= options_.max_attempts) {
    MarkMissingLocked(e, missing_reason);
    HS_LOG(WARNING) << id << ": giving up: " << e.missing_reason;
    return;
  }
  retried_ += e.assignment.attempt() == 1;
  e.assignment.set_attempt(e.assignment.attempt() + 1);
  queue_.push_front(id);  // retried work goes first
  HS_LOG(INFO) << id << ": requeued for attempt " << e.assignment.attempt() << " (" << worker_id << " "
               << why << ")";
}

void Scheduler::Fail(const std::string& worker_id, const std::string& assignment_id,
                     const std::string& reason) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(assignment_id);
  if (it == entries_.end()) return;
  Entry& e = it->second;
  if (e.recorded || e.missing || e.holder != worker_id) return;
  RetryOrGiveUpLocked(assignment_id, e, worker_id, absl::StrCat("failed: ", reason),
                      absl::StrCat("harness error after ", e.assignment.attempt(), " attempt",
                                   e.assignment.attempt() == 1 ? "" : "s", " (last on ", worker_id, "): ",
                                   reason));
  auto w = workers_.find(worker_id);
  if (w != workers_.end()) {
    w->second.leases.erase(assignment_id);
    UpdateHungerLocked(worker_id, w->second);
  }
}

void Scheduler::RemoveWorker(const std::string& worker_id, const std::string& reason) {
  absl::MutexLock lock(&mu_);
  RequeueLocked(worker_id, reason);
  auto it = workers_.find(worker_id);
  if (it != workers_.end()) {
    it->second.live = false;
    UpdateHungerLocked(worker_id, it->second);
  }
}

void Scheduler::Touch(const std::string& worker_id) {
  absl::MutexLock lock(&mu_);
  auto it = workers_.find(worker_id);
  if (it != workers_.end() && it->second.live) it->second.last_seen = clock_->Now();
}

std::vector<v1::Assignment> Scheduler::Take(const std::string& worker_id, int max) {
  absl::MutexLock lock(&mu_);
  auto it = workers_.find(worker_id);
  if (it == workers_.end()) return {};
  return TakeLocked(worker_id, it->second, max);
}

std::vector<v1::Assignment> Scheduler::TakeLocked(const std::string& worker_id, Worker& w, int max) {
  std::vector<v1::Assignment> out;
  if (!w.live || w.draining || cancelled_) return out;
  while (static_cast<int>(w.leases.size()) < w.slots && !queue_.empty() &&
         static_cast<int>(out.size()) < max) {
    std::string id = queue_.front();
    queue_.pop_front();
    Entry& e = entries_[id];
    if (e.recorded || e.missing || !e.holder.empty()) continue;
    SetHolderLocked(e, worker_id);
    w.leases.insert(id);
    v1::Assignment a = e.assignment;
    a.set_lease_ms(static_cast<uint64_t>(absl::ToInt64Milliseconds(options_.lease)));
    out.push_back(std::move(a));
  }
  UpdateHungerLocked(worker_id, w);
  return out;
}

std::vector<std::pair<std::string, v1::Assignment>> Scheduler::Distribute() {
  absl::MutexLock lock(&mu_);
  std::vector<std::pair<std::string, v1::Assignment>> out;
  while (!queue_.empty() && !hungry_.empty() && !cancelled_) {
    // One pass: one assignment to each hungry worker (TakeLocked updates hungry_, so
    // walk a copy).
    std::vector<std::string> pass(hungry_.begin(), hungry_.end());
    bool handed = false;
    for (const std::string& worker_id : pass) {
      if (queue_.empty()) break;
      for (v1::Assignment& a : TakeLocked(worker_id, workers_[worker_id], 1)) {
        out.emplace_back(worker_id, std::move(a));
        handed = true;
      }
    }
    if (!handed) break;  // only stale ids were left in the queue
  }
  return out;
}

Scheduler::RecordOutcome Scheduler::Record(const std::string& worker_id,
                                           const v1::RunResult& result) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(result.assignment_id());
  if (it == entries_.end()) return RecordOutcome::kUnknown;
  Entry& e = it->second;
  if (e.recorded) return RecordOutcome::kDuplicate;
  // Nobody holds it (its worker's stream broke and it reconnected, resending what had no
  // acknowledgement): the result is as good as any. Another worker's lease: ignored.
  if (e.missing || (!e.holder.empty() && e.holder != worker_id)) return RecordOutcome::kNotLeaseHolder;
  v1::RunResult stored = result;
  // A resent result keeps the attempt it ran as (the entry may have been requeued since).
  stored.set_attempt(result.attempt() > 0 ? result.attempt() : e.assignment.attempt());
  stored.set_worker(worker_id);
  if (journal_ != nullptr) {
    absl::Status s = journal_->AppendUnsynced(stored);
    if (!s.ok()) {
      HS_LOG(ERROR) << "journal: " << s.message();
      if (journal_error_.ok()) journal_error_ = s;
      return RecordOutcome::kJournalFailed;
    }
  }
  SetHolderLocked(e, "");
  e.recorded = true;
  ++recorded_;
  auto w = workers_.find(worker_id);
  if (w != workers_.end()) {
    w->second.leases.erase(result.assignment_id());
    w->second.last_seen = clock_->Now();
    UpdateHungerLocked(worker_id, w->second);
  }
  if (follow_up_ && !cancelled_) AddLocked(follow_up_(stored));
  results_.push_back(std::move(stored));
  return RecordOutcome::kRecorded;
}

absl::Status Scheduler::JournalError() const {
  absl::MutexLock lock(&mu_);
  return journal_error_;
}

absl::Status Scheduler::Flush() {
  if (journal_ == nullptr) return absl::OkStatus();
  return journal_->Sync();
}

void Scheduler::Release(const std::string& worker_id, const std::string& assignment_id) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(assignment_id);
  if (it == entries_.end() || it->second.holder != worker_id || it->second.recorded) return;
  SetHolderLocked(it->second, "");
  auto w = workers_.find(worker_id);
  if (w != workers_.end()) {
    w->second.leases.erase(assignment_id);
    UpdateHungerLocked(worker_id, w->second);
  }
  if (!cancelled_) queue_.push_front(assignment_id);
}

void Scheduler::Drain(const std::string& worker_id) {
  absl::MutexLock lock(&mu_);
  auto w = workers_.find(worker_id);
  if (w == workers_.end()) return;
  w->second.draining = true;
  for (const std::string& id : w->second.leases) {
    Entry& e = entries_[id];
    if (e.recorded || e.missing || e.holder != worker_id) continue;
    SetHolderLocked(e, "");
    if (!cancelled_) queue_.push_front(id);
  }
  w->second.leases.clear();
  UpdateHungerLocked(worker_id, w->second);
}

std::vector<std::string> Scheduler::ExpireSilentWorkers() {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> expired;
  absl::Time now = clock_->Now();
  for (auto& [id, w] : workers_) {
    if (!w.live || now - w.last_seen <= options_.lease) continue;
    expired.push_back(id);
  }
  for (const std::string& id : expired) {
    RequeueLocked(id, absl::StrCat("silent for more than ", absl::FormatDuration(options_.lease)));
    workers_[id].live = false;
    UpdateHungerLocked(id, workers_[id]);
  }
  return expired;
}

void Scheduler::SetFollowUp(std::function<std::vector<v1::Assignment>(const v1::RunResult&)> follow_up) {
  absl::MutexLock lock(&mu_);
  follow_up_ = std::move(follow_up);
}

void Scheduler::Add(std::vector<v1::Assignment> assignments) {
  absl::MutexLock lock(&mu_);
  AddLocked(std::move(assignments));
}

void Scheduler::AddLocked(std::vector<v1::Assignment> assignments) {
  for (v1::Assignment& a : assignments) {
    std::string id = a.id();
    if (entries_.count(id)) continue;
    Entry e;
    e.assignment = std::move(a);
    retried_ += e.assignment.attempt() > 1;
    entries_.emplace(id, std::move(e));
    order_.push_back(id);
    queue_.push_back(id);
  }
}

void Scheduler::Cancel(const std::string& reason) {
  absl::MutexLock lock(&mu_);
  cancelled_ = true;
  queue_.clear();
  for (auto& [id, e] : entries_) MarkMissingLocked(e, reason);
}

bool Scheduler::Done() const {
  absl::MutexLock lock(&mu_);
  return cancelled_ || recorded_ + missing_ == entries_.size();
}

Scheduler::Counts Scheduler::counts() const {
  absl::MutexLock lock(&mu_);
  Counts c;
  c.total = entries_.size();
  c.recorded = recorded_;
  c.missing = missing_;
  c.leased = leased_;
  c.retried = retried_;
  c.queued = c.total - c.recorded - c.missing - c.leased;
  return c;
}

std::vector<v1::RunResult> Scheduler::Results() const {
  absl::MutexLock lock(&mu_);
  return results_;
}

std::vector<v1::Missing> Scheduler::Missing() const {
  absl::MutexLock lock(&mu_);
  std::vector<v1::Missing> out;
  for (const std::string& id : order_) {
    const Entry& e = entries_.at(id);
    if (e.recorded || (!e.missing && !cancelled_)) continue;
    v1::Missing m;
    m.set_scenario(e.assignment.scenario().name());
    m.set_repeat(e.assignment.repeat());
    m.set_variation(e.assignment.variation());
    m.set_reason(e.missing ? e.missing_reason : "cancelled");
    out.push_back(std::move(m));
  }
  return out;
}

std::map<std::string, std::vector<std::string>> Scheduler::Running() const {
  absl::MutexLock lock(&mu_);
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& [id, w] : workers_) {
    if (!w.live) continue;
    out[id] = std::vector<std::string>(w.leases.begin(), w.leases.end());
  }
  return out;
}

}  // namespace heapstorm
