// The gRPC face of the coordinator: the `Coordinator` service (one bidirectional session
// stream per worker, plus a health check) over a Scheduler that knows no gRPC.
//
// Handlers are thin: a stream's reactor only queues what it reads; one dispatcher thread
// applies messages to the scheduler in arrival order (a result is journaled there, before
// its Ack is sent), answers module requests from the ModuleStore, hands out work to free
// slots, and expires silent workers. Nothing slow runs on a gRPC thread.
#ifndef HEAPSTORM_COORDINATOR_COORDINATOR_SERVER_H_
#define HEAPSTORM_COORDINATOR_COORDINATOR_SERVER_H_

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/mutex.h"
#include "coordinator/module_store.h"
#include "rpc/rpc_config.h"
#include "coordinator/scheduler.h"
#include "proto/coordinator.grpc.pb.h"

namespace heapstorm {

struct CoordinatorServerOptions {
  // HOST:PORT to listen on; port 0 picks a free one (see port()).
  std::string listen = "127.0.0.1:0";
  TlsFiles tls;
  // A shared secret workers must present in their hello; "" requires none.
  std::string token;
  // The run's script modules, answered to workers' ModuleRequests on the dispatcher
  // thread. May be null (no module is held: every request is answered with an error).
  // Must outlive the server.
  const ModuleStore* modules = nullptr;
  // How often workers send heartbeats (told to them in the welcome).
  absl::Duration heartbeat_interval = absl::Seconds(2);
  // How often silent workers are looked for.
  absl::Duration expiry_check = absl::Milliseconds(500);
  // Called on the dispatcher thread for every recorded result, and for worker events
  // ("joined", "lost: ...", "refused: ..."). May be empty.
  std::function<void(const v1::RunResult&)> on_result;
  std::function<void(const std::string& worker, const std::string& event)> on_worker_event;
};

class CoordinatorServer {
 public:
  // Starts serving. Unavailable when the address cannot be bound; InvalidArgument for
  // unreadable TLS files. `scheduler` must outlive the server.
  static absl::StatusOr<std::unique_ptr<CoordinatorServer>> Start(Scheduler* scheduler,
                                                                  CoordinatorServerOptions options);
  ~CoordinatorServer();

  // The port actually bound.
  int port() const { return port_; }

  // Blocks until the scheduler is done (every run recorded or given up), Stop(), or a
  // fatal error (see fatal()).
  void WaitUntilDone();
  // The same for at most `timeout`; true when done (or stopped, or failed).
  bool WaitUntilDoneFor(absl::Duration timeout);

  // OK, or why the coordinator cannot go on: a result could not be appended to the
  // journal or the journal could not be synced (Internal, with the OS's reason). From then
  // on nothing more is acknowledged; the caller stops the run (exit 3). What was
  // acknowledged before is in the journal, and --resume continues from it.
  absl::Status fatal() const;

  // Cancels outstanding work (sends Cancel to workers), tells workers to shut down, and
  // stops serving within `deadline`.
  void Stop(const std::string& reason, absl::Duration deadline = absl::Seconds(3));

  // Health: NOT_SERVING while draining.
  void SetServing(bool serving);

  class Session;
  class Service;

 private:
  CoordinatorServer(Scheduler* scheduler, CoordinatorServerOptions options);
  void DispatchLoop();
  // Group commit off the dispatcher's thread: syncs the journal, then acknowledges what
  // the sync covered. A slow sync delays acknowledgements, never new work.
  void SyncLoop();
  void Handle(const std::shared_ptr<Session>& session, const v1::WorkerMessage& message)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Handle's steps: a hello joins (or is refused); a result is checked, recorded and
  // queued for acknowledgement after the sync that covers it.
  void HandleHello(const std::shared_ptr<Session>& session, const v1::Hello& hello)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void HandleResult(const std::shared_ptr<Session>& session, const std::string& worker,
                    const v1::WorkerMessage& message) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Hands queued work to workers with free slots.
  void PumpAll() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Enqueue(std::shared_ptr<Session> session, std::unique_ptr<v1::WorkerMessage> message);
  // Ends every session with a Shutdown; `unfinished`: the run is not over (Shutdown.unfinished).
  void ShutdownSessionsLocked(const std::string& reason, bool unfinished) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Records the first fatal error and wakes WaitUntilDone().
  void FailLocked(absl::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Scheduler* const scheduler_;
  const CoordinatorServerOptions options_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;

  // Messages read from streams; a null message means the stream ended. gRPC threads
  // only ever take inbox_mu_, briefly.
  Mutex inbox_mu_;
  std::deque<std::pair<std::shared_ptr<Session>, std::unique_ptr<v1::WorkerMessage>>> inbox_
      ABSL_GUARDED_BY(inbox_mu_);
  bool wake_ ABSL_GUARDED_BY(inbox_mu_) = false;

  // The dispatcher's state.
  mutable Mutex mu_;
  std::map<std::string, std::shared_ptr<Session>> sessions_ ABSL_GUARDED_BY(mu_);
  // Acks of the current batch, handed to the syncer at the end of the batch.
  std::vector<std::pair<std::shared_ptr<Session>, std::string>> pending_acks_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  bool serving_ ABSL_GUARDED_BY(mu_) = true;
  absl::Status fatal_ ABSL_GUARDED_BY(mu_);
  std::thread dispatcher_;

  // Results appended to the journal and waiting for a sync to be acknowledged.
  Mutex sync_mu_;
  std::vector<std::pair<std::shared_ptr<Session>, std::string>> to_sync_ ABSL_GUARDED_BY(sync_mu_);
  bool sync_stop_ ABSL_GUARDED_BY(sync_mu_) = false;
  // After a failed sync nothing is acknowledged again: the kernel may have dropped the
  // unsynced pages, so a later sync that succeeds proves nothing about them.
  bool sync_failed_ ABSL_GUARDED_BY(sync_mu_) = false;
  std::thread syncer_;
};

}  // namespace heapstorm

#endif  // HEAPSTORM_COORDINATOR_COORDINATOR_SERVER_H_
