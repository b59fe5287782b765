// ThreadSanitizer build only (compiles to nothing otherwise): tells TSan the happens-before
// edges that gRPC's C API guarantees, where our binaries cross into Debian's libgrpc.
//
// Debian's gRPC and abseil are not built with TSan, so the hand-over of a batch from the
// thread that starts it to the thread that completes it (gRPC's queues, atomics and
// absl::Mutex) is invisible, and every object handed over that way — callback tags with
// their std::function, CallOpSets, call metadata, our reactors and messages — shows up as
// a race. gRPC's API promises exactly one edge per batch: everything a thread did before
// `grpc_call_start_batch(call, ops, n, tag)` (or `grpc_server_request_call(..., tag)`,
// `grpc_server_shutdown_and_notify(..., tag)`) happens before the completion of `tag` is
// seen: a pluck/next that returns it, or, on a callback completion queue, the tag's
// `functor_run`. All of gRPC's C++ code (header-inlined or in libgrpc++) reaches libgrpc
// through these exported functions, so this file defines them, releases on the tag, and
// forwards to libgrpc's (dlsym RTLD_NEXT); the dynamic linker binds every caller to these
// definitions because the library is loaded before libgrpc. The completion side acquires
// on the same tag: after pluck/next return, or, for a callback tag, in a trampoline put in
// the tag's `functor_run` just before the batch starts, which acquires and then calls the
// original function. Likewise a closure libgrpc++ hands to gRPC's executor (a reactor's
// OnDone and OnCancel go that way): release on its argument in `Executor::Run`, acquire in
// a trampoline put in its callback.
//
// Only these edges are added: nothing between two different tags, closures, calls or
// threads is made to look ordered, so a race in heapstorm's own code (two of our threads, or
// our thread and a gRPC callback of another batch, or a reactor's OnReadDone and
// OnWriteDone) is still reported. Checked by planting such races: both were reported.
#include "common/tsan.h"

#ifdef HEAPSTORM_TSAN

#include <dlfcn.h>
#include <link.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <mutex>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "grpc/grpc.h"
#include "grpcpp/version_info.h"

struct grpc_closure;  // libgrpc's; only pointers to it are used here

namespace grpc_core {
// Declared as libgrpc defines them (src/core/lib/iomgr/executor.h), to define the
// interposer below under the same symbol.
enum class ExecutorType;
enum class ExecutorJobType;
class Executor {
 public:
  static void Run(grpc_closure* closure, absl::Status error, ExecutorType executor_type,
                  ExecutorJobType job_type);
};
}  // namespace grpc_core

namespace heapstorm {
namespace {

// The function libgrpc defines under `name`, or abort: without it nothing would work.
void* Real(const char* name) {
  void* real = dlsym(RTLD_NEXT, name);
  if (real == nullptr) {
    std::fprintf(stderr, "grpc_tsan_edges: libgrpc has no %s\n", name);
    std::abort();
  }
  return real;
}

// The address ranges of every loaded executable segment. A callback tag begins with its
// `functor_run`, a code address; a pluck/next tag (a CallOpSet) begins with a vtable
// pointer, never in an executable segment. Loaded once: our binaries dlopen nothing.
class CodeRanges {
 public:
  static const CodeRanges& Get() {
    static const CodeRanges* ranges = new CodeRanges();
    return *ranges;
  }
  bool Contains(uintptr_t address) const {
    auto it = std::upper_bound(ranges_.begin(), ranges_.end(), std::make_pair(address, UINTPTR_MAX));
    return it != ranges_.begin() && address < std::prev(it)->second;
  }

 private:
  CodeRanges() {
    dl_iterate_phdr(
        [](dl_phdr_info* info, size_t, void* data) {
          auto* ranges = static_cast<std::vector<std::pair<uintptr_t, uintptr_t>>*>(data);
          for (int i = 0; i < info->dlpi_phnum; ++i) {
            const ElfW(Phdr)& ph = info->dlpi_phdr[i];
            if (ph.p_type != PT_LOAD || (ph.p_flags & PF_X) == 0) continue;
            uintptr_t start = info->dlpi_addr + ph.p_vaddr;
            ranges->emplace_back(start, start + ph.p_memsz);
          }
          return 0;
        },
        &ranges_);
    std::sort(ranges_.begin(), ranges_.end());
  }
  std::vector<std::pair<uintptr_t, uintptr_t>> ranges_;
};

// Trampolines: one per distinct original function of type Fn (gRPC has a handful of
// callback-tag kinds and executor closures), each acquiring on its first argument before
// calling the original. Slot N's original is stored once, before anything points at
// Trampoline<N>; the lock is taken only to fill a new slot.
template <typename Fn>
class Trampolines;

template <typename Arg, typename Second>
class Trampolines<void (*)(Arg*, Second)> {
 public:
  using Fn = void (*)(Arg*, Second);

