#include "rpc/rpc_config.h"

#include <set>

#include "gtest/gtest.h"

namespace heapstorm {
namespace {

TEST(RpcConfigTest, ConnectionErrorsSayWhatWentWrong) {
  TlsFiles none;
  TlsFiles ca_only{"", "", "ca.pem"};
  TlsFiles mutual{"w.pem", "w.key", "ca.pem"};
  struct Case {
    const char* raw;
    TlsFiles tls;
    const char* starts;
  };
  const Case cases[] = {
      {"failed to connect to all addresses; last error: UNAVAILABLE: ipv4:127.0.0.1:1: Socket closed", mutual,
       "TLS handshake failed: the coordinator did not accept this worker's certificate"},
      {"failed to connect to all addresses; last error: UNAVAILABLE: ipv4:127.0.0.1:1: Socket closed", ca_only,
       "TLS handshake failed: the coordinator requires a client certificate and this worker has none"},
      {"failed to connect to all addresses; last error: UNAVAILABLE: ipv4:127.0.0.1:1: Socket closed", none,
       "the coordinator closed the connection at once: it probably requires TLS"},
      {"last error: UNKNOWN: ipv4:127.0.0.1:1: Ssl handshake failed: SSL_ERROR_SSL: error:0A000086:SSL "
       "routines::certificate verify failed",
       mutual, "TLS handshake failed: the coordinator's certificate is not signed by the CA in --tls-ca, or does "
               "not name localhost"},
      {"Ssl handshake failed: SSL_ERROR_SSL: error:0A00010B:SSL routines::wrong version number", mutual,
       "TLS handshake failed: the coordinator does not speak TLS"},
      {"ipv4:127.0.0.1:1: Failed to connect to remote host: Connection refused", none,
       "nothing listens at localhost:7070 (connection refused)"},
      {"DNS resolution failed for x.invalid:1: C-ares status is not ARES_SUCCESS: Domain name not found", none,
       "cannot resolve the host name of localhost:7070"},
  };
  for (const Case& c : cases) {
    std::string why = ExplainConnectionError(grpc::Status(grpc::StatusCode::UNAVAILABLE, c.raw), "localhost:7070", c.tls);
    EXPECT_EQ(why.rfind(c.starts, 0), 0u) << why;
    EXPECT_NE(why.find(std::string("(gRPC: ") + c.raw + ")"), std::string::npos) << "keeps gRPC's own words";
  }
  // Something unknown passes through unchanged.
  EXPECT_EQ(ExplainConnectionError(grpc::Status(grpc::StatusCode::UNAVAILABLE, "odd"), "h:1", none), "odd");
}

TEST(RpcConfigTest, LoopbackAddresses) {
  for (const char* yes : {"127.0.0.1:0", "127.1.2.3:7070", "localhost:7070", "[::1]:7070"}) {
    EXPECT_TRUE(IsLoopbackAddress(yes)) << yes;
  }
  for (const char* no : {"0.0.0.0:7070", "10.0.0.1:7070", "[::]:7070", "example.com:1", "1127.0.0.1:1"}) {
    EXPECT_FALSE(IsLoopbackAddress(no)) << no;
  }
}

TEST(RpcConfigTest, TokensAreFreshAndComparedWhole) {
  std::set<std::string> seen;
  for (int i = 0; i < 20; ++i) {
    absl::StatusOr<std::string> token = RandomToken();
    ASSERT_TRUE(token.ok());
    EXPECT_EQ(token->size(), 64u);
    EXPECT_EQ(token->find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_TRUE(seen.insert(*token).second);
  }
  EXPECT_TRUE(SameSecret("s3cret", "s3cret"));
  EXPECT_FALSE(SameSecret("s3cret", "s3creT"));
  EXPECT_FALSE(SameSecret("s3cret", "s3cret!"));
  EXPECT_FALSE(SameSecret("", "s3cret"));
}

}  // namespace
}  // namespace heapstorm
