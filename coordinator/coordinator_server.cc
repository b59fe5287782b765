#include "coordinator/coordinator_server.h"

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/mutex.h"
#include "common/tsan.h"
#include "common/version.h"
#include "model/limits.h"

namespace heapstorm {

// What the dispatcher knows of one stream. The reactor belongs to gRPC and goes away in
// OnDone(); the session outlives it and turns sends into no-ops from then on.
class CoordinatorServer::Session {
 public:
  using Reactor = grpc::ServerBidiReactor<v1::WorkerMessage, v1::CoordinatorMessage>;

  explicit Session(std::string peer) : peer_(std::move(peer)) {}

  const std::string& peer() const { return peer_; }
  std::string worker_id() const {
    MutexLock lock(&mu_);
    return worker_id_;
  }
  void set_worker_id(std::string id) {
    MutexLock lock(&mu_);
    worker_id_ = std::move(id);
  }

  // Queues a message; written in order, one at a time.
  void Send(v1::CoordinatorMessage message) {
    MutexLock lock(&mu_);
    if (reactor_ == nullptr || finishing_) return;
    outbox_.push_back(std::move(message));
    if (!writing_) {
      writing_ = true;
      reactor_->StartWrite(&outbox_.front());
    }
  }

  // Ends the stream once everything queued is written.
  void Finish(grpc::Status status) {
    MutexLock lock(&mu_);
    if (reactor_ == nullptr || finishing_) return;
    finishing_ = true;
    final_status_ = std::move(status);
    if (!writing_) FinishLocked();
  }

  // From the reactor.
  void Attach(Reactor* reactor) {
    MutexLock lock(&mu_);
    reactor_ = reactor;
  }
  void WriteDone(bool ok) {
    MutexLock lock(&mu_);
    if (!outbox_.empty()) outbox_.pop_front();
    if (reactor_ == nullptr) return;
    if (!ok) {
      // The stream is broken (the worker went away, or the server is shutting down). The
      // reactor must still be finished, whether or not a Finish was asked for before:
      // without it the RPC never ends and the server's shutdown waits forever.
      outbox_.clear();
      writing_ = false;
      if (!finishing_) {
        finishing_ = true;
        final_status_ = grpc::Status(grpc::StatusCode::UNAVAILABLE, "write failed");
      }
      FinishLocked();
      return;
    }
    if (!outbox_.empty()) {
      reactor_->StartWrite(&outbox_.front());
      return;
    }
    writing_ = false;
    if (finishing_) FinishLocked();
  }
  void Detach() {
    MutexLock lock(&mu_);
    reactor_ = nullptr;
    outbox_.clear();
  }

 private:
  // Finishes the reactor once, whichever path gets here first.
  void FinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finish_called_) return;
    finish_called_ = true;
    reactor_->Finish(final_status_);
  }

  const std::string peer_;
  mutable Mutex mu_;
  std::string worker_id_ ABSL_GUARDED_BY(mu_);
  Reactor* reactor_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::deque<v1::CoordinatorMessage> outbox_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finishing_ ABSL_GUARDED_BY(mu_) = false;
  bool finish_called_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status final_status_ ABSL_GUARDED_BY(mu_);
};

namespace {

class SessionReactor
    : public grpc::ServerBidiReactor<v1::WorkerMessage, v1::CoordinatorMessage> {
 public:
  SessionReactor(std::shared_ptr<CoordinatorServer::Session> session,
                 std::function<void(std::shared_ptr<CoordinatorServer::Session>,
                                    std::unique_ptr<v1::WorkerMessage>)>
                     deliver)
      : session_(std::move(session)), deliver_(std::move(deliver)) {
    session_->Attach(this);
    in_ = std::make_unique<v1::WorkerMessage>();
    StartRead(in_.get());
    TsanRelease(this);  // for OnDone, below
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      deliver_(session_, nullptr);  // the stream ended
      session_->Finish(grpc::Status::OK);
    } else {
      deliver_(session_, std::move(in_));
      in_ = std::make_unique<v1::WorkerMessage>();
      StartRead(in_.get());
    }
    TsanRelease(this);
  }

