// The exit codes of `heapstorm`, DESIGN.md §7. Every subcommand uses these and no others.
#ifndef HEAPSTORM_CLI_EXIT_CODES_H_
#define HEAPSTORM_CLI_EXIT_CODES_H_

#include "absl/status/status.h"

namespace heapstorm {

inline constexpr int kExitOk = 0;           // every expectation held
inline constexpr int kExitFailed = 1;       // an expectation failed, a leak or a regression
inline constexpr int kExitBadInput = 2;     // bad input or usage
inline constexpr int kExitHarness = 3;      // heapstorm could not do its job

// The one map from a harness Status to an exit code; every subcommand uses it. OK → 0.
// What the user gave is wrong → 2: InvalidArgument and NotFound of user input, OutOfRange,
// AlreadyExists, and Unauthenticated (a coordinator refused this worker's token or
// certificate). Everything else → 3, FailedPrecondition included: the environment is not
// ready (node missing or too old, no writable cgroup, a journal that is a link).
inline int ExitCodeFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return kExitOk;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kUnauthenticated:
      return kExitBadInput;
    default:
      return kExitHarness;
  }
}

}  // namespace heapstorm

#endif  // HEAPSTORM_CLI_EXIT_CODES_H_
