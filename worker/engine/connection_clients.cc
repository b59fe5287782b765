#include "worker/engine/connection_clients.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <unordered_map>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace heapstorm {
namespace {

// At most this many connects in flight when there is no ramp rate.
constexpr uint64_t kMaxInFlight = 256;

enum class State { kConnecting, kOpen, kDone };

}  // namespace

ConnectionClients::ConnectionClients(uint16_t port, const v1::OpenConnectionsParams& params,
                                     std::function<void()> on_settled)
    : port_(port), params_(params), on_settled_(std::move(on_settled)) {
  thread_ = std::thread([this] { Loop(); });
}

ConnectionClients::~ConnectionClients() {
  stop_ = true;
  thread_.join();
}

ConnectionClients::Counts ConnectionClients::counts() const {
  Counts c;
  c.attempted = attempted_;
  c.connected = connected_;
  c.failed = failed_;
  c.closed_by_peer = closed_by_peer_;
  return c;
}

// Kept as one function (~100 lines): one epoll loop whose two halves, opening connections
// on the ramp and handling each socket's events, share the loop's socket table, in-flight
// count and epoll descriptor.
void ConnectionClients::Loop() {
  int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) {
    on_settled_();
    return;
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port_);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

  std::unordered_map<int, State> sockets;
  const uint64_t target = params_.connections();
  const double per_second = params_.ramp_per_second();
  const absl::Time start = absl::Now();
  uint64_t in_flight = 0;
  bool settled = false;
  std::string message(params_.message_bytes(), 'm');
  absl::Duration interval = absl::Milliseconds(std::max<uint32_t>(1, params_.message_interval_ms()));
  absl::Time next_message = start + interval;

  while (!stop_) {
    // Open more connections: as the ramp allows, or up to the in-flight bound.
    uint64_t allowed = target;
    if (per_second > 0) {
      double seconds = absl::ToDoubleSeconds(absl::Now() - start);
      allowed = std::min<uint64_t>(target, static_cast<uint64_t>(seconds * per_second) + 1);
    }
    while (attempted_ < allowed && in_flight < kMaxInFlight) {
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      ++attempted_;
      if (fd < 0) {
        ++failed_;
        continue;
      }
      int rc = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
      if (rc != 0 && errno != EINPROGRESS) {
        ++failed_;
        close(fd);
        continue;
      }
      epoll_event ev{};
      ev.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP;
      ev.data.fd = fd;
      epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev);
      sockets[fd] = State::kConnecting;
      ++in_flight;
    }

    epoll_event events[256];
    int n = epoll_wait(epoll_fd, events, 256, 10);
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      auto it = sockets.find(fd);
      if (it == sockets.end()) continue;
      if (it->second == State::kConnecting) {
        int error = 0;
        socklen_t len = sizeof(error);
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
        --in_flight;
        if (error != 0) {
          ++failed_;
          it->second = State::kDone;
          epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
          continue;
        }
        ++connected_;
        it->second = State::kOpen;
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLRDHUP;
        ev.data.fd = fd;
        epoll_ctl(epoll_fd, EPOLL_CTL_MOD, fd, &ev);
        continue;
      }
      if (it->second == State::kOpen &&
          (events[i].events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR | EPOLLIN))) {
        char buffer[512];
        ssize_t r = recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
          ++closed_by_peer_;
          it->second = State::kDone;
          epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
        }
      }
    }

    if (!message.empty() && absl::Now() >= next_message) {
      for (auto& [fd, state] : sockets) {
        if (state == State::kOpen) (void)send(fd, message.data(), message.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      }
      next_message = absl::Now() + interval;
    }

    if (!settled && attempted_ >= target && in_flight == 0) {
      settled = true;
      on_settled_();
    }
  }
  for (auto& [fd, state] : sockets) close(fd);
  close(epoll_fd);
}

}  // namespace heapstorm
