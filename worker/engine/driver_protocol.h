// The one decoder of what the driver (worker/driver/driver.js) writes: on its telemetry pipe
// (fd 3) JSON lines that are proto/telemetry.proto DriverEvents, whose type and status are
// proto enums written by name; in its counter file (fd 4) the unit counter's record.
//
// Everything the engine knows of the driver's words passes through here; the run monitor
// acts on the decoded line, the outcome classifier reads the DriverStatus enum.
#ifndef HEAPSTORM_WORKER_ENGINE_DRIVER_PROTOCOL_H_
#define HEAPSTORM_WORKER_ENGINE_DRIVER_PROTOCOL_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "proto/result.pb.h"
#include "proto/telemetry.pb.h"

namespace heapstorm {

// One line of the telemetry pipe, without its newline, decoded.
struct DriverLine {
  enum class Kind {
    kEvent,       // a DriverEvent (its type may be UNSPECIFIED for a name this build lacks)
    kUnreadable,  // not JSON, or not a DriverEvent
  };
  Kind kind = Kind::kUnreadable;
  v1::DriverEvent event;  // kEvent
};

// Decodes one line. The line is untrusted bytes from the measured process (error messages
// with lone surrogates, module names): it is made valid UTF-8 JSON first, unknown fields and
// enum names are ignored. Pure.
DriverLine DecodeDriverLine(absl::string_view line);

// The unit counter's record, which the driver writes (pwrite at offset 0, in place) into the
// counter file the engine opened for it: the count of completed units as two little-endian
// uint32 (low, high), then a little-endian uint32 check of both. The check is how a read
// that a concurrent write tore (half old, half new bytes) is told from a count.
inline constexpr size_t kUnitRecordBytes = 12;

// The record of `units`: what the driver writes, and the engine's first record (0 units)
// before the driver has written one. Pure.
std::string EncodeUnitRecord(uint64_t units);

// The count in a record, or nullopt when `bytes` is not exactly one record whose check
// matches (torn, short, or never written). Pure.
std::optional<uint64_t> DecodeUnitRecord(absl::string_view bytes);

}  // namespace heapstorm

#endif  // HEAPSTORM_WORKER_ENGINE_DRIVER_PROTOCOL_H_
