#include "cli/signals.h"

#include <signal.h>

namespace heapstorm {
namespace {

std::atomic<bool> g_stop{false};

void OnSignal(int) { g_stop.store(true); }

}  // namespace

void InstallStopSignals() {
  struct sigaction action {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  // A peer that disappears must not kill us through a write.
  signal(SIGPIPE, SIG_IGN);
}

const std::atomic<bool>* StopRequested() { return &g_stop; }

}  // namespace heapstorm
