#include "rpc/rpc_config.h"

#include <sys/random.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/files.h"

namespace heapstorm {
namespace {

absl::StatusOr<std::string> ReadPem(const std::string& path, const char* what) {
  if (path.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("mutual TLS needs --tls-cert, --tls-key and --tls-ca; ", what, " is missing"));
  }
  absl::StatusOr<std::string> read = ReadFile(path);
  if (!read.ok()) return absl::InvalidArgumentError(absl::StrCat("cannot read the ", what, " ", path));
  const std::string& pem = *read;
  if (pem.find("-----BEGIN") == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(path, " is not a PEM file (", what, ")"));
  }
  return pem;
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFor(const TlsFiles& tls) {
  if (!tls.enabled()) return grpc::InsecureServerCredentials();
  auto cert = ReadPem(tls.cert, "certificate (--tls-cert)");
  if (!cert.ok()) return cert.status();
  auto key = ReadPem(tls.key, "private key (--tls-key)");
  if (!key.ok()) return key.status();
  auto ca = ReadPem(tls.ca, "CA certificate (--tls-ca)");
  if (!ca.ok()) return ca.status();
  grpc::SslServerCredentialsOptions options(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_root_certs = *ca;
  options.pem_key_cert_pairs.push_back({*key, *cert});
  return grpc::SslServerCredentials(options);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentialsFor(const TlsFiles& tls) {
  if (!tls.enabled()) return grpc::InsecureChannelCredentials();
  auto ca = ReadPem(tls.ca, "CA certificate (--tls-ca)");
  if (!ca.ok()) return ca.status();
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = *ca;
  // A client certificate is what the coordinator checks; without one the TLS handshake
  // is refused by a coordinator that requires it (and says so in both logs).
  if (!tls.cert.empty() || !tls.key.empty()) {
    auto cert = ReadPem(tls.cert, "certificate (--tls-cert)");
    if (!cert.ok()) return cert.status();
    auto key = ReadPem(tls.key, "private key (--tls-key)");
    if (!key.ok()) return key.status();
    options.pem_private_key = *key;
    options.pem_cert_chain = *cert;
  }
  return grpc::SslCredentials(options);
}

void ConfigureServer(grpc::ServerBuilder* builder) {
  builder->SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder->SetMaxSendMessageSize(kMaxMessageBytes);
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS,
                              static_cast<int>(absl::ToInt64Milliseconds(kKeepaliveTime)));
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                              static_cast<int>(absl::ToInt64Milliseconds(kKeepaliveTimeout)));
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder->AddChannelArgument(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  // Accept the clients' pings at their keepalive rate.
  builder->AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                              static_cast<int>(absl::ToInt64Milliseconds(kKeepaliveTime / 2)));
}

grpc::ChannelArguments ChannelArgs() {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  args.SetMaxSendMessageSize(kMaxMessageBytes);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, static_cast<int>(absl::ToInt64Milliseconds(kKeepaliveTime)));
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
              static_cast<int>(absl::ToInt64Milliseconds(kKeepaliveTimeout)));
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  return args;
}

std::string ExplainConnectionError(const grpc::Status& status, const std::string& address, const TlsFiles& tls) {
  const std::string& raw = status.error_message();
  auto has = [&raw](absl::string_view text) { return absl::StrContains(raw, text); };
  std::string why;
  if (has("wrong version number")) {
    why = "TLS handshake failed: the coordinator does not speak TLS (start it with --tls-cert, --tls-key and "
          "--tls-ca, or leave them out here)";
  } else if (has("certificate verify failed")) {
    why = "TLS handshake failed: the coordinator's certificate is not signed by the CA in --tls-ca, or does not "
          "name " + address.substr(0, address.rfind(':')) + " in its subjectAltName";
  } else if (has("Socket closed") || has("Connection reset") || has("Broken pipe")) {
    if (!tls.enabled()) {
      why = "the coordinator closed the connection at once: it probably requires TLS (give --tls-ca, --tls-cert "
            "and --tls-key)";
    } else if (tls.cert.empty()) {
      why = "TLS handshake failed: the coordinator requires a client certificate and this worker has none (give "
            "--tls-cert and --tls-key)";
    } else {
      why = "TLS handshake failed: the coordinator did not accept this worker's certificate (it must be signed by "
            "the CA the coordinator trusts with its --tls-ca)";
    }
  } else if (has("Connection refused")) {
    why = "nothing listens at " + address + " (connection refused)";
  } else if (has("DNS resolution failed") || has("Domain name not found")) {
    why = "cannot resolve the host name of " + address;
  } else if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED || has("Timeout occurred")) {
    why = "no answer from " + address + " (timed out)";
  } else {
    return raw;
  }
  return absl::StrCat(why, " (gRPC: ", raw, ")");
}