  void OnWriteDone(bool ok) override {
    session_->WriteDone(ok);
    TsanRelease(this);
  }

  // gRPC calls OnDone after the constructor and every other reaction have returned, from
  // a thread of its executor that TSan sees no hand-over to: hence the releases above.
  void OnDone() override {
    TsanAcquire(this);
    session_->Detach();
    delete this;
  }

 private:
  std::shared_ptr<CoordinatorServer::Session> session_;
  std::function<void(std::shared_ptr<CoordinatorServer::Session>, std::unique_ptr<v1::WorkerMessage>)>
      deliver_;
  std::unique_ptr<v1::WorkerMessage> in_;
};

}  // namespace

class CoordinatorServer::Service final : public v1::Coordinator::CallbackService {
 public:
  explicit Service(CoordinatorServer* owner) : owner_(owner) {}

  grpc::ServerBidiReactor<v1::WorkerMessage, v1::CoordinatorMessage>* Session(
      grpc::CallbackServerContext* context) override {
    auto session = std::make_shared<CoordinatorServer::Session>(context->peer());
    return new SessionReactor(
        session, [this](std::shared_ptr<CoordinatorServer::Session> s,
                        std::unique_ptr<v1::WorkerMessage> m) { owner_->Enqueue(std::move(s), std::move(m)); });
  }

  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* context,
                                  const v1::HealthCheckRequest*,
                                  v1::HealthCheckResponse* response) override {
    {
      MutexLock lock(&owner_->mu_);
      response->set_status(owner_->serving_ && !owner_->stopping_
                               ? v1::HealthCheckResponse::SERVING
                               : v1::HealthCheckResponse::NOT_SERVING);
    }
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

 private:
  CoordinatorServer* owner_;
};

CoordinatorServer::CoordinatorServer(Scheduler* scheduler, CoordinatorServerOptions options)
    : scheduler_(scheduler), options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<CoordinatorServer>> CoordinatorServer::Start(
    Scheduler* scheduler, CoordinatorServerOptions options) {
  auto credentials = ServerCredentialsFor(options.tls);
  if (!credentials.ok()) return credentials.status();
  std::unique_ptr<CoordinatorServer> server(new CoordinatorServer(scheduler, std::move(options)));
  server->service_ = std::make_unique<Service>(server.get());
  grpc::ServerBuilder builder;
  ConfigureServer(&builder);
  builder.AddListeningPort(server->options_.listen, *credentials, &server->port_);
  builder.RegisterService(server->service_.get());
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", server->options_.listen));
  }
  server->dispatcher_ = std::thread([s = server.get()] { s->DispatchLoop(); });
  server->syncer_ = std::thread([s = server.get()] { s->SyncLoop(); });
  return server;
}

CoordinatorServer::~CoordinatorServer() { Stop("the coordinator is shutting down", absl::Seconds(1)); }

void CoordinatorServer::Enqueue(std::shared_ptr<Session> session,
                                std::unique_ptr<v1::WorkerMessage> message) {
  MutexLock lock(&inbox_mu_);
  inbox_.emplace_back(std::move(session), std::move(message));
}

void CoordinatorServer::SetServing(bool serving) {
  MutexLock lock(&mu_);
  serving_ = serving;
}

void CoordinatorServer::WaitUntilDone() {
  MutexLock lock(&mu_);
  auto finished = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return done_ || stopping_ || !fatal_.ok(); };
  mu_.Await(absl::Condition(&finished));
}

bool CoordinatorServer::WaitUntilDoneFor(absl::Duration timeout) {
  MutexLock lock(&mu_);
  auto finished = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return done_ || stopping_ || !fatal_.ok(); };
  return mu_.AwaitWithTimeout(absl::Condition(&finished), timeout);
}

absl::Status CoordinatorServer::fatal() const {
  MutexLock lock(&mu_);
  return fatal_;
}

