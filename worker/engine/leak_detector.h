// Decides whether a script leaks, from checkpoints taken after forced full GCs: for each
// series (retained heap without compiled code, external, arrayBuffers, descriptors, active
// handles) a Theil–Sen slope per iteration with its confidence interval and a Mann–Kendall
// trend test.
//
// A series is suspected only when both clear their bars: the slope is at least the minimum
// effect and the trend is significant (p < the check's p_value, and the interval excludes
// 0); and the growth persists in the later half of the series (a cache that fills, a
// warm-up, is not a leak). A series that gives back more than half of its gain (a
// sawtooth) is suspected only past the budget (where an undecided check goes on) and when
// a retention check will follow (snapshots on). It does not leak when the interval's upper end is below the
// minimum effect, in the whole series or in its later half. Otherwise it is undecided; at
// the end of the budget that is "inconclusive". Every series states its detection limit:
// the smallest growth per iteration its noise and its number of points could have revealed.
//
// For descriptors and handles a suspicion is the verdict. For heap and native series it is
// not: the run monitor then proves retention with heap snapshots (ConfirmByRetention), and
// a run that died of the resource itself is judged by JudgeExhaustion.
//
// Checkpoints come on the driver's schedule (dense at first, thinning out), so nothing here
// counts checkpoints: the warm-up is in iterations and milliseconds, and the minimum effect
// is a number of bytes (or of descriptors) over the span of iterations observed.
//
// Not thread-safe; the run monitor feeds it from its one thread.
#ifndef HEAPSTORM_WORKER_ENGINE_LEAK_DETECTOR_H_
#define HEAPSTORM_WORKER_ENGINE_LEAK_DETECTOR_H_

#include <map>
#include <string>
#include <vector>

#include "common/trend.h"
#include "proto/result.pb.h"
#include "proto/suite.pb.h"
#include "worker/engine/heap_snapshot.h"

namespace heapstorm {

// The smallest growth that counts, over the whole span of iterations observed after the
// warm-up: below it a series is noise (NODE_FACTS.md §6: after forced GCs the
// measurement's own bookkeeping moves heapUsed by up to ~2 KiB in rare rounds, and
// one-round transients of ~280 KB revert). Divided by the span, it is the bar in bytes
// per iteration: 8 B/iteration at 2,000 iterations, ~0.5 at 30,000.
inline constexpr double kMinBytesOverSpan = 16 * 1024;
// Counts (descriptors, handles): this many more over the span.
inline constexpr double kMinCountOverSpan = 8;
// The most that the program's objects a retention window left may exceed the growth measured
// during the check by, per iteration, and still confirm it (ConfirmByRetention); at the end
// of a watch gone on past a knee, kMaxRetainedOverGrowthPastAKnee.
inline constexpr double kMaxRetainedOverGrowth = 4;
// The most the window's objects on V8's heap are taken to hold at s3, over what V8's
// allocation sampler counted of them: this many standard errors of its estimate (one-sided,
// 97.7%), plus the bytes of two samples (a sample stands for ~2 KiB of small objects: a
// window that kept 4 KiB leaves none 14% of the time). Above it, the snapshots' count is
// objects that inherited the ids of the window's dead ones (V8 keys ids by address). The
// sampler sees what optimized code allocates only because a leak check runs node with no
// allocation folding (Engine::LeakCheckNodeFlags): folded, kept `.map()` results read 5-11%,
// and every one of 22 shapes reads 0.97-1.12 unfolded (bench/sampler_coverage.js).
inline constexpr double kSampledErrors = 2;
inline constexpr double kSampledSlackBytes = 2 * 2048;
// Points after warm-up before anything is decided: a leak needs this many in the later
// half of the series alone, "no leak" this many in all.
inline constexpr size_t kMinPointsForLeak = 10;
inline constexpr size_t kMinPointsForNoLeak = 20;

class LeakDetector {
 public:
  explicit LeakDetector(const v1::LeakCheck& check);

  // A checkpoint; only those taken after forced GCs and past the warm-up
  // (warmup_iterations and warmup_ms) count.
  void Add(const v1::Checkpoint& checkpoint);

  // Theil–Sen fit per iteration (slope and its interval at the check's p_value) of the
  // named series over the points with units in [from, to]; all zero with fewer than 2 such
  // points (with 2, the interval is the slope itself).
  TheilSen FitBetween(const std::string& series, uint64_t from, uint64_t to) const;
  // How many checkpoints have units in [from, to].
  size_t PointsBetween(uint64_t from, uint64_t to) const;
  // The named series at the last point in [from, to] less at the first; 0 with fewer than
  // 2 such points. What a store that grows by doubling added there, where a fit's median
  // slope reads a single step as flat.
  double RiseBetween(const std::string& series, uint64_t from, uint64_t to) const;

  // Iterations of the n-th last point used (0: the last one); of the first one when there
  // are fewer.
  uint64_t units_from_end(size_t n) const {
    return x_.empty() ? 0 : static_cast<uint64_t>(x_[x_.size() > n ? x_.size() - 1 - n : 0]);
  }
  // Iterations of the first and last point used.
  uint64_t first_units() const { return x_.empty() ? 0 : static_cast<uint64_t>(x_.front()); }
  uint64_t last_units() const { return x_.empty() ? 0 : static_cast<uint64_t>(x_.back()); }

  // The verdict on everything added so far (series, overall verdict, summary).
  // With `at_end` (the run has ended), a series still undecided after the run went on past
  // its budget is decided against the bar of the budget alone (DecideAgainstTheBudgetsBar),
  // and so is a heap or native suspicion, which no retention check tested then.
  v1::LeakResult Evaluate(bool at_end = false) const;

  // About how many more iterations would decide an undecided `result` of this detector's.
  uint64_t MoreIterationsNeeded(const v1::LeakResult& result) const;

  // True once the overall verdict is leak or no_leak.
  bool Decided() const;

  size_t points() const { return x_.size(); }

 private:
  struct Series {
    std::string name;
    std::string unit;
    double min_over_span;  // the bar, over the span of iterations (or per iteration, below)
    bool per_iteration;    // min_over_span is already per iteration (the user's own bar)
    std::vector<double> y;
  };
  v1::LeakSeries EvaluateSeries(const Series& s) const;
  // A check undecided at its budget goes on (UndecidedGoesOnTo), and the bar per iteration
  // (kMinBytesOverSpan over the span) falls as the span grows: at 25 budgets it can fall
  // under V8's own slow drift (code, feedback; ~0.5-2 B/iteration), so a series the budget
  // alone would have decided `no leak` ended `inconclusive` (metrics_window.js at 2,000,
  // 2 of 10: later half [2.1, 8.8] B/iteration against a bar of 0.33 at 50,000, and of 8.6
  // at the budget). At the end, such a series whose later half grew provably less than the
  // budget's own bar is `no leak` above that bar: going on never makes a verdict worse than
  // stopping at the budget would have.
  void DecideAgainstTheBudgetsBar(const Series& s, v1::LeakSeries* e) const;

