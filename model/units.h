// Sizes and durations as people write them in suites, and back.
//
// Sizes: a non-negative number and a unit. Binary units Ki, Mi, Gi, Ti (also KiB, MiB,
// GiB, TiB) are powers of 1024; decimal units KB, MB, GB, TB are powers of 1000; B is
// bytes. "512Mi", "1.5Gi", "100B", "64KB". A bare number is not a size: the unit is
// required, so "256" is never silently taken as bytes.
// Durations: a non-negative number and one of ms, s, m, h: "500ms", "30s", "1.5m".
#ifndef HEAPSTORM_MODEL_UNITS_H_
#define HEAPSTORM_MODEL_UNITS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace heapstorm {

// Parses a size into bytes. InvalidArgument (with a message that says what was expected,
// without location) on a missing or unknown unit, a negative value, a fraction of a byte,
// or a value above 2^53 bytes.
absl::StatusOr<uint64_t> ParseSize(absl::string_view text);

// Parses a duration. InvalidArgument likewise; at most 30 days.
absl::StatusOr<absl::Duration> ParseDuration(absl::string_view text);

// "256Mi", "1.5Gi", "100B": the shortest exact binary spelling, else three significant
// figures with a binary unit ("1.07Gi").
std::string FormatSize(double bytes);

// A per-unit cost with its 95% interval, for a person: "1.02Ki (1Ki–1.03Ki)". When the
// interval holds zero and the figure is under a byte (or below zero, which no unit costs),
// it is noise: "≈ 0 (-26B–31B)", never "-0.0259B". A cost the interval does not tell from
// zero is still said, with it: "1.83Ki (-256B–3.91Ki)", as the tables say 1.83Ki.
std::string FormatSizeWithInterval(double bytes, double low, double high);

// A count for a person: "2,360", "131,221"; "1.5" and "0.25" below 10 (three significant
// figures).
std::string FormatCount(double value);

// "1.2s", "350ms", "2m5s".
std::string FormatShortDuration(absl::Duration d);

}  // namespace heapstorm

#endif  // HEAPSTORM_MODEL_UNITS_H_