void CoordinatorServer::FailLocked(absl::Status status) {
  if (!fatal_.ok()) return;
  HS_LOG(ERROR) << status.message() << ": nothing more is acknowledged";
  fatal_ = std::move(status);
}

void CoordinatorServer::ShutdownSessionsLocked(const std::string& reason, bool unfinished) {
  for (auto& [id, session] : sessions_) {
    v1::CoordinatorMessage message;
    message.mutable_shutdown()->set_reason(reason);
    message.mutable_shutdown()->set_unfinished(unfinished);
    session->Send(std::move(message));
    session->Finish(grpc::Status::OK);
  }
  sessions_.clear();
}

void CoordinatorServer::Stop(const std::string& reason, absl::Duration deadline) {
  {
    MutexLock lock(&mu_);
    if (stopping_ && server_ == nullptr) return;
    bool first = !stopping_;
    stopping_ = true;
    const bool unfinished = !scheduler_->Done();
    if (first && unfinished) {
      // Tell every worker to kill what it runs for us.
      for (const auto& [worker, ids] : scheduler_->Running()) {
        auto it = sessions_.find(worker);
        if (it == sessions_.end()) continue;
        for (const std::string& id : ids) {
          v1::CoordinatorMessage cancel;
          cancel.mutable_cancel()->set_assignment_id(id);
          cancel.mutable_cancel()->set_reason(reason);
          it->second->Send(std::move(cancel));
        }
      }
      scheduler_->Cancel(absl::StrCat("cancelled: ", reason));
    }
    ShutdownSessionsLocked(reason, unfinished);
  }
  {
    MutexLock lock(&inbox_mu_);
    wake_ = true;
  }
  if (dispatcher_.joinable()) dispatcher_.join();
  {
    MutexLock lock(&sync_mu_);
    sync_stop_ = true;
  }
  if (syncer_.joinable()) syncer_.join();
  (void)scheduler_->Flush();  // whatever the last batch journaled
  if (server_ != nullptr) {
    server_->Shutdown(absl::ToChronoTime(absl::Now() + deadline));
    server_.reset();
  }
}

void CoordinatorServer::PumpAll() {
  for (auto& [worker, assignment] : scheduler_->Distribute()) {
    auto it = sessions_.find(worker);
    if (it == sessions_.end()) {
      // Cannot happen (a worker joins the scheduler and the sessions together); if it
      // did, its work goes back rather than wait out a lease nobody can hold.
      HS_LOG(ERROR) << "no session for worker '" << worker << "': its work is requeued";
      scheduler_->RemoveWorker(worker, "it has no session");
      continue;
    }
    v1::CoordinatorMessage message;
    *message.mutable_assignment() = std::move(assignment);
    it->second->Send(std::move(message));
  }
}

void CoordinatorServer::HandleHello(const std::shared_ptr<Session>& session, const v1::Hello& hello) {
  std::string refusal;
  if (!options_.token.empty() && !SameSecret(hello.token(), options_.token)) {
    refusal = "wrong or missing token";
  } else if (hello.worker_id().empty()) {
    refusal = "the hello names no worker";
  } else if (auto s = scheduler_->AddWorker(hello.worker_id(), static_cast<int>(hello.slots()));
             !s.ok()) {
    refusal = std::string(s.message());
  }
  if (!refusal.empty()) {
    HS_LOG(WARNING) << "refused worker '" << hello.worker_id() << "' from " << session->peer()
                    << ": " << refusal;
    if (options_.on_worker_event) options_.on_worker_event(hello.worker_id(), "refused: " + refusal);
    session->Finish(grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                                 absl::StrCat("refused by the coordinator: ", refusal)));
    return;
  }
  session->set_worker_id(hello.worker_id());
  sessions_[hello.worker_id()] = session;
  HS_LOG(INFO) << "worker '" << hello.worker_id() << "' joined from " << session->peer() << " with "
               << hello.slots() << " slots, node " << hello.node_version();
  if (options_.on_worker_event) {
    options_.on_worker_event(hello.worker_id(), absl::StrCat("joined with ", hello.slots(), " slots"));
  }
  v1::CoordinatorMessage welcome;
  welcome.mutable_welcome()->set_heartbeat_interval_ms(
      static_cast<uint64_t>(absl::ToInt64Milliseconds(options_.heartbeat_interval)));
  session->Send(std::move(welcome));
}

