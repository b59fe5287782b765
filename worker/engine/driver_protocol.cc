#include "worker/engine/driver_protocol.h"

#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"
#include "common/utf8.h"
#include "google/protobuf/util/json_util.h"

namespace heapstorm {

DriverLine DecodeDriverLine(absl::string_view line) {
  DriverLine decoded;
  if (absl::ConsumePrefix(&line, "u ")) {
    if (absl::SimpleAtoi(line, &decoded.units)) decoded.kind = DriverLine::Kind::kUnits;
    return decoded;
  }
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  if (google::protobuf::util::JsonStringToMessage(ValidJsonText(std::string(line)), &decoded.event, options)
          .ok()) {
    decoded.kind = DriverLine::Kind::kEvent;
  }
  return decoded;
}

}  // namespace heapstorm
