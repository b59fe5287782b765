// The driver protocol has two ends: driver.js writes enum names from its EVENT and STATUS
// tables, the engine decodes them with the proto descriptors. These tests read driver.js
// (the very text embedded in the binary) and fail when the two ends disagree, and check the
// one decoder.
#include "worker/engine/driver_protocol.h"

#include <map>
#include <regex>
#include <set>
#include <string>

#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "worker/driver/driver_source.h"

namespace heapstorm {
namespace {

// KEY -> 'NAME' entries of `const TABLE = Object.freeze({ ... });` in driver.js.
std::map<std::string, std::string> DriverTable(const std::string& table) {
  const std::string source = kDriverSource;
  const std::string opening = "const " + table + " = Object.freeze({";
  size_t begin = source.find(opening);
  EXPECT_NE(begin, std::string::npos) << "driver.js has no table " << table;
  if (begin == std::string::npos) return {};
  begin += opening.size();
  const std::string body = source.substr(begin, source.find("});", begin) - begin);
  std::map<std::string, std::string> entries;
  const std::regex entry(R"re(([A-Z_]+):\s*'([A-Z_]+)')re");
  for (std::sregex_iterator it(body.begin(), body.end(), entry), end; it != end; ++it) {
    entries[(*it)[1]] = (*it)[2];
  }
  return entries;
}

// The same shape from an enum: KEY (the name without `prefix`) -> NAME, UNSPECIFIED left out.
std::map<std::string, std::string> ProtoTable(const google::protobuf::EnumDescriptor* e,
                                              const std::string& prefix) {
  std::map<std::string, std::string> entries;
  for (int i = 0; i < e->value_count(); ++i) {
    const std::string& name = e->value(i)->name();
    if (e->value(i)->number() == 0) continue;
    EXPECT_EQ(name.rfind(prefix, 0), 0u) << name;
    entries[name.substr(prefix.size())] = name;
  }
  return entries;
}

TEST(DriverProtocol, DriverJsEventTableIsTheProtoEnum) {
  EXPECT_EQ(DriverTable("EVENT"), ProtoTable(v1::DriverEventType_descriptor(), "DRIVER_EVENT_TYPE_"));
}

TEST(DriverProtocol, DriverJsStatusTableIsTheProtoEnum) {
  EXPECT_EQ(DriverTable("STATUS"), ProtoTable(v1::DriverStatus_descriptor(), "DRIVER_STATUS_"));
}

TEST(DriverProtocol, DriverJsWritesEventsAndStatusesOnlyThroughItsTables) {
  const std::string source = kDriverSource;
  // Every protocol name in driver.js is one the protos define.
  const std::regex name(R"re('(DRIVER_[A-Z_]+)')re");
  int names = 0;
  for (std::sregex_iterator it(source.begin(), source.end(), name), end; it != end; ++it, ++names) {
    const std::string n = (*it)[1];
    EXPECT_TRUE(v1::DriverEventType_descriptor()->FindValueByName(n) != nullptr ||
                v1::DriverStatus_descriptor()->FindValueByName(n) != nullptr)
        << n << " is in driver.js but not in proto/telemetry.proto or proto/result.proto";
  }
  EXPECT_GT(names, 0);
  // No event type or status written as a bare string beside the tables.
  EXPECT_FALSE(std::regex_search(source, std::regex(R"re(type:\s*['"`])re"))) << "an event type outside EVENT";
  EXPECT_FALSE(std::regex_search(source, std::regex(R"re(finish\(\s*['"`])re"))) << "a status outside STATUS";
}

TEST(DriverProtocol, DecodesTheUnitCounter) {
  DriverLine d = DecodeDriverLine("u 12345");
  EXPECT_EQ(d.kind, DriverLine::Kind::kUnits);
  EXPECT_EQ(d.units, 12345u);
  EXPECT_EQ(DecodeDriverLine("u twelve").kind, DriverLine::Kind::kUnreadable);
  // With the heap used and external memory the driver read last.
  d = DecodeDriverLine("u 39202 50331648 1048576");
  EXPECT_EQ(d.kind, DriverLine::Kind::kUnits);
  EXPECT_EQ(d.units, 39202u);
  EXPECT_EQ(d.heap_used_bytes, 50331648u);
  EXPECT_EQ(d.external_bytes, 1048576u);
  EXPECT_EQ(DecodeDriverLine("u 1 2").kind, DriverLine::Kind::kUnreadable);
  EXPECT_EQ(DecodeDriverLine("u 1 2 x").kind, DriverLine::Kind::kUnreadable);
}

TEST(DriverProtocol, DecodesEventsByEnumName) {
  DriverLine d = DecodeDriverLine(
      R"({"type":"DRIVER_EVENT_TYPE_DONE","status":"DRIVER_STATUS_FD_EXHAUSTED","units":"40","detail":"x"})");
  ASSERT_EQ(d.kind, DriverLine::Kind::kEvent);
  EXPECT_EQ(d.event.type(), v1::DRIVER_EVENT_TYPE_DONE);
  EXPECT_EQ(d.event.status(), v1::DRIVER_STATUS_FD_EXHAUSTED);
  EXPECT_EQ(d.event.units(), 40u);

  d = DecodeDriverLine(R"({"type":"DRIVER_EVENT_TYPE_CHECKPOINT","checkpoint":{"units":"3","after_gc":true}})");
  ASSERT_EQ(d.kind, DriverLine::Kind::kEvent);
  EXPECT_EQ(d.event.type(), v1::DRIVER_EVENT_TYPE_CHECKPOINT);
  EXPECT_EQ(d.event.checkpoint().units(), 3u);
  EXPECT_TRUE(d.event.checkpoint().after_gc());
}

TEST(DriverProtocol, UnknownNamesAndFieldsAreIgnoredAndGarbageIsUnreadable) {
  DriverLine d = DecodeDriverLine(R"({"type":"DRIVER_EVENT_TYPE_FROM_THE_FUTURE","novel":1})");
  ASSERT_EQ(d.kind, DriverLine::Kind::kEvent);
  EXPECT_EQ(d.event.type(), v1::DRIVER_EVENT_TYPE_UNSPECIFIED);
  EXPECT_EQ(DecodeDriverLine("not json").kind, DriverLine::Kind::kUnreadable);
  EXPECT_EQ(DecodeDriverLine("").kind, DriverLine::Kind::kUnreadable);
}

TEST(DriverProtocol, UntrustedTextIsMadeValidUtf8) {
  // A lone surrogate escape (JSON.stringify writes them for broken strings) and a raw
  // invalid byte: the event still decodes, with valid UTF-8.
  DriverLine d = DecodeDriverLine(
      "{\"type\":\"DRIVER_EVENT_TYPE_DONE\",\"status\":\"DRIVER_STATUS_SCRIPT_ERROR\","
      "\"error_message\":\"bad \\ud800 and \xff here\"}");
  ASSERT_EQ(d.kind, DriverLine::Kind::kEvent);
  EXPECT_EQ(d.event.status(), v1::DRIVER_STATUS_SCRIPT_ERROR);
  EXPECT_NE(d.event.error_message().find("here"), std::string::npos);
}

}  // namespace
}  // namespace heapstorm
