// The project's mutex: absl::Mutex, except in the ThreadSanitizer build.
//
// Debian's abseil is a shared library built without ThreadSanitizer, so TSan cannot see
// absl::Mutex lock and unlock and would report every access it guards as a race. Under
// `--config=tsan` (which defines HEAPSTORM_TSAN_MUTEX) Mutex is a small lock over
// std::mutex, which TSan intercepts, with the same interface and the same annotations for
// clang's -Wthread-safety. Everything else uses absl::Mutex unchanged.
//
// Use `Mutex`, `MutexLock`, `Notification` and `absl::Condition` (never absl::Mutex or
// absl::Notification directly), so both builds check the same code.
#ifndef HEAPSTORM_COMMON_MUTEX_H_
#define HEAPSTORM_COMMON_MUTEX_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/notification.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

#ifdef HEAPSTORM_TSAN_MUTEX
#include <chrono>
#include <condition_variable>
#include <mutex>
#endif

namespace heapstorm {

#ifndef HEAPSTORM_TSAN_MUTEX

using Mutex = absl::Mutex;
using MutexLock = absl::MutexLock;
using Notification = absl::Notification;

#else

// absl::Mutex's exclusive subset, over std::mutex. Await* re-evaluate their condition
// whenever the mutex is released, as absl::Mutex does. Slower; for the TSan build only.
class ABSL_LOCKABLE Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mu_.lock(); }
  void Unlock() ABSL_UNLOCK_FUNCTION() {
    changed_.notify_all();
    mu_.unlock();
  }
  void AssertHeld() const ABSL_ASSERT_EXCLUSIVE_LOCK() {}

  void Await(const absl::Condition& condition) ABSL_EXCLUSIVE_LOCKS_REQUIRED(this) {
    std::unique_lock<std::mutex> lock(mu_, std::adopt_lock);
    while (!condition.Eval()) changed_.wait(lock);
    lock.release();
  }
  bool AwaitWithDeadline(const absl::Condition& condition, absl::Time deadline)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(this) {
    std::unique_lock<std::mutex> lock(mu_, std::adopt_lock);
    const auto until = absl::ToChronoTime(deadline);
    bool met = condition.Eval();
    while (!met) {
      if (changed_.wait_until(lock, until) == std::cv_status::timeout) {
        met = condition.Eval();
        break;
      }
      met = condition.Eval();
    }
    lock.release();
    return met;
  }
  bool AwaitWithTimeout(const absl::Condition& condition, absl::Duration timeout)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(this) {
    return AwaitWithDeadline(condition, absl::Now() + timeout);
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
};

class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

// absl::Notification's interface over the Mutex above.
class Notification {
 public:
  void Notify() {
    MutexLock lock(&mu_);
    notified_ = true;
  }
  bool HasBeenNotified() {
    MutexLock lock(&mu_);
    return notified_;
  }
  void WaitForNotification() {
    MutexLock lock(&mu_);
    mu_.Await(absl::Condition(&notified_));
  }
  bool WaitForNotificationWithTimeout(absl::Duration timeout) {
    MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(absl::Condition(&notified_), timeout);
  }

 private:
  Mutex mu_;
  bool notified_ ABSL_GUARDED_BY(mu_) = false;
};

#endif  // HEAPSTORM_TSAN_MUTEX

}  // namespace heapstorm

#endif  // HEAPSTORM_COMMON_MUTEX_H_
