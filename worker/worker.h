// A worker: a gRPC client of the coordinator with a number of slots, each running one
// assignment at a time through the engine.
//
// It connects (pull model: it may sit behind NAT or in a pod), says hello, sends a
// heartbeat every interval the coordinator asks for, runs what it is given, and sends each
// result until it is acknowledged: results without an acknowledgement are sent again on
// the next session (the coordinator records each once). A Cancel kills that run's node.
// When the stream breaks it kills its runs (their leases are gone with the stream) and
// reconnects with backoff, until `reconnect_for` has passed without a connection. A
// Shutdown from the coordinator, or Stop(), ends it; Stop() gives back (drains) what runs.
// A script assignment names its module by hash: the worker runs it from its ModuleCache,
// or first asks the coordinator for the module (once per hash) and parks the assignment
// until it arrives; a module the coordinator does not have fails those runs (Failure).
//
// The stream has one owner per session: a writer thread is the only code that writes to
// it or half-closes it, and the session joins that thread before it finishes and destroys
// the stream. Everything else (slots, heartbeats, Stop) queues messages.
//
// It knows no gRPC: it talks through a CoordinatorClient (rpc/coordinator_client.h) and
// runs through a ScenarioRunner (the engine), so a test can substitute fakes for both.
#ifndef HEAPSTORM_WORKER_WORKER_H_
#define HEAPSTORM_WORKER_WORKER_H_

#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/mutex.h"
#include "proto/coordinator.pb.h"
#include "rpc/coordinator_client.h"
#include "rpc/rpc_config.h"
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
  // A coordinator stopped before its run was over (Shutdown.unfinished) is waited for, as a
  // lost one is, so that the worker joins its --resume. The workers `heapstorm run` starts
  // for itself end with their coordinator instead.
  bool wait_for_resume = true;
  // Script module sources kept between runs. Bytes. Default 256 MiB.
  uint64_t module_cache_bytes = kDefaultModuleCacheBytes;
};

class Worker {
 public:
  // Talks gRPC to `options.coordinator`. `engine` must outlive the worker.
  Worker(WorkerOptions options, ScenarioRunner* engine);
  // Talks through `client` instead (options.coordinator and options.tls are then unused).
  Worker(WorkerOptions options, ScenarioRunner* engine, std::unique_ptr<CoordinatorClient> client);
  ~Worker();

  // Connects and works until the coordinator says the run is over (OK), Stop() is called
  // (OK), the coordinator refuses this worker (Unauthenticated / FailedPrecondition), or
  // no connection could be made for `reconnect_for` (Unavailable).
  absl::Status Run();

  // Stops taking work, gives back what runs (killing its node), and closes its side of
  // the session, so Run() returns once the coordinator has read everything. Thread-safe,
  // idempotent (a second call does nothing); not async-signal-safe.
  void Stop();

  // Tears the session down at once, without waiting for the coordinator (after Stop()
  // when the coordinator does not answer). Thread-safe.
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
  // The session's writer thread: writes what is queued, in order, until the session
  // closes; half-closes the stream when asked to. The only user of the stream's write side.
  void WriteLoop(CoordinatorStream* stream);
  void RunAssignment(v1::Assignment assignment, Slot* slot);
  // Starts an assignment in a slot of its own (unless stopping).
  void StartAssignment(v1::Assignment assignment);
  // Fills a script assignment's module source from the cache: true when it can start now;
  // false when it is parked until its module arrives (asked for once per hash).
  bool FillModule(v1::Assignment* assignment);
  // The coordinator's answer to a ModuleRequest: the parked assignments now ready. Those
  // whose module is not to be had fail (Failure naming the module).
  std::vector<v1::Assignment> ModuleArrived(const v1::Module& module);
  // Queues a message for the current session; false when there is none.
  bool Write(v1::WorkerMessage message);
  // Queues a result (kept until acknowledged), or a Failure naming the run when it cannot
  // travel (larger than a message may be).
  void SendResult(const v1::Assignment& assignment, v1::RunResult result);
  void CancelAllRuns();
  void ReapFinishedSlots();

  WorkerOptions options_;
  ScenarioRunner* const engine_;
  const std::unique_ptr<CoordinatorClient> client_;
  std::atomic<bool> stop_{false};

  Mutex mu_;
  CoordinatorStream* stream_ ABSL_GUARDED_BY(mu_) = nullptr;  // the current session's
  std::map<std::string, std::unique_ptr<Slot>> slots_ ABSL_GUARDED_BY(mu_);
  // Results sent (or to send) and not yet acknowledged, by assignment id; sent again at
  // the start of every session.
  std::map<std::string, v1::WorkerMessage> unacked_ ABSL_GUARDED_BY(mu_);
  // The current session's outgoing queue. `open_` while a session's writer runs.
  std::deque<v1::WorkerMessage> outbox_ ABSL_GUARDED_BY(mu_);
  bool open_ ABSL_GUARDED_BY(mu_) = false;
  bool closing_ ABSL_GUARDED_BY(mu_) = false;     // the session is over: the writer ends
  bool half_close_ ABSL_GUARDED_BY(mu_) = false;  // Stop(): WritesDone after the queue
  bool drained_ ABSL_GUARDED_BY(mu_) = false;     // Stop() has queued its Drain
  // Used by the session's reader thread only.
  ModuleCache modules_;
  std::map<std::string, std::vector<v1::Assignment>> parked_;  // module sha256 → waiting work
};

}  // namespace heapstorm

#endif  // HEAPSTORM_WORKER_WORKER_H_
