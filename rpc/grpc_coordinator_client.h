// The gRPC implementation of CoordinatorClient: a fresh channel per session (credentials
// and keepalive from rpc_config.h), the Coordinator.Session stream with no deadline
// (keepalive pings watch the connection), and gRPC codes mapped to absl ones once.
#ifndef HEAPSTORM_RPC_GRPC_COORDINATOR_CLIENT_H_
#define HEAPSTORM_RPC_GRPC_COORDINATOR_CLIENT_H_

#include <memory>
#include <string>

#include "rpc/coordinator_client.h"
#include "rpc/rpc_config.h"

namespace heapstorm {

class GrpcCoordinatorClient : public CoordinatorClient {
 public:
  // `address` is HOST:PORT; `tls` all empty means plaintext.
  GrpcCoordinatorClient(std::string address, TlsFiles tls);

  // InvalidArgument when the TLS files cannot be read or only some are given.
  absl::StatusOr<std::unique_ptr<CoordinatorStream>> Connect() override;

 private:
  const std::string address_;
  const TlsFiles tls_;
};

}  // namespace heapstorm

#endif  // HEAPSTORM_RPC_GRPC_COORDINATOR_CLIENT_H_
