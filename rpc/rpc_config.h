// How the coordinator and its workers talk: credentials (insecure on loopback, or mutual
// TLS with client certificates required and verified), keepalive settings that match on
// both sides, message size limits, and the mapping of gRPC status codes to absl ones.
// Both the coordinator and the worker use this file, so the two ends cannot disagree.
#ifndef HEAPSTORM_RPC_RPC_CONFIG_H_
#define HEAPSTORM_RPC_RPC_CONFIG_H_

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

// Why a worker could not reach its coordinator, in words a person can act on, from gRPC's
// status and this side's TLS settings: "TLS handshake failed: ...", "nothing listens at
// ...", "cannot resolve ...". gRPC's own text follows in parentheses. A server that refuses
// a client certificate shows on the client only as "Socket closed"; `tls` tells which
// refusal that must have been.
std::string ExplainConnectionError(const grpc::Status& status, const std::string& address, const TlsFiles& tls);

// True when HOST of "HOST:PORT" is a loopback address (127.0.0.0/8, ::1, localhost):
// only this machine's processes can connect. Used to decide whether plaintext is allowed.
bool IsLoopbackAddress(const std::string& host_port);

// A fresh random secret (256 bits as 64 hex digits) from the kernel's CSPRNG, for a run's
// own workers. Internal if the kernel gives no randomness.
absl::StatusOr<std::string> RandomToken();

// Compares two secrets in time that does not depend on where they differ.
bool SameSecret(const std::string& a, const std::string& b);

// One exhaustive mapping of gRPC codes to absl codes (and back).
absl::Status ToAbsl(const grpc::Status& status);
grpc::Status ToGrpc(const absl::Status& status);

}  // namespace heapstorm

#endif  // HEAPSTORM_RPC_RPC_CONFIG_H_
