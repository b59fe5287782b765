#include "worker/engine/run_monitor.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "common/files.h"
#include "common/logging.h"
#include "common/sizes.h"
#include "common/utf8.h"
#include "google/protobuf/util/json_util.h"
#include "worker/engine/allocation_line.h"
#include "worker/engine/driver_protocol.h"
#include "worker/engine/heap_snapshot.h"
#include "worker/engine/proc_sampler.h"

namespace heapstorm {
namespace {

constexpr size_t kStderrHeadBytes = 16 * 1024;
constexpr size_t kStderrTailBytes = 48 * 1024;
constexpr size_t kMaxTelemetryLine = 4 << 20;
// The watchdog samples at least this often, whatever the scenario's sample_hz.
constexpr int kWatchdogHz = 200;
constexpr size_t kPathTextHops = 8;

// Keeps the first and last bytes of a stream: the FATAL line of an abort is at the end.
class HeadTail {
 public:
  void Append(absl::string_view data) {
    total_ += data.size();
    if (head_.size() < kStderrHeadBytes) {
      size_t take = std::min(data.size(), kStderrHeadBytes - head_.size());
      head_.append(data.data(), take);
      data.remove_prefix(take);
    }
    tail_.append(data.data(), data.size());
    if (tail_.size() > 2 * kStderrTailBytes) tail_.erase(0, tail_.size() - kStderrTailBytes);
  }
  std::string Text() const {
    std::string t = tail_.size() > kStderrTailBytes ? tail_.substr(tail_.size() - kStderrTailBytes) : tail_;
    if (total_ > head_.size() + t.size()) {
      return absl::StrCat(head_, "\n[... ", total_ - head_.size() - t.size(), " bytes ...]\n", t);
    }
    return head_ + t;
  }
  uint64_t total() const { return total_; }

 private:
  std::string head_;
  std::string tail_;
  uint64_t total_ = 0;
};

// Keeps at most `max` items by dropping every other one when full (stride doubles), so
// a long run keeps an even spread from start to end. The newest item is kept aside.
template <typename T>
class Thinned {
 public:
  explicit Thinned(int max) : max_(std::max(4, max)) {}
  void Add(const T& item) {
    ++seen_;
    last_ = item;
    has_last_ = true;
    if ((seen_ - 1) % stride_ != 0) return;
    items_.push_back(item);
    if (static_cast<int>(items_.size()) >= max_) {
      std::vector<T> kept;
      for (size_t i = 0; i < items_.size(); i += 2) kept.push_back(items_[i]);
      items_.swap(kept);
      stride_ *= 2;
    }
  }
  std::vector<T> Items() const {
    std::vector<T> out = items_;
    if (has_last_ && (seen_ - 1) % stride_ != 0) out.push_back(last_);
    return out;
  }

