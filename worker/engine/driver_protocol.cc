#include "worker/engine/driver_protocol.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/utf8.h"
#include "google/protobuf/util/json_util.h"

namespace heapstorm {

DriverLine DecodeDriverLine(absl::string_view line) {
  DriverLine decoded;
  if (absl::ConsumePrefix(&line, "u ")) {
    const std::vector<absl::string_view> fields = absl::StrSplit(line, ' ');
    uint64_t* const into[] = {&decoded.units, &decoded.heap_used_bytes, &decoded.external_bytes};
    if (fields.size() != 1 && fields.size() != 3) return decoded;
    for (size_t i = 0; i < fields.size(); ++i) {
      if (!absl::SimpleAtoi(fields[i], into[i])) return DriverLine{};
    }
    decoded.kind = DriverLine::Kind::kUnits;
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