  // The trampoline that calls `original`, registering it on first sight; `original`
  // itself when it is a trampoline already; null when every slot is taken (the caller
  // then leaves the original in place, and TSan may report that hand-over).
  static Fn For(Fn original) {
    if (std::find(kAll.begin(), kAll.end(), original) != kAll.end()) return original;
    for (int n = 0; n < kSlots; ++n) {
      Fn slot = original_[n].load(std::memory_order_acquire);
      if (slot == original) return kAll[n];
      if (slot == nullptr) break;
    }
    std::lock_guard<std::mutex> lock(register_mu_);
    for (int n = 0; n < kSlots; ++n) {
      Fn slot = original_[n].load(std::memory_order_acquire);
      if (slot == original) return kAll[n];
      if (slot == nullptr) {
        original_[n].store(original, std::memory_order_release);
        return kAll[n];
      }
    }
    static std::once_flag warned;
    std::call_once(warned, [] { std::fprintf(stderr, "grpc_tsan_edges: more than %d callback kinds\n", kSlots); });
    return nullptr;
  }

 private:
  static constexpr int kSlots = 16;

  template <int N>
  static void Trampoline(Arg* arg, Second second) {
    TsanAcquire(arg);
    original_[N].load(std::memory_order_relaxed)(arg, std::move(second));
  }
  template <int... N>
  static constexpr std::array<Fn, sizeof...(N)> Make(std::integer_sequence<int, N...>) {
    return {&Trampoline<N>...};
  }
  static constexpr std::array<Fn, kSlots> kAll = Make(std::make_integer_sequence<int, kSlots>());
  static inline std::atomic<Fn> original_[kSlots] = {};
  static inline std::mutex register_mu_;
};

using FunctorRun = void (*)(grpc_completion_queue_functor*, int);
using ClosureRun = void (*)(void*, absl::Status);

// gRPC 1.51's grpc_closure (src/core/lib/iomgr/closure.h), up to the fields used here:
// a queue link, then the callback and its argument. Check it on a gRPC upgrade.
static_assert(GRPC_CPP_VERSION_MAJOR == 1 && GRPC_CPP_VERSION_MINOR == 51,
              "re-check the grpc_closure layout below against this gRPC");
struct ClosureHead {
  void* next;
  ClosureRun cb;
  void* cb_arg;
};

// The tag's first word, and setting it: gRPC's own objects, which gRPC's uninstrumented
// code fills and hands between its threads, so TSan has no history of them to check.
HEAPSTORM_TSAN_UNCHECKED FunctorRun FirstWord(const void* tag) {
  return static_cast<const grpc_completion_queue_functor*>(tag)->functor_run;
}
HEAPSTORM_TSAN_UNCHECKED void SetFunctorRun(void* tag, FunctorRun run) {
  static_cast<grpc_completion_queue_functor*>(tag)->functor_run = run;
}

// Releases on `tag` and, when it is a callback tag, routes its completion through the
// trampoline that acquires on it. Called before the tag is handed to libgrpc.
void BeforeHandOver(void* tag) {
  if (tag == nullptr) return;
  TsanRelease(tag);
  FunctorRun run = FirstWord(tag);
  // A pluck/next tag (a CallOpSet) begins with a vtable pointer, not code.
  if (!CodeRanges::Get().Contains(reinterpret_cast<uintptr_t>(run))) return;
  if (FunctorRun trampoline = Trampolines<FunctorRun>::For(run)) SetFunctorRun(tag, trampoline);
}

HEAPSTORM_TSAN_UNCHECKED ClosureHead* HeadOf(grpc_closure* closure) { return reinterpret_cast<ClosureHead*>(closure); }
HEAPSTORM_TSAN_UNCHECKED void* ArgOf(grpc_closure* closure) { return HeadOf(closure)->cb_arg; }
HEAPSTORM_TSAN_UNCHECKED ClosureRun RunOf(grpc_closure* closure) { return HeadOf(closure)->cb; }
HEAPSTORM_TSAN_UNCHECKED void SetRunOf(grpc_closure* closure, ClosureRun run) { HeadOf(closure)->cb = run; }

// The same for a closure handed to gRPC's executor: release on its argument, and run it
// through a trampoline that acquires on that argument.
void BeforeExecutor(grpc_closure* closure) {
  if (closure == nullptr) return;
  TsanRelease(ArgOf(closure));
  if (ClosureRun trampoline = Trampolines<ClosureRun>::For(RunOf(closure))) SetRunOf(closure, trampoline);
}

void AfterCompletion(const grpc_event& event) {
  if (event.type == GRPC_OP_COMPLETE && event.tag != nullptr) TsanAcquire(event.tag);
}

}  // namespace
}  // namespace heapstorm

