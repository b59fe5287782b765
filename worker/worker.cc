#include "worker/worker.h"

#include <unistd.h>

#include <algorithm>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/mutex.h"
#include "common/utf8.h"
#include "common/version.h"
#include "rpc/grpc_coordinator_client.h"
#include "scenarios/sha256.h"

namespace heapstorm {

Worker::Worker(WorkerOptions options, ScenarioRunner* engine)
    : Worker(options, engine, std::make_unique<GrpcCoordinatorClient>(options.coordinator, options.tls)) {}

Worker::Worker(WorkerOptions options, ScenarioRunner* engine, std::unique_ptr<CoordinatorClient> client)
    : options_(std::move(options)), engine_(engine), client_(std::move(client)), modules_(options_.module_cache_bytes) {
  if (options_.worker_id.empty()) {
    char host[256] = {0};
    gethostname(host, sizeof(host) - 1);
    options_.worker_id = absl::StrCat(host, "-", getpid());
  }
  options_.slots = std::max(1, options_.slots);
}

Worker::~Worker() {
  stop_ = true;
  CancelAllRuns();
}

void Worker::Stop() {
  {
    MutexLock lock(&mu_);
    stop_ = true;
    if (drained_) return;
    drained_ = true;
  }
  // The coordinator gives back every lease of ours (same attempt) and sends no more work;
  // then the runs are killed.
  v1::WorkerMessage drain;
  drain.mutable_drain()->set_reason("the worker was asked to stop");
  Write(std::move(drain));
  CancelAllRuns();
  // Half-close once the drain (and anything queued before it) is written.
  MutexLock lock(&mu_);
  half_close_ = true;
}

void Worker::Abort() {
  stop_ = true;
  MutexLock lock(&mu_);
  if (stream_ != nullptr) stream_->TryCancel();
}

bool Worker::Write(v1::WorkerMessage message) {
  MutexLock lock(&mu_);
  if (!open_ || closing_) return false;
  outbox_.push_back(std::move(message));
  return true;
}

void Worker::WriteLoop(CoordinatorStream* stream) {
  bool half_closed = false;
  while (true) {
    v1::WorkerMessage message;
    {
      MutexLock lock(&mu_);
      auto ready = [this, &half_closed]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return !outbox_.empty() || closing_ || (half_close_ && !half_closed);
      };
      mu_.Await(absl::Condition(&ready));
      if (closing_) return;
      if (outbox_.empty()) {
        // Stop() asked for the end of our side, and everything before it is written.
        half_closed = true;
        stream->WritesDone();
        continue;
      }
      if (half_closed) {  // nothing can be written after WritesDone
        outbox_.clear();
        continue;
      }
      message = std::move(outbox_.front());
      outbox_.pop_front();
    }
    if (!stream->Write(message)) {
      // The stream is broken: the reader sees it end too. Drop the rest; results stay in
      // unacked_ for the next session.
      MutexLock lock(&mu_);
      outbox_.clear();
      auto over = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return closing_; };
      mu_.Await(absl::Condition(&over));
      outbox_.clear();
      return;
    }
  }
}

void Worker::SendResult(const v1::Assignment& assignment, v1::RunResult result) {
  result.set_worker(options_.worker_id);
  // The engine repairs what node wrote; this is the last gate before the wire.
  MakeStringsValidUtf8(&result);
  v1::WorkerMessage message;
  message.mutable_result()->set_assignment_id(assignment.id());
  *message.mutable_result()->mutable_result() = std::move(result);
  const size_t bytes = message.ByteSizeLong();
  // Room for the framing: a message at the limit would be refused by the coordinator and
  // break the stream, taking every other run of this worker with it.
  if (bytes > static_cast<size_t>(kMaxMessageBytes) - 4096) {
    v1::WorkerMessage failure;
    failure.mutable_failure()->set_assignment_id(assignment.id());
    failure.mutable_failure()->set_reason(absl::StrCat(
        "the result of '", assignment.scenario().name(), "' repeat ", assignment.repeat(),
        assignment.variation().empty() ? "" : absl::StrCat(" (", assignment.variation(), ")"), " is ",
        bytes, " bytes, more than the ", kMaxMessageBytes, " a message may carry"));
    HS_LOG(ERROR) << assignment.id() << ": " << failure.failure().reason();
    Write(std::move(failure));
    return;
  }
  {
    MutexLock lock(&mu_);
    unacked_[assignment.id()] = message;
  }
  Write(std::move(message));
}

