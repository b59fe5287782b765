#include "rpc/fake_coordinator_client.h"

#include <utility>

namespace heapstorm {

// The worker's end of one fake session. Its state lives in the client (under its mutex),
// so the test can inspect a session after the worker has destroyed the stream.
class FakeCoordinatorClient::Stream : public CoordinatorStream {
 public:
  Stream(FakeCoordinatorClient* client, Session* session) : client_(client), session_(session) {}

  bool Read(v1::CoordinatorMessage* message) override {
    MutexLock lock(&client_->mu_);
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(client_->mu_) {
      return !session_->inbox.empty() || session_->ended;
    };
    client_->mu_.Await(absl::Condition(&ready));
    if (session_->inbox.empty() || session_->cancelled) return false;
    *message = std::move(session_->inbox.front());
    session_->inbox.pop_front();
    return true;
  }

  bool Write(const v1::WorkerMessage& message) override {
    MutexLock lock(&client_->mu_);
    if (session_->ended || session_->writes_done) return false;
    session_->written.push_back(message);
    return true;
  }

  bool WritesDone() override {
    MutexLock lock(&client_->mu_);
    if (session_->ended || session_->writes_done) return false;
    session_->writes_done = true;
    return true;
  }

  absl::Status Finish() override {
    MutexLock lock(&client_->mu_);
    if (session_->cancelled) return absl::CancelledError("the worker cancelled the session");
    return session_->status;
  }

  void TryCancel() override {
    MutexLock lock(&client_->mu_);
    if (session_->ended) return;
    session_->ended = true;
    session_->cancelled = true;
  }

 private:
  FakeCoordinatorClient* const client_;
  Session* const session_;
};

absl::StatusOr<std::unique_ptr<CoordinatorStream>> FakeCoordinatorClient::Connect() {
  MutexLock lock(&mu_);
  sessions_.push_back(std::make_unique<Session>());
  return std::make_unique<Stream>(this, sessions_.back().get());
}

int FakeCoordinatorClient::connects() {
  MutexLock lock(&mu_);
  return static_cast<int>(sessions_.size());
}

FakeCoordinatorClient::Session* FakeCoordinatorClient::AwaitSession(int session) {
  auto opened = [this, session]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return static_cast<int>(sessions_.size()) > session;
  };
  mu_.Await(absl::Condition(&opened));
  return sessions_[session].get();
}

bool FakeCoordinatorClient::AwaitWritten(int session, const std::function<bool(const v1::WorkerMessage&)>& match,
                                         v1::WorkerMessage* found) {
  MutexLock lock(&mu_);
  Session* s = AwaitSession(session);
  size_t seen = 0;
  while (true) {
    for (; seen < s->written.size(); ++seen) {
      if (match(s->written[seen])) {
        *found = s->written[seen];
        return true;
      }
    }
    if (s->ended) return false;
    auto more = [s, seen]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return s->written.size() > seen || s->ended; };
    mu_.Await(absl::Condition(&more));
  }
}

std::vector<v1::WorkerMessage> FakeCoordinatorClient::Written(int session) {
  MutexLock lock(&mu_);
  return AwaitSession(session)->written;
}

bool FakeCoordinatorClient::AwaitWritesDone(int session) {
  MutexLock lock(&mu_);
  Session* s = AwaitSession(session);
  auto done = [s]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return s->writes_done || s->ended; };
  mu_.Await(absl::Condition(&done));
  return s->writes_done;
}

void FakeCoordinatorClient::Send(int session, v1::CoordinatorMessage message) {
  MutexLock lock(&mu_);
  AwaitSession(session)->inbox.push_back(std::move(message));
}

void FakeCoordinatorClient::End(int session, absl::Status status) {
  MutexLock lock(&mu_);
  Session* s = AwaitSession(session);
  if (s->ended) return;
  s->ended = true;
  s->status = std::move(status);
}

}  // namespace heapstorm
