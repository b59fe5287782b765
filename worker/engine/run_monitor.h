// Watches one launched node process until it ends: drains its stdout, stderr and telemetry
// pipes continuously (node loses pipe output on abort otherwise), samples /proc and the
// cgroup from outside, keeps the native-limit watchdog and the time limit, serves the
// open_connections clients and the leak check's commands, and reaps the process group.
// What it saw is returned as a MonitoredRun for the engine to classify; it decides nothing.
#ifndef HEAPSTORM_WORKER_ENGINE_RUN_MONITOR_H_
#define HEAPSTORM_WORKER_ENGINE_RUN_MONITOR_H_

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "model/limits.h"
#include "proto/result.pb.h"
#include "proto/suite.pb.h"
#include "proto/telemetry.pb.h"
#include "worker/engine/connection_clients.h"
#include "worker/engine/heap_snapshot.h"
#include "worker/engine/leak_detector.h"
#include "worker/engine/memory_cgroup.h"
#include "worker/engine/proc_sampler.h"
#include "worker/engine/process_launcher.h"

namespace heapstorm {

// What is being watched. Pointers are not owned and must outlive Watch().
struct MonitorSetup {
  ProcessLauncher* launcher = nullptr;
  pid_t pid = 0;
  MemoryCgroup* cgroup = nullptr;  // null without one
  v1::LimitMechanism mechanism = v1::LIMIT_MECHANISM_NONE;
  const v1::Scenario* scenario = nullptr;
  std::string run_dir;
  // "NAME=VALUE" in node's environment, inherited by the run's processes: those left when
  // the run ends are killed (PidsWithEnvironment). Empty: none.
  std::string environment_marker;
  absl::Time start;
  // The node side of stdin (commands), and the read ends of stdout, stderr and telemetry.
  // The monitor closes a read end at EOF and sets it to -1.
  int control_fd = -1;
  int* out_fd = nullptr;
  int* err_fd = nullptr;
  int* telemetry_fd = nullptr;
  // Bounds on the series kept.
  int max_checkpoints = kMaxResultCheckpoints;
  int max_samples = kMaxResultSamples;
  // Progress, called for every checkpoint; may be empty.
  std::function<void(const v1::Checkpoint&)> on_checkpoint;
  // When it becomes true the run is killed. May be null.
  const std::atomic<bool>* cancel = nullptr;
};

// Everything the monitor saw.
struct MonitoredRun {
  ExitInfo exit;
  absl::Time end;
  bool cancelled = false;
  v1::HarnessKill harness_kill = v1::HARNESS_KILL_NONE;
  std::string stderr_text;  // head and tail of a long one
  bool driver_done = false;
  v1::DriverEvent done;     // the driver's "done" event
  uint64_t units = 0;       // completed units: the driver's unit counter, checkpoints, "done"
  uint64_t peak_rss = 0;
  uint32_t peak_fds = 0;
  v1::RunResult peaks;      // the peak_* fields only
  std::map<std::string, uint64_t> peak_spaces;
  v1::GcStats last_gc;
  std::vector<v1::Checkpoint> checkpoints;    // thinned evenly to the bound
  std::vector<v1::OutsideSample> samples;     // likewise
  // Every checkpoint's units and memory, for the per-unit fits.
  std::vector<double> fit_units, fit_heap, fit_external, fit_rss;
  // The run's process tree (node and its descendants; with a cgroup, its members) at the
  // last sample that found it, and at its largest. Sampled only with a native limit.
  std::vector<TreeProcess> last_tree;
  uint64_t peak_tree_bytes = 0;
  TreeProcess watchdog_victim;                // the largest process when the watchdog fired
  // When the watchdog fired: the units at which the tree crossed the limit, interpolated
  // between the last sample under it and the first over it (the driver goes on between
  // two samples, so the units at the kill overshoot the break). 0 when unknown.
  uint64_t units_at_watchdog_limit = 0;
  std::optional<v1::LeakResult> leak;         // with a leak check
  std::vector<std::string> snapshots;         // heap snapshots written (retention checks)
};

class RunMonitor {
 public:
  explicit RunMonitor(MonitorSetup setup);
  ~RunMonitor();

  RunMonitor(const RunMonitor&) = delete;
  RunMonitor& operator=(const RunMonitor&) = delete;