  v1::LeakCheck check_;
  // Descriptors and handles by kind at the first counted checkpoint and the latest.
  std::map<std::string, uint32_t> first_fds_, last_fds_, first_resources_, last_resources_;
  std::vector<double> x_;
  std::vector<Series> series_;
};

// The heap series' value at a checkpoint: heap_used less V8's compiled code (its code
// spaces), which is V8's own and grows in steps as functions are compiled and tiered up.
double ProgramHeapBytes(const v1::Checkpoint& c);

// True for the series a retention check must confirm: heap and native memory.
bool NeedsRetention(const std::string& series);
// True for the native memory series: external memory and ArrayBuffers.
bool IsNativeSeries(const std::string& series);

// What the three heap snapshots of a retention check found (see heap_snapshot.h).
struct RetentionEvidence {
  uint64_t s1 = 0, s2 = 0, s3 = 0;  // iterations at the snapshots
  uint64_t program_bytes = 0;       // new at s2, alive at s3: the program's objects
  // Likewise, the runtime's own: V8's code, bytecode, feedback and maps, node's Buffer pool.
  uint64_t v8_internal_bytes = 0;
  double slope_after = 0;           // the suspected series over the later part (LaterPartFrom)
  // The s3 at which the check decides (RetentionPlan::decides) and the one its plan asked
  // for (RetentionPlan::reach); 0: none.
  uint64_t decides = 0;
  uint64_t reach = 0;
  // Growth of long-lived arrays' elements stores over [s1, s3] (reallocated as
  // they grow, so not among the window's objects): the program's, per iteration of s3 - s1;
  // and of values replaced by bigger ones from s2 to s3, per iteration of s3 - s2.
  uint64_t backing_growth_bytes = 0;
  // The part of it that is arrays' elements stores (SnapshotDiff::array_growth_bytes).
  uint64_t array_growth_bytes = 0;
  // Likewise of Maps' and Sets' tables and objects' dictionaries, over [s1, s3] and over
  // [s2, s3] (SnapshotDiff::table_growth_bytes).
  uint64_t table_growth_bytes = 0;
  uint64_t table_growth_after_bytes = 0;
  double rise_after = 0;  // the suspected series' rise over the later part (RiseBetween)
  uint64_t later = 0;     // where the later part starts
  // The part of program_bytes outside V8's heap (native nodes: ArrayBuffers' data, node's
  // C++ objects), which V8's allocation sampler does not see.
  uint64_t program_native_bytes = 0;
  // That sampler's estimate of the window's objects alive at s3, all of them (the
  // harness's, node's and V8's too), and its standard error; `sampled` false: no sampler
  // (a node without the inspector).
  bool sampled = false;
  uint64_t sampled_bytes = 0, sampled_error = 0;
  // The window was confirmed at an earlier s3, with enough bytes, and this s3 is the end of
  // that confirmation's watch (RunMonitor::WatchReach, WatchPastTheKnee): what it asks is
  // whether the window's objects were freed since.
  bool confirmed_before = false;
  // This s3 is the end of a watch gone on past a knee (RunMonitor::WatchPastTheKnee): the
  // growth is read where a structure beside it stopped filling.
  bool past_knee = false;
};

// Where the later part of a retention check [s2, s3] starts, over which the growth that is
// still there at its end is read: the later half, or from s3 / 2 when that is earlier (not
// before s2, so all of [s2, s3] when s3 < 2 s2). A bounded structure that filled up or
// flushed during the check is flat there; a leak grows to the end, and a store that grows
// by doubling (a Set of numbers, a Map's table) takes its last step in [s3 / 2, s3], where
// its entries double.
uint64_t LaterPartFrom(uint64_t s2, uint64_t s3);

// How much a value replaced by a bigger one (a string appended to, a Buffer grown with
// Buffer.concat: DiffSnapshots' `replaced`) must grow from s2 to s3 to be the suspected
// growth. That growth was seen before s1, so such a value grew from some t0 < s1, and by
// the iteration: its size at s3 over its size at s2 is (P + r (s3 - t0)) / (P + r (s2 -
// t0)) for a start P >= 0.
// - At most (s3 - s1) / (s2 - s1), kReplacedPaceSlack times that (room for a value whose
//   additions grow). A value that grew more is not one value growing at each iteration but
//   another one, such as a write batch in flight at s3 whose size the event loop's timing
//   sets: io_corpus/file_logger_queue.js at 10,000 (s1 106,952, s2 136,246, s3 494,791,
//   where the bound is 19.9-fold) had a leak of 0.17 B/iteration "confirmed" by ~65 KB of
//   such a Buffer.
// - At least s3 / s2 without a start P, kReplacedPaceShare of it, and never less than
//   kMinReplacedGrowth (values of one size churned vary by less), nor more than
//   kMinBackingGrowth (what a first check's s3 of 8 s2 asks). At 2.5 alone, a check cut
//   short by its limit never counted one: an audit string appended to from iteration 3,000
//   grew 1.57-fold over a second check's [32,915, 50,000], and was `no leak` (bounded: its
//   window's objects freed) at 2,000.
// Where s2 <= s1 or s3 <= s2: kMinBackingGrowth and no upper bound. Pure.
inline constexpr double kReplacedPaceSlack = 1.5;
inline constexpr double kReplacedPaceShare = 0.9;
inline constexpr double kMinReplacedGrowth = 1.25;
ReplacedGrowth ReplacedGrowthBetween(uint64_t s1, uint64_t s2, uint64_t s3);

// The verdict of a retention check on a suspected series (slope with its interval): a
// leak only when the program's objects of the window are still alive at s3 at a rate that
// agrees with the growth measured during the check (at least half of it, at most
// kMaxRetainedOverGrowth times it plus the V8 part), the series kept growing after the window,
// and s3 got as far as the plan's reach. Otherwise not a leak, with the note saying why:
// bounded (freed by s3), stopped growing, or V8's own growth; or `undecided` when all held
// but the run could not reach `decides` (its time limit): a structure that fills up or
// flushes later than s3 is then not ruled out. So is a window still held far beyond the
// growth (UNACCOUNTED) short of `decides`: a structure's turnover longer than the check
// does not rule out a leak beside it. Short of `reach` (a check decided
// where the limit cut it, RetentionDecidesAt), the window's objects must also be kept at no
// less than the suspected series' detection limit (its min_effect), or it stays undecided:
// io_corpus/setimmediate_batch.js at 2,000, level in plain node to 600,000 iterations, had
// 0.51 B/iteration of its window [6,220, 9,347] alive at 50,000 and read as a leak
// "confirmed" at 1.38 B/iteration of growth. The window's objects on V8's heap count for no
// more than its allocation sampler allows (kSampledErrors). A window that kept the growth,
// its program objects alone at least half of it, in fewer bytes than the measurement's
// noise (kMinBytesOverSpan / 2) but at least half of those, while the series grew at
// kShortWindowOverBar times the check's bar, is too short to tell (WINDOW_SHORT,
// `undecided`): the growth is checked again over a window sized for it (RunMonitor). Of
// 310 checks found freed in ~830 corpus runs at 2,000, 10,000 and 30,000, 9 would pass
// without the two bounds: the 3 of that leak, and 6 on bounded modules, which kept 140 B-3.9
// KiB of their window against growths of 1.2-2.5 times the bar, or 1 KiB at 9 times it
// (fillpast_corpus 02 at 30,000).
// Past a knee (`past_knee`) the growth is read where a structure beside it stopped filling,
// and the window may exceed it by half as much (kMaxRetainedOverGrowthPastAKnee): in the
// corpora's 21 readings that confirmed a leak there (2,000 and 10,000, session 36), the
// window's program objects (V8's left out) kept 0.3-1.4 times the growth, and a leak masked
// by a TTL cache that shrinks as it grows (knee_corpus 04 at 30,000) 1.0-1.1; a Map of
// 12,000 cells overwritten at random (knee_corpus 05 at 2,000), whose keys first set in the
// window stay with it, kept 3.1-3.9 times a fill's tail of 5.8-9.0 B/iteration, and was a
// `leak` in 1-3 runs of 6. Held beyond the growth (UNACCOUNTED), a window gets a second
// check where the series still grows (GrewPastItsWindow), and is bounded where it does not.
inline constexpr double kMaxRetainedOverGrowthPastAKnee = 2;
inline constexpr double kShortWindowOverBar = 4;
v1::LeakRetention ConfirmByRetention(const v1::LeakSeries& suspected, const RetentionEvidence& evidence);

// Whether a series that a retention check found bounded (its window's objects freed, V8's
// own, or held by a structure far beyond the growth) went on growing during the check by far
// more than that check can call noise: over its later part at kRegrowthOverBar times the
// check's bar (kMinBytesOverSpan over [s1, s3]). That growth is not the window's: a leak that started after it, behind an
// early fill-up that was flushed (a warm-up cache dropped at 1,500, a leak from 3,000),
// was called bounded at every budget. The series may then be checked again
// (RunMonitor::JudgeLeak), and is never `no_leak` untested. The second check decides as
// the first does; the rule only spends it. Over ~2,000 checks of the corpora's bounded
// modules that found the window freed, 37 grew past 16 times the bar after it (lru_doubling.js,
// a table's last step, up to 58; flush_strings.mjs up to 26); the late leaks grew at 45-90.
// A bound relative to the suspicion's slope missed the leaks behind big fill-ups (8 KiB per
// iteration dropped, ~100 B per iteration kept after: 0.01 of it). `after` is the
// series' fit over the check's later part (KeepsGrowing). A table whose owners' entries
// stayed (or that did not grow again) is bounded the same way, and `after` is then the fit
// over its watch, [s3, where it was checked to]: an LRU's Map of 5,000 keys stayed while
// every eviction went to an audit log never trimmed, ~140 B/iteration from ~5,000 on, and
// the run was `no_leak` at 10,000 (codebound_corpus/14_lru_audit_log_leak.js). A window
// held far beyond the growth (UNACCOUNTED: a structure whose entries outlive the check) is
// bounded the same way: what it holds says nothing of the growth beside it. Warm-up records
// kept forever, then a leak of ~50 B/iteration (knee_corpus/06 at 2,000 and 10,000: 499.5
// B/iteration of the window alive at 50,000, a growth of 47.9 over [25,000, 50,000], 9 times
// the bar) was `no_leak`; the other UNACCOUNTED readings of ~2,500 corpus runs grew at under
// a tenth of the bar. A window held by a fill that slowed (SLOWED) is bounded the same way,
// and `after` is then the fit over the slowing watch, [s3, where it was checked to]: the same
// module at 30,000, its warm-up over by s3, read 506.7 B/iteration of the window at 30,000, a
// growth of 141.6 over [15,000, 30,000] and 49.8 over [30,000, 120,000] (5.5 times the bar):
// "a structure that fills ever more slowly", `no_leak`. The slowing checks of ~800 corpus
// runs at 2,000, 10,000 and 30,000 had no other. A window too short to tell (WINDOW_SHORT)
// kept the growth already, and is checked again where the series grew at the check's bar.
// Pure.
inline constexpr double kRegrowthOverBar = 16;
bool GrewPastItsWindow(const v1::LeakRetention& retention, const TheilSen& after);
// The growth per iteration that counts as going on past a check over [s1, s3]:
// kRegrowthOverBar times the check's bar (kMinBytesOverSpan over the span).
double RegrowthBar(uint64_t s1, uint64_t s3);
// Whether a fit over the later part of a check over [s1, s3] goes on growing: its slope at
// RegrowthBar, and the lower end of its interval above the check's bar itself, so that
// noise is not growth. A native series of pooled slabs that moves ±4 MB from checkpoint to
// checkpoint read 21 B/iteration over [25,000, 50,000] (the bar 6.2), with an interval of
// [-205, 113]: it stayed "growing" untested at the cap and made a non-leak `inconclusive`
// (leak corpus pooled_small_churn.mjs at 2,000). Pure function.
bool KeepsGrowing(const TheilSen& after, uint64_t s1, uint64_t s3);

// A check that found its window bounded (GrewPastItsWindow's findings, WINDOW_SHORT aside)
// while the series grew over its later part (`after`) provably above the check's bar yet
// under RegrowthBar starts no second check there: a backlog whose objects die, or a leak
// that starts after the window, grows past a freed window and is seen only through that
// growth. The series is watched on (no snapshots) to W, where RegrowthBar(s1, W) is
// 1/kRegrowthWatchMargin of that growth, at least kRegrowthWatchLeast s3, at most
// kSlowingReach s3 and `limit`. 0: no watch (the growth clears RegrowthBar already, is not
// provably above the check's bar, or is too slow to clear it by then). A search indexer
// that skips every tenth tick (backlog_corpus/07) grew 23.4-25.8 B/iteration over [~5,500,
// ~11,500] past a window over [898, ~1,450] found freed or V8's own, against a RegrowthBar
// of 24.5-25.7: `no_leak` in half its runs at 2,000. Watched to 2 s3 (~23,000: 7 points
// past s3 at the schedule's spacing), one point lifted by ~500 KB left the fit's interval
// under the bar, and 2 runs in 5 at 10,000 stayed `no_leak`; to 3 s3 (~10 points), one
// such point moves only the pairs' slopes beyond the interval's end. Pure.
inline constexpr double kRegrowthWatchMargin = 2;
inline constexpr uint64_t kRegrowthWatchLeast = 3;
uint64_t RegrowthWatchTo(uint64_t s1, uint64_t s3, const TheilSen& after, uint64_t limit);
// At that watch's end `to`: its growth over the watch past s3 (`since`) is the next check's
// suspicion where it clears RegrowthBar(s1, to) (KeepsGrowing) and kept pace with the
// growth that started the watch (`slope_at_s3`, KeptPace). Pure.
bool RegrowsOverTheWatch(const TheilSen& since, uint64_t s1, uint64_t to, double slope_at_s3);
// Whether a check's finding says its window was bounded in a way that lets a growth past
// it be checked again (GrewPastItsWindow): freed, V8's own, a table whose entries stayed
// or that stopped, a window held beyond the growth, a fill that slowed; WINDOW_SHORT too.
bool FoundBounded(v1::RetentionFinding finding);

// What the entries of the tables a check saw grow (TABLE_STEPPED) say, counted at s3, at
// `mid` (the first checkpoint at or past halfway to `to`; 0: not counted) and at `to`, the
// owners by node id (-1: unread). A hash table's capacity says little: a bounded Map or
// Set with deletions doubles once more as its deleted entries pile up, and a leaking one
// whose s3 fell just after a step doubles only at about 2 s3, past the cap at small
// budgets (table corpus leak_slow_set.js at 2,000: s3 ~35,000, cap 50,000). Its entries
// tell, over the later half [mid, to] (an LRU still filling at s3, full by then, has
// stopped; lru_numbers_8000.js went from 5,484 entries at s3 = 11,056 to 8,000, and
// stayed there from ~16,000): a leak's grow at its rate, so by (to - mid) / mid of the
// entries at mid at least (it started at or after 0); they count as grown past a quarter
// of that (up to three quarters of the entries may be older than the leak). Bounded
// otherwise. Unknown with any owner unread, or when a quarter of that growth is under
// kMinTableEntriesGrowth entries. Without `mid`, over [s3, to]. An owner whose entries fell
// from one count to the next gave entries back, which a leak never does: it grows no
// more (a cache cleared every 5,000 iterations held 1,432 entries at 14,296, ~630 at the
// halfway count and 1,495 at 29,485, and read as a leak from the last two). Pure function.
enum class TableEntriesFinding { kUnknown, kGrew, kStayed };
inline constexpr double kMinTableEntriesGrowth = 8;
struct TableEntries {
  uint64_t units = 0;
  std::map<uint64_t, int64_t> owners;  // node id -> entries
};
TableEntriesFinding JudgeTableEntries(const TableEntries& at_s3, const TableEntries& at_mid, const TableEntries& at_to);

// A confirmed retention whose series slowed since its window: the window's program objects
// came at more than kSlowedOver times the rate the series grew at over the later part of
// [s2, s3]. A leak takes in objects as fast at the end of a check as in its window, so the
// two agree (the window's rate at most 1.75 times the later slope over the 936 other
// confirmed leaks of the corpora and of 12 modules written for session 13: the most where a
// Buffer's object and its data count against its data's series alone). A structure that fills
// ever more slowly toward its size keeps all it took in, like a leak, and grows slower each
// time: a pool interning 5,000 strings drawn at random left 57.8 B/iteration of its window
// [898, 1,098] at s3 = 8,784 while its heap grew at 15.3 there, and stopped by ~30,000.
// Such a check goes on to kSlowingReach times s3 before it is confirmed (KeptPace). Pure.
inline constexpr double kSlowedOver = 1.3;
inline constexpr uint64_t kSlowingReach = 4;
bool SlowedSinceItsWindow(const v1::LeakRetention& retention);

// After a check that slowed, whether the series over [s3, kSlowingReach s3] (`since`) kept
// at least kKeptPace of its slope over the later part of [s2, s3]: a leak does (its slope is
// the same), a structure that fills ever more slowly does not (the pool above: ~3
// B/iteration over [8,784, 35,136] against 15.3). Pure function.
inline constexpr double kKeptPace = 0.5;
bool KeptPace(double slope_after, const TheilSen& since);

// A descriptor or handle count is a leak by its trend, but a trend seen early says little of
// where it goes. A count bounded by time rather than by a number (a timeout of 5 ms per
// request, cleared when it fires) holds what the last milliseconds made, and a forced GC's
// pause lets all of that fire: read at checkpoints a fixed share of the iterations apart,
// it counts what was made since the point before and grows with their spacing like a leak
// (lifecycle_corpus 08: 11 timers at 801, 83 at 6,220: "a leak of 0.0137
// handles/iteration" at 801). So a count's trend is watched on, as a heap suspicion's
// retention is, to kRetentionReach times where it was seen (RunMonitor::StartCountWatch),
// with the later half of the watch read at even steps (the driver's "count_watch"), and
// holds only if the count kept growing there (`since`: at least kMinCountWatchPoints
// points, its interval above 0) at kKeptPace of the trend's slope or more: a leak's count
// does (its slope is the same), a count that levelled does not. Pure function.
inline constexpr size_t kMinCountWatchPoints = 3;
bool CountKeptGrowing(double slope, const TheilSen& since);

// A result's verdict from its series' (a leak in any: leak; all no leak: no leak; else
// undecided), and its summary's kind by the trend alone. Pure function.
void VerdictFromSeries(v1::LeakResult* result);

// A count series its watch found bounded (CountKeptGrowing false): `no leak` in `result`,
// with `note`, its kinds no longer culprits, and the result's verdict taken again from its
// series. It stays so for the run: read later at points ever further apart, a count bounded
// by time climbs again until they lie further apart than its time. Pure function.
void CountBounded(const std::string& series, const std::string& note, v1::LeakResult* result);

// The later part of a check's [s2, s3] (LaterPartFrom, or [s2, s3] with too few points
// there) fitted whole, over its first half and over its last half (RunMonitor::FinishRetention).
struct LaterPartFits {
  TheilSen whole;
  TheilSen first_half;
  TheilSen last_half;
};

// Whether the later part holds a knee: it grew there (`whole` at `bar`), and over its last
// half at under kKneeDrop of its first half, each half fitted over at least kKneePoints
// points. A structure that stopped filling there, and whatever grows on after it, are then
// read as one growth. The two halves are compared with each other, each fitted over its own
// points, and not the last half with the whole: a Theil-Sen slope over the whole leans
// towards where its points are dense, so whether a fill's slowing counted as a knee turned
// on how the checkpoints were spaced. knee_corpus 05 at 2,000 (a Map of 12,000 cells
// overwritten at random, filling as e^(-i/12,000)), watched to ~50,000: its last half grew
// at 0.39-0.55 of the whole later part over the spacing's points, and at ~0.58 over even
// steps, so the watch stopped at s4 where that was over half (1 run of 6 with the spacing's
// points, 5 of 5 with even steps), its fill still going, and read the window's slowly
// overwritten cells as kept (`leak`). Against its first half: 0.23-0.38 in all those runs,
// about e^(-h/12,000) for a later part of 2h iterations. A linear leak's halves are alike,
// and a structure level over its later part has no growth to hold one. Pure function.
inline constexpr double kKneeDrop = 0.5;
inline constexpr size_t kKneePoints = 3;
bool HoldsAKnee(const LaterPartFits& later, double bar);

// Whether the end of a watch (RunMonitor::WatchReach, at s4) must go on once more before
// its check is decided, because the later part of [s2, s4] holds a knee (HoldsAKnee, at
// RegrowthBar over [s1, s4]):
// - fillpast_corpus 04 (an LRU of 30,000 quotes of ~1 KB, full at ~35,000, and a request
//   log of ~60 B/iteration) was watched to 59,898, where 48.3 B/iteration of its window was
//   left, against 112.8 over [29,949, 59,898] and ~53 over the last half: "freed", and
//   the second check that followed was cut short inside the LRU's turnover (`no_leak`);
// - beside_corpus 06 (an LRU of 25,000 sessions, nothing leaking) was watched to 39,697 under
//   load, where 233 B/iteration of its window was still in the LRU, against 285 over
//   [19,848, 39,697]: "confirmed", and a `leak`.
// So where the check's finding could turn on the later part: a confirmation, or a window
// found freed (or holding more than the series grew) while the series still grows past the
// knee (the last half at RegrowthBar), or a window found freed that kept more than
// RegrowthBar, as at a check's s3 (KeptPastAKnee): knee_corpus 04 at 2,000 (a TTL cache of
// ~1.2 KB quotes, full at ~18,750, beside ~52 B/iteration of subscribers never removed),
// watched to 27,796 on a busy machine, kept 59.7 B/iteration of its window against 377 of
// growth, 1,010 over the first half and -112 over the last, where the cache shrank faster
// than the subscribers grew: "freed", `no_leak` (1 run of 3; its other runs' watches ended
// past 29,700, the last half growing, and went past the knee to a `leak`). The watch then
// goes on to twice its end, where the later part lies past the knee. Pure function.
bool GoesOnPastAKnee(const v1::LeakRetention& retention, const LaterPartFits& later);

// Where a watch past a knee (RunMonitor::WatchPastTheKnee) from a reading at `s3`, whose
// later part began at `later`, ends: at twice s3, within `limit` and the iterations over
// which the series, growing at `rate` B/iteration, takes half of `room_bytes` (what it may
// still grow before its limit; negative for none). 0 where that leaves no room for half the
// later part again: the check is decided at s3. `limit` is CheckLimit's, with the module's
// own time allowed to kKneeCheckMs (CheapReach): this watch is a check's last, and the
// reading it would replace may stand on a fill that has not ended. knee_corpus 05 at
// 2,000 (a Map of 12,000 cells overwritten at random, filling as e^(-i/12,000)) held its
// knee at s4 (46,473-63,392) in every run; where the module's time had come to ~0.97 s
// there (a second's limit: 57,815), the watch could not go on, and the window's cells,
// still being overwritten, stood as a leak (2 runs of 6). With two seconds the limit is
// ~131,900 there, past twice s4. Pure function.
uint64_t PastTheKneeTo(uint64_t later, uint64_t s3, uint64_t limit, double rate, double room_bytes);

// Whether a check's s3 (no watch yet) that found its window freed goes on past a knee in its
// later part all the same (RunMonitor::WatchPastTheKnee), though the series was level past
// the knee: the window kept more than RegrowthBar, and the later part holds a knee
// (HoldsAKnee). What is left of a window past a fill's end may be a leak's beside it,
// whose growth a structure settling after its fill can hide for a while: knee_corpus 04 at
// 30,000 (a TTL cache of ~1.2 KB quotes, full at ~18,750, and ~52 B/iteration of
// subscribers beside it) kept 67.4 B/iteration of its window [898, 1,098] at 30,000, against
// a growth of 187 over [15,000, 30,000] that held the cache's last filling, and -23 over its
// last half, where the cache's entries shrank as fast as the subscribers grew: `no_leak`. A
// window freed to below the bar, or a later part with no knee (an intern pool level since
// long before s3, 35.8 B/iteration of its window kept), is decided as it is. Pure.
bool KeptPastAKnee(const v1::LeakRetention& retention, const LaterPartFits& later);

// Whether a check whose window was freed (`now`, FREED) may be a leak all the same, by
// turnover. It tests the growth over the later part of the reading before it on the same
// series (`before`: not a leak; its window freed, V8's own growth, a table that stopped),
// which ended by where this check's window begins; and the series grew on over this
// check's later part (`later`) at that pace (KeptPace of the suspicion, KeepsGrowing), with
// no knee (HoldsAKnee). The growth went on before the window, the window's objects died,
// and the growth went on after them: no window's objects stay, yet what is alive grows. A
// queue that takes in two jobs per iteration and releases one (lifecycle_corpus/09: from
// 4,000 on) holds the jobs of the last half of the run, so every window is released at
// about twice its age, long before a retention check's 8 s2, and the run was
// `inconclusive` at every budget, its checks each finding their window freed while the
// series grew at 146 B/iteration. A structure bounded by a size or a time does not do
// that: once it frees what it took in, it is full (an LRU, a FIFO, a ring) or past its
// time to live, and grows no more; one that frees this window and still grows at its s3
// would have to start filling after the window, and could not be the growth before it.
// Over 3,245 runs of the 24 corpora (six passes at 2,000, 10,000 and 30,000; 4,966
// checks), 49 runs of 13 bounded modules had a check that freed its window (or read V8's
// own growth, or a growth that stopped) followed by a second one, freed: their series grew
// at 0.25 B/iteration at most over the second one's later part (a slab pool, LRUs, FIFOs,
// TTL caches, an array pool, a logger's queue), the queue's at 146, its suspicion's pace.
// The growth must then be made of the program's objects allocated after s2 and alive at
// s3 (TurnoverCarriesTheGrowth). Pure.
bool GrowsByTurnover(const v1::LeakRetention& before, const v1::LeakRetention& now, const LaterPartFits& later);

// Whether the program's objects allocated after s2 and alive at s3 (`young_bytes`, from
// the snapshots at s2 and s3) carry the growth of [s2, s3] at `slope` B/iteration: at least
// kKeptPace of it. V8's own growth (code, feedback) is not among them. Pure.
bool TurnoverCarriesTheGrowth(uint64_t young_bytes, uint64_t s2, uint64_t s3, double slope);

// A confirmation whose window's survivors are held mostly by one array whose elements
// store is the same object at s1 and s3 (SnapshotDiff::FixedStore: `slots`, `filled_s1`
// and `filled_s3` of them holding an object). Such an array holds no more than its slots
// until V8 reallocates it, which a program's preallocated LRU or ring never makes it do
// and a leak's array does as it grows on. A new user's lru-cache with `max` 8,000-20,000
// read as a leak "confirmed by retention up to iteration 8,784": its `#valList` is
// `new Array(max)`, and the window's objects were alive only because it was not full yet.
// So the check goes on past the iteration where the array is full at the rate it filled
// over [s1, s3] (`full_at`; s3 when it is full already), and past one more generation
// (the iterations that fill all its slots at that rate: `settle`): a structure beside it
// that holds an entry per slot settles by then (lru-cache's Map of keys, 12,000 live,
// doubles its table once more as deleted entries pile up, ~480 KB at iteration ~16,400,
// and never again). Its series over [settle, until] decides: still growing
// (StillLeaksOverTheCheck), it is a leak the array does not bound (a leak's array
// reallocated, a leak beside the cache); else bounded. `until` leaves [settle, until] at
// least as long as [s1, s3] and half of settle, so that the schedule's 4-12% spacing
// leaves points for a slope; `short_until`, a fifth of settle past it, is the least the
// check may make do with under its cap, and kStoreWatchPoints the fewest points (counted
// when it is decided, DecideSlowing). A quarter put lru-cache with `max` 20,000 at 2,000
// (settle 40,000) exactly on the cap of 50,000: a fill rate read a slot or two off from
// the snapshots' counts made it `inconclusive` (store corpus lru_slots_read_20k.js, once in
// leak_corpus_test). full_at
// 0: the array did not fill over the check (the growth is elsewhere), and nothing is
// watched. Pure function.
inline constexpr size_t kStoreWatchPoints = 3;
// When the series grows on, the window's objects not held through the array name the
// leak where they came at least this share of its slope there (lru_meta_map_15k.js of the
// store corpus: ~80 B/iteration of metadata beside ~210 of the cache's records, which
// named the cache's line before).
inline constexpr double kBesideShare = 0.25;
struct StoreWatch {
  uint64_t full_at = 0;
  uint64_t settle = 0;
  uint64_t until = 0;
  uint64_t short_until = 0;
};
StoreWatch PlanStoreWatch(uint64_t s1, uint64_t s3, uint64_t slots, uint64_t filled_s1, uint64_t filled_s3);

// Whether a series another series' retention check did not test still leaks over the
// check's span [s1, s3]: its fit there rises significantly (lower end above 0) by at least
// `min_effect`. Suspected on the few points before s1, a new user's external memory stayed
// a "leak" with "retention" as its evidence at -6.21 B/iteration (-87-32) over [s1, s3],
// beside a real heap leak. Pure.
bool StillLeaksOverTheCheck(const TheilSen& over_check, double min_effect);

// Whether a series watched past a full array (a store's watch, from where it settled) grew
// on: still leaking there (StillLeaksOverTheCheck), or at least `min_effect` with a `rise`
// (RiseBetween) of kRegrowthOverBar times kMinBytesOverSpan (256 KiB) over the watch when
// its few points (5 over [30,000, 45,000]) leave the fit's lower end at 0 or under. A Map of
// metadata beside an LRU of 15,000 (store_corpus/lru_meta_map_15k.js at 2,000) grew 105
// B/iteration there, ~1.5 MB, and was called "a structure of a fixed size" in about 1 run of
// 10; the store corpus's bounded caches read 0-2.3 B/iteration there. Pure.
bool StoreGrewOn(const TheilSen& since, double rise, double min_effect);

// How far a retention check must reach: objects allocated by iteration s2 must still be
// alive when the run is kRetentionReach times as old (s3 >= 8 s2), or at the budget's end
// if that is later. A bounded structure (an LRU still filling, a batch flushed rarely, a
// TTL) frees the window's objects once it is full or flushed; within 2,000 iterations such
// a structure is indistinguishable from a leak, so the check runs past the budget when it
// must. 8 from the leak corpus: its longest fill-up (an LRU of 2,000 keys, one new key
// every 3rd iteration, suspected at ~800) frees the window's objects at 7.2 s2.
inline constexpr uint64_t kRetentionReach = 8;

// The s3 at which a retention check with this s2 decides in a run whose budget is
// `budget`: kRetentionReach s2 (or the budget's end if that is later), or sooner, once the
// window's objects have outlived s2 both by half of kRetentionMaxOverrun budgets, the
// longest any confirmation at this budget is watched on (StretchedReach: a structure
// bounded past that is a leak at this budget), and by 2 s2, twice any fill-up or flush the
// series could have shown before s2. The check is still planned to 8 s2 (PlanRetention);
// this decides one that the limit cut short. A check after a first one whose window was
// freed (a phase flushed, a cache filled) starts at the first one's s3, 8,784 at 2,000,
// and its 8 s2 (87,640) lay past the limit of 50,000 in every run: a leak behind a flushed
// batch import (phase_corpus/batch_import_leak.js), or behind an LRU's fill-up whose
// evictions go to a log never trimmed (codebound_corpus/14_lru_audit_log_leak.js), kept its
// window's objects from 10,955 to 50,000 and stayed `inconclusive`. Pure.
uint64_t RetentionDecidesAt(uint64_t s2, uint64_t budget);
// A check never runs past this many times the budget, unless its iterations are cheap
// (CheapReach), nor past what the scenario's time limit allows (see RunMonitor): short of
// its reach, a retention that held is undecided.
// 25 lets a suspicion raised while the run goes on past its budget, up to ~2.5 budgets
// (a leak that starts late, or one too slow to tell from noise by the budget's end), still
// reach 8 s2: at 10, a leak starting at 1.5 budgets (late_onset_leak.js at 2,000) or one of
// ~10 B/iteration suspected only at the budget (slow_leak_ints.mjs) stayed `inconclusive`
// with its window's objects alive at 10 budgets. Going on costs only time, which the
// scenario's time limit bounds; it never turns a bounded structure into a leak.
inline constexpr uint64_t kRetentionMaxOverrun = 25;

// The iteration a leak check of `budget` iterations may go on to: kRetentionMaxOverrun
// budgets, or `cheap_units` where that is further (CheapReach: where the module's
// iterations cost microseconds, 0 for none), and no more than `max_units` (0: no cap of
// its own; the run monitor passes what the time limit allows).
uint64_t CheckLimit(uint64_t budget, uint64_t max_units, uint64_t cheap_units = 0);

// How far a leak check may go where the module's iterations are cheap, whatever its
// budget: to where the module's own time (gc.work_ms, cumulative, by the iterations of the
// after-GC points: `work_at`) would come to kCheapCheckMs, at its cost per iteration over
// the later half of the iterations so far, rising as it rose from the quarter before (a
// value copied bigger every iteration costs in proportion to the iterations). A cache
// bounded only in its code frees a window's objects once it is full: a Map LRU of 30,000
// keys, one new key every second iteration, at ~60,000 iterations; a Set of 25,000 ids at
// ~26,000. At 25 budgets of 2,000 the check's fourth snapshot (StretchedReach, half of the
// limit) came at 25,000, and both were a `leak` "confirmed by retention up to iteration
// 25000" in every run, with ~100 ms of the module's own time against ~2.5 s of snapshots,
// forced GCs and start. A second of the module's own time at most about doubles such a
// check, and is the same at every budget: raising `iterations` never lowers the limit.
// The module's own time does not count the driver's waits for a CPU (worker/driver
// unloadedMs), so the limit is the same on a loaded machine: read as wall time, it shrank
// there, and a two-generation cache of 30,000 watched to ~160,000 in a quiet run was
// watched only to ~42,000 in a loaded CI run, and read as a leak.
// 0 when fewer than kMinCheapPoints after-GC points are in, or the module's time is
// already past kCheapCheckMs. Pure.
// `allowed_ms`: the module's own time to go to (kKneeCheckMs for a watch past a knee).
inline constexpr double kCheapCheckMs = 1000;
inline constexpr double kKneeCheckMs = 2 * kCheapCheckMs;  // PastTheKneeTo
inline constexpr size_t kMinCheapPoints = 4;
uint64_t CheapReach(const std::map<uint64_t, double>& work_at, double allowed_ms = kCheapCheckMs);

// The module's own time a table's own watch (RunMonitor::WatchTable) may take the run to:
// twice what it had spent by the check's end (the last point of `work_at`, ms), and no less
// than kKneeCheckMs. That watch is its check's last, and it decides only once it has run
// about as long again as the check did (to about twice its end, where a leaking table has
// doubled again). A check's end is planned when it starts, so the module's time may be
// past a second there: io_corpus dns_lookup_map.js at 2,000 (a Map of every lookup's
// answer, under a key never reused) was watched to 87,640 with 872 ms of its time in a
// quiet run, and in a loaded CI run found its Map's table stepped there with no room under
// a second's limit: `inconclusive`, "about 93117 more iterations would decide". Pure.
double TableWatchMs(const std::map<uint64_t, double>& work_at);

// The iterations d past a point over which a module's own time comes to `allowed_ms`, its
// cost per iteration being `cost` ms there and rising by `rising` ms per iteration per
// iteration: d cost + rising d^2 / 2 = allowed_ms. Pure.
double IterationsWithin(double allowed_ms, double cost, double rising);

// Where the retention snapshots go, once a series is suspected at `units` iterations having
// been watched since `first_units`, in a run whose budget is `budget` iterations: s1 =
// units (now); s2 after a window of a quarter of the history watched (and at least
// `min_window`: long enough for a slow leak to leave more than the measurement's noise;
// shorter, down to that, when its reach would lie past the cap below and a shorter one's
// fits);
// s3 = the reach (the budget's end, or kRetentionReach s2 when that is later), so the
// window's objects have as long as the run allows to be freed and a larger budget only
// makes the test stricter. s3 is capped at CheckLimit (`max_units`, `cheap_units`);
// the window then shrinks to a third of what is left, so s3 - s2 >= 2 (s2 - s1). `room`
// is false when fewer than 3 iterations are left; `reach` is the s3 a full check needs
// (the budget that would do), `decides` the s3 at which a check cut short by the limit
// decides (RetentionDecidesAt, no later than `reach`). Pure function.
struct RetentionPlan {
  uint64_t s2 = 0;
  uint64_t s3 = 0;
  bool room = false;
  uint64_t reach = 0;
  uint64_t decides = 0;
};
RetentionPlan PlanRetention(uint64_t first_units, uint64_t units, uint64_t budget, uint64_t min_window = 1,
                            uint64_t max_units = 0, uint64_t cheap_units = 0);

// A check planned short of where it decides (`plan`: s3 < decides, its limit the module's
// own time allowed to kCheapCheckMs) takes `longer`, the same check planned with that time
// doubled (kKneeCheckMs, as a watch past a knee may take), where that one reaches its
// decides; its s3 is then that point, no further. Else `plan`, unchanged. A check cut short
// of where it decides can only end undecided when its window's objects stay, and the
// module's time that a second check may still take depends on the machine's load: a leak
// behind a warm-up index (heldbig_corpus/01 at 2,000, 40 B/iteration after 15,000 rows of
// ~520 B), whose second check started at 38,000-51,000 and decides at 3 s2, was `leak` in
// quiet runs (limits 183,000-275,000) and `inconclusive` in a loaded CI run (s1 45,104, s2
// 56,355, decides 169,065, limit 146,727) and in 1 of 3 runs beside two busy loops.
// Pure function.
RetentionPlan PlanToWhereItDecides(const RetentionPlan& plan, const RetentionPlan& longer);

// How far a confirmation is watched on where the module's iterations are cheap. A
// structure bounded only in its code (a Map used as an LRU of 12,000 keys, one new key per
// iteration) keeps every object of a window [898, 1,098] until ~13,100, and at the default
// budget's s3 (8 s2 = 8,784) it was a `leak` "confirmed by retention", in every run. Its
// check, though, had spent ~25 ms of the module's own time against ~750 ms of snapshots,
// forced GCs and start: going on costs little where iterations cost microseconds. So a
// confirmation at s3 goes on to s4, where the module's time from s3 would be no more than
// `allowance_ms` (the run's time so far: the check about doubles at most), at the cost
// per iteration measured over [s2, s3] and rising as it rose from [s1, s2] to there (a
// value copied bigger each iteration, as Buffer.concat onto a kept Buffer does, costs in
// proportion to the iterations done; the straight line through the two costs bounds it).
// s4 stays within half of `limit` (CheckLimit: room for a table's watch on to 2 s4), and
// within a growth at `rate` of kStretchOverSeries times what the series holds at s3
// (`series_bytes`), or kStretchGrowthBytes where that is less, and no more than half of
// `room_bytes` (what the series may still grow before its limit). A structure still filling
// at s3 has filled since about the start and holds most of the series there, so four times
// that sees it through a fill up to ~5 s3; a fixed 16 MiB stopped the watch of an LRU of
// 25,000 sessions of ~1.2 KB (~14 MB at s3) at ~23,000, short of its fill, and it was a
// `leak` at every budget. Half of the room alone watched slow leaks on for as long as the
// time allowed: the corpora's runs took 28% longer, all of it in leaks. There the window's
// objects are read again (RunMonitor::WatchReach); the confirmation at s3 stands if the
// run ends first. 0 when s4 would not reach kStretchAtLeast times s3. Pure.
inline constexpr double kStretchGrowthBytes = 16.0 * 1024 * 1024;
inline constexpr double kStretchOverSeries = 4;
inline constexpr double kStretchAtLeast = 1.5;
struct StretchInput {
  uint64_t s1 = 0, s2 = 0, s3 = 0;
  // The module's own time (gc.work_ms, cumulative) at s1, s2 and s3.
  double work_s1_ms = 0, work_s2_ms = 0, work_s3_ms = 0;
  double rate = 0;          // the suspected series' growth now (over the later part), bytes/iteration
  double series_bytes = 0;  // the series at s3 (heap used after GC, external memory)
  double room_bytes = 0;    // what it may still grow before its limit (0: no limit)
  double allowance_ms = 0;
  uint64_t limit = 0;  // CheckLimit
};
uint64_t StretchedReach(const StretchInput& in);

// Whether a watch to `s4` (StretchedReach's, for `in`) ended at half of the check's limit,
// the room it leaves for a watch past a knee, rather than at its growth or its time. Such
// a watch reached only half as far as the check may go, and a confirmation there without
// a knee goes on once more (RunMonitor::WatchTheOtherHalf, as far as OtherHalfLimit says):
// knee_corpus 07 at 2,000 (200 buckets of 150 responses of ~1 KB, full at ~33,300; s1 898,
// s2 1,098, s3 8,784, limit 50,000) was watched to 25,000, its window alive there, and was a
// `leak` in every run; its window is evicted by ~31,100. Pure.
bool ReachEndsAtHalfTheLimit(const StretchInput& in, uint64_t s4);

// How far that watch goes on (RunMonitor::WatchTheOtherHalf): to the check's whole limit
// (`cap`) within kOtherHalfOverBudgets times kRetentionMaxOverrun budgets (`budgets`), and
// never short of `budgets`. The first watch stopped at half of the limit to leave room for
// a knee; without one, that room is the other half's. heldbig_corpus 04 at 2,000 (a TTL
// cache of 60,000 iterations, 30 budgets) had its limit at 94,000-121,000 where its
// iterations were dearer (CheapReach), its watch ending at 47,000-60,643 with the window
// alive, and no room left to 25 budgets: `leak` in 4 passes of 15; with a limit past 150,000
// its watch ended at ~76,000, past the TTL, and it was `no_leak`. Watched on to 100,000 it
// is `no_leak` (bench/RESULTS.md, session 43). The bound keeps the watches that cheap
// iterations took past 50 budgets where they stopped (going on to the limit from all of
// them made the corpora's runs take 22% longer, in leaks with limits of 100,000-800,000).
// The whole limit, unbounded, where the window it confirmed kept more than
// kKeptOverGrowthToTheLimit times the growth over the watch's later part
// (`kept` and `rate`, bytes/iteration). A leak's window keeps about its growth: 0.4-1.4 times
// it at the watch's end in the corpora (all 25, one run at 2,000 and 10,000, session 41),
// more only where it still holds a structure's entries beside the leak's (1.5-3.8 times, a
// leak beside a TTL cache or an LRU), and a structure's own window kept 1.9-2.5 times it.
// Such a window is read again further on: a structure frees its entries, a leak beside one
// keeps its own. knee_corpus 01 at 2,000 (a Map LRU of 20,000 that re-sets an entry on each
// hit) kept 96.7 B/iteration against a growth of 38.7 at 52,030 and was a `leak` there;
// watched on to the limit, it was freed at the next reading. Going on to the limit for every
// watch made the corpora's runs take 22% longer, in leaks whose windows keep their growth.
inline constexpr double kKeptOverGrowthToTheLimit = 1.5;
inline constexpr uint64_t kOtherHalfOverBudgets = 2;
uint64_t OtherHalfLimit(uint64_t budgets, uint64_t cap, double kept, double rate);

// Where a leak check goes on to when it reaches `units` (at or past its budget of `budget`
// iterations) with the detector's `result` and no retention check running: a check that is
// still undecided there has not had what it may use (a retention check already runs past
// the budget, to CheckLimit: `max_units`, what the time limit allows, and `cheap_units`),
// so it goes on to that end, and stops as soon as it is decided. A drift at the very bar
// (V8's own growth), a later half whose interval straddles it, a give-back that hides the
// trend: each is decided by a longer run, as `no_leak` once the interval falls under the
// bar, or by a retention check once the growth clears it. Returns the iteration to go on to, or 0 to stop: decided (leak, its
// retention check, or no leak), before the budget, or no room left. Pure function.
uint64_t UndecidedGoesOnTo(const v1::LeakResult& result, uint64_t units, uint64_t budget, uint64_t max_units,
                           uint64_t cheap_units = 0);

// The window a retention check of this suspected series needs: kMinBytesOverSpan at the
// lower end of its slope.
uint64_t MinRetentionWindow(const v1::LeakSeries& suspected);

// How a retention check of `suspected`, due at `units`, starts: now, with the window it is
// planned with (PlanRetention's min_window), or later (`wait`). Planned with the window at
// the lower end of its slope (MinRetentionWindow) when that one's reach fits the limit. Else
// it could only end undecided; a leak that started late and was suspected early in its
// onset has a lower end far under its slope (the flat points before the onset):
// late_onset_leak.js at 2,000, suspected at 3,951 (slope 17, lower end 5.5 B/iteration; it
// leaks 164 from 3,000), needed a window to 6,955 and a reach of 55,640 past the cap of
// 50,000, and ended `inconclusive`. Then, while a window sized at the slope itself would
// fit at the next point (`next_units`) too, the check waits for it, whose lower end may
// have risen; at the last point where it fits, the check starts with it. When it does not
// fit even now, and the slope is more than twice its lower end (its points are not on one
// line, as a steady slow leak's are), the check waits while the next point still leaves
// room for a window whose reach fits (before CheckLimit / kRetentionReach): the slope
// itself may rise by then (a suspicion raised by the first point after an onset:
// phase_corpus/late_listener_leak.js at 2,000, leaking from 4,000, was suspected at
// ~4,450 with a slope of 40 B/iteration and a lower end of 10 against 177, and its check,
// started there, ended undecided in 8 runs of 10). Past that, it starts as planned
// (undecided, if its window's objects stay).
// Pure function.
struct RetentionStart {
  bool wait = false;
  uint64_t window = 1;
};
RetentionStart StartRetentionCheck(uint64_t first_units, uint64_t units, uint64_t next_units, uint64_t budget,
                                   const v1::LeakSeries& suspected, uint64_t max_units, uint64_t cheap_units = 0);

// Whether a retention check of `series` that ended undecided, short of its reach, leaves
// the run `inconclusive`: not when that series ended `no leak` in the detector's verdict at
// the end (`at_end`), whose later half grew provably less than the budget's bar: the run is
// `no leak` above that bar, as the budget alone would have said, for going on never makes a
// verdict worse. An async logger's second check at 2,000, from 29,408 with a window to
// 36,280, kept 0.25 B/iteration of it at 245,005, short of its reach (290,240), with every
// series under the budget's bar of 8.6 B/iteration: `inconclusive` before
// (io_corpus/file_logger_queue.js). Pure.
bool UndecidedCheckStands(const v1::LeakResult& at_end, const std::string& series);

// A run of a leak check that died of a resource (fd_exhausted, heap_exhausted,
// native_oom), judged from its after-GC checkpoints (all of them, warm-up included):
//  - the resource's series grew, step by step, up to near its limit → "leak" for that
//    series, evidence "exhaustion", with its slope and "ran out at iteration N (limit L)";
//  - it was (almost) all taken before the first iteration → not a leak: "grabbed at setup";
//  - one step between two checkpoints took most of it, far more than its share of the
//    iterations → not a leak: "grabbed in one step".
// Changes `result` in place (its verdict, the series, exhaustion and summary); does
// nothing for other outcomes. Pure function.
void JudgeExhaustion(v1::Outcome outcome, const v1::Limits& limits, uint64_t units_reached,
                     const std::vector<v1::Checkpoint>& checkpoints, v1::LeakResult* result);

}  // namespace heapstorm

#endif  // HEAPSTORM_WORKER_ENGINE_LEAK_DETECTOR_H_