extern "C" {

using heapstorm::AfterCompletion;
using heapstorm::BeforeHandOver;
using heapstorm::Real;

grpc_call_error grpc_call_start_batch(grpc_call* call, const grpc_op* ops, size_t nops, void* tag,
                                      void* reserved) {
  static const auto real = reinterpret_cast<decltype(&grpc_call_start_batch)>(Real("grpc_call_start_batch"));
  BeforeHandOver(tag);
  return real(call, ops, nops, tag, reserved);
}

grpc_call_error grpc_server_request_call(grpc_server* server, grpc_call** call, grpc_call_details* details,
                                         grpc_metadata_array* request_metadata,
                                         grpc_completion_queue* cq_bound_to_call,
                                         grpc_completion_queue* cq_for_notification, void* tag) {
  static const auto real =
      reinterpret_cast<decltype(&grpc_server_request_call)>(Real("grpc_server_request_call"));
  BeforeHandOver(tag);
  return real(server, call, details, request_metadata, cq_bound_to_call, cq_for_notification, tag);
}

grpc_call_error grpc_server_request_registered_call(grpc_server* server, void* registered_method,
                                                    grpc_call** call, gpr_timespec* deadline,
                                                    grpc_metadata_array* request_metadata,
                                                    grpc_byte_buffer** optional_payload,
                                                    grpc_completion_queue* cq_bound_to_call,
                                                    grpc_completion_queue* cq_for_notification,
                                                    void* tag) {
  static const auto real = reinterpret_cast<decltype(&grpc_server_request_registered_call)>(
      Real("grpc_server_request_registered_call"));
  BeforeHandOver(tag);
  return real(server, registered_method, call, deadline, request_metadata, optional_payload, cq_bound_to_call,
              cq_for_notification, tag);
}

void grpc_server_shutdown_and_notify(grpc_server* server, grpc_completion_queue* cq, void* tag) {
  static const auto real =
      reinterpret_cast<decltype(&grpc_server_shutdown_and_notify)>(Real("grpc_server_shutdown_and_notify"));
  BeforeHandOver(tag);
  real(server, cq, tag);
}

grpc_event grpc_completion_queue_pluck(grpc_completion_queue* cq, void* tag, gpr_timespec deadline,
                                       void* reserved) {
  static const auto real =
      reinterpret_cast<decltype(&grpc_completion_queue_pluck)>(Real("grpc_completion_queue_pluck"));
  grpc_event event = real(cq, tag, deadline, reserved);
  AfterCompletion(event);
  return event;
}

grpc_event grpc_completion_queue_next(grpc_completion_queue* cq, gpr_timespec deadline, void* reserved) {
  static const auto real =
      reinterpret_cast<decltype(&grpc_completion_queue_next)>(Real("grpc_completion_queue_next"));
  grpc_event event = real(cq, deadline, reserved);
  AfterCompletion(event);
  return event;
}

}  // extern "C"

// libgrpc++ hands a reactor's OnDone and OnCancel to gRPC's executor (ScheduleOnDone,
// ScheduleOnCancel): the edge from the last reaction to OnDone goes through here.
void grpc_core::Executor::Run(grpc_closure* closure, absl::Status error, ExecutorType executor_type,
                              ExecutorJobType job_type) {
  using RunFn = void (*)(grpc_closure*, absl::Status, ExecutorType, ExecutorJobType);
  static const auto real = reinterpret_cast<RunFn>(heapstorm::Real(
      "_ZN9grpc_core8Executor3RunEP12grpc_closureN4absl7debian36StatusENS_12ExecutorTypeENS_15ExecutorJobTypeE"));
  heapstorm::BeforeExecutor(closure);
  real(closure, std::move(error), executor_type, job_type);
}

#endif  // HEAPSTORM_TSAN