 private:
  int max_;
  uint64_t seen_ = 0;
  uint64_t stride_ = 1;
  std::vector<T> items_;
  T last_;
  bool has_last_ = false;
};

}  // namespace

// The bounded series of a run.
class RunMonitor::Series {
 public:
  Series(int max_checkpoints, int max_samples) : checkpoints(max_checkpoints), samples(max_samples) {}
  HeadTail stderr_text;
  Thinned<v1::Checkpoint> checkpoints;
  Thinned<v1::OutsideSample> samples;
};

RunMonitor::RunMonitor(MonitorSetup setup)
    : setup_(std::move(setup)),
      limits_(setup_.scenario->limits()),
      watchdog_(setup_.mechanism == v1::LIMIT_MECHANISM_WATCHDOG),
      // The watchdog looks faster than the scenario's rate; the samples kept follow the rate.
      sample_every_(absl::Seconds(1) /
                    std::max<int>(1, watchdog_ ? std::max<int>(kWatchdogHz, setup_.scenario->sample_hz())
                                               : static_cast<int>(setup_.scenario->sample_hz()))),
      keep_every_(absl::Seconds(1) / std::max<uint32_t>(1, setup_.scenario->sample_hz())),
      deadline_(setup_.start + absl::Milliseconds(limits_.timeout_ms())),
      next_sample_(setup_.start),
      next_kept_(setup_.start),
      series_(std::make_unique<Series>(setup_.max_checkpoints, setup_.max_samples)) {
  pidfd_ = static_cast<int>(syscall(SYS_pidfd_open, setup_.pid, 0));
  for (int* fd : {setup_.out_fd, setup_.err_fd, setup_.telemetry_fd}) {
    fcntl(*fd, F_SETFL, fcntl(*fd, F_GETFL) | O_NONBLOCK);
  }
  // Leak checks: the verdict as checkpoints arrive; once decided, three heap snapshots (for
  // a leak, when asked) and then "stop" to the driver.
  if (setup_.scenario->has_leak_check() && setup_.scenario->has_script()) {
    detector_ = std::make_unique<LeakDetector>(setup_.scenario->leak_check());
  }
}

RunMonitor::~RunMonitor() {
  if (pidfd_ >= 0) close(pidfd_);
}

void RunMonitor::Kill(v1::HarnessKill why) {
  if (seen_.harness_kill == v1::HARNESS_KILL_NONE) seen_.harness_kill = why;
  setup_.launcher->KillGroup(setup_.pid, SIGKILL);
  if (setup_.cgroup != nullptr) {
    for (int p : setup_.cgroup->Pids()) setup_.launcher->KillGroup(p, SIGKILL);
  }
  // Descendants that left node's process group (setsid) are still in the sampled tree.
  for (const TreeProcess& p : seen_.last_tree) {
    if (p.pid != setup_.pid) setup_.launcher->KillGroup(p.pid, SIGKILL);
  }
  for (int p : MarkedStrays()) setup_.launcher->KillGroup(p, SIGKILL);
}

// The run's processes found by its environment marker, node aside.
std::vector<int> RunMonitor::MarkedStrays() const {
  std::vector<int> strays;
  if (setup_.environment_marker.empty()) return strays;
  for (int p : PidsWithEnvironment(setup_.environment_marker)) {
    if (p != setup_.pid) strays.push_back(p);
  }
  return strays;
}

// The whole tree's memory against the native limit: with a cgroup its members (for the
// evidence; the kernel keeps the limit), with the watchdog node and its descendants by the
// PSS of their own memory (ParsePss: shared pages counted once, node's file pages not at
// all), which the watchdog kills past the limit.
void RunMonitor::SampleTreeAndWatch(absl::Time now) {
  if (limits_.native_bytes() == 0) return;
  std::vector<TreeProcess> tree = setup_.cgroup != nullptr ? SamplePids(setup_.cgroup->Pids(), false)
                                                           : SampleTree(setup_.pid, watchdog_);
  if (tree.empty()) return;
  uint64_t total = 0;
  for (const TreeProcess& p : tree) total += p.bytes();
  seen_.peak_tree_bytes = std::max(seen_.peak_tree_bytes, total);
  seen_.last_tree = std::move(tree);
  if (!watchdog_ || seen_.harness_kill != v1::HARNESS_KILL_NONE) return;
  const uint64_t limit = limits_.native_bytes();
  if (total <= limit) {
    // Sample faster as the tree nears the limit: at the pace it grew since the last sample,
    // about twice before it would cross, down to once a millisecond. So the samples that
    // bracket the crossing are a few units apart even when units are quicker than
    // sample_every_ (a 1 MiB buffer takes ~0.2 ms).
    if (under_bytes_ > 0 && total > under_bytes_ && now > under_time_) {
      double bytes_per_second =
          static_cast<double>(total - under_bytes_) / absl::ToDoubleSeconds(now - under_time_);
      absl::Duration to_limit = absl::Seconds(static_cast<double>(limit - total) / bytes_per_second);
      next_sample_ = std::min(next_sample_, now + std::clamp(to_limit / 2, absl::Milliseconds(1), sample_every_));
    }
    under_units_ = seen_.units;
    under_bytes_ = total;
    under_time_ = now;
    return;
  }
  seen_.watchdog_victim = *std::max_element(
      seen_.last_tree.begin(), seen_.last_tree.end(),
      [](const TreeProcess& a, const TreeProcess& b) { return a.bytes() < b.bytes(); });
  // Memory grew from under_bytes_ to total while units went from under_units_ to now:
  // the crossing, on that line, is the last unit that fitted.
  if (under_bytes_ > 0 && seen_.units > under_units_) {
    double fraction = static_cast<double>(limit - under_bytes_) / static_cast<double>(total - under_bytes_);
    seen_.units_at_watchdog_limit =
        under_units_ + static_cast<uint64_t>(fraction * static_cast<double>(seen_.units - under_units_));
  }
  Kill(v1::HARNESS_KILL_WATCHDOG);
}

// Reads /proc (and the cgroup): peaks always, a kept sample at the scenario's rate, and the
// watchdog's verdict. Also called at every checkpoint, so short runs have peaks too.
// Returns the RSS read (0 when the process is gone).
uint64_t RunMonitor::SampleOutside(absl::Time now) {
  ProcStatus status;
  if (!ReadProcStatus(setup_.pid, &status)) return 0;
  uint32_t fds = CountDescriptors(setup_.pid);
  seen_.peak_rss = std::max({seen_.peak_rss, status.rss_bytes, status.hwm_bytes});
  seen_.peak_fds = std::max(seen_.peak_fds, fds);
  if (now >= next_kept_) {
    v1::OutsideSample s;
    s.set_t_ms(absl::ToDoubleMilliseconds(now - setup_.start));
    s.set_rss_bytes(status.rss_bytes);
    s.set_hwm_bytes(status.hwm_bytes);
    s.set_descriptors(fds);
    s.set_threads(status.threads);
    if (setup_.cgroup != nullptr) s.set_cgroup_usage_bytes(setup_.cgroup->Usage());
    series_->samples.Add(s);
    next_kept_ = now + keep_every_;
  }
  SampleTreeAndWatch(now);
  return status.rss_bytes;
}

// Writes a command to the driver's stdin. The driver may have exited already (a retention
// check's last snapshot is at the end of the budget): the write then fails with EPIPE, and
// the SIGPIPE it raises is blocked for this thread and consumed, never delivered.
void RunMonitor::Command(const std::string& line) {
  if (reaped_ || seen_.driver_done) return;
  // Node may have closed its stdin, or died: then the command is simply not delivered.
  (void)WriteToPipe(setup_.control_fd, line + "\n");
}

// `result` with what the retention checks found: every check in order (`checks`, rebuilt,
// so a result passed twice is the same), the last one as its `retention`, V8's own rate.
v1::LeakResult RunMonitor::WithRetention(v1::LeakResult result) const {
  result.clear_checks();
  for (const v1::LeakRetention& check : earlier_checks_) *result.add_checks() = check;
  if (last_retention_) {
    *result.mutable_retention() = *last_retention_;
    *result.add_checks() = *last_retention_;
  }
  result.set_v8_internal_bytes_per_iteration(v8_internal_rate_);
  return result;
}

// A final verdict: recorded, and the driver told to stop (teardown runs).
void RunMonitor::LeakVerdict(v1::LeakResult result) {
  seen_.leak = WithRetention(std::move(result));
  Command("stop");
  stop_sent_ = true;
}

// Leak checks. Every after-GC checkpoint goes to the detector. A descriptor or handle
// leak is the verdict once its count kept growing when watched on (StartCountWatch); a
// heap or native suspicion starts a retention check (heap
// snapshots at s1 = now, s2 and s3 planned from the data, see PlanRetention) unless
// snapshots are off, and becomes a leak only if retention confirms it. "No leak" is not a
// reason to stop before the budget: the rest of it lowers the detection limit. At the
// budget the driver waits for a word (AnswerAtBudget). The final verdict of a run that
// ends without one is taken in Watch().
void RunMonitor::LeakStep(const v1::Checkpoint& c) {
  if (!detector_ || stop_sent_ || !c.after_gc()) return;
  previous_point_ = c.units() > last_point_ ? last_point_ : previous_point_;
  last_point_ = std::max(last_point_, c.units());
  detector_->Add(c);
  work_at_[c.units()] = c.gc().work_ms();
  if (start_due_) {
    start_due_ = false;
    AskForFirstSnapshot();
  }
  // While a count's trend is watched on, nothing new is judged (DecideCount at its end).
  if (!counting_.empty()) {
    if (c.units() >= count_until_) DecideCount(c.units());
    return;
  }
  // While a check that slowed goes on, nothing new is judged (DecideSlowing at its end).
  if (slowing_result_) {
    if (c.units() >= slowing_until_) DecideSlowing(c.units());
    return;
  }
  // While a growth past a bounded window is watched on, nothing new is judged
  // (DecideRegrowth at its end).
  if (regrowth_until_ > 0) {
    if (c.units() >= regrowth_until_) DecideRegrowth(c.units());
    return;
  }
  // While a table waits for its fourth snapshot, nothing new is judged; its owners'
  // entries are counted once halfway there (the driver answers before it goes on).
  if ((table_result_ || watch_counts_) && !mid_asked_ && c.units() >= table_mid_ && c.units() < extended_to_) {
    mid_asked_ = true;
    Command(EntriesCommand());
  }
  // While a confirmation is watched on to its fourth snapshot, nothing new is judged.
  if (retaining_ || table_result_ || reach_result_) return;
  JudgeLeak(c.units());
}

// A series a retention check has tested (and found bounded, or the run would have ended).
// One that went on growing past the check's window is also regrown_ until a check tests it.
bool RunMonitor::Checked(const std::string& series) const {
  return std::find(checked_series_.begin(), checked_series_.end(), series) != checked_series_.end();
}

// The detector's verdict at `units`: a count's leak ends the run; a heap or native
// suspicion on a series no check has tested starts a retention check (a second one when
// the first tested another series, heap_used bounded while a Buffer's data grows, or found
// this one bounded while it went on growing); else the budget's word.
void RunMonitor::JudgeLeak(uint64_t units) {
  v1::LeakResult r = detector_->Evaluate();
  BoundedCounts(&r);
  if (r.verdict() != v1::LEAK_VERDICT_LEAK) {
    AnswerAtBudget(units, r);
    return;
  }
  const v1::LeakSeries* suspect = nullptr;
  bool count_leak = false;
  for (const v1::LeakSeries& s : r.series()) {
    if (s.verdict() != v1::LEAK_VERDICT_LEAK) continue;
    if (!NeedsRetention(s.name())) {
      count_leak = true;
    } else if (!Checked(s.name()) && (suspect == nullptr || s.slope_per_iteration() > suspect->slope_per_iteration())) {
      suspect = &s;
    }
  }
  if (count_leak || !setup_.scenario->leak_check().snapshots()) {
    if (count_leak && StartCountWatch(units, r)) return;
    if (!count_leak) r.set_by_trend_only(true);
    LeakVerdict(std::move(r));
    return;
  }
  if (suspect == nullptr || retention_checks_ >= kMaxRetentionChecks) {
    AnswerAtBudget(units, r);
    return;
  }
  // No room left in the budget for a check: the run ends undecided (FinalLeakVerdict).
  if (!RoomForCheck(units, *suspect)) {
    AnswerAtBudget(units, r);
    return;
  }
  // The check's first snapshot is taken at the next after-GC point (StartRetention), or
  // at this one where the driver waits for a word here: the budget's end, or an
  // extension's. Planned from there, a check that could only end undecided waits while
  // the next points may let it fit, or starts with the window that still fits
  // (StartRetentionCheck).
  const uint64_t budget = setup_.scenario->leak_check().iterations();
  const bool driver_waits = units >= budget && units >= extended_to_;
  const uint64_t s1 = driver_waits ? units : NextPointAfter(units);
  const RetentionStart start =
      StartRetentionCheck(detector_->first_units(), s1, NextPointAfter(units, s1), budget,
                          AtItsRecentSlope(*suspect, units), ReachableUnits(), CheapUnits());
  if (start.wait) {
    GoOn(units);
    return;
  }
  StartRetention(*suspect, std::move(r), start.window, /*now=*/driver_waits);
}

// Where the after-GC checkpoint after the one at `at` is expected, `at` being the last
// point's (`units`) or one after it: as much further on, relatively, as the last point was
// from the one before (the schedule's spacing grows with the iterations; a fixed step is
// overestimated a little).
uint64_t RunMonitor::NextPointAfter(uint64_t units, uint64_t at) const {
  if (at == 0) at = units;
  if (previous_point_ == 0 || units <= previous_point_) return at + 1;
  return std::max(at + 1, static_cast<uint64_t>(std::ceil(static_cast<double>(at) * units / previous_point_)));
}

// Whether a retention check of `suspect` from `units` has room (PlanRetention).
bool RunMonitor::RoomForCheck(uint64_t units, const v1::LeakSeries& suspect) const {
  return PlanRetention(detector_->first_units(), units, setup_.scenario->leak_check().iterations(),
                       MinRetentionWindow(suspect), ReachableUnits(), CheapUnits())
      .room;
}

// `suspect` with its slope raised to that of its later half (the points in the later half
// of the iterations up to `units`, 4 or more) or of its last kRecentPoints points, where
// higher: the window a check that waits hopes for is sized by how fast the series grows
// now (StartRetentionCheck), not by a history mostly flat before a late onset.
// late_onset_leak.js (164 B/iteration from 3,000) suspected at 5,553 read 28 B/iteration
// over its history and 164 over its later half; the points just after an onset carry it
// sooner than the later half does. The lower end, which sizes the window a check is
// planned with, stays the whole history's: raised too, it shrank the windows of fill-ups
// suspected before a late onset (881ebc3).
constexpr size_t kRecentPoints = 4;
v1::LeakSeries RunMonitor::AtItsRecentSlope(const v1::LeakSeries& suspect, uint64_t units) const {
  v1::LeakSeries s = suspect;
  const uint64_t first = detector_->first_units();
  const uint64_t span = units > first ? units - first : 0;
  for (const uint64_t from : {first + span / 2, detector_->units_from_end(kRecentPoints - 1)}) {
    if (detector_->PointsBetween(from, units) < 4) continue;
    const TheilSen recent = detector_->FitBetween(s.name(), from, units);
    if (recent.slope > s.slope_per_iteration()) s.set_slope_per_iteration(recent.slope);
  }
  return s;
}

// The window the running check's suspected series needs (MinRetentionWindow), at the
// higher lower end of its slope: as suspected, or as the detector reads it now when it
// still suspects it (not so a regrowth, whose whole series may be flat); at most the window
// the check was started with (StartRetentionCheck).
uint64_t RunMonitor::SuspectedWindow() const {
  v1::LeakSeries s = suspected_;
  const v1::LeakResult detected = detector_->Evaluate();
  for (const v1::LeakSeries& now : detected.series()) {
    if (now.name() == s.name() && now.verdict() == v1::LEAK_VERDICT_LEAK && now.slope_low() > s.slope_low()) {
      s.set_slope_low(now.slope_low());
    }
  }
  const uint64_t window = MinRetentionWindow(s);
  return check_window_ > 0 ? std::min(window, check_window_) : window;
}

// A retention check of `suspect`; `suspicion` is the result a confirmation builds on;
// `window`, when not 0, the most its window may take (StartRetentionCheck), else
// SuspectedWindow's. Its first snapshot (s1) is asked for `now`, and the driver takes it
// once it has read the engine's word on its checkpoint; else at the next after-GC point
// (LeakStep). A check starts one checkpoint after the point that raised the suspicion, as
// it did on an idle machine before the driver waited for that word; since, whatever the
// load. Started at the suspicion's own point, the window of a leak that starts after a
// fill-up's suspicion held more of the time before its onset, and fewer of its objects:
// phase_corpus/late_listener_leak.js at 10,000 was `inconclusive` in 10 of 51 runs (0 of 28
// one point later).
void RunMonitor::StartRetention(const v1::LeakSeries& suspect, v1::LeakResult suspicion, uint64_t window,
                                bool now) {
  check_window_ = window;
  if (regrown_ && regrown_->name() == suspect.name()) regrown_.reset();
  ++retention_checks_;
  retaining_ = true;
  checked_series_.push_back(suspect.name());
  suspected_ = suspect;
  suspicion_ = std::move(suspicion);
  retention_units_.clear();
  retention_files_.clear();
  reach_from_ = 0;
  past_knee_ = false;
  reach_at_half_ = false;
  other_half_ = false;
  check_reading_ = {};
  reading_stores_.clear();
  watch_counts_ = false;
  start_due_ = !now;
  if (now) AskForFirstSnapshot();
}

void RunMonitor::AskForFirstSnapshot() { Command(absl::StrCat("snapshot start ", SnapshotFile(1))); }

// The k-th heap snapshot of the running retention check.
std::string RunMonitor::SnapshotFile(int k) const {
  return absl::StrCat(setup_.run_dir, "/leak-", retention_checks_, "-", k, ".heapsnapshot");
}

// Whether the detector suspects, at `units`, a heap or native series that no check has
// tested, with room for a check.
bool RunMonitor::OtherSuspect(uint64_t units) const {
  if (retention_checks_ >= kMaxRetentionChecks) return false;
  const v1::LeakResult r = detector_->Evaluate();
  for (const v1::LeakSeries& s : r.series()) {
    if (s.verdict() != v1::LEAK_VERDICT_LEAK || !NeedsRetention(s.name()) || Checked(s.name())) continue;
    if (RoomForCheck(units, s)) return true;
  }
  return false;
}

// After a check, a series that a check found freed while it went on growing (regrown_,
// GrewPastItsWindow): its growth over this check's later part is the suspicion of a check
// on it, whatever the whole series says (a fill-up of KiBs per iteration, dropped, dwarfs a
// leak of ~100 B per iteration that starts after it, and the whole series' slope is then
// flat or falling). False when no check can be made, or the growth stopped (then it was a
// fill-up after all, and regrown_ is dropped). `judged`: the check's own window judged that
// growth already (WINDOW_SHORT: it kept it), and it is not tested again.
bool RunMonitor::CheckRegrowth(const RetentionEvidence& e, bool judged) {
  if (!regrown_ || retention_checks_ >= kMaxRetentionChecks || detector_->PointsBetween(e.later, e.s3) < 4) {
    return false;
  }
  const TheilSen fit = detector_->FitBetween(regrown_->name(), e.later, e.s3);
  if (!judged && !KeepsGrowing(fit, e.s1, e.s3)) {
    regrown_.reset();
    return false;
  }
  v1::LeakSeries regrown = *regrown_;
  regrown.set_verdict(v1::LEAK_VERDICT_LEAK);
  regrown.set_slope_per_iteration(fit.slope);
  regrown.set_slope_low(fit.low);
  regrown.set_slope_high(fit.high);
  if (!RoomForCheck(e.s3, regrown)) return false;
  v1::LeakResult suspicion = detector_->Evaluate();
  bool found = false;
  for (v1::LeakSeries& s : *suspicion.mutable_series()) {
    if (s.name() != regrown.name()) continue;
    regrown.set_points(s.points());
    s = regrown;
    found = true;
  }
  if (!found) *suspicion.add_series() = regrown;
  suspicion.set_verdict(v1::LEAK_VERDICT_LEAK);
  StartRetention(regrown, std::move(suspicion), 0, /*now=*/true);
  return true;
}

// A check found its window bounded (or held by a fill that slowed) while the series grew on
// over `fit` (GrewPastItsWindow): that growth is not the window's, and it is the suspicion
// of the next check (CheckRegrowth). Untested, FinalLeakVerdict does not call it bounded.
// False where it did not grow on.
bool RunMonitor::GrewOn(const TheilSen& fit) {
  if (!GrewPastItsWindow(*last_retention_, fit)) return false;
  SuspectRegrowth(fit);
  return true;
}

// The growth `fit` past the running check's window is the next check's suspicion (regrown_).
void RunMonitor::SuspectRegrowth(const TheilSen& fit) {
  v1::LeakSeries regrown = suspected_;
  regrown.set_slope_per_iteration(fit.slope);
  regrown.set_slope_low(fit.low);
  regrown.set_slope_high(fit.high);
  regrown_ = regrown;
}

// CheckRegrowth at the end of a watch past the check's s3 (`from`, to `units`), on the growth
// over the watch, unless a series no check has tested goes first.
bool RunMonitor::CheckRegrowthOverWatch(uint64_t from, uint64_t units) {
  RetentionEvidence watch;
  watch.s1 = last_retention_->s1();
  watch.later = from;
  watch.s3 = units;
  return !OtherSuspect(units) && CheckRegrowth(watch);
}

// At or past the budget, with no retention check running, the driver waits after each
// checkpoint that ends what it may do: told to go on (a check still undecided, see
// UndecidedGoesOnTo) or to stop. Once a retention check has been made nothing more can
// change a heap or native verdict (a second check, on a series no check has tested or on
// one that grew past its window, starts from JudgeLeak), so the run stops.
void RunMonitor::AnswerAtBudget(uint64_t units, const v1::LeakResult& detected) {
  const uint64_t budget = setup_.scenario->leak_check().iterations();
  if (stop_sent_ || retaining_ || units < budget) return;
  const uint64_t to = last_retention_ ? 0 : UndecidedGoesOnTo(detected, units, budget, ReachableUnits(), CheapUnits());
  if (to == 0) {
    Command("stop");
    stop_sent_ = true;
    return;
  }
  ExtendTo(to);
}

// A descriptor or handle count's trend is watched on before it is a leak (CountKeptGrowing):
// once per run, to kRetentionReach times where it was seen, within the check's limit, past
// the budget where that lies beyond it. The driver takes the watch's later half in even
// steps ("count_watch"): a count of what the last milliseconds made (timers of 5 ms) read
// at points ever further apart grows with their spacing, and is level at an even one. False
// (the trend is the verdict now) without room.
bool RunMonitor::StartCountWatch(uint64_t units, const v1::LeakResult& leak) {
  if (count_from_ > 0) return false;
  const uint64_t until = std::min(kRetentionReach * units, CheckCap());
  if (until <= units) return false;
  for (const v1::LeakSeries& s : leak.series()) {
    if (s.verdict() == v1::LEAK_VERDICT_LEAK && !NeedsRetention(s.name())) counting_[s.name()] = s.slope_per_iteration();
  }
  if (counting_.empty()) return false;
  count_from_ = units;
  count_until_ = until;
  Command(absl::StrCat("count_watch ", units, " ", until));
  if (until > setup_.scenario->leak_check().iterations()) ExtendTo(until);
  return true;
}

// The end of a count's watch: a count that was a leak at its start and did not keep growing
// over the watch's later half is bounded from now on (BoundedCounts); the run is judged again.
void RunMonitor::DecideCount(uint64_t units) {
  const uint64_t later = LaterPartFrom(count_from_, units);
  for (const auto& [name, slope] : counting_) {
    const TheilSen since = detector_->FitBetween(name, later, units);
    // Too few points there (a watch cut short) say nothing: the trend stands.
    if (since.points < kMinCountWatchPoints || CountKeptGrowing(slope, since)) continue;
    bounded_counts_[name] = absl::StrFormat(
        "bounded: it grew at %.3g/iteration up to iteration %d, then at %.3g/iteration over %d-%d (%s): a count "
        "that levels off (bounded by time or by load), not a leak",
        slope, count_from_, since.slope, later, units,
        KeptPace(slope, since) ? "not provably above 0" : "under half of that");
  }
  counting_.clear();
  JudgeLeak(units);
}

// A count its watch found bounded (DecideCount) is `no leak` in every verdict after, with
// what it did.
void RunMonitor::BoundedCounts(v1::LeakResult* result) const {
  if (bounded_counts_.empty()) return;
  for (const auto& [name, note] : bounded_counts_) CountBounded(name, note, result);
  if (result->verdict() == v1::LEAK_VERDICT_INCONCLUSIVE) {
    result->set_more_iterations_needed(detector_->MoreIterationsNeeded(*result));
  }
}

// A check waits for more points (StartRetentionCheck): at or past the budget, the run goes on
// to where a check may still go.
void RunMonitor::GoOn(uint64_t units) {
  const uint64_t budget = setup_.scenario->leak_check().iterations();
  if (stop_sent_ || units < budget) return;
  const uint64_t to = CheckCap();
  if (to > units) ExtendTo(to);
}

void RunMonitor::ExtendTo(uint64_t to) {
  if (to <= extended_to_) return;
  extended_to_ = to;
  Command(absl::StrCat("extend ", to));
}

// The verdict of a run that ended (its budget, or its process) without one: the detector's,
// except that a heap or native suspicion whose retention was not (or could not be) proven
// is no leak: inconclusive while its check was still running or had no room to start, no
// leak when a check found it bounded and nothing since has been suspected.
v1::LeakResult RunMonitor::FinalLeakVerdict() const {
  v1::LeakResult r = detector_->Evaluate(/*at_end=*/true);
  BoundedCounts(&r);
  const bool snapshots = setup_.scenario->leak_check().snapshots();
  bool bytes_suspected = false, count_leak = false, unchecked = false;
  double steepest = 0;
  // A check found its window freed while the series went on growing, and no check tested
  // that growth: not bounded (unproven), unless its later half grew provably less than the
  // budget's bar (LeakDetector::Evaluate at the end).
  if (snapshots && !retaining_ && regrown_) {
    for (v1::LeakSeries& s : *r.mutable_series()) {
      if (s.name() != regrown_->name() || s.verdict() == v1::LEAK_VERDICT_LEAK ||
          s.note_kind() == v1::SERIES_NOTE_UNDER_THE_BUDGETS_BAR) {
        continue;
      }
      s.set_verdict(v1::LEAK_VERDICT_LEAK);
      s.set_slope_per_iteration(regrown_->slope_per_iteration());
      s.set_slope_low(regrown_->slope_low());
      s.set_slope_high(regrown_->slope_high());
    }
  }
  for (const v1::LeakSeries& s : r.series()) {
    if (s.verdict() != v1::LEAK_VERDICT_LEAK) continue;
    (NeedsRetention(s.name()) ? bytes_suspected : count_leak) = true;
    // Suspected, and no check tested it: not found bounded (below, unproven).
    unchecked |= NeedsRetention(s.name()) && (!Checked(s.name()) || (regrown_ && regrown_->name() == s.name()));
    if (NeedsRetention(s.name())) steepest = std::max(steepest, s.slope_per_iteration());
  }
  const bool undecided =
      last_retention_ && last_retention_->undecided() && UndecidedCheckStands(r, suspected_.name());
  if (snapshots && !count_leak && !retaining_ && undecided) {
    // Retained up to s3, which fell short of its reach: neither verdict yet.
    r.set_verdict(v1::LEAK_VERDICT_INCONCLUSIVE);
    const v1::LeakRetention& t = *last_retention_;
    const uint64_t got = std::max(t.s3(), t.table_checked_to());
    r.set_more_iterations_needed(t.reach() > got ? t.reach() - got : 1);
    for (v1::LeakSeries& s : *r.mutable_series()) {
      if (s.verdict() != v1::LEAK_VERDICT_LEAK) continue;
      s.set_verdict(v1::LEAK_VERDICT_INCONCLUSIVE);
      s.set_note_kind(v1::SERIES_NOTE_RETENTION);
    }
    r.set_summary_kind(v1::LEAK_SUMMARY_KIND_RETENTION_UNDECIDED);
  } else if (snapshots && !count_leak && !retaining_ && last_retention_ && !last_retention_->confirmed() &&
             !last_retention_->undecided() && !unchecked) {
    r.set_verdict(v1::LEAK_VERDICT_NO_LEAK);
    r.set_more_iterations_needed(0);
    for (v1::LeakSeries& s : *r.mutable_series()) {
      if (s.verdict() != v1::LEAK_VERDICT_LEAK) continue;
      s.set_verdict(v1::LEAK_VERDICT_NO_LEAK);
      s.set_note_kind(v1::SERIES_NOTE_RETENTION);
      const double past_window = RegrowthLimit(s.name());
      if (past_window > s.detection_limit()) {
        s.set_detection_limit(past_window);
        s.set_limit_past_window(true);
      }
    }
    r.set_summary_kind(v1::LEAK_SUMMARY_KIND_RETENTION_BOUNDED);
  } else if (snapshots && !count_leak && (retaining_ || bytes_suspected)) {
    uint64_t now = std::max(seen_.units, detector_->last_units());
    uint64_t s1 = retaining_ && !retention_units_.empty() ? retention_units_[0] : now;
    // Planned once s1 was written; before that (or with no check), as it would be planned.
    uint64_t needed = retaining_ && plan_.decides > 0
                          ? plan_.decides
                          : PlanRetention(detector_->first_units(), s1, setup_.scenario->leak_check().iterations(),
                                          retaining_ ? SuspectedWindow() : 1)
                                .decides;
    r.set_verdict(v1::LEAK_VERDICT_INCONCLUSIVE);
    for (v1::LeakSeries& s : *r.mutable_series()) {
      if (s.verdict() == v1::LEAK_VERDICT_LEAK) {
        s.set_verdict(v1::LEAK_VERDICT_INCONCLUSIVE);
        s.set_note_kind(v1::SERIES_NOTE_RETENTION_UNPROVEN);
      }
    }
    r.set_more_iterations_needed(needed > now ? needed - now : std::max<uint64_t>(1, now / 2));
    r.set_summary_kind(v1::LEAK_SUMMARY_KIND_RETENTION_UNPROVEN);
    r.set_suspected_slope_per_iteration(steepest > 0 ? steepest : suspected_.slope_per_iteration());
    r.set_suspected_at_iteration(s1);
    r.set_retention_reach_iteration(needed);
  }
  return WithRetention(std::move(r));
}

// A snapshot was written: plan the next one, or judge the retention after the third.
void RunMonitor::OnSnapshot(const v1::DriverEvent& event) {
  const std::string& path = event.path();
  const uint64_t units = event.units();
  seen_.snapshots.push_back(path);
  if (table_result_ && !stop_sent_) {
    JudgeTable(path, units);
    return;
  }
  // A confirmation watched on (WatchReach): its fourth snapshot stands for s3, and the
  // check is finished again from there, with the window's sites as the sampler read them
  // there (what a bounded structure kept of the window at s3 is gone by then), or s3's
  // when the driver read none.
  if (reach_result_ && !stop_sent_) {
    watched_result_ = std::move(reach_result_);
    reach_result_.reset();
    retention_units_[2] = units;
    retention_files_[2] = path;
    if (event.has_window_sampled()) {
      retention_sites_.assign(event.sites().begin(), event.sites().end());
      store_sites_.assign(event.store_sites().begin(), event.store_sites().end());
      young_sites_.assign(event.young_sites().begin(), event.young_sites().end());
      window_sampled_ = event.window_sampled();
    } else {
      retention_sites_ = reach_sites_;
      store_sites_ = reach_store_sites_;
    }
    FinishRetention();
    return;
  }
  retention_sites_.assign(event.sites().begin(), event.sites().end());
  store_sites_.assign(event.store_sites().begin(), event.store_sites().end());
  young_sites_.assign(event.young_sites().begin(), event.young_sites().end());
  window_sampled_.reset();
  if (event.has_window_sampled()) window_sampled_ = event.window_sampled();
  if (!retaining_ || stop_sent_) return;
  retention_units_.push_back(units);
  retention_files_.push_back(path);
  const size_t k = retention_units_.size();
  if (k < static_cast<size_t>(kSnapshots)) {
    // s3 may lie past the budget (PlanRetention): the driver then runs on to it, within what
    // the time limit allows when it is planned, and to where the check decides when twice
    // the module's own time gets it there (PlanToWhereItDecides).
    if (k == 1) {
      const uint64_t budget = setup_.scenario->leak_check().iterations();
      const uint64_t window = SuspectedWindow();
      plan_ = PlanToWhereItDecides(
          PlanRetention(detector_->first_units(), retention_units_[0], budget, window, ReachableUnits(), CheapUnits()),
          PlanRetention(detector_->first_units(), retention_units_[0], budget, window, ReachableUnits(),
                        CheapUnits(kKneeCheckMs)));
      if (!plan_.room) {
        // s1 came where no window fits (asked for just short of the cap, written at it): no
        // check is made. A window of one iteration read as "V8 internal growth" and made a
        // leak that started late `no leak` (phase_corpus/late_listener_leak.js at 2,000).
        // The series stays suspected and untested: inconclusive (FinalLeakVerdict).
        retaining_ = false;
        checked_series_.erase(std::remove(checked_series_.begin(), checked_series_.end(), suspected_.name()),
                              checked_series_.end());
        unlink(path.c_str());
        Command("stop");
        stop_sent_ = true;
        return;
      }
    }
    const uint64_t reachable = ReachableUnits();
    const uint64_t s3 = reachable == 0 ? plan_.s3 : std::min(plan_.s3, reachable);
    uint64_t next = std::max(k == 1 ? plan_.s2 : s3, units + 1);
    Command(absl::StrCat("snapshot_at ", next, k == 1 ? " mark " : " write ", SnapshotFile(static_cast<int>(k) + 1)));
    return;
  }
  FinishRetention();
}

// The fourth snapshot of a retention check carried by a table (TABLE_STEPPED): a table
// that grew in the check and doubled again by now is a leak; one that stayed is bounded.
// Where the tables' owners were counted at s3, they are counted again now first, and
// their entries decide (DecideTable).
void RunMonitor::JudgeTable(const std::string& path, uint64_t units) {
  absl::StatusOr<bool> doubled = TableDoubled(path, table_sizes_);
  unlink(path.c_str());
  last_retention_->set_table_checked_to(units);
  if (!doubled.ok()) HS_LOG(WARNING) << "heap snapshot: " << doubled.status().message();
  table_doubled_ = doubled.ok() ? std::optional<bool>(*doubled) : std::nullopt;
  if (!entries_at_s3_.owners.empty()) {
    // The driver waits at the extension's end (s4) for the engine's word.
    Command(EntriesCommand());
    entries_due_ = true;
    return;
  }
  DecideTable({});
}

// A confirmation whose series slowed since its window (SlowedSinceItsWindow) goes on to
// kSlowingReach s3 before it is a leak, where there is room (within the cap and the time
// limit); false where there is none, or it did not slow: `leak` is the verdict now.
bool RunMonitor::WatchSlowing(const RetentionEvidence& e, const v1::LeakResult& leak) {
  if (!SlowedSinceItsWindow(*last_retention_)) return false;
  const uint64_t until = std::min(kSlowingReach * e.s3, CheckCap());
  // Room for the slope since s3 to be read over at least as many iterations as s3 itself.
  if (until < 2 * e.s3) return false;
  slowing_result_ = leak;
  slowing_until_ = until;
  slowing_from_ = e.s3;
  store_watch_ = false;
  ExtendTo(until);
  return true;
}

// A confirmation at s3 where the module's iterations are cheap goes on to a fourth
// snapshot (StretchedReach), which stands for s3 when it comes (OnSnapshot): a structure
// bounded only in its code frees the window's objects once it is full, a leak keeps them.
// Once per check (a check watched on already has reach_from_), unless the scenario says
// `stretch: false`; false when there is no room, or the iterations cost too much: `leak`
// is the verdict now.
bool RunMonitor::WatchReach(const RetentionEvidence& e, const v1::LeakResult& leak) {
  if (reach_from_ > 0 || !setup_.scenario->leak_check().stretch()) return false;
  const auto s1 = work_at_.find(e.s1), s2 = work_at_.find(e.s2), s3 = work_at_.find(e.s3);
  if (s1 == work_at_.end() || s2 == work_at_.end() || s3 == work_at_.end()) return false;
  StretchInput in;
  in.s1 = e.s1;
  in.s2 = e.s2;
  in.s3 = e.s3;
  in.work_s1_ms = s1->second;
  in.work_s2_ms = s2->second;
  in.work_s3_ms = s3->second;
  in.rate = e.slope_after;
  in.series_bytes = SeriesNow(suspected_.name());
  const uint64_t limit = SeriesLimit(suspected_.name());
  if (limit > 0) in.room_bytes = std::max(1.0, static_cast<double>(limit) - in.series_bytes);
  in.allowance_ms = absl::ToDoubleMilliseconds(absl::Now() - setup_.start);
  in.limit = CheckCap();
  const uint64_t s4 = StretchedReach(in);
  if (s4 == 0) return false;
  reach_result_ = leak;
  reach_from_ = e.s3;
  reach_at_half_ = ReachEndsAtHalfTheLimit(in, s4);
  CountEntriesOverTheWatch(e.s3, s4);
  ExtendTo(s4);
  Command(absl::StrCat("snapshot_at ", s4, " reach ", SnapshotFile(4)));
  return true;
}

// The end of a watch (at `e.s3`) whose later part holds a knee (GoesOnPastAKnee), or a
// check's s3 whose freed window kept more than the bar past one (KeptPastAKnee), goes on
// to twice that end (PastTheKneeTo: within the check's limit with the module's own time
// allowed to kKneeCheckMs, and half of what the series may still grow at `rate`), and the
// check is finished again there from the same window (OnSnapshot), its later part then
// past the knee. Once per check; false without room for at least half the later part
// again: the check is decided now. A run that ends before s5 keeps the confirmation it
// had, and is undecided without one.
bool RunMonitor::WatchPastTheKnee(const RetentionEvidence& e, double rate) {
  // At a check's s3 (no watch yet), a window found freed (KeptPastAKnee); a confirmation
  // there is watched on by WatchReach.
  if (reach_from_ > 0 ? !watched_result_ : last_retention_->confirmed()) return false;
  const uint64_t s5 = OnceMoreTo(e, CheckCap(kKneeCheckMs), rate);
  if (s5 == 0) return false;
  past_knee_ = true;
  last_retention_->set_reach(s5);
  // A run that ends before s5 keeps the confirmation it had; one not confirmed at the
  // watch's end is undecided (FinalLeakVerdict).
  if (last_retention_->confirmed()) {
    reach_result_ = std::move(watched_result_);
  } else {
    last_retention_->set_undecided(true);
    reach_result_ = FinalLeakVerdict();
  }
  WatchOnTo(s5);
  return true;
}

// The end of a watch that half of the check's limit ended (ReachEndsAtHalfTheLimit: the
// other half is left for a watch past a knee), confirmed there without a knee, goes on to
// the check's limit within 50 budgets (OtherHalfLimit; the whole limit where the window
// kept well beyond the growth), or twice its end where that is less (PastTheKneeTo: within
// what the time limit allows and half of what the series may still grow at `rate`), and
// the check is finished again there from the same window (OnSnapshot). A structure that
// fills for longer than half of those iterations frees the window's objects by then; a leak
// keeps them, at the cost of one more watch. `leak`, the
// confirmation at the watch's end, stands if the run ends before. Once per check, and not
// after a watch past a knee; false without room for half the later part again: the check
// is decided now.
bool RunMonitor::WatchTheOtherHalf(const RetentionEvidence& e, const v1::LeakResult& leak, double rate) {
  if (reach_from_ == 0 || !reach_at_half_ || past_knee_ || other_half_) return false;
  const uint64_t budgets = CheckLimit(setup_.scenario->leak_check().iterations(), ReachableUnits());
  const uint64_t limit = OtherHalfLimit(budgets, CheckCap(), last_retention_->program_bytes_per_iteration(), rate);
  const uint64_t s5 = OnceMoreTo(e, limit, rate);
  if (s5 == 0) return false;
  other_half_ = true;
  last_retention_->set_reach(s5);
  reach_result_ = leak;
  WatchOnTo(s5);
  return true;
}

// Where a watch that ended at `e.s3` may go on to once more: PastTheKneeTo, within `limit`
// and half of what the suspected series may still grow at `rate` before its limit. 0 for
// nowhere.
uint64_t RunMonitor::OnceMoreTo(const RetentionEvidence& e, uint64_t limit, double rate) const {
  const uint64_t series_limit = SeriesLimit(suspected_.name());
  const double room =
      series_limit > 0 ? std::max(0.0, static_cast<double>(series_limit) - SeriesNow(suspected_.name())) : -1;
  return PastTheKneeTo(e.later, e.s3, limit, rate, room);
}

// Goes on to `s5`, where the check is finished again from the same window (OnSnapshot):
// the run's reach and the snapshot there. The held result is the caller's (reach_result_).
void RunMonitor::WatchOnTo(uint64_t s5) {
  watched_result_.reset();
  CountEntriesOverTheWatch(last_retention_->s3(), s5);
  ExtendTo(s5);
  Command(absl::StrCat("snapshot_at ", s5, " reach ", SnapshotFile(5)));
}

// The most the named series may reach: the old space for the heap, the native limit for
// external memory and ArrayBuffers (0: none).
uint64_t RunMonitor::SeriesLimit(const std::string& series) const {
  if (series == "heap_used") return static_cast<uint64_t>(limits_.max_old_space_mib()) * kMiB;
  if (IsNativeSeries(series)) return limits_.native_bytes();
  return 0;
}

// The named series at the last checkpoint, as its limit counts it (SeriesLimit): heap used,
// external memory; 0 for others.
double RunMonitor::SeriesNow(const std::string& series) const {
  const std::vector<double>* values = series == "heap_used"  ? &seen_.fit_heap
                                      : series == "external" ? &seen_.fit_external
                                                             : nullptr;
  return values == nullptr || values->empty() ? 0 : values->back();
}

// With an array fixed at its size holding the window (SnapshotDiff::fixed_store) and watched
// (WatchStore), the leak as the survivors beside it name it (its culprits, sites and path),
// for a watch that finds the series growing on (DecideSlowing); beside_rate_ their bytes per
// iteration. None when no survivor is beside it. `sites` and `store_sites` are the third
// snapshot's event's, as ConfirmedResult found them (it takes them).
std::optional<v1::LeakResult> RunMonitor::BesideTheStore(const RetentionEvidence& e, const SnapshotDiff& diff,
                                                         std::vector<v1::AllocationSite> sites,
                                                         std::vector<v1::AllocationSite> store_sites) {
  beside_rate_ = 0;
  if (!diff.fixed_store || diff.beside.program_bytes == 0) return std::nullopt;
  SnapshotDiff beside = diff;
  beside.culprits = diff.beside.culprits;
  beside.program_bytes = diff.beside.program_bytes;
  beside.representative_id = diff.beside.representative_id;
  beside.placed = diff.beside.placed;
  retention_sites_ = std::move(sites);
  store_sites_ = std::move(store_sites);
  v1::LeakResult r = ConfirmedResult(e, /*table=*/false, &beside);
  beside_rate_ = static_cast<double>(diff.beside.program_bytes) / static_cast<double>(std::max<uint64_t>(1, e.s2 - e.s1));
  return r;
}

// A confirmation retained by an array whose store is the one it had at s1 (PlanStoreWatch)
// goes on past where that array is full before it is a leak, where there is room; false
// where it need not (the array did not fill, or the series would pass its limit before
// the array is full: a leak in all but name), or cannot: then the check is undecided
// (STORE_FILLING, last_retention_ no longer confirmed) when the array is full only past
// the run's reach.
bool RunMonitor::WatchStore(const RetentionEvidence& e, const SnapshotDiff::FixedStore& store,
                            const v1::LeakResult& leak) {
  const StoreWatch w = PlanStoreWatch(e.s1, e.s3, store.slots, store.filled_s1, store.filled_s3);
  if (w.full_at == 0) return false;
  v1::LeakRetention& t = *last_retention_;
  t.set_store_slots(store.slots);
  t.set_store_filled(store.filled_s3);
  t.set_store_full_at(w.full_at);
  t.set_store_settled_at(w.settle);
  const uint64_t limit = SeriesLimit(suspected_.name());
  const double now = SeriesNow(suspected_.name());
  if (limit > 0 &&
      now + std::max(0.0, t.slope_after_per_iteration()) * static_cast<double>(w.full_at - e.s3) >= limit) {
    return false;
  }
  const uint64_t cap = CheckCap();
  const uint64_t until = w.until <= cap ? w.until : cap >= w.short_until ? cap : 0;
  if (until == 0) {
    t.set_confirmed(false);
    t.set_undecided(true);
    t.set_finding(v1::RETENTION_FINDING_STORE_FILLING);
    t.set_reach(w.until);
    return false;
  }
  slowing_result_ = leak;
  slowing_until_ = until;
  slowing_from_ = w.settle;
  store_watch_ = true;
  ExtendTo(until);
  return true;
}

// At the end of a slowing check or of a store's watch (`units` at or past slowing_until_):
// a leak if the series kept pace since s3 or since the array was full (slowing_from_), else
// bounded, and the detector's word on the rest, as after any check.
void RunMonitor::DecideSlowing(uint64_t units) {
  const TheilSen since = detector_->FitBetween(suspected_.name(), slowing_from_, units);
  last_retention_->set_slowing_checked_to(units);
  last_retention_->set_slope_checked_per_iteration(since.slope);
  v1::LeakResult leak = std::move(*slowing_result_);
  slowing_result_.reset();
  std::optional<v1::LeakResult> beside = std::move(beside_result_);
  beside_result_.reset();
  // Too few points past where the array settled for a slope: neither verdict yet.
  if (store_watch_ && detector_->PointsBetween(slowing_from_, units) < kStoreWatchPoints) {
    last_retention_->set_confirmed(false);
    last_retention_->set_undecided(true);
    last_retention_->set_finding(v1::RETENTION_FINDING_STORE_FILLING);
    last_retention_->set_reach(units + (units - slowing_from_));
    JudgeLeak(units);
    return;
  }
  if (store_watch_ ? StoreGrewOn(since, detector_->RiseBetween(suspected_.name(), slowing_from_, units),
                                 suspected_.min_effect())
                   : KeptPace(last_retention_->slope_after_per_iteration(), since)) {
    // Grown on past a full array: what holds the growth is not that array, so the leak is
    // named by the window's objects beside it, where they account for the growth.
    if (store_watch_ && beside && beside_rate_ >= kBesideShare * since.slope) leak = std::move(*beside);
    // Its rate is the growth past the full array: over [s1, s3] the array's own fill-up
    // was part of it (lru_meta_map_15k.js: ~400 B/iteration there, ~100 past it).
    if (store_watch_) {
      for (v1::LeakSeries& s : *leak.mutable_series()) {
        if (s.name() != suspected_.name()) continue;
        s.set_slope_per_iteration(since.slope);
        s.set_slope_low(since.low);
        s.set_slope_high(since.high);
      }
    }
    LeakVerdict(std::move(leak));
    return;
  }
  last_retention_->set_confirmed(false);
  last_retention_->set_finding(store_watch_ ? v1::RETENTION_FINDING_STORE_FILLED : v1::RETENTION_FINDING_SLOWED);
  // A fill that slowed, and a growth that went on past it at a pace of its own: that growth
  // is not the window's (GrewPastItsWindow).
  if (GrewOn(since) && CheckRegrowthOverWatch(slowing_from_, units)) return;
  JudgeLeak(units);
}

// "entries ID..." for the owners of the tables the check saw grow.
std::string RunMonitor::EntriesCommand() const {
  std::string line = "entries";
  for (const auto& [owner, bytes] : table_sizes_) absl::StrAppend(&line, " ", owner);
  return line;
}

// A watch from a reading that saw stores grow (reading_stores_) counts their owners'
// entries at its start, `from` (the driver waits there for the engine's word), and at the
// first after-GC checkpoint halfway to its end, `to` (LeakStep). Its end may be carried by
// those tables alone (TABLE_STEPPED) with no room left for a table's watch to about twice
// it: their entries over the watch then decide (WatchTable). heldbig_corpus 03 at 2,000 (a
// TTL cache beside a Set of request ids never trimmed), watched past a knee from ~91,000 to
// ~182,000, found the cache's window freed and the Set's table grown 8.45 MiB, with its
// check's limit reached: `inconclusive` in every run, while the Set's entries doubled over
// that very watch.
void RunMonitor::CountEntriesOverTheWatch(uint64_t from, uint64_t to) {
  entries_at_s3_ = entries_at_mid_ = TableEntries{};
  watch_counts_ = !reading_stores_.empty();
  if (!watch_counts_) return;
  table_sizes_ = reading_stores_;
  Command(EntriesCommand());
  table_mid_ = from + (to - from) / 2;
  mid_asked_ = false;
}

// Whether the running watch counted the owners of all of `tables` at its start: an owner
// it did not count could be what grew, so only then can the count say the tables stayed.
bool RunMonitor::CountedOverTheWatch(const std::map<uint64_t, uint64_t>& tables) const {
  if (!watch_counts_ || entries_at_s3_.units == 0 || tables.empty()) return false;
  for (const auto& [owner, bytes] : tables) {
    if (entries_at_s3_.owners.count(owner) == 0) return false;
  }
  return true;
}

// The driver's answers to "entries", in the order asked: at s3 (WatchTable), halfway to
// the fourth snapshot (LeakStep), and at it (JudgeTable); or at a watch's start, halfway
// and at its end (CountEntriesOverTheWatch, WatchTable).
void RunMonitor::OnEntries(const v1::DriverEvent& event) {
  if ((!table_result_ && !watch_counts_) || stop_sent_) return;
  TableEntries counted;
  counted.units = event.units();
  for (const v1::ObjectEntries& e : event.entries()) counted.owners[e.id()] = e.entries();
  if (entries_due_) {
    entries_due_ = false;
    DecideTable(counted);
  } else if (entries_at_s3_.units == 0) {
    entries_at_s3_ = std::move(counted);
  } else {
    entries_at_mid_ = std::move(counted);
  }
}

// A table's check at its end (table_checked_to): by the owners' entries where they were
// read (JudgeTableEntries), else by the tables' capacity (table_doubled_).
void RunMonitor::DecideTable(const TableEntries& entries_now) {
  const uint64_t units = last_retention_->table_checked_to();
  const TableEntriesFinding by_entries = JudgeTableEntries(entries_at_s3_, entries_at_mid_, entries_now);
  if (by_entries != TableEntriesFinding::kUnknown) {
    auto total = [](const TableEntries& t) {
      int64_t sum = 0;
      for (const auto& [owner, n] : t.owners) sum += std::max<int64_t>(0, n);
      return static_cast<uint64_t>(sum);
    };
    last_retention_->set_table_entries_at_s3(total(entries_at_s3_));
    last_retention_->set_table_owners(static_cast<uint32_t>(entries_at_s3_.owners.size()));
    last_retention_->set_table_entries_checked(total(entries_now));
    if (entries_at_s3_.units != last_retention_->s3()) {
      last_retention_->set_table_entries_counted_at(entries_at_s3_.units);
    }
  }
  const bool leak = by_entries == TableEntriesFinding::kGrew ||
                    (by_entries == TableEntriesFinding::kUnknown && table_doubled_.value_or(false));
  if (leak) {
    last_retention_->set_finding(by_entries == TableEntriesFinding::kGrew ? v1::RETENTION_FINDING_TABLE_ENTRIES_GREW
                                                                          : v1::RETENTION_FINDING_TABLE_DOUBLED);
    last_retention_->set_undecided(false);
    last_retention_->set_confirmed(true);
    v1::LeakResult r = std::move(*table_result_);
    table_result_.reset();
    LeakVerdict(std::move(r));
    return;
  }
  if (by_entries == TableEntriesFinding::kStayed) {
    last_retention_->set_finding(v1::RETENTION_FINDING_TABLE_ENTRIES_STAYED);
    last_retention_->set_undecided(false);
  } else if (table_doubled_.has_value() && units >= table_until_) {
    last_retention_->set_finding(v1::RETENTION_FINDING_TABLE_STOPPED);
    last_retention_->set_undecided(false);
  }
  // Otherwise it could not go on far enough, or the snapshot could not be read: undecided
  // (FinalLeakVerdict).
  table_result_.reset();
  // Bounded tables while the series grew on over the watch: that growth is not theirs. It
  // is the next check's suspicion, as after a window found freed (GrewPastItsWindow).
  const uint64_t s3 = last_retention_->s3();
  const TheilSen over_watch = detector_->FitBetween(suspected_.name(), s3, units);
  if (GrewOn(over_watch) && CheckRegrowthOverWatch(s3, units)) return;
  Command("stop");
  stop_sent_ = true;
}

// The leak a retention check confirmed (or, for a table, will confirm once it doubles
// again): the suspicion's result with the rate over [s1, s3], the culprits, the allocation
// sites and the retainer path from the third snapshot (still on disk).
v1::LeakResult RunMonitor::ConfirmedResult(const RetentionEvidence& e, bool table, SnapshotDiff* diff) {
  v1::LeakResult r = suspicion_;
  // The other series were judged on the suspicion's few points (too few for `no leak`: a
  // flat descriptor count read "inconclusive" beside a heap leak). Judged again on every
  // point up to s3, a `no leak` holds; a growth found only now stays undecided, unproven.
  const v1::LeakResult now = detector_->Evaluate(/*at_end=*/true);
  for (v1::LeakSeries& s : *r.mutable_series()) {
    if (s.verdict() != v1::LEAK_VERDICT_INCONCLUSIVE) continue;
    for (const v1::LeakSeries& later : now.series()) {
      if (later.name() == s.name() && later.verdict() == v1::LEAK_VERDICT_NO_LEAK) s = later;
    }
  }
  for (v1::LeakSeries& s : *r.mutable_series()) {
    if (s.verdict() != v1::LEAK_VERDICT_LEAK) continue;
    // Descriptors and handles leak by their trend (their evidence says so already).
    if (s.unit() != "bytes") continue;
    // Another series than the one the check tested: a leak only while it still grows over
    // the check's span.
    if (s.name() != suspected_.name() && detector_->PointsBetween(e.s1, e.s3) >= 4 &&
        !StillLeaksOverTheCheck(detector_->FitBetween(s.name(), e.s1, e.s3), s.min_effect())) {
      s.set_verdict(v1::LEAK_VERDICT_INCONCLUSIVE);
      s.clear_evidence();
      continue;
    }
    s.set_evidence("retention");
    // The rate of a confirmed leak is read over [s1, s3], the longest stretch now known to
    // leak (s3 >= 8 s2), not over the few points that made it suspect, where one step of a
    // growing array's elements store weighs most (a ~10 B/iteration leak was suspected at
    // 20-90 B/iteration and grows at 9 over [s1, s3]). Past a knee (WatchPastTheKnee), over
    // the later part alone: before it a structure was filling beside the leak
    // (fillpast_corpus 04: 930 B/iteration over [898, 104,247], 54.8 past its LRU's fill).
    const uint64_t rate_from = past_knee_ && s.name() == suspected_.name() ? e.later : e.s1;
    if (detector_->PointsBetween(rate_from, e.s3) >= 4) {
      const TheilSen fit = detector_->FitBetween(s.name(), rate_from, e.s3);
      s.set_slope_per_iteration(fit.slope);
      s.set_slope_low(fit.low);
      s.set_slope_high(fit.high);
      // A table grows by doubling: flat between its steps, so the median slope over a span
      // with one step is about 0 (table corpus leak_slow_set.js: 0.15 B/iteration, with its
      // table grown 300 KiB over [2,811, 34,472]). Its rate is its rise over the span.
      if (table) {
        const double rise =
            detector_->RiseBetween(s.name(), rate_from, e.s3) / static_cast<double>(e.s3 - rate_from);
        s.set_slope_per_iteration(std::max(fit.slope, rise));
        s.set_slope_high(std::max(fit.high, rise));
      }
    }
  }
  // A table's leak: its owner first (the growth of its table; the window's few survivors
  // are what any run leaves).
  if (table) {
    for (v1::LeakCulprit& c : diff->table_culprits) *r.add_culprits() = std::move(c);
  }
  for (v1::LeakCulprit& c : diff->culprits) *r.add_culprits() = std::move(c);
  // Valid UTF-8 already: protobuf's JSON parser rejects a telemetry line that is not.
  PickRetainedLines(diff->placed, &retention_sites_);
  MergeSameLines(&store_sites_);
  // An array's elements store or a table that grew was reallocated after s2: its sites are
  // the later samples' calls that grow an array or a table (what they store). They follow
  // the window's sites, and go first when no site of the window has a line the evidence
  // supports (none sampled: a few small objects no sample hit; only FUNCTION: an array of
  // small integers, where the store is all).
  const bool window_lined = std::any_of(retention_sites_.begin(), retention_sites_.end(), SiteHasLine);
  if (!window_lined) {
    for (v1::AllocationSite& site : store_sites_) *r.add_allocation_sites() = std::move(site);
  }
  for (v1::AllocationSite& site : retention_sites_) *r.add_allocation_sites() = std::move(site);
  if (window_lined && (diff->backing_growth_bytes > 0 || diff->table_growth_bytes > 0)) {
    for (v1::AllocationSite& site : store_sites_) *r.add_allocation_sites() = std::move(site);
  }
  // A table's leak, or one whose stores grew more per iteration than the window's objects
  // that survived: the path to the store (its owner for a table or an array; a string or a
  // Buffer's data replaced by a bigger one, itself).
  const double window = static_cast<double>(std::max<uint64_t>(1, e.s2 - e.s1));
  const double span = static_cast<double>(std::max<uint64_t>(1, e.s3 - e.s1));
  const bool by_store = table || diff->reallocated || diff->representative_id == 0 ||
                        static_cast<double>(diff->backing_growth_bytes) / span >
                            static_cast<double>(diff->program_bytes) / window;
  const uint64_t representative =
      by_store && diff->store_owner_id != 0 ? diff->store_owner_id : diff->representative_id;
  if (representative != 0) {
    absl::StatusOr<std::vector<std::string>> steps = ShortestRetainerPath(retention_files_[2], representative);
    if (steps.ok()) {
      // All hops in `steps`; the text from the user's module on.
      for (const std::string& step : *steps) r.mutable_retainer_path()->add_steps(step);
      r.mutable_retainer_path()->set_text(RetainerPathText(*steps, kPathTextHops));
    } else {
      HS_LOG(WARNING) << "retainer path: " << steps.status().message();
    }
  }
  r.set_summary_kind(v1::LEAK_SUMMARY_KIND_RETENTION_CONFIRMED);
  return r;
}

// A retention check carried by a table alone (TABLE_STEPPED). A leaking table took its last
// step in [LaterPartFrom, s3], at about twice the entries of the one before; it doubles
// again by about 2 s3, as its entries do. A bounded one with deletions stays at its
// capacity. A fourth snapshot there tells them apart by the tables themselves (the heap
// series moves by as much as a small table's step on its own: ~100 KB as the driver reads
// its allocation profile at s3). Short of it (the check's limit, with the module's own time
// allowed to TableWatchMs; the time limit), as far as the run may go: a leak that doubled
// by then is found; one that did not yet stays undecided (JudgeTable).
void RunMonitor::WatchTable(const RetentionEvidence& e, const std::map<uint64_t, uint64_t>& tables,
                            v1::LeakResult leak) {
  table_result_ = std::move(leak);
  table_until_ = 2 * e.s3 + (e.s3 - e.later) / 8;
  last_retention_->set_reach(table_until_);
  const bool counted = CountedOverTheWatch(tables);
  watch_counts_ = false;
  const uint64_t s4 = std::min(table_until_, CheckCap(TableWatchMs(work_at_)));
  if (s4 <= e.s3) {
    // No room to go on. At the end of a watch that counted these tables' owners from its
    // start, their entries now decide (OnEntries, DecideTable); else the run ends here,
    // undecided (FinalLeakVerdict).
    if (counted) {
      last_retention_->set_table_checked_to(e.s3);
      table_doubled_.reset();
      entries_due_ = true;
      Command(EntriesCommand());
      return;
    }
    table_result_.reset();
    AnswerAtBudget(e.s3, detector_->Evaluate());
    return;
  }
  table_sizes_ = tables;
  // The owners' entries now (the driver waits at s3 for the engine's word), to be read again
  // at s4 (DecideTable).
  entries_at_s3_ = entries_at_mid_ = TableEntries{};
  if (!table_sizes_.empty()) Command(EntriesCommand());
  table_mid_ = e.s3 + (s4 - e.s3) / 2;
  mid_asked_ = table_sizes_.empty();
  ExtendTo(s4);
  Command(absl::StrCat("snapshot_at ", s4, " none ", SnapshotFile(4)));
}

void RunMonitor::FinishRetention() {
  retaining_ = false;
  reach_sites_ = retention_sites_;
  reach_store_sites_ = store_sites_;
  RetentionEvidence e;
  e.s1 = retention_units_[0];
  e.s2 = retention_units_[1];
  e.s3 = retention_units_[2];
  // The growth still there at the end of the check: its later part (LaterPartFrom). A
  // fill-up or flush period that ended during the check is flat there (a TTL map's table,
  // an LRU that filled); a leak grows to the end. With too few checkpoints there, the
  // whole of [s2, s3].
  e.later = LaterPartFrom(e.s2, e.s3);
  if (detector_->PointsBetween(e.later, e.s3) < 4) e.later = e.s2;
  // A watch's end (s4, or s5 past a knee): the reading it went on from (last_retention_, not
  // yet this one) confirmed the window.
  e.confirmed_before = reach_from_ > 0 && last_retention_ && last_retention_->confirmed();
  const TheilSen after = detector_->FitBetween(suspected_.name(), e.later, e.s3);
  // Its two halves, where a knee would show (HoldsAKnee).
  const uint64_t half = e.later + (e.s3 - e.later) / 2;
  const LaterPartFits later{after, detector_->FitBetween(suspected_.name(), e.later, half),
                            detector_->FitBetween(suspected_.name(), half, e.s3)};
  e.slope_after = after.slope;
  e.past_knee = past_knee_;
  e.rise_after = detector_->RiseBetween(suspected_.name(), e.later, e.s3);
  e.decides = plan_.decides;
  e.reach = plan_.reach;
  // A watch's end reads the stores against the check's own reading (its first s3), however
  // many watches went before: a store that stopped growing there stays out at every later
  // end, as it would not against the last watch's end, which no longer listed it.
  StoresAtReading last;
  if (reach_from_ > 0 && check_reading_.before > 0 && e.s3 > e.s1 + check_reading_.before) {
    last = check_reading_;
    last.since = e.s3 - (e.s1 + check_reading_.before);
  }
  absl::StatusOr<SnapshotDiff> diff = DiffSnapshots(retention_files_[0], retention_files_[1], retention_files_[2],
                                                    kCulpritLimit, ReplacedGrowthBetween(e.s1, e.s2, e.s3), last);
  if (reach_from_ == 0 && diff.ok()) check_reading_ = {diff->grown_arrays, diff->grown_tables, e.s3 - e.s1, 0};
  reading_stores_.clear();
  if (diff.ok()) {
    reading_stores_ = diff->grown_tables;
    reading_stores_.insert(diff->grown_arrays.begin(), diff->grown_arrays.end());
  }
  // Snapshots are large: gone once read, whatever the outcome. The files are this check's
  // as they are now: a check that ends here may start the next one, which clears them.
  absl::Cleanup remove = [this, files = retention_files_] {
    // s1's and s2's stay while the confirmation is watched on (WatchReach).
    for (size_t i = 0; i < files.size(); ++i) {
      if (!reach_result_ || i == 2) unlink(files[i].c_str());
    }
  };
  if (!diff.ok()) {
    HS_LOG(WARNING) << "heap snapshot diff: " << diff.status().message();
    v1::LeakResult r = suspicion_;
    r.set_verdict(v1::LEAK_VERDICT_INCONCLUSIVE);
    r.set_summary_kind(v1::LEAK_SUMMARY_KIND_RETENTION_FAILED);
    r.set_retention_error(std::string(diff.status().message()));
    LeakVerdict(std::move(r));
    return;
  }
  e.program_bytes = diff->program_bytes;
  e.program_native_bytes = diff->program_native_bytes;
  if (window_sampled_) {
    e.sampled = true;
    e.sampled_bytes = window_sampled_->bytes();
    e.sampled_error = window_sampled_->bytes_error();
  }
  e.v8_internal_bytes = diff->v8_internal_bytes;
  e.backing_growth_bytes = diff->backing_growth_bytes;
  e.array_growth_bytes = diff->array_growth_bytes;
  e.table_growth_bytes = diff->table_growth_bytes;
  e.table_growth_after_bytes = diff->table_growth_after_bytes;
  v1::LeakRetention retention = ConfirmByRetention(suspected_, e);
  retention.set_stretched_from(reach_from_);
  if (last_retention_) {
    earlier_checks_.push_back(*last_retention_);
    earlier_series_.push_back(last_series_);
  }
  last_retention_ = retention;
  last_series_ = suspected_.name();
  v8_internal_rate_ = retention.v8_internal_bytes_per_iteration();
  // The watch's end (WatchReach) goes on once more where its later part holds a knee; so
  // does a check's s3 whose freed window kept more than the bar past one (KeptPastAKnee),
  // unless the growth past it is the next check's (GrewPastItsWindow).
  const bool knee = reach_from_ > 0 ? GoesOnPastAKnee(retention, later)
                                    : !GrewPastItsWindow(retention, after) && KeptPastAKnee(retention, later);
  if (knee && !past_knee_ && WatchPastTheKnee(e, std::max(0.0, after.slope))) return;
  const bool table = retention.finding() == v1::RETENTION_FINDING_TABLE_STEPPED;
  if (retention.confirmed()) {
    std::vector<v1::AllocationSite> sites, store_sites;
    if (diff->fixed_store) {
      sites = retention_sites_;
      store_sites = store_sites_;
    }
    v1::LeakResult leak = ConfirmedResult(e, table, &*diff);
    if (diff->fixed_store && WatchStore(e, *diff->fixed_store, leak)) {
      beside_result_ = BesideTheStore(e, *diff, std::move(sites), std::move(store_sites));
      return;
    }
    // Its array is full only past the run's reach: undecided (FinalLeakVerdict), unless
    // another series is suspected.
    if (!last_retention_->confirmed()) {
      JudgeLeak(e.s3);
      return;
    }
    if (!WatchSlowing(e, leak) && !WatchReach(e, leak) && !WatchTheOtherHalf(e, leak, std::max(0.0, after.slope))) {
      LeakVerdict(std::move(leak));
    }
    return;
  }
  if (table) {
    WatchTable(e, reading_stores_, ConfirmedResult(e, table, &*diff));
    return;
  }
  // Freed, while the growth the reading before it saw went on at its pace: a queue that
  // takes in more than it releases (GrowsByTurnover).
  if (ConfirmByTurnover(e, later)) return;
  // Found bounded while it went on growing: that growth is not the window's. A series no
  // check has tested goes first (a Buffer's data growing beside a heap that regrew:
  // buffer_concat.js); else that growth is the next check's suspicion (CheckRegrowth).
  // Untested, FinalLeakVerdict does not call it bounded.
  // A window too short to tell (WINDOW_SHORT) is checked again the same way, over a window
  // sized for the growth (MinRetentionWindow); its growth was judged with the window.
  const bool judged = GrewOn(after) && retention.finding() == v1::RETENTION_FINDING_WINDOW_SHORT;
  if (!OtherSuspect(e.s3) && CheckRegrowth(e, judged)) return;
  // Or it grew on under RegrowthBar: watched on, that growth may clear it (WatchRegrowth).
  if (!regrown_ && WatchRegrowth(e, after)) return;
  // Not retained, or retained short of its reach: the verdict is FinalLeakVerdict's, once
  // the run ends (past the budget, told to now), unless a series is suspected that no check
  // has tested.
  JudgeLeak(e.s3);
}

// A check that found its window freed while the growth the reading before it on the same
// series saw (not a leak) went on at its pace (GrowsByTurnover): a leak when the
// program's objects allocated after s2 and alive at s3 carry that growth (the snapshots at
// s2 and s3 read as a window and its end: TurnoverCarriesTheGrowth). Those objects are the
// culprits, their sites the sampler's after s2 (young_sites_), and the retainer path leads
// to one of them. False, and nothing changed, otherwise.
bool RunMonitor::ConfirmByTurnover(const RetentionEvidence& e, const LaterPartFits& later) {
  // The reading before it on this series (a check on another series may lie between them).
  const v1::LeakRetention* before = EarlierCheckOn(suspected_.name());
  if (before == nullptr || !GrowsByTurnover(*before, *last_retention_, later)) return false;
  absl::StatusOr<SnapshotDiff> young = DiffSnapshots(retention_files_[1], retention_files_[2], retention_files_[2]);
  if (!young.ok()) {
    HS_LOG(WARNING) << "heap snapshot diff (objects after s2): " << young.status().message();
    return false;
  }
  if (!TurnoverCarriesTheGrowth(young->program_bytes, e.s2, e.s3, later.whole.slope)) return false;
  last_retention_->set_finding(v1::RETENTION_FINDING_TURNOVER);
  last_retention_->set_confirmed(true);
  last_retention_->set_young_bytes_per_iteration(static_cast<double>(young->program_bytes) /
                                                 static_cast<double>(e.s3 - e.s2));
  last_retention_->set_turnover_freed_s1(before->s1());
  last_retention_->set_turnover_freed_s2(before->s2());
  last_retention_->set_turnover_freed_s3(before->s3());
  retention_sites_ = young_sites_;
  LeakVerdict(ConfirmedResult(e, /*table=*/false, &*young));
  return true;
}

// The last check before the running (or last) one that tested `series`; null if none did.
const v1::LeakRetention* RunMonitor::EarlierCheckOn(const std::string& series) const {
  for (size_t i = earlier_checks_.size(); i > 0; --i) {
    if (earlier_series_[i - 1] == series) return &earlier_checks_[i - 1];
  }
  return nullptr;
}

// The last check that tested `series`; null if none did.
const v1::LeakRetention* RunMonitor::LastCheckOn(const std::string& series) const {
  if (last_retention_ && last_series_ == series) return &*last_retention_;
  return EarlierCheckOn(series);
}

// The growth per iteration a series found bounded by its last check had to show past that
// check's window to be tested again (RegrowthBar, over the span up to where it was watched
// to): a backlog whose objects die, or a leak that starts after the window, is seen only
// through that growth, so a `no leak` of the series states it as its limit where it is
// higher. 0 where the series' last check found no bounded window.
double RunMonitor::RegrowthLimit(const std::string& series) const {
  const v1::LeakRetention* t = LastCheckOn(series);
  if (t == nullptr || t->confirmed() || !FoundBounded(t->finding())) return 0;
  return RegrowthBar(t->s1(), std::max(t->s3(), t->regrowth_checked_to()));
}

// A check found its window bounded while the series grew over its later part (`after`)
// provably, yet under RegrowthBar: the run goes on, without snapshots, to where that growth
// would clear the bar twice over (RegrowthWatchTo), within the check's limit, and the
// growth there decides (DecideRegrowth). False without such a growth, room, or a check
// left to make; or when a series no check has tested goes first.
bool RunMonitor::WatchRegrowth(const RetentionEvidence& e, const TheilSen& after) {
  const v1::LeakRetention& t = *last_retention_;
  if (!FoundBounded(t.finding()) || t.finding() == v1::RETENTION_FINDING_WINDOW_SHORT ||
      retention_checks_ >= kMaxRetentionChecks || OtherSuspect(e.s3)) {
    return false;
  }
  const uint64_t until = RegrowthWatchTo(t.s1(), e.s3, after, CheckCap());
  if (until == 0) return false;
  regrowth_from_ = e.s3;
  regrowth_until_ = until;
  regrowth_slope_ = after.slope;
  ExtendTo(until);
  return true;
}

// The end of a growth's watch past a bounded window (WatchRegrowth), at `units`: the growth
// over the watch past s3 is the next check's suspicion where it cleared RegrowthBar over the
// longer span and kept pace (RegrowsOverTheWatch); else the check's finding stands, and the
// detector's word on the rest, as after any check. s3's own point is left out: the third
// snapshot lifts the points after it (~240 KB in backlog_corpus/07).
void RunMonitor::DecideRegrowth(uint64_t units) {
  const uint64_t past_s3 = regrowth_from_ + 1;
  regrowth_until_ = 0;
  const TheilSen since = detector_->FitBetween(suspected_.name(), past_s3, units);
  last_retention_->set_regrowth_checked_to(units);
  last_retention_->set_regrowth_per_iteration(since.slope);
  if (RegrowsOverTheWatch(since, last_retention_->s1(), units, regrowth_slope_)) {
    SuspectRegrowth(since);
    if (CheckRegrowthOverWatch(past_s3, units)) return;
  }
  JudgeLeak(units);
}

// How far a leak check may go where the module's iterations are cheap (CheapReach, from
// its own time at the after-GC points so far); 0 under `stretch: false`, whose checks end
// within kRetentionMaxOverrun budgets.
uint64_t RunMonitor::CheapUnits(double allowed_ms) const {
  return setup_.scenario->leak_check().stretch() ? CheapReach(work_at_, allowed_ms) : 0;
}

// The furthest a leak check may go now (CheckLimit), the module's own time allowed to
// `allowed_ms` (kKneeCheckMs for a watch past a knee, TableWatchMs for a table's watch).
uint64_t RunMonitor::CheckCap(double allowed_ms) const {
  return CheckLimit(setup_.scenario->leak_check().iterations(), ReachableUnits(), CheapUnits(allowed_ms));
}

// The furthest iteration a retention check may plan for: 80% of the time left before the
// scenario's time limit, at the rate of iterations since the first checkpoint after setup
// (0 for no limit of time). That rate is the slower one: checkpoints are densest early. Should it still fall
// short, Watch() stops the run at 90% of the limit.
uint64_t RunMonitor::ReachableUnits() const {
  if (limits_.timeout_ms() == 0) return 0;
  const absl::Time now = absl::Now();
  const absl::Time from = rate_from_ == absl::InfiniteFuture() ? setup_.start : rate_from_;
  const double elapsed_s = absl::ToDoubleSeconds(now - from);
  const double left_s = absl::ToDoubleSeconds(deadline_ - now);
  if (elapsed_s <= 0 || left_s <= 0 || seen_.units <= rate_from_units_) return std::max<uint64_t>(1, seen_.units);
  const double rate = static_cast<double>(seen_.units - rate_from_units_) / elapsed_s;
  return seen_.units + static_cast<uint64_t>(std::min(1e15, rate * left_s * 0.8));
}

void RunMonitor::OnCheckpoint(v1::Checkpoint* c) {
  if (!reaped_) {
    c->set_outside_rss_bytes(SampleOutside(absl::Now()));
    if (setup_.cgroup != nullptr) {
      c->set_cgroup_usage_bytes(setup_.cgroup->Usage());
      c->set_cgroup_anon_bytes(setup_.cgroup->AnonUsage());
    }
  }
  seen_.units = std::max<uint64_t>(seen_.units, c->units());
  // The driver's own count (after forced GCs, and open_connections' points): the process
  // may be gone by the time its last checkpoint is read, and /proc with it.
  seen_.peak_fds = std::max(seen_.peak_fds, c->descriptors());
  if (c->units() > 0 && rate_from_ == absl::InfiniteFuture()) {
    rate_from_ = absl::Now();
    rate_from_units_ = c->units();
  }
  series_->checkpoints.Add(*c);
  seen_.fit_units.push_back(static_cast<double>(c->units()));
  seen_.fit_heap.push_back(static_cast<double>(c->heap_used_bytes()));
  seen_.fit_external.push_back(static_cast<double>(c->external_bytes()));
  seen_.fit_rss.push_back(static_cast<double>(c->rss_bytes()));
  v1::RunResult& p = seen_.peaks;
  p.set_peak_heap_used_bytes(std::max(p.peak_heap_used_bytes(), c->heap_used_bytes()));
  p.set_peak_heap_total_bytes(std::max(p.peak_heap_total_bytes(), c->heap_total_bytes()));
  p.set_peak_external_bytes(std::max(p.peak_external_bytes(), c->external_bytes()));
  p.set_peak_array_buffers_bytes(std::max(p.peak_array_buffers_bytes(), c->array_buffers_bytes()));
  seen_.peak_rss = std::max(seen_.peak_rss, c->rss_bytes());
  for (const v1::HeapSpace& s : c->spaces()) {
    uint64_t& peak = seen_.peak_spaces[s.name()];
    peak = std::max(peak, s.used_bytes());
  }
  seen_.last_gc = c->gc();
  LeakStep(*c);
  if (setup_.on_checkpoint) setup_.on_checkpoint(*c);
  // The driver of a leak check waits for this word on each after-GC point: what the point
  // made the engine decide is on its way first, so a check starts where it was planned to,
  // however busy the machine or the engine's thread.
  if (detector_ && c->after_gc() && !stop_sent_) Command(absl::StrCat("seen ", c->units()));
}

void RunMonitor::HandleEvent(const std::string& line) {
  DriverLine decoded = DecodeDriverLine(line);
  if (decoded.kind == DriverLine::Kind::kUnits) {
    seen_.units = std::max(seen_.units, decoded.units);
    // The peaks between checkpoints: a run that died before its next one had read only half
    // its heap (27.4Mi of a 48Mi old space it filled, so max_heap_used: 40Mi passed).
    v1::RunResult& p = seen_.peaks;
    p.set_peak_heap_used_bytes(std::max(p.peak_heap_used_bytes(), decoded.heap_used_bytes));
    p.set_peak_external_bytes(std::max(p.peak_external_bytes(), decoded.external_bytes));
    return;
  }
  if (decoded.kind == DriverLine::Kind::kUnreadable) {
    // Once per run: a module that writes to fd 3 itself wrote 30 of these in 3,000
    // iterations (its lines mixed into the driver's are lost, the run goes on).
    if (unreadable_lines_++ == 0) {
      HS_LOG(WARNING) << "unreadable telemetry line from the driver (does the module write to fd 3, which "
                         "is heapstorm's?): "
                      << ValidUtf8(absl::string_view(line).substr(0, 200));
    }
    return;
  }
  v1::DriverEvent& event = decoded.event;
  switch (event.type()) {
    case v1::DRIVER_EVENT_TYPE_CHECKPOINT:
      OnCheckpoint(event.mutable_checkpoint());
      break;
    case v1::DRIVER_EVENT_TYPE_LISTENING:
      if (setup_.scenario->has_open_connections() && !clients_) {
        clients_ = std::make_unique<ConnectionClients>(static_cast<uint16_t>(event.port()),
                                                       setup_.scenario->open_connections(),
                                                       [this] { clients_settled_ = true; });
      }
      break;
    case v1::DRIVER_EVENT_TYPE_SNAPSHOT:
      if (event.has_gc()) seen_.last_gc = event.gc();
      OnSnapshot(event);
      // The driver waits for this word after a retention check's first and second
      // snapshots: the plan of the next one came before it, so the next point is set from it.
      if (detector_ && !stop_sent_) Command("snapshot_seen");
      break;
    case v1::DRIVER_EVENT_TYPE_ENTRIES:
      OnEntries(event);
      break;
    case v1::DRIVER_EVENT_TYPE_GC:
      seen_.last_gc = event.gc();
      break;
    case v1::DRIVER_EVENT_TYPE_DONE:
      if (event.has_gc()) seen_.last_gc = event.gc();
      seen_.driver_done = true;
      seen_.units = std::max<uint64_t>(seen_.units, event.units());
      seen_.done = std::move(event);
      break;
    default:  // hello, and types this build does not know
      break;
  }
}

void RunMonitor::Drain(int* fd, bool is_telemetry) {
  if (*fd < 0) return;
  char buffer[65536];
  while (true) {
    ssize_t n = read(*fd, buffer, sizeof(buffer));
    if (n > 0) {
      if (fd == setup_.err_fd) {
        series_->stderr_text.Append(absl::string_view(buffer, static_cast<size_t>(n)));
      } else if (is_telemetry) {
        telemetry_buffer_.append(buffer, static_cast<size_t>(n));
        size_t newline;
        while ((newline = telemetry_buffer_.find('\n')) != std::string::npos) {
          HandleEvent(telemetry_buffer_.substr(0, newline));
          telemetry_buffer_.erase(0, newline + 1);
        }
        if (telemetry_buffer_.size() > kMaxTelemetryLine) telemetry_buffer_.clear();
      }
      continue;
    }
    if (n == 0) CloseFd(fd);  // EOF
    return;                   // EAGAIN or EOF
  }
}

MonitoredRun RunMonitor::Watch() {
  absl::Time reaped_at;
  while (true) {
    absl::Time now = absl::Now();
    if (!reaped_) {
      if (now >= next_sample_) {
        Drain(setup_.telemetry_fd, true);  // the unit count as of this sample
        next_sample_ = now + sample_every_;
        SampleOutside(now);  // the watchdog may bring next_sample_ closer
      }
      if (now >= deadline_) Kill(v1::HARNESS_KILL_TIMEOUT);
      // A leak check at or past the budget (a retention check, or an undecided one going
      // on) that the time limit is about to cut short: ended undecided (FinalLeakVerdict),
      // never a timeout of the scenario.
      if (detector_ && !stop_sent_ && limits_.timeout_ms() > 0 &&
          seen_.units >= setup_.scenario->leak_check().iterations() && now - setup_.start >= 0.9 * absl::Milliseconds(limits_.timeout_ms())) {
        Command("stop");
        stop_sent_ = true;
      }
      if (setup_.cancel != nullptr && setup_.cancel->load()) {
        seen_.cancelled = true;
        Kill(v1::HARNESS_KILL_CANCELLED);
      }
      if (clients_settled_ && !told_clients_done_) {
        told_clients_done_ = true;
        Command(absl::StrCat("clients_done ", clients_->counts().connected));
      }
    }

    std::vector<pollfd> fds;
    for (int* fd : {setup_.out_fd, setup_.err_fd, setup_.telemetry_fd}) {
      if (*fd >= 0) fds.push_back({*fd, POLLIN, 0});
    }
    if (!reaped_ && pidfd_ >= 0) fds.push_back({pidfd_, POLLIN, 0});
    absl::Duration wait =
        reaped_ ? absl::Milliseconds(20) : std::min(next_sample_, deadline_) - absl::Now();
    if (!reaped_ && pidfd_ < 0) wait = std::min(wait, absl::Milliseconds(5));
    int timeout_ms = static_cast<int>(std::max<int64_t>(0, absl::ToInt64Milliseconds(wait)));
    if (!reaped_ && wait > absl::ZeroDuration() && timeout_ms == 0) timeout_ms = 1;
    if (fds.empty() && reaped_) break;
    int n = poll(fds.data(), fds.size(), timeout_ms);
    if (n < 0 && errno != EINTR) break;
    Drain(setup_.out_fd, false);
    Drain(setup_.err_fd, false);
    Drain(setup_.telemetry_fd, true);

    if (!reaped_ && setup_.launcher->TryReap(setup_.pid, &seen_.exit)) {
      reaped_ = true;
      reaped_at = absl::Now();
      // What left node's process group: the cgroup's members, and (without a cgroup) the
      // tree last sampled. Killed, then reaped when they were re-parented to us.
      std::vector<int> strays = setup_.cgroup != nullptr ? setup_.cgroup->Pids() : std::vector<int>();
      for (const TreeProcess& p : seen_.last_tree) {
        if (p.pid != setup_.pid) strays.push_back(p.pid);
      }
      // Without a native limit neither holds them: a daemon the module started with
      // `setsid` outlived the run (a new user's `sleep`s, re-parented to init).
      for (int p : MarkedStrays()) strays.push_back(p);
      for (int p : strays) setup_.launcher->KillGroup(p, SIGKILL);
      for (int p : strays) setup_.launcher->ReapStray(p);
    }
    if (reaped_) {
      // The pipes close when the last holder exits; do not wait long for stragglers.
      bool open = *setup_.out_fd >= 0 || *setup_.err_fd >= 0 || *setup_.telemetry_fd >= 0;
      if (!open || absl::Now() - reaped_at > absl::Milliseconds(500)) break;
    }
  }
  clients_.reset();
  seen_.end = absl::Now();
  seen_.peak_rss = std::max(seen_.peak_rss, seen_.exit.max_rss_bytes);
  seen_.stderr_text = series_->stderr_text.Text();
  seen_.checkpoints = series_->checkpoints.Items();
  seen_.samples = series_->samples.Items();
  // A check that slowed and was cut short (the time limit, the process) stays confirmed.
  if (detector_ && !seen_.leak && slowing_result_) seen_.leak = WithRetention(std::move(*slowing_result_));
  // So does a confirmation whose watch on to a fourth snapshot was cut short.
  if (detector_ && !seen_.leak && reach_result_) seen_.leak = WithRetention(std::move(*reach_result_));
  if (detector_ && !seen_.leak) seen_.leak = FinalLeakVerdict();
  return std::move(seen_);
}

}  // namespace heapstorm