void Worker::RunAssignment(v1::Assignment assignment, Slot* slot) {
  RunRequest request;
  request.scenario = assignment.scenario();
  request.repeat = assignment.repeat();
  request.variation = assignment.variation();
  request.assignment_id = assignment.id();
  request.attempt = assignment.attempt();
  request.cancel = &slot->cancel;
  absl::Time last_progress;
  request.on_checkpoint = [&](const v1::Checkpoint& c) {
    absl::Time now = absl::Now();
    if (now - last_progress < absl::Milliseconds(500)) return;
    last_progress = now;
    v1::WorkerMessage progress;
    progress.mutable_progress()->set_assignment_id(assignment.id());
    progress.mutable_progress()->set_units(c.units());
    progress.mutable_progress()->set_heap_used_bytes(c.heap_used_bytes());
    Write(std::move(progress));
  };
  absl::StatusOr<v1::RunResult> result = engine_->Run(request);
  if (!result.ok()) {
    if (!absl::IsCancelled(result.status())) {
      // The harness failed here (not the scenario): the coordinator counts an attempt and
      // tries again, maybe elsewhere, and names the run if it keeps failing.
      HS_LOG(ERROR) << assignment.id() << ": " << result.status().message();
      v1::WorkerMessage failure;
      failure.mutable_failure()->set_assignment_id(assignment.id());
      failure.mutable_failure()->set_reason(ValidUtf8(result.status().message()));
      Write(std::move(failure));
    }
    slot->finished = true;
    return;
  }
  SendResult(assignment, *std::move(result));
  slot->finished = true;
}

void Worker::StartAssignment(v1::Assignment assignment) {
  // The same run handed back at once (it failed here and was retried) may still have its
  // old slot, which has sent its Failure and is ending: join it, outside the lock (it
  // writes under it), rather than destroy a joinable thread (std::terminate).
  std::unique_ptr<Slot> previous;
  {
    MutexLock lock(&mu_);
    auto it = slots_.find(assignment.id());
    if (it != slots_.end()) {
      previous = std::move(it->second);
      slots_.erase(it);
    }
  }
  if (previous != nullptr) previous->thread.join();
  // Checked and inserted under mu_, so Stop() either sees the slot (and kills it) or
  // this sees stop_ and does not start it (the Drain gives its lease back).
  MutexLock lock(&mu_);
  if (stop_) return;
  auto slot = std::make_unique<Slot>();
  Slot* raw = slot.get();
  slots_[assignment.id()] = std::move(slot);
  raw->thread = std::thread([this, a = std::move(assignment), raw]() mutable {
    RunAssignment(std::move(a), raw);
  });
}

bool Worker::FillModule(v1::Assignment* assignment) {
  if (!assignment->scenario().has_script()) return true;
  v1::ScriptParams* script = assignment->mutable_scenario()->mutable_script();
  if (script->module_sha256().empty()) return true;  // runs from module_path
  if (std::shared_ptr<const std::string> source = modules_.Find(script->module_sha256())) {
    script->set_module_source(*source);
    return true;
  }
  std::vector<v1::Assignment>& waiting = parked_[script->module_sha256()];
  waiting.push_back(std::move(*assignment));
  if (waiting.size() == 1) {
    v1::WorkerMessage request;
    request.mutable_module_request()->set_sha256(waiting.front().scenario().script().module_sha256());
    Write(std::move(request));
  }
  return false;
}

