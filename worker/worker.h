// A worker: a gRPC client of the coordinator with a number of slots, each running one
// assignment at a time through the engine.
//
// It connects (pull model: it may sit behind NAT or in a pod), says hello, sends a
// heartbeat every interval the coordinator asks for, runs what it is given, and sends each
// result until it is acknowledged. A Cancel kills that run's node. A script assignment
// names its module by hash: the worker runs it from its ModuleCache, or first asks the
// coordinator for the module (once per hash) and parks the assignment until it arrives;
// a module the coordinator does not have is given up (Release with give_up). When the stream breaks
// it kills its runs (their leases are gone with the stream) and reconnects with backoff,
// until `reconnect_for` has passed without a connection. A Shutdown from the coordinator,
// or Stop(), ends it; Stop() gives back (drains) what is running.
#ifndef HEAPSTORM_WORKER_WORKER_H_
#define HEAPSTORM_WORKER_WORKER_H_

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>
#include <thread>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "coordinator/rpc_config.h"
#include "proto/coordinator.grpc.pb.h"
#include "worker/engine/engine.h"
#include "worker/module_cache.h"

namespace heapstorm {

struct WorkerOptions {
  std::string coordinator;  // HOST:PORT
  int slots = 1;
  std::string worker_id;    // "" = hostname-pid
  std::string token;
  TlsFiles tls;
  // Keep trying to (re)connect for this long before giving up.
  absl::Duration reconnect_for = absl::Seconds(30);
  // Script module sources kept between runs. Bytes. Default 256 MiB.
  uint64_t module_cache_bytes = kDefaultModuleCacheBytes;
};

class Worker {
 public:
  // `engine` must outlive the worker.
  Worker(WorkerOptions options, Engine* engine);
  ~Worker();

  // Connects and works until the coordinator says the run is over (OK), Stop() is called
  // (OK), the coordinator refuses this worker (Unauthenticated / FailedPrecondition), or
  // no connection could be made for `reconnect_for` (Unavailable).
  absl::Status Run();

  // Stops taking work, gives back what runs (killing its node), and closes its side of
  // the session, so Run() returns once the coordinator has read everything.
  // Thread-safe; not async-signal-safe (call it from a normal thread).
  void Stop();

  // Tears the session down at once, without waiting for the coordinator (after Stop()
  // when the coordinator does not answer).
  void Abort();

  const std::string& id() const { return options_.worker_id; }

 private:
  struct Slot {
    std::thread thread;
    std::atomic<bool> cancel{false};
    std::atomic<bool> finished{false};
  };

  // One connection's life. Returns how it ended; sets *refused for a final refusal.
  absl::Status Session(bool* shutdown, bool* refused, bool* welcomed);
  void RunAssignment(v1::Assignment assignment, Slot* slot);
  // Starts an assignment in a slot of its own (unless stopping).
  void StartAssignment(v1::Assignment assignment);
  // Fills a script assignment's module source from the cache: true when it can start now;
  // false when it is parked until its module arrives (asked for once per hash).
  bool FillModule(v1::Assignment* assignment);
  // The coordinator's answer to a ModuleRequest: the parked assignments now ready. Those
  // whose module is not to be had are given up.
  std::vector<v1::Assignment> ModuleArrived(const v1::Module& module);
  bool Write(const v1::WorkerMessage& message);
  void CancelAllRuns();
  void ReapFinishedSlots();

  WorkerOptions options_;
  Engine* const engine_;
  std::atomic<bool> stop_{false};

  absl::Mutex mu_;
  grpc::ClientContext* context_ ABSL_GUARDED_BY(mu_) = nullptr;
  grpc::ClientReaderWriter<v1::WorkerMessage, v1::CoordinatorMessage>* stream_ ABSL_GUARDED_BY(mu_) =
      nullptr;
  std::map<std::string, std::unique_ptr<Slot>> slots_ ABSL_GUARDED_BY(mu_);
  // Results sent but not yet acknowledged.
  std::map<std::string, v1::RunResult> unacked_ ABSL_GUARDED_BY(mu_);
  absl::Mutex write_mu_;
  // Used by the session thread only.
  ModuleCache modules_;
  std::map<std::string, std::vector<v1::Assignment>> parked_;  // module sha256 → waiting work
};

}  // namespace heapstorm

#endif  // HEAPSTORM_WORKER_WORKER_H_
