#include "worker/engine/driver_protocol.h"

#include "common/utf8.h"
#include "google/protobuf/util/json_util.h"

namespace heapstorm {

namespace {

// driver.js unitCheck(): the same 32-bit mix.
uint32_t UnitCheck(uint32_t low, uint32_t high) {
  return (low * 0x9e3779b1u) ^ ((high + 1u) * 0x85ebca77u) ^ 0x68656170u;
}

void PutLittleEndian(uint32_t value, char* out) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((value >> (8 * i)) & 0xff);
}

uint32_t GetLittleEndian(const char* in) {
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value |= static_cast<uint32_t>(static_cast<unsigned char>(in[i])) << (8 * i);
  return value;
}

}  // namespace

std::string EncodeUnitRecord(uint64_t units) {
  const uint32_t low = static_cast<uint32_t>(units);
  const uint32_t high = static_cast<uint32_t>(units >> 32);
  std::string record(kUnitRecordBytes, '\0');
  PutLittleEndian(low, &record[0]);
  PutLittleEndian(high, &record[4]);
  PutLittleEndian(UnitCheck(low, high), &record[8]);
  return record;
}

std::optional<uint64_t> DecodeUnitRecord(absl::string_view bytes) {
  if (bytes.size() != kUnitRecordBytes) return std::nullopt;
  const uint32_t low = GetLittleEndian(bytes.data());
  const uint32_t high = GetLittleEndian(bytes.data() + 4);
  if (GetLittleEndian(bytes.data() + 8) != UnitCheck(low, high)) return std::nullopt;
  return (static_cast<uint64_t>(high) << 32) | low;
}

DriverLine DecodeDriverLine(absl::string_view line) {
  DriverLine decoded;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  if (google::protobuf::util::JsonStringToMessage(ValidJsonText(std::string(line)), &decoded.event, options)
          .ok()) {
    decoded.kind = DriverLine::Kind::kEvent;
  }
  return decoded;
}

}  // namespace heapstorm