std::vector<v1::Assignment> Worker::ModuleArrived(const v1::Module& module) {
  auto it = parked_.find(module.sha256());
  if (it == parked_.end()) return {};
  std::vector<v1::Assignment> ready = std::move(it->second);
  parked_.erase(it);
  std::string error = module.error();
  if (error.empty() && Sha256Hex(module.source()) != module.sha256()) {
    error = "the source the coordinator sent does not match its sha256";
  }
  if (!error.empty()) {
    // The harness cannot run these here: the coordinator counts an attempt for each and
    // names the module when it keeps failing.
    for (const v1::Assignment& a : ready) {
      v1::WorkerMessage failure;
      failure.mutable_failure()->set_assignment_id(a.id());
      failure.mutable_failure()->set_reason(
          ValidUtf8(absl::StrCat("script module ", a.scenario().script().module(), " (sha256 ",
                                 module.sha256(), "): ", error)));
      HS_LOG(ERROR) << a.id() << ": " << failure.failure().reason();
      Write(std::move(failure));
    }
    return {};
  }
  auto source = std::make_shared<const std::string>(module.source());
  modules_.Put(module.sha256(), source);
  for (v1::Assignment& a : ready) a.mutable_scenario()->mutable_script()->set_module_source(*source);
  return ready;
}

