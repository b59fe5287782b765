// Time as an interface, so schedulers and leases can be tested without reading the wall
// clock. `RealClock` is the one used in production; tests use `FakeClock`.
#ifndef HEAPSTORM_COMMON_CLOCK_H_
#define HEAPSTORM_COMMON_CLOCK_H_

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/mutex.h"

namespace heapstorm {

class Clock {
 public:
  virtual ~Clock() = default;
  // The current time. Thread-safe.
  virtual absl::Time Now() = 0;
};

// absl::Now(). The process-wide instance lives for the whole program.
class RealClock : public Clock {
 public:
  absl::Time Now() override { return absl::Now(); }
  static RealClock* Get() {
    static RealClock* clock = new RealClock();
    return clock;
  }
};

// A clock that moves only when told. Thread-safe.
class FakeClock : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::UnixEpoch()) : now_(start) {}
  absl::Time Now() override {
    MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    MutexLock lock(&mu_);
    now_ += d;
  }

 private:
  Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace heapstorm

#endif  // HEAPSTORM_COMMON_CLOCK_H_
