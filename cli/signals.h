// SIGINT and SIGTERM for the long-running commands: the first one asks the command to
// stop cleanly (cancel runs, write a partial report, return leases); the handler only
// sets a flag that the command polls.
#ifndef HEAPSTORM_CLI_SIGNALS_H_
#define HEAPSTORM_CLI_SIGNALS_H_

#include <atomic>

namespace heapstorm {

// Installs the handlers. Call before starting anything that must be stopped cleanly.
void InstallStopSignals();

// Set once SIGINT or SIGTERM arrived.
const std::atomic<bool>* StopRequested();

}  // namespace heapstorm

#endif  // HEAPSTORM_CLI_SIGNALS_H_