void CoordinatorServer::HandleResult(const std::shared_ptr<Session>& session, const std::string& worker,
                                     const v1::WorkerMessage& message) {
  if (!fatal_.ok()) return;  // nothing is recorded or acknowledged any more
  // Checked like every message that enters, whatever sent it: a result with limits no
  // run can have had comes from a broken or foreign worker. The run counts as failed
  // there and goes back to the queue; the result is acknowledged, so it is not resent.
  if (absl::Status valid = ValidateLimits(message.result().result().limits()); !valid.ok()) {
    HS_LOG(WARNING) << "refused the result of " << message.result().assignment_id() << " from " << worker
                    << ": " << valid.message();
    scheduler_->Fail(worker, message.result().assignment_id(),
                     absl::StrCat("its result was refused: ", valid.message()));
    pending_acks_.emplace_back(session, message.result().assignment_id());
    return;
  }
  Scheduler::RecordOutcome outcome = scheduler_->Record(worker, message.result().result());
  if (outcome == Scheduler::RecordOutcome::kJournalFailed) {
    FailLocked(absl::InternalError(absl::StrCat("the journal cannot be written (",
                                                scheduler_->JournalError().message(), ")")));
    return;
  }
  // Every other outcome is final for this result, so the worker may forget it: recorded,
  // recorded before, or not wanted (its lease moved on, or the run is unknown). A
  // recorded one is acknowledged only after the sync that covers it.
  pending_acks_.emplace_back(session, message.result().assignment_id());
  if (outcome == Scheduler::RecordOutcome::kRecorded && options_.on_result) {
    v1::RunResult recorded = message.result().result();
    recorded.set_worker(worker);
    options_.on_result(recorded);
  }
  if (outcome == Scheduler::RecordOutcome::kNotLeaseHolder) {
    HS_LOG(INFO) << "ignored a late result of " << message.result().assignment_id() << " from "
                 << worker << ": its lease had moved";
  }
}

void CoordinatorServer::Handle(const std::shared_ptr<Session>& session,
                               const v1::WorkerMessage& message) {
  std::string worker = session->worker_id();
  if (message.has_hello()) {
    HandleHello(session, message.hello());
    return;
  }
  if (worker.empty()) {
    session->Finish(grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "say hello first"));
    return;
  }
  scheduler_->Touch(worker);
  if (message.has_result()) {
    HandleResult(session, worker, message);
  } else if (message.has_failure()) {
    HS_LOG(WARNING) << "worker '" << worker << "' could not do " << message.failure().assignment_id() << ": "
                    << message.failure().reason();
    scheduler_->Fail(worker, message.failure().assignment_id(), message.failure().reason());
  } else if (message.has_release()) {
    scheduler_->Release(worker, message.release().assignment_id());
  } else if (message.has_module_request()) {
    // Answered here, on the dispatcher: the source is shared, the copy into the message is
    // the only cost, once per worker and module.
    const std::string& sha256 = message.module_request().sha256();
    v1::CoordinatorMessage reply;
    reply.mutable_module()->set_sha256(sha256);
    std::shared_ptr<const std::string> source =
        options_.modules != nullptr ? options_.modules->Find(sha256) : nullptr;
    if (source != nullptr) {
      reply.mutable_module()->set_source(*source);
    } else {
      HS_LOG(WARNING) << "worker '" << worker << "' asked for a script module this run does not have ("
                      << sha256.substr(0, 64) << ")";
      reply.mutable_module()->set_error("the coordinator holds no script module with this sha256");
    }
    session->Send(std::move(reply));
  } else if (message.has_drain()) {
    HS_LOG(INFO) << "worker '" << worker << "' is stopping (" << message.drain().reason()
                 << "): its work goes back to the queue";
    scheduler_->Drain(worker);
    if (options_.on_worker_event) options_.on_worker_event(worker, "draining: gave back its work");
  }
}

