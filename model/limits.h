// The limits a scenario runs under: their one set of defaults and bounds, and the one check
// of a complete `v1::Limits` (ValidateLimits). The loader reads `limits` blocks with these
// bounds and fills these defaults; the engine checks every RunRequest with ValidateLimits,
// and the coordinator every scenario and result that enters it (a resumed run's journal,
// a worker's result), whatever its source. NODE_FACTS.md says why each bound is what it is.
#ifndef HEAPSTORM_MODEL_LIMITS_H_
#define HEAPSTORM_MODEL_LIMITS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "proto/suite.pb.h"

namespace heapstorm {

// Defaults, in the proto's units.
inline constexpr uint32_t kDefaultOldSpaceMiB = 256;
inline constexpr uint32_t kDefaultSemiSpaceMiB = 16;
inline constexpr uint32_t kDefaultStackKiB = 984;
inline constexpr uint32_t kDefaultNativeStackKiB = 8192;
inline constexpr uint32_t kDefaultMaxDescriptors = 1024;
inline constexpr uint64_t kDefaultTimeoutMs = 60000;

// Bounds, inclusive, in the proto's units. native_bytes and data_bytes may also be 0 (not
// limited).
inline constexpr uint32_t kMinOldSpaceMiB = 16;
inline constexpr uint32_t kMaxOldSpaceMiB = 64 * 1024;
inline constexpr uint32_t kMinSemiSpaceMiB = 1;
inline constexpr uint32_t kMaxSemiSpaceMiB = 256;
inline constexpr uint32_t kMinStackKiB = 64;
inline constexpr uint32_t kMaxStackKiB = 1024 * 1024;
inline constexpr uint32_t kMinNativeStackKiB = 256;
inline constexpr uint32_t kMaxNativeStackKiB = 1024 * 1024;
inline constexpr uint64_t kMinNativeBytes = 64ull << 20;
inline constexpr uint64_t kMaxNativeBytes = 1024ull << 30;
inline constexpr uint64_t kMinDataBytes = 256ull << 20;
inline constexpr uint64_t kMaxDataBytes = 1024ull << 30;
inline constexpr uint32_t kMinDescriptors = 64;
inline constexpr uint32_t kMaxDescriptors = 1 << 20;
inline constexpr uint64_t kMinTimeoutMs = 100;
inline constexpr uint64_t kMaxTimeoutMs = 24ull * 3600 * 1000;
// Margin kept between --stack-size and the real stack: at or above it node segfaults.
inline constexpr uint32_t kStackMarginKiB = 64;
// Bounds on the series one result carries (checkpoints, outside samples; thinned evenly
// beyond): the engine's defaults, and what `validate`'s size estimate assumes.
inline constexpr int kMaxResultCheckpoints = 1000;
inline constexpr int kMaxResultSamples = 2000;

// Sets every unset (0) limit that has a default to it.
void FillDefaultLimits(v1::Limits* limits);

// One limit that is out of its bounds: its YAML key ("old_space") and what is wrong
// ("must be from 16Mi to 64Gi, got 4Mi").
struct LimitViolation {
  std::string key;
  std::string message;
};

// Every violation of complete limits (after FillDefaultLimits), in field order; empty when
// they can work with node.
std::vector<LimitViolation> LimitViolations(const v1::Limits& limits);

// OK when the limits are complete and can work together; else InvalidArgument naming each
// limit and its value: "limits.old_space: must be from 16Mi to 64Gi, got 4Mi".
absl::Status ValidateLimits(const v1::Limits& limits);

}  // namespace heapstorm

#endif  // HEAPSTORM_MODEL_LIMITS_H_
