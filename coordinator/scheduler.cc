#include "coordinator/scheduler.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/mutex.h"
#include "coordinator/journal.h"

namespace heapstorm {

Scheduler::Scheduler(LazyPlan plan, SchedulerOptions options, Clock* clock, Journal* journal,
                     std::vector<v1::RunResult> already_done)
    : options_(options), clock_(clock), journal_(journal), plan_(std::move(plan)) {
  MutexLock lock(&mu_);
  entries_.resize(plan_.size());
  RecoverLocked(std::move(already_done));
}

Scheduler::Scheduler(std::vector<v1::Assignment> plan, SchedulerOptions options, Clock* clock,
                     Journal* journal, std::vector<v1::RunResult> already_done)
    : options_(options), clock_(clock), journal_(journal) {
  MutexLock lock(&mu_);
  AddLocked(std::move(plan));
  RecoverLocked(std::move(already_done));
}

void Scheduler::RecoverLocked(std::vector<v1::RunResult> already_done) {
  absl::flat_hash_set<std::string> seen;
  for (v1::RunResult& r : already_done) {
    if (!seen.insert(r.assignment_id()).second) continue;  // once per id
    const uint8_t attempt = static_cast<uint8_t>(std::clamp<uint32_t>(r.attempt(), 1, 255));
    if (std::optional<Index> index = FindLocked(r.assignment_id())) {
      Entry& e = entries_[*index];
      e.state = State::kRecorded;
      e.attempt = attempt;
      ++recorded_;
    } else {
      // A search's step or a confirming run: planned again when the replay asks for it
      // (a resumed search ran its recovered 44Mi and 72Mi points a second time).
      recovered_unplanned_.emplace(r.assignment_id(), attempt);
    }
    results_.push_back(r.SerializeAsString());
  }
}

std::optional<Scheduler::Index> Scheduler::FindLocked(const std::string& id) const {
  if (std::optional<uint64_t> planned = plan_.Find(id)) return *planned;
  auto it = extra_index_.find(id);
  if (it == extra_index_.end()) return std::nullopt;
  return it->second;
}

std::string Scheduler::IdLocked(Index index) const {
  if (index < plan_.size()) return plan_.IdAt(index);
  return extras_[index - plan_.size()].id();
}

v1::Assignment Scheduler::AssignmentLocked(Index index) const {
  v1::Assignment a = index < plan_.size() ? plan_.At(index) : extras_[index - plan_.size()];
  a.set_attempt(entries_[index].attempt);
  return a;
}

bool Scheduler::QueueEmptyLocked() const {
  return requeued_.empty() && next_planned_ >= plan_.size() && added_.empty();
}

std::optional<Scheduler::Index> Scheduler::PopQueuedLocked() {
  Index index;
  if (!requeued_.empty()) {
    index = requeued_.front();
    requeued_.pop_front();
  } else if (next_planned_ < plan_.size()) {
    index = next_planned_++;
  } else if (!added_.empty()) {
    index = added_.front();
    added_.pop_front();
  } else {
    return std::nullopt;
  }
  return index;
}

uint32_t Scheduler::ReasonLocked(std::string reason) {
  auto [it, inserted] = reason_numbers_.emplace(reason, static_cast<uint32_t>(reasons_.size()));
  if (inserted) reasons_.push_back(std::move(reason));
  return it->second;
}

const std::string& Scheduler::HolderLocked(const Entry& e) const {
  static const std::string* const kNobody = new std::string();
  return e.state == State::kLeased ? worker_names_[e.detail] : *kNobody;
}

void Scheduler::LeaseLocked(Entry& e, const Worker& w) {
  e.state = State::kLeased;
  e.detail = w.number;
  ++leased_;
}

void Scheduler::UnleaseLocked(Entry& e) {
  if (e.state != State::kLeased) return;
  e.state = State::kQueued;
  e.detail = 0;
  --leased_;
}

void Scheduler::MarkMissingLocked(Entry& e, std::string reason) {
  if (e.state == State::kRecorded || e.state == State::kMissing) return;
  UnleaseLocked(e);
  e.state = State::kMissing;
  e.detail = ReasonLocked(std::move(reason));
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
  MutexLock lock(&mu_);
  auto it = workers_.find(worker_id);
  if (it != workers_.end() && it->second.live) {
    return absl::AlreadyExistsError(absl::StrCat("a worker named '", worker_id, "' is connected"));
  }
  Worker w;
  if (it != workers_.end()) {
    w.number = it->second.number;  // a worker that comes back keeps its number
  } else {
    w.number = static_cast<uint32_t>(worker_names_.size());
    worker_names_.push_back(worker_id);
  }
  w.slots = std::max(1, slots);
  w.last_seen = clock_->Now();
  UpdateHungerLocked(worker_id, w);
  workers_[worker_id] = std::move(w);
  return absl::OkStatus();
}

void Scheduler::RequeueLocked(const std::string& worker_id, const std::string& reason) {
  auto it = workers_.find(worker_id);
  if (it == workers_.end()) return;
  for (Index index : it->second.leases) {
    Entry& e = entries_[index];
    if (e.state != State::kLeased || e.detail != it->second.number) continue;
    RetryOrGiveUpLocked(index, e, worker_id, reason,
                        absl::StrCat("worker_lost after ", e.attempt, " attempts (last: ", worker_id, ", ",
                                     reason, ")"));
  }
  it->second.leases.clear();
  UpdateHungerLocked(worker_id, it->second);
}

void Scheduler::RetryOrGiveUpLocked(Index index, Entry& e, const std::string& worker_id,
                                    const std::string& why, const std::string& missing_reason) {
  UnleaseLocked(e);
  if (cancelled_) return;
  const std::string id = IdLocked(index);
  if (static_cast<int>(e.attempt) >= options_.max_attempts) {
    HS_LOG(WARNING) << id << ": giving up: " << missing_reason;
    MarkMissingLocked(e, missing_reason);
    return;
  }
  retried_ += e.attempt == 1;
  ++e.attempt;
  requeued_.push_front(index);  // retried work goes first
  HS_LOG(INFO) << id << ": requeued for attempt " << static_cast<int>(e.attempt) << " (" << worker_id << " "
               << why << ")";
}

void Scheduler::Fail(const std::string& worker_id, const std::string& assignment_id,
                     const std::string& reason) {
  MutexLock lock(&mu_);
  std::optional<Index> index = FindLocked(assignment_id);
  if (!index || HolderLocked(entries_[*index]) != worker_id) return;
  Entry& e = entries_[*index];
  RetryOrGiveUpLocked(*index, e, worker_id, absl::StrCat("failed: ", reason),
                      absl::StrCat("harness error after ", e.attempt, " attempt", e.attempt == 1 ? "" : "s",
                                   " (last on ", worker_id, "): ", reason));
  auto w = workers_.find(worker_id);
  if (w != workers_.end()) {
    w->second.leases.erase(*index);
    UpdateHungerLocked(worker_id, w->second);
  }
}

void Scheduler::RemoveWorker(const std::string& worker_id, const std::string& reason) {
  MutexLock lock(&mu_);
  RequeueLocked(worker_id, reason);
  auto it = workers_.find(worker_id);
  if (it != workers_.end()) {
    it->second.live = false;
    UpdateHungerLocked(worker_id, it->second);
  }
}

void Scheduler::Touch(const std::string& worker_id) {
  MutexLock lock(&mu_);
  auto it = workers_.find(worker_id);
  if (it != workers_.end() && it->second.live) it->second.last_seen = clock_->Now();
}

std::vector<v1::Assignment> Scheduler::Take(const std::string& worker_id, int max) {
  MutexLock lock(&mu_);
  auto it = workers_.find(worker_id);
  if (it == workers_.end()) return {};
  return TakeLocked(worker_id, it->second, max);
}

std::vector<v1::Assignment> Scheduler::TakeLocked(const std::string& worker_id, Worker& w, int max) {
  std::vector<v1::Assignment> out;
  if (!w.live || w.draining || cancelled_) return out;
  while (static_cast<int>(w.leases.size()) < w.slots && static_cast<int>(out.size()) < max) {
    std::optional<Index> index = PopQueuedLocked();
    if (!index) break;
    Entry& e = entries_[*index];
    if (e.state != State::kQueued) continue;
    LeaseLocked(e, w);
    w.leases.insert(*index);
    v1::Assignment a = AssignmentLocked(*index);
    a.set_lease_ms(static_cast<uint64_t>(absl::ToInt64Milliseconds(options_.lease)));
    out.push_back(std::move(a));
  }
  UpdateHungerLocked(worker_id, w);
  return out;
}

std::vector<std::pair<std::string, v1::Assignment>> Scheduler::Distribute() {
  MutexLock lock(&mu_);
  std::vector<std::pair<std::string, v1::Assignment>> out;
  while (!QueueEmptyLocked() && !hungry_.empty() && !cancelled_) {
    // One pass: one assignment to each hungry worker (TakeLocked updates hungry_, so
    // walk a copy).
    std::vector<std::string> pass(hungry_.begin(), hungry_.end());
    bool handed = false;
    for (const std::string& worker_id : pass) {
      if (QueueEmptyLocked()) break;
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
  MutexLock lock(&mu_);
  std::optional<Index> index = FindLocked(result.assignment_id());
  if (!index) return RecordOutcome::kUnknown;
  Entry& e = entries_[*index];
  if (e.state == State::kRecorded) return RecordOutcome::kDuplicate;
  // Nobody holds it (its worker's stream broke and it reconnected, resending what had no
  // acknowledgement): the result is as good as any. Another worker's lease, a run given up
  // or a cancelled run: ignored.
  if (cancelled_ || e.state == State::kMissing ||
      (e.state == State::kLeased && HolderLocked(e) != worker_id)) {
    return RecordOutcome::kNotLeaseHolder;
  }
  v1::RunResult stored = result;
  // The attempts the run took: a requeue counts even when the first lease's (resent or late)
  // result is the one recorded.
  stored.set_attempt(e.attempt);
  stored.set_worker(worker_id);
  if (journal_ != nullptr) {
    absl::Status s = journal_->AppendUnsynced(stored);
    if (!s.ok()) {
      HS_LOG(ERROR) << "journal: " << s.message();
      if (journal_error_.ok()) journal_error_ = s;
      return RecordOutcome::kJournalFailed;
    }
  }
  UnleaseLocked(e);
  e.state = State::kRecorded;
  ++recorded_;
  auto w = workers_.find(worker_id);
  if (w != workers_.end()) {
    w->second.leases.erase(*index);
    w->second.last_seen = clock_->Now();
    UpdateHungerLocked(worker_id, w->second);
  }
  if (follow_up_ && !cancelled_) AddLocked(follow_up_(stored));
  results_.push_back(stored.SerializeAsString());
  return RecordOutcome::kRecorded;
}

absl::Status Scheduler::JournalError() const {
  MutexLock lock(&mu_);
  return journal_error_;
}

absl::Status Scheduler::Flush() {
  if (journal_ == nullptr) return absl::OkStatus();
  return journal_->Sync();
}

void Scheduler::Release(const std::string& worker_id, const std::string& assignment_id) {
  MutexLock lock(&mu_);
  std::optional<Index> index = FindLocked(assignment_id);
  if (!index || HolderLocked(entries_[*index]) != worker_id) return;
  UnleaseLocked(entries_[*index]);
  auto w = workers_.find(worker_id);
  if (w != workers_.end()) {
    w->second.leases.erase(*index);
    UpdateHungerLocked(worker_id, w->second);
  }
  if (!cancelled_) requeued_.push_front(*index);
}

void Scheduler::Drain(const std::string& worker_id) {
  MutexLock lock(&mu_);
  auto w = workers_.find(worker_id);
  if (w == workers_.end()) return;
  w->second.draining = true;
  for (Index index : w->second.leases) {
    Entry& e = entries_[index];
    if (e.state != State::kLeased || e.detail != w->second.number) continue;
    UnleaseLocked(e);
    if (!cancelled_) requeued_.push_front(index);
  }
  w->second.leases.clear();
  UpdateHungerLocked(worker_id, w->second);
}

std::vector<std::string> Scheduler::ExpireSilentWorkers() {
  MutexLock lock(&mu_);
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
  MutexLock lock(&mu_);
  follow_up_ = std::move(follow_up);
}

void Scheduler::Add(std::vector<v1::Assignment> assignments) {
  MutexLock lock(&mu_);
  AddLocked(std::move(assignments));
}

void Scheduler::AddLocked(std::vector<v1::Assignment> assignments) {
  for (v1::Assignment& a : assignments) {
    if (FindLocked(a.id())) continue;
    Index index = plan_.size() + extras_.size();
    Entry e;
    e.attempt = static_cast<uint8_t>(std::clamp<uint32_t>(a.attempt(), 1, 255));
    auto recovered = recovered_unplanned_.find(a.id());
    if (recovered != recovered_unplanned_.end()) {
      e.state = State::kRecorded;
      e.attempt = recovered->second;
      ++recorded_;
      recovered_unplanned_.erase(recovered);
    }
    retried_ += e.state != State::kRecorded && e.attempt > 1;
    entries_.push_back(e);
    extra_index_.emplace(a.id(), index);
    extras_.push_back(std::move(a));
    if (e.state != State::kRecorded) added_.push_back(index);
  }
}

void Scheduler::Cancel(const std::string& reason) {
  MutexLock lock(&mu_);
  if (cancelled_) return;
  // Nothing per run is written: every run neither recorded nor missing now counts as
  // missing with `reason` (Missing() names them).
  cancelled_ = true;
  cancel_reason_ = reason;
  requeued_.clear();
  added_.clear();
  next_planned_ = plan_.size();
}

bool Scheduler::Done() const {
  MutexLock lock(&mu_);
  return cancelled_ || recorded_ + missing_ == entries_.size();
}

Scheduler::Counts Scheduler::counts() const {
  MutexLock lock(&mu_);
  Counts c;
  c.total = entries_.size();
  c.recorded = recorded_;
  // After Cancel() every run without a result is missing, none leased.
  c.missing = cancelled_ ? c.total - recorded_ : missing_;
  c.leased = cancelled_ ? 0 : leased_;
  c.retried = retried_;
  c.queued = c.total - c.recorded - c.missing - c.leased;
  return c;
}

std::vector<v1::RunResult> Scheduler::Results() const {
  MutexLock lock(&mu_);
  std::vector<v1::RunResult> out(results_.size());
  for (size_t i = 0; i < results_.size(); ++i) {
    // Serialized here from a valid message: it parses.
    (void)out[i].ParseFromString(results_[i]);
  }
  return out;
}

std::vector<v1::Missing> Scheduler::Missing() const {
  MutexLock lock(&mu_);
  std::vector<v1::Missing> out;
  for (Index index = 0; index < entries_.size(); ++index) {
    const Entry& e = entries_[index];
    if (e.state == State::kRecorded || (e.state != State::kMissing && !cancelled_)) continue;
    v1::Missing m;
    if (index < plan_.size()) {
      LazyPlan::Run run = plan_.RunAt(index);
      m.set_scenario(std::move(run.scenario));
      m.set_repeat(run.repeat);
      m.set_variation(std::move(run.variation));
    } else {
      const v1::Assignment& a = extras_[index - plan_.size()];
      m.set_scenario(a.scenario().name());
      m.set_repeat(a.repeat());
      m.set_variation(a.variation());
    }
    m.set_reason(e.state == State::kMissing ? reasons_[e.detail] : cancel_reason_);
    out.push_back(std::move(m));
  }
  return out;
}

std::map<std::string, std::vector<std::string>> Scheduler::Running() const {
  MutexLock lock(&mu_);
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& [id, w] : workers_) {
    if (!w.live) continue;
    std::vector<std::string>& ids = out[id];
    for (Index index : w.leases) ids.push_back(IdLocked(index));
  }
  return out;
}

}  // namespace heapstorm
