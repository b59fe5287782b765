// Happens-before edges told to ThreadSanitizer, for hand-overs it cannot see: those made
// inside libraries that are not built with TSan (Debian's gRPC and abseil), whose ordering
// their API promises. No-ops in every other build.
//
// Use them only for an ordering the other library guarantees by contract (say, gRPC calls
// a reactor's OnDone after every other reaction of it has returned), at our side of the
// boundary, with a comment naming the contract. Never to quiet a report between two of our
// own threads: that is a race to fix.
#ifndef HEAPSTORM_COMMON_TSAN_H_
#define HEAPSTORM_COMMON_TSAN_H_

#if defined(__SANITIZE_THREAD__)
#define HEAPSTORM_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define HEAPSTORM_TSAN 1
#endif
#endif

#ifdef HEAPSTORM_TSAN
#include <sanitizer/tsan_interface.h>
// On a function whose own memory accesses TSan must not check (it peeks at another
// library's objects); calls it makes are checked as usual.
#define HEAPSTORM_TSAN_UNCHECKED __attribute__((no_sanitize("thread")))
#else
#define HEAPSTORM_TSAN_UNCHECKED
#endif

namespace heapstorm {

// Everything this thread did so far happens before whatever a thread does after a later
// TsanAcquire(key) with the same key. `key` is only an address; it is never read.
inline void TsanRelease(const void* key) {
#ifdef HEAPSTORM_TSAN
  __tsan_release(const_cast<void*>(key));
#else
  (void)key;
#endif
}

// The other side of TsanRelease(key).
inline void TsanAcquire(const void* key) {
#ifdef HEAPSTORM_TSAN
  __tsan_acquire(const_cast<void*>(key));
#else
  (void)key;
#endif
}

}  // namespace heapstorm

#endif  // HEAPSTORM_COMMON_TSAN_H_
