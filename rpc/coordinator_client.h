// The worker's side of the connection to its coordinator, as an interface: one session
// stream per connection, opened by Connect(). The gRPC implementation is
// GrpcCoordinatorClient (rpc/grpc_coordinator_client.h); FakeCoordinatorClient
// (rpc/fake_coordinator_client.h) lets a test play the coordinator without a server, so
// the worker's logic (resends, Stop, oversized results) is tested without gRPC.
#ifndef HEAPSTORM_RPC_COORDINATOR_CLIENT_H_
#define HEAPSTORM_RPC_COORDINATOR_CLIENT_H_

#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/coordinator.pb.h"

namespace heapstorm {

// One session: a bidirectional stream of WorkerMessage up and CoordinatorMessage down.
// Like gRPC's ClientReaderWriter: one thread may Read while another Writes (and then
// WritesDone); TryCancel may be called from any thread at any time; Finish is called once,
// after Read has returned false and no Write is in progress.
class CoordinatorStream {
 public:
  virtual ~CoordinatorStream() = default;

  // Blocks for the next message. False when the stream has ended (either side, or broken).
  virtual bool Read(v1::CoordinatorMessage* message) = 0;
  // Blocks until the message is handed to the transport. False when the stream is broken
  // or already half-closed; nothing more can be written then.
  virtual bool Write(const v1::WorkerMessage& message) = 0;
  // Half-closes this side: the coordinator reads the end of the stream. False if broken.
  virtual bool WritesDone() = 0;
  // How the session ended: OK when the coordinator closed it normally; Unauthenticated or
  // FailedPrecondition when it refused this worker; Unavailable when the connection failed
  // (if nothing was ever read, the message says why in words a person can act on);
  // Cancelled after TryCancel.
  virtual absl::Status Finish() = 0;
  // Ends the session at once: blocked and later Read/Write calls return false.
  virtual void TryCancel() = 0;
};

class CoordinatorClient {
 public:
  virtual ~CoordinatorClient() = default;

  // Opens a new session. A non-OK status (InvalidArgument: TLS files unreadable) is final:
  // trying again cannot help. A coordinator that cannot be reached is not an error here;
  // it shows as a stream that ends at once, with Finish() saying why.
  virtual absl::StatusOr<std::unique_ptr<CoordinatorStream>> Connect() = 0;
};

}  // namespace heapstorm

#endif  // HEAPSTORM_RPC_COORDINATOR_CLIENT_H_
