// How the coordinator and its workers talk: credentials (insecure on loopback, or mutual
// TLS with client certificates required and verified), keepalive settings that match on
// both sides, message size limits, and the mapping of gRPC status codes to absl ones.
// Both the coordinator and the worker use this file, so the two ends cannot disagree.
#ifndef HEAPSTORM_COORDINATOR_RPC_CONFIG_H_
#define HEAPSTORM_COORDINATOR_RPC_CONFIG_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"

namespace heapstorm {

// PEM files for mutual TLS. All empty: insecure (local mode, loopback only).
struct TlsFiles {
  std::string cert;  // this side's certificate chain
  std::string key;   // this side's private key
  std::string ca;    // the CA that signed the other side's certificate
  bool enabled() const { return !cert.empty() || !key.empty() || !ca.empty(); }
};

// Messages carry a shipped script module (≤ 8 MiB) or a result with its series.
inline constexpr int kMaxMessageBytes = 64 << 20;
// Keepalive pings on an idle connection, and how long an unanswered ping may take.
inline constexpr absl::Duration kKeepaliveTime = absl::Seconds(10);
inline constexpr absl::Duration kKeepaliveTimeout = absl::Seconds(5);
// Deadline of unary calls (health checks).
inline constexpr absl::Duration kUnaryDeadline = absl::Seconds(5);

// InvalidArgument when a file cannot be read or only some are given.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFor(const TlsFiles& tls);
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentialsFor(const TlsFiles& tls);

// Keepalive and size limits for a server, and the same for a channel.
void ConfigureServer(grpc::ServerBuilder* builder);
grpc::ChannelArguments ChannelArgs();

// One exhaustive mapping of gRPC codes to absl codes (and back).
absl::Status ToAbsl(const grpc::Status& status);
grpc::Status ToGrpc(const absl::Status& status);

}  // namespace heapstorm

#endif  // HEAPSTORM_COORDINATOR_RPC_CONFIG_H_
