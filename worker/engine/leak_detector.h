// Decides whether a script leaks, from checkpoints taken after forced full GCs: for each
// series (retained heap, external, arrayBuffers, descriptors, active handles) a Theil–Sen
// slope per iteration with its confidence interval and a Mann–Kendall trend test.
//
// A series leaks only when both clear their bars: the slope is at least the minimum effect
// and the trend is significant (p < the check's p_value, and the interval excludes 0); and
// the growth persists in the later half of the series (a cache that fills, a warm-up, is
// not a leak). It does not leak when the interval's upper end is below the minimum effect,
// in the whole series or in its later half. Otherwise it is undecided; at the end of the
// budget that is "inconclusive". Every series states its detection limit: the smallest
// growth per iteration its noise and its number of points could have revealed.
//
// The engine feeds it as checkpoints arrive and stops the run as soon as Decided().
#ifndef HEAPSTORM_WORKER_ENGINE_LEAK_DETECTOR_H_
#define HEAPSTORM_WORKER_ENGINE_LEAK_DETECTOR_H_

#include <map>
#include <string>
#include <vector>

#include "proto/result.pb.h"
#include "proto/suite.pb.h"

namespace heapstorm {

// Below this much growth per checkpoint interval, heap series are noise (NODE_FACTS.md §6:
// after forced GCs the measurement's own bookkeeping moves heapUsed by up to ~2 KiB in
// rare rounds; a 512-byte bar per round separated every measured case).
inline constexpr double kDefaultMinBytesPerCheckpoint = 512;
// Counts (descriptors, handles): half a descriptor per checkpoint interval.
inline constexpr double kDefaultMinCountPerCheckpoint = 0.5;
// Points after warm-up before anything is decided: a leak needs this many in the later
// half of the series alone, "no leak" this many in all.
inline constexpr size_t kMinPointsForLeak = 10;
inline constexpr size_t kMinPointsForNoLeak = 20;

class LeakDetector {
 public:
  explicit LeakDetector(const v1::LeakCheck& check);

  // A checkpoint; only those taken after forced GCs count.
  void Add(const v1::Checkpoint& checkpoint);

  // The verdict on everything added so far (series, overall verdict, summary).
  v1::LeakResult Evaluate() const;

  // True once the overall verdict is leak or no_leak.
  bool Decided() const;

  size_t points() const { return x_.size(); }

 private:
  struct Series {
    std::string name;
    std::string unit;
    double min_effect;
    std::vector<double> y;
  };
  v1::LeakSeries EvaluateSeries(const Series& s) const;

  v1::LeakCheck check_;
  // Descriptors and handles by kind at the first counted checkpoint and the latest.
  std::map<std::string, uint32_t> first_fds_, last_fds_, first_resources_, last_resources_;
  size_t seen_ = 0;
  std::vector<double> x_;
  std::vector<Series> series_;
};

}  // namespace heapstorm

#endif  // HEAPSTORM_WORKER_ENGINE_LEAK_DETECTOR_H_
