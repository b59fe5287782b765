// A CoordinatorClient for tests: the test plays the coordinator. Every Connect() opens a
// numbered session (0, 1, ...); the test waits for what the worker writes, sends it
// messages, and ends the session with a status, all without a server or a network.
// Waiting is on events (the worker's writes), never on time.
#ifndef HEAPSTORM_RPC_FAKE_COORDINATOR_CLIENT_H_
#define HEAPSTORM_RPC_FAKE_COORDINATOR_CLIENT_H_

#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include "common/mutex.h"
#include "rpc/coordinator_client.h"

namespace heapstorm {

class FakeCoordinatorClient : public CoordinatorClient {
 public:
  FakeCoordinatorClient() = default;

  // Opens session number connects() - 1. Never fails.
  absl::StatusOr<std::unique_ptr<CoordinatorStream>> Connect() override;

  // How many sessions have been opened. Thread-safe.
  int connects();

  // Blocks until the worker has written a message in `session` that `match` accepts, puts
  // the first such (in write order) in *found and returns true; false when the session
  // ended without one. Waits for `session` to be opened first. Thread-safe.
  bool AwaitWritten(int session, const std::function<bool(const v1::WorkerMessage&)>& match,
                    v1::WorkerMessage* found);
  // Everything the worker has written in `session` so far, in order.
  std::vector<v1::WorkerMessage> Written(int session);
  // Blocks until the worker half-closed `session` (WritesDone) or the session ended;
  // true for the former.
  bool AwaitWritesDone(int session);

  // Queues a message for the worker to Read in `session` (which must have been opened).
  void Send(int session, v1::CoordinatorMessage message);
  // Ends `session` as the coordinator would: the worker reads what was sent before, then
  // the end of the stream, and Finish() returns `status`. Writes fail from now on.
  void End(int session, absl::Status status);

 private:
  struct Session {
    std::deque<v1::CoordinatorMessage> inbox;
    std::vector<v1::WorkerMessage> written;
    bool ended = false;       // End() or TryCancel()
    bool cancelled = false;   // TryCancel()
    bool writes_done = false;
    absl::Status status;
  };
  class Stream;

  // Blocks until `session` has been opened.
  Session* AwaitSession(int session) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Mutex mu_;
  std::vector<std::unique_ptr<Session>> sessions_ ABSL_GUARDED_BY(mu_);
};

}  // namespace heapstorm

#endif  // HEAPSTORM_RPC_FAKE_COORDINATOR_CLIENT_H_