  // Watches until the process has been reaped and its pipes are drained (or 500 ms past
  // its end), then returns what it saw. Call once.
  MonitoredRun Watch();

  // Heap snapshots of one retention check (s1, s2, s3), and how many checks a run may make:
  // three in all (its s3 is the end of the budget, or past it, see PlanRetention). A later
  // one tests a series no check tested (a Buffer's data growing while the heap's suspicion
  // was bounded), then the growth a check saw past its freed window (GrewPastItsWindow):
  // buffer_concat.js checks its heap, then its native series, before the heap's regrowth.
  static constexpr int kSnapshots = 3;
  static constexpr int kMaxRetentionChecks = 3;

 private:
  void Kill(v1::HarnessKill why);
  std::vector<int> MarkedStrays() const;
  int unreadable_lines_ = 0;  // telemetry lines not the driver's (warned once)
  uint64_t SampleOutside(absl::Time now);
  void SampleTreeAndWatch(absl::Time now);
  void Drain(int* fd, bool is_telemetry);
  void HandleEvent(const std::string& line);
  void OnCheckpoint(v1::Checkpoint* c);
  void LeakStep(const v1::Checkpoint& c);
  void JudgeLeak(uint64_t units);
  void StartRetention(const v1::LeakSeries& suspect, v1::LeakResult suspicion, uint64_t window, bool now);
  void AskForFirstSnapshot();
  bool CheckRegrowth(const RetentionEvidence& e, bool judged = false);
  bool GrewOn(const TheilSen& fit);
  void SuspectRegrowth(const TheilSen& fit);
  bool CheckRegrowthOverWatch(uint64_t from, uint64_t units);
  bool OtherSuspect(uint64_t units) const;
  bool RoomForCheck(uint64_t units, const v1::LeakSeries& suspect) const;
  v1::LeakSeries AtItsRecentSlope(const v1::LeakSeries& suspect, uint64_t units) const;
  uint64_t NextPointAfter(uint64_t units, uint64_t at = 0) const;
  uint64_t SuspectedWindow() const;
  bool Checked(const std::string& series) const;
  void AnswerAtBudget(uint64_t units, const v1::LeakResult& detected);
  void GoOn(uint64_t units);
  void ExtendTo(uint64_t to);
  void OnSnapshot(const v1::DriverEvent& event);
  void FinishRetention();
  v1::LeakResult ConfirmedResult(const RetentionEvidence& e, bool table, SnapshotDiff* diff);
  void WatchTable(const RetentionEvidence& e, const std::map<uint64_t, uint64_t>& tables, v1::LeakResult leak);
  void JudgeTable(const std::string& path, uint64_t units);
  std::string EntriesCommand() const;
  void CountEntriesOverTheWatch(uint64_t from, uint64_t to);
  bool CountedOverTheWatch(const std::map<uint64_t, uint64_t>& tables) const;
  void OnEntries(const v1::DriverEvent& event);
  void DecideTable(const TableEntries& entries_now);
  bool WatchSlowing(const RetentionEvidence& e, const v1::LeakResult& leak);
  bool WatchStore(const RetentionEvidence& e, const SnapshotDiff::FixedStore& store, const v1::LeakResult& leak);
  std::optional<v1::LeakResult> BesideTheStore(const RetentionEvidence& e, const SnapshotDiff& diff,
                                               std::vector<v1::AllocationSite> sites,
                                               std::vector<v1::AllocationSite> store_sites);
  uint64_t SeriesLimit(const std::string& series) const;
  double SeriesNow(const std::string& series) const;
  bool WatchReach(const RetentionEvidence& e, const v1::LeakResult& leak);
  bool WatchPastTheKnee(const RetentionEvidence& e, double rate);
  bool WatchTheOtherHalf(const RetentionEvidence& e, const v1::LeakResult& leak, double rate);
  uint64_t OnceMoreTo(const RetentionEvidence& e, uint64_t limit, double rate) const;
  void WatchOnTo(uint64_t s5);
  bool ConfirmByTurnover(const RetentionEvidence& e, const LaterPartFits& later);
  std::string SnapshotFile(int k) const;
  void DecideSlowing(uint64_t units);
  bool WatchRegrowth(const RetentionEvidence& e, const TheilSen& after);
  const v1::LeakRetention* EarlierCheckOn(const std::string& series) const;
  const v1::LeakRetention* LastCheckOn(const std::string& series) const;
  double RegrowthLimit(const std::string& series) const;
  void DecideRegrowth(uint64_t units);
  bool StartCountWatch(uint64_t units, const v1::LeakResult& leak);
  void DecideCount(uint64_t units);
  void BoundedCounts(v1::LeakResult* result) const;
  v1::LeakResult WithRetention(v1::LeakResult result) const;
  void LeakVerdict(v1::LeakResult result);
  v1::LeakResult FinalLeakVerdict() const;
  uint64_t ReachableUnits() const;
  uint64_t CheapUnits(double allowed_ms = kCheapCheckMs) const;
  uint64_t CheckCap(double allowed_ms = kCheapCheckMs) const;
  void Command(const std::string& line);

