// The clients of an open_connections run. They live in the worker, outside the measured
// node process, so only the server's memory is measured (DESIGN.md §3). Over loopback
// they open connections at a ramp rate, hold them, and optionally send a message on each
// at an interval. A connection the server closes right after accepting it is the sign
// of EMFILE in the server (libuv accepts and closes at the descriptor limit).
#ifndef HEAPSTORM_WORKER_ENGINE_CONNECTION_CLIENTS_H_
#define HEAPSTORM_WORKER_ENGINE_CONNECTION_CLIENTS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

#include "proto/suite.pb.h"

namespace heapstorm {

class ConnectionClients {
 public:
  struct Counts {
    uint64_t attempted = 0;
    uint64_t connected = 0;
    uint64_t failed = 0;          // connect() refused or errored
    uint64_t closed_by_peer = 0;  // EOF or reset after connecting
  };

  // Starts connecting to 127.0.0.1:`port`. `on_settled` runs once on the clients' thread
  // when every connection has been attempted and has connected or failed.
  ConnectionClients(uint16_t port, const v1::OpenConnectionsParams& params,
                    std::function<void()> on_settled);
  // Closes every connection.
  ~ConnectionClients();

  ConnectionClients(const ConnectionClients&) = delete;
  ConnectionClients& operator=(const ConnectionClients&) = delete;

  Counts counts() const;

 private:
  void Loop();

  uint16_t port_;
  v1::OpenConnectionsParams params_;
  std::function<void()> on_settled_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> attempted_{0}, connected_{0}, failed_{0}, closed_by_peer_{0};
  std::thread thread_;
};

}  // namespace heapstorm

#endif  // HEAPSTORM_WORKER_ENGINE_CONNECTION_CLIENTS_H_