void CoordinatorServer::DispatchLoop() {
  absl::Time next_expiry = absl::Now() + options_.expiry_check;
  while (true) {
    std::deque<std::pair<std::shared_ptr<Session>, std::unique_ptr<v1::WorkerMessage>>> batch;
    {
      MutexLock lock(&inbox_mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(inbox_mu_) {
        return !inbox_.empty() || wake_;
      };
      inbox_mu_.AwaitWithDeadline(absl::Condition(&ready), next_expiry);
      batch.swap(inbox_);
    }
    MutexLock lock(&mu_);
    if (stopping_) return;
    for (auto& [session, message] : batch) {
      if (message == nullptr) {
        std::string worker = session->worker_id();
        auto it = sessions_.find(worker);
        if (!worker.empty() && it != sessions_.end() && it->second == session) {
          sessions_.erase(it);
          scheduler_->RemoveWorker(worker, "its stream ended");
          HS_LOG(WARNING) << "worker '" << worker << "' left";
          if (options_.on_worker_event) options_.on_worker_event(worker, "lost: its stream ended");
        }
        continue;
      }
      Handle(session, *message);
    }
    if (absl::Now() >= next_expiry) {
      for (const std::string& worker : scheduler_->ExpireSilentWorkers()) {
        HS_LOG(WARNING) << "worker '" << worker << "' went silent: its work goes to others";
        if (options_.on_worker_event) options_.on_worker_event(worker, "lost: silent past its lease");
        auto it = sessions_.find(worker);
        if (it != sessions_.end()) {
          it->second->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                          "lease expired: the worker was silent too long"));
          sessions_.erase(it);
        }
      }
      next_expiry = absl::Now() + options_.expiry_check;
    }
    // New work first: it does not wait for the disk (a sync can stall for tens of
    // milliseconds), only acknowledgements do.
    PumpAll();
    // Group commit: the syncer makes the batch's results durable with one sync, then
    // acknowledges them.
    if (!pending_acks_.empty()) {
      MutexLock lock(&sync_mu_);
      for (auto& ack : pending_acks_) to_sync_.push_back(std::move(ack));
      pending_acks_.clear();
    }
    if (!done_ && scheduler_->Done()) {
      done_ = true;
      ShutdownSessionsLocked("the run is complete", false);
    }
  }
}

void CoordinatorServer::SyncLoop() {
  while (true) {
    std::vector<std::pair<std::shared_ptr<Session>, std::string>> batch;
    {
      MutexLock lock(&sync_mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(sync_mu_) { return !to_sync_.empty() || sync_stop_; };
      sync_mu_.Await(absl::Condition(&ready));
      if (to_sync_.empty()) return;  // stopping, nothing left
      batch.swap(to_sync_);
    }
    {
      MutexLock lock(&sync_mu_);
      if (sync_failed_) continue;  // never acknowledge after a failed sync
    }
    // Everything in `batch` was appended before it was handed over, so this sync covers it.
    absl::Status synced = scheduler_->Flush();
    if (!synced.ok()) {
      {
        MutexLock lock(&sync_mu_);
        sync_failed_ = true;
      }
      MutexLock lock(&mu_);
      FailLocked(absl::InternalError(absl::StrCat("the journal cannot be synced to disk (", synced.message(), ")")));
      continue;
    }
    // One message per worker acknowledges all of its results in the batch.
    std::map<Session*, std::pair<std::shared_ptr<Session>, v1::CoordinatorMessage>> acks;
    for (auto& [session, id] : batch) {
      auto& [owner, message] = acks[session.get()];
      owner = session;
      message.add_acked(std::move(id));
    }
    for (auto& [raw, ack] : acks) ack.first->Send(std::move(ack.second));
  }
}

}  // namespace heapstorm