bool IsLoopbackAddress(const std::string& host_port) {
  size_t colon = host_port.rfind(':');
  std::string host = host_port.substr(0, colon == std::string::npos ? host_port.size() : colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return host == "localhost" || host == "::1" || absl::StartsWith(host, "127.");
}

absl::StatusOr<std::string> RandomToken() {
  unsigned char bytes[32];
  size_t got = 0;
  while (got < sizeof(bytes)) {
    ssize_t n = getrandom(bytes + got, sizeof(bytes) - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::InternalError(absl::StrCat("getrandom: ", std::strerror(errno)));
    }
    got += static_cast<size_t>(n);
  }
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
}

bool SameSecret(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;  // the length of a token is no secret
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

absl::Status ToAbsl(const grpc::Status& status) {
  absl::StatusCode code = absl::StatusCode::kUnknown;
  switch (status.error_code()) {
    case grpc::StatusCode::OK: return absl::OkStatus();
    case grpc::StatusCode::CANCELLED: code = absl::StatusCode::kCancelled; break;
    case grpc::StatusCode::UNKNOWN: code = absl::StatusCode::kUnknown; break;
    case grpc::StatusCode::INVALID_ARGUMENT: code = absl::StatusCode::kInvalidArgument; break;
    case grpc::StatusCode::DEADLINE_EXCEEDED: code = absl::StatusCode::kDeadlineExceeded; break;
    case grpc::StatusCode::NOT_FOUND: code = absl::StatusCode::kNotFound; break;
    case grpc::StatusCode::ALREADY_EXISTS: code = absl::StatusCode::kAlreadyExists; break;
    case grpc::StatusCode::PERMISSION_DENIED: code = absl::StatusCode::kPermissionDenied; break;
    case grpc::StatusCode::UNAUTHENTICATED: code = absl::StatusCode::kUnauthenticated; break;
    case grpc::StatusCode::RESOURCE_EXHAUSTED: code = absl::StatusCode::kResourceExhausted; break;
    case grpc::StatusCode::FAILED_PRECONDITION: code = absl::StatusCode::kFailedPrecondition; break;
    case grpc::StatusCode::ABORTED: code = absl::StatusCode::kAborted; break;
    case grpc::StatusCode::OUT_OF_RANGE: code = absl::StatusCode::kOutOfRange; break;
    case grpc::StatusCode::UNIMPLEMENTED: code = absl::StatusCode::kUnimplemented; break;
    case grpc::StatusCode::INTERNAL: code = absl::StatusCode::kInternal; break;
    case grpc::StatusCode::UNAVAILABLE: code = absl::StatusCode::kUnavailable; break;
    case grpc::StatusCode::DATA_LOSS: code = absl::StatusCode::kDataLoss; break;
    case grpc::StatusCode::DO_NOT_USE: code = absl::StatusCode::kUnknown; break;
  }
  return absl::Status(code, status.error_message());
}

grpc::Status ToGrpc(const absl::Status& status) {
  grpc::StatusCode code = grpc::StatusCode::UNKNOWN;
  switch (status.code()) {
    case absl::StatusCode::kOk: return grpc::Status::OK;
    case absl::StatusCode::kCancelled: code = grpc::StatusCode::CANCELLED; break;
    case absl::StatusCode::kUnknown: code = grpc::StatusCode::UNKNOWN; break;
    case absl::StatusCode::kInvalidArgument: code = grpc::StatusCode::INVALID_ARGUMENT; break;
    case absl::StatusCode::kDeadlineExceeded: code = grpc::StatusCode::DEADLINE_EXCEEDED; break;
    case absl::StatusCode::kNotFound: code = grpc::StatusCode::NOT_FOUND; break;
    case absl::StatusCode::kAlreadyExists: code = grpc::StatusCode::ALREADY_EXISTS; break;
    case absl::StatusCode::kPermissionDenied: code = grpc::StatusCode::PERMISSION_DENIED; break;
    case absl::StatusCode::kUnauthenticated: code = grpc::StatusCode::UNAUTHENTICATED; break;
    case absl::StatusCode::kResourceExhausted: code = grpc::StatusCode::RESOURCE_EXHAUSTED; break;
    case absl::StatusCode::kFailedPrecondition: code = grpc::StatusCode::FAILED_PRECONDITION; break;
    case absl::StatusCode::kAborted: code = grpc::StatusCode::ABORTED; break;
    case absl::StatusCode::kOutOfRange: code = grpc::StatusCode::OUT_OF_RANGE; break;
    case absl::StatusCode::kUnimplemented: code = grpc::StatusCode::UNIMPLEMENTED; break;
    case absl::StatusCode::kInternal: code = grpc::StatusCode::INTERNAL; break;
    case absl::StatusCode::kUnavailable: code = grpc::StatusCode::UNAVAILABLE; break;
    case absl::StatusCode::kDataLoss: code = grpc::StatusCode::DATA_LOSS; break;
    default: code = grpc::StatusCode::UNKNOWN; break;
  }
  return grpc::Status(code, std::string(status.message()));
}

}  // namespace heapstorm
