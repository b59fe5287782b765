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
    entries_.emplace(id, std::move(e));
    order_.push_back(id);
    if (!done.count(id)) queue_.push_back(id);
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
  workers_[worker_id] = std::move(w);
  return absl::OkStatus();
}

void Scheduler::RequeueLocked(const std::string& worker_id, const std::string& reason) {
  auto it = workers_.find(worker_id);
  if (it == workers_.end()) return;
  for (const std::string& id : it->second.leases) {
    Entry& e = entries_[id];
    if (e.recorded || e.missing || e.holder != worker_id) continue;
    e.holder.clear();
    if (cancelled_) continue;
    if (static_cast<int>(e.assignment.attempt()) >= options_.max_attempts) {
      e.missing = true;
      e.missing_reason = absl::StrCat("worker_lost after ", e.assignment.attempt(),
                                      " attempts (last: ", worker_id, ", ", reason, ")");
      HS_LOG(WARNING) << id << ": giving up: " << e.missing_reason;
      continue;
    }
    e.assignment.set_attempt(e.assignment.attempt() + 1);
    queue_.push_front(id);  // retried work goes first
    HS_LOG(INFO) << id << ": requeued for attempt " << e.assignment.attempt() << " (" << worker_id
                 << " " << reason << ")";
  }
  it->second.leases.clear();
}

void Scheduler::RemoveWorker(const std::string& worker_id, const std::string& reason) {
  absl::MutexLock lock(&mu_);
  RequeueLocked(worker_id, reason);
  auto it = workers_.find(worker_id);
  if (it != workers_.end()) it->second.live = false;
}

void Scheduler::Touch(const std::string& worker_id) {
  absl::MutexLock lock(&mu_);
  auto it = workers_.find(worker_id);
  if (it != workers_.end() && it->second.live) it->second.last_seen = clock_->Now();
}

std::vector<v1::Assignment> Scheduler::Take(const std::string& worker_id, int max) {
  absl::MutexLock lock(&mu_);
  std::vector<v1::Assignment> out;
  auto it = workers_.find(worker_id);
  if (it == workers_.end() || !it->second.live || it->second.draining || cancelled_) return out;
  Worker& w = it->second;
  while (static_cast<int>(w.leases.size()) < w.slots && !queue_.empty() &&
         static_cast<int>(out.size()) < max) {
    std::string id = queue_.front();
    queue_.pop_front();
    Entry& e = entries_[id];
    if (e.recorded || e.missing || !e.holder.empty()) continue;
    e.holder = worker_id;
    w.leases.insert(id);
    v1::Assignment a = e.assignment;
    a.set_lease_ms(static_cast<uint64_t>(absl::ToInt64Milliseconds(options_.lease)));
    out.push_back(std::move(a));
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
  if (e.holder != worker_id) return RecordOutcome::kNotLeaseHolder;
  v1::RunResult stored = result;
  stored.set_attempt(e.assignment.attempt());
  stored.set_worker(worker_id);
  if (journal_ != nullptr) {
    absl::Status s = journal_->AppendUnsynced(stored);
    if (!s.ok()) {
      HS_LOG(ERROR) << "journal: " << s.message();
      return RecordOutcome::kJournalFailed;
    }
  }
  e.recorded = true;
  e.holder.clear();
  auto w = workers_.find(worker_id);
  if (w != workers_.end()) {
    w->second.leases.erase(result.assignment_id());
    w->second.last_seen = clock_->Now();
  }
  if (follow_up_ && !cancelled_) AddLocked(follow_up_(stored));
  results_.push_back(std::move(stored));
  return RecordOutcome::kRecorded;
}

absl::Status Scheduler::Flush() {
  if (journal_ == nullptr) return absl::OkStatus();
  return journal_->Sync();
}

void Scheduler::Release(const std::string& worker_id, const std::string& assignment_id) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(assignment_id);
  if (it == entries_.end() || it->second.holder != worker_id || it->second.recorded) return;
  it->second.holder.clear();
  auto w = workers_.find(worker_id);
  if (w != workers_.end()) w->second.leases.erase(assignment_id);
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
    e.holder.clear();
    if (!cancelled_) queue_.push_front(id);
  }
  w->second.leases.clear();
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
    entries_.emplace(id, std::move(e));
    order_.push_back(id);
    queue_.push_back(id);
  }
}

void Scheduler::Cancel(const std::string& reason) {
  absl::MutexLock lock(&mu_);
  cancelled_ = true;
  queue_.clear();
  for (auto& [id, e] : entries_) {
    if (e.recorded || e.missing) continue;
    e.missing = true;
    e.missing_reason = reason;
  }
}

bool Scheduler::Done() const {
  absl::MutexLock lock(&mu_);
  if (cancelled_) return true;
  for (const auto& [id, e] : entries_) {
    if (!e.recorded && !e.missing) return false;
  }
  return true;
}

Scheduler::Counts Scheduler::counts() const {
  absl::MutexLock lock(&mu_);
  Counts c;
  c.total = entries_.size();
  for (const auto& [id, e] : entries_) {
    if (e.recorded) ++c.recorded;
    if (e.missing) ++c.missing;
    if (!e.recorded && !e.missing && !e.holder.empty()) ++c.leased;
    if (e.assignment.attempt() > 1) ++c.retried;
  }
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
