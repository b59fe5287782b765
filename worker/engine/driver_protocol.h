// The one decoder of what the driver (worker/driver/driver.js) writes on its telemetry pipe
// (fd 3): JSON lines that are proto/telemetry.proto DriverEvents, whose type and status are
// proto enums written by name, and the unit counter's short lines "u N H E".
//
// Everything the engine knows of the driver's words passes through here; the run monitor
// acts on the decoded line, the outcome classifier reads the DriverStatus enum.
#ifndef HEAPSTORM_WORKER_ENGINE_DRIVER_PROTOCOL_H_
#define HEAPSTORM_WORKER_ENGINE_DRIVER_PROTOCOL_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "proto/result.pb.h"
#include "proto/telemetry.pb.h"

namespace heapstorm {

// One line of the telemetry pipe, without its newline, decoded.
struct DriverLine {
  enum class Kind {
    kUnits,       // "u N H E": N units completed; V8's heap used H and external memory E
                  // (bytes) at the driver's last look, once per batch ("u N" alone: 0, 0)
    kEvent,       // a DriverEvent (its type may be UNSPECIFIED for a name this build lacks)
    kUnreadable,  // neither: not JSON, or not a DriverEvent
  };
  Kind kind = Kind::kUnreadable;
  uint64_t units = 0;     // kUnits
  uint64_t heap_used_bytes = 0;
  uint64_t external_bytes = 0;
  v1::DriverEvent event;  // kEvent
};

// Decodes one line. The line is untrusted bytes from the measured process (error messages
// with lone surrogates, module names): it is made valid UTF-8 JSON first, unknown fields and
// enum names are ignored. Pure.
DriverLine DecodeDriverLine(absl::string_view line);

}  // namespace heapstorm

#endif  // HEAPSTORM_WORKER_ENGINE_DRIVER_PROTOCOL_H_