  MonitorSetup setup_;
  const v1::Limits& limits_;
  const bool watchdog_;
  const absl::Duration sample_every_;
  const absl::Duration keep_every_;
  const absl::Time deadline_;
  absl::Time next_sample_;
  absl::Time next_kept_;
  int pidfd_ = -1;
  bool reaped_ = false;

  class Series;
  std::unique_ptr<Series> series_;
  std::string telemetry_buffer_;
  MonitoredRun seen_;

  std::unique_ptr<ConnectionClients> clients_;
  std::atomic<bool> clients_settled_{false};
  bool told_clients_done_ = false;

  // The watchdog's last sample under the limit: units then, the tree's bytes, and when.
  uint64_t under_units_ = 0;
  uint64_t under_bytes_ = 0;
  absl::Time under_time_;

  // The leak check: watching the series, or proving a heap/native suspicion's retention
  // with three snapshots (the series keep being watched meanwhile).
  std::unique_ptr<LeakDetector> detector_;
  bool retaining_ = false;
  int retention_checks_ = 0;
  std::vector<std::string> checked_series_;  // the series retention checks have tested
  // A series a check found freed while it went on growing (GrewPastItsWindow), its slope
  // the growth after; reset once a check tests it.
  std::optional<v1::LeakSeries> regrown_;
  v1::LeakResult suspicion_;          // the detector's result that started the check
  v1::LeakSeries suspected_;          // the series it suspects (the steepest relative one)
  std::vector<uint64_t> retention_units_;  // iterations at s1, s2, s3 as written
  RetentionPlan plan_;                     // planned from s1 as written
  uint64_t check_window_ = 0;              // the most the running check's window may take (0: any)
  bool start_due_ = false;                 // its first snapshot is asked for at the next point
  // The last two after-GC checkpoints' iterations (NextPointAfter).
  uint64_t previous_point_ = 0;
  uint64_t last_point_ = 0;
  // The first checkpoint after the driver's setup (units > 0): the rate of iterations is
  // measured from there, not from the process's start.
  absl::Time rate_from_ = absl::InfiniteFuture();
  uint64_t rate_from_units_ = 0;
  std::vector<std::string> retention_files_;
  std::vector<v1::AllocationSite> retention_sites_;  // from the third snapshot's event
  std::vector<v1::AllocationSite> store_sites_;      // its store_sites
  std::vector<v1::AllocationSite> young_sites_;      // its young_sites
  std::optional<v1::SampledBytes> window_sampled_;  // its window_sampled, when it had one
  std::optional<v1::LeakRetention> last_retention_;
  std::vector<v1::LeakRetention> earlier_checks_;  // the checks before it, in order (LeakResult.checks)
  // The series each of them tested (earlier_checks_'s order), and last_retention_'s.
  std::vector<std::string> earlier_series_;
  std::string last_series_;
  double v8_internal_rate_ = 0;
  bool stop_sent_ = false;
  uint64_t extended_to_ = 0;  // the iteration an undecided check was told to go on to (0: none)
  // A retention check carried by a table alone (RETENTION_FINDING_TABLE_STEPPED), waiting
  // for its fourth snapshot: the leak's result, made ready, and the tables' sizes at s3.
  std::optional<v1::LeakResult> table_result_;
  std::map<uint64_t, uint64_t> table_sizes_;
  uint64_t table_until_ = 0;  // where a leaking table has doubled again (about 2 s3)
  // The tables' owners' entries (JudgeTableEntries): at s3 (units 0 until counted), at the
  // first after-GC checkpoint at or past table_mid_ (asked for once: mid_asked_); whether
  // the fourth snapshot's tables doubled (unset: unread); and whether the owners' entries
  // at the fourth snapshot are awaited (JudgeTable, OnEntries).
  TableEntries entries_at_s3_;
  TableEntries entries_at_mid_;
  uint64_t table_mid_ = 0;
  bool mid_asked_ = true;
  std::optional<bool> table_doubled_;
  bool entries_due_ = false;
  // The stores (tables and arrays, by owner) the last reading of the running check saw
  // grow; and whether the watch going on from it counts their owners' entries
  // (CountEntriesOverTheWatch: in entries_at_s3_ and entries_at_mid_, table_sizes_ its
  // stores), for its end to be decided by them where it has no room for a table's watch.
  std::map<uint64_t, uint64_t> reading_stores_;
  bool watch_counts_ = false;
  // A confirmation whose series slowed since its window (SlowedSinceItsWindow): the leak's
  // result, made ready, while the run goes on from s3 to slowing_until_, where the series'
  // slope since s3 decides (KeptPace against last_retention_'s later slope). A run that
  // ends before gives this result.
  std::optional<v1::LeakResult> slowing_result_;
  // A descriptor or handle count's trend watched on (StartCountWatch): the count series that
  // were a leak where it started, with their trend's slope there, while the run goes on from
  // count_from_ to count_until_ (DecideCount; a run that ends before is judged by the trend,
  // FinalLeakVerdict). bounded_counts_: the count series that watch found bounded, with
  // what they did (BoundedCounts says so in every verdict after).
  std::map<std::string, double> counting_;
  uint64_t count_from_ = 0;
  uint64_t count_until_ = 0;
  std::map<std::string, std::string> bounded_counts_;
  // A confirmation watched on to a fourth snapshot where iterations are cheap (WatchReach):
  // the leak's result, made ready; a run that ends before gives it. reach_from_: the s3 it
  // went on from (0: the running check was not watched on).
  std::optional<v1::LeakResult> reach_result_;
  uint64_t reach_from_ = 0;
  // At the watch's end, its result while the check is finished there (FinishRetention),
  // which a watch gone on past a knee takes again (WatchPastTheKnee); past_knee_: the
  // running check's watch did (it does only once).
  std::optional<v1::LeakResult> watched_result_;
  bool past_knee_ = false;
  // The running check's watch ended at half of its limit (ReachEndsAtHalfTheLimit), and
  // went on to the other half (WatchTheOtherHalf; once).
  bool reach_at_half_ = false;
  bool other_half_ = false;
  // The stores the running check's own reading (its first s3) saw grow, and how far that
  // reading was past s1 (`before`; 0: none yet): at every watch's end they count only where
  // they went on growing since (StoresAtReading).
  StoresAtReading check_reading_;
  // The third snapshot's sites as its event gave them (ConfirmedResult takes them): the
  // fourth one's check reads them again.
  std::vector<v1::AllocationSite> reach_sites_;
  std::vector<v1::AllocationSite> reach_store_sites_;
  // The module's own time (gc.work_ms) at each after-GC checkpoint of the run.
  std::map<uint64_t, double> work_at_;
  uint64_t slowing_until_ = 0;
  // Where that slope is read from: s3, or where an array that held the window is full
  // (WatchStore, store_watch_).
  uint64_t slowing_from_ = 0;
  bool store_watch_ = false;
  // For a store's watch: the leak's result made from the survivors not held through such
  // an array (SnapshotDiff::Beside), and their bytes per iteration of the window; it is the
  // result when the series grows on and they account for it (DecideSlowing).
  std::optional<v1::LeakResult> beside_result_;
  double beside_rate_ = 0;
  // A check that found its window bounded while the series grew on under RegrowthBar
  // (RegrowthWatchTo): the run goes on from regrowth_from_ (its s3) to regrowth_until_
  // (0: no such watch), where the growth over the watch past s3 decides whether the
  // next check tests it (DecideRegrowth); regrowth_slope_, the growth that started it. A
  // run that ends before keeps the check's finding.
  uint64_t regrowth_from_ = 0;
  uint64_t regrowth_until_ = 0;
  double regrowth_slope_ = 0;
};

}  // namespace heapstorm

#endif  // HEAPSTORM_WORKER_ENGINE_RUN_MONITOR_H_