void Worker::ReapFinishedSlots() {
  std::vector<std::unique_ptr<Slot>> done;
  {
    MutexLock lock(&mu_);
    for (auto it = slots_.begin(); it != slots_.end();) {
      if (it->second->finished) {
        done.push_back(std::move(it->second));
        it = slots_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& slot : done) slot->thread.join();
}

void Worker::CancelAllRuns() {
  std::map<std::string, std::unique_ptr<Slot>> slots;
  {
    MutexLock lock(&mu_);
    slots.swap(slots_);
  }
  for (auto& [id, slot] : slots) slot->cancel = true;
  for (auto& [id, slot] : slots) slot->thread.join();
}

// Kept as one function (~110 lines): a session's lifetime in the order it happens (connect
// and hello, the writer thread, the reader loop, the teardown that must follow the reader's
// end); every step uses the stream and the writer thread, which live exactly as long as
// this call.
absl::Status Worker::Session(bool* shutdown, bool* refused, bool* was_welcomed) {
  absl::StatusOr<std::unique_ptr<CoordinatorStream>> connected = client_->Connect();
  if (!connected.ok()) {
    *refused = true;
    return connected.status();
  }
  std::unique_ptr<CoordinatorStream> stream = *std::move(connected);

  v1::WorkerMessage hello;
  hello.mutable_hello()->set_worker_id(options_.worker_id);
  hello.mutable_hello()->set_slots(static_cast<uint32_t>(options_.slots));
  hello.mutable_hello()->set_node_version(engine_->node_version());
  hello.mutable_hello()->set_token(options_.token);
  hello.mutable_hello()->set_heapstorm_version(kHeapstormVersion);
  hello.mutable_hello()->set_cpus(std::thread::hardware_concurrency());
  {
    MutexLock lock(&mu_);
    stream_ = stream.get();
    outbox_.clear();
    outbox_.push_back(std::move(hello));
    // What the last session sent without an acknowledgement goes again (recorded once).
    for (const auto& [id, message] : unacked_) outbox_.push_back(message);
    open_ = true;
    closing_ = false;
    half_close_ = stop_;
  }
  std::thread writer([this, raw = stream.get()] { WriteLoop(raw); });

  std::atomic<bool> session_over{false};
  absl::Duration heartbeat = absl::Seconds(2);
  Mutex hb_mu;
  std::thread heartbeats([&] {
    MutexLock lock(&hb_mu);
    while (!session_over) {
      auto over = [&session_over]() { return session_over.load(); };
      hb_mu.AwaitWithTimeout(absl::Condition(&over), heartbeat);
      if (session_over) break;
      v1::WorkerMessage beat;
      {
        MutexLock slots_lock(&mu_);
        for (const auto& [id, slot] : slots_) {
          if (!slot->finished) beat.mutable_heartbeat()->add_running(id);
        }
        if (!beat.has_heartbeat()) beat.mutable_heartbeat();
      }
      Write(std::move(beat));
    }
  });

  bool welcomed = false;
  v1::CoordinatorMessage message;
  while (stream->Read(&message)) {
    ReapFinishedSlots();
    if (message.acked_size() > 0) {
      MutexLock lock(&mu_);
      for (const std::string& id : message.acked()) unacked_.erase(id);
    }
    if (message.has_welcome()) {
      welcomed = true;
      MutexLock lock(&hb_mu);
      heartbeat = absl::Milliseconds(std::max<uint64_t>(100, message.welcome().heartbeat_interval_ms()));
    } else if (message.has_assignment()) {
      v1::Assignment assignment = message.assignment();
      if (FillModule(&assignment)) StartAssignment(std::move(assignment));
    } else if (message.has_module()) {
      for (v1::Assignment& a : ModuleArrived(message.module())) StartAssignment(std::move(a));
    } else if (message.has_cancel()) {
      for (auto& [sha256, waiting] : parked_) {
        waiting.erase(std::remove_if(waiting.begin(), waiting.end(),
                                     [&](const v1::Assignment& a) { return a.id() == message.cancel().assignment_id(); }),
                      waiting.end());
      }
      MutexLock lock(&mu_);
      auto it = slots_.find(message.cancel().assignment_id());
      if (it != slots_.end()) it->second->cancel = true;
    } else if (message.has_shutdown()) {
      if (message.shutdown().unfinished() && options_.wait_for_resume) {
        // A --resume of the run continues it: this worker reconnects (Run) as after a
        // lost connection, and exits 3 if none comes within --reconnect-for.
        HS_LOG(WARNING) << "the coordinator stopped before the run was over (" << message.shutdown().reason()
                        << "); reconnecting for " << absl::FormatDuration(options_.reconnect_for)
                        << ", for a --resume of it";
      } else {
        HS_LOG(INFO) << "the coordinator ends the session: " << message.shutdown().reason();
        *shutdown = true;
      }
    }
  }
  {
    MutexLock lock(&hb_mu);
    session_over = true;
  }
  heartbeats.join();
  // Whatever still runs, or waits for its module, has lost its lease with the stream; a
  // result (if it finishes now) waits in unacked_ for the next session.
  parked_.clear();
  CancelAllRuns();
  {
    MutexLock lock(&mu_);
    closing_ = true;  // the writer ends; nothing is queued from now on
  }
  // The reader has seen the end of the call, so a write in progress fails at once.
  writer.join();
  {
    MutexLock lock(&mu_);
    open_ = false;
    outbox_.clear();
    stream_ = nullptr;
  }
  // Says why a connection that never got going failed (see CoordinatorStream::Finish).
  absl::Status status = stream->Finish();
  if (absl::IsUnauthenticated(status) || absl::IsFailedPrecondition(status)) *refused = true;
  *was_welcomed = welcomed;
  if (!welcomed && status.ok()) status = absl::UnavailableError("no welcome");
  return status;
}

absl::Status Worker::Run() {
  absl::Time last_connected = absl::Now();
  absl::Duration backoff = absl::Milliseconds(100);
  while (!stop_) {
    bool shutdown = false;
    bool refused = false;
    bool welcomed = false;
    absl::Status status = Session(&shutdown, &refused, &welcomed);
    if (shutdown || stop_) return absl::OkStatus();
    if (refused) {
      HS_LOG(ERROR) << "worker '" << options_.worker_id << "': " << status.message();
      return status;
    }
    // A session that got going resets the clock; a failed connect does not.
    if (welcomed) {
      last_connected = absl::Now();
      backoff = absl::Milliseconds(100);
    }
    if (absl::Now() - last_connected > options_.reconnect_for) {
      return absl::UnavailableError(absl::StrCat("cannot reach the coordinator at ", options_.coordinator,
                                                 " for ", absl::FormatDuration(options_.reconnect_for),
                                                 ": ", status.message()));
    }
    HS_LOG(WARNING) << "worker '" << options_.worker_id << "': session ended (" << status.message()
                    << "); reconnecting";
    absl::SleepFor(backoff);  // backoff between connection attempts, not a test wait
    backoff = std::min(backoff * 2, absl::Seconds(2));
  }
  return absl::OkStatus();
}

}  // namespace heapstorm
