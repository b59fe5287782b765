// The exit codes of `heapstorm`, DESIGN.md §7. Every subcommand uses these and no others.
#ifndef HEAPSTORM_CLI_EXIT_CODES_H_
#define HEAPSTORM_CLI_EXIT_CODES_H_

#include "absl/status/status.h"

namespace heapstorm {

inline constexpr int kExitOk = 0;           // every expectation held
inline constexpr int kExitFailed = 1;       // an expectation failed, a leak or a regression
inline constexpr int kExitBadInput = 2;     // bad input or usage
inline constexpr int kExitHarness = 3;      // heapstorm could not do its job

// Maps a harness Status to an exit code: InvalidArgument and NotFound of user input → 2,
// everything else → 3. OK → 0.
inline int ExitCodeFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return kExitOk;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kAlreadyExists:
      return kExitBadInput;
    default:
      return kExitHarness;
  }
}

}  // namespace heapstorm

#endif  // HEAPSTORM_CLI_EXIT_CODES_H_
