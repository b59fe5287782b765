#include "scenarios/parameters.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/reflection.h"
#include "common/sizes.h"
#include "scenarios/units.h"

namespace heapstorm {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

// Walks "limits.max_old_space_mib" down from `root`, creating messages on the way when
// `mutable_path`. Returns the message holding the last field and that field.
absl::StatusOr<std::pair<Message*, const FieldDescriptor*>> Resolve(Message* root,
                                                                    absl::string_view path) {
  std::vector<absl::string_view> parts = absl::StrSplit(path, '.');
  Message* message = root;
  for (size_t i = 0; i < parts.size(); ++i) {
    const FieldDescriptor* field =
        message->GetDescriptor()->FindFieldByName(std::string(parts[i]));
    if (field == nullptr) {
      return absl::InternalError(absl::StrCat("no field '", parts[i], "' in ", path));
    }
    if (i + 1 == parts.size()) return std::make_pair(message, field);
    message = message->GetReflection()->MutableMessage(message, field);
  }
  return absl::InternalError(absl::StrCat("empty parameter path ", path));
}

}  // namespace

const std::vector<ParameterSpec>& SweepableParameters() {
  using K = v1::ScenarioKind;
  static const std::vector<ParameterSpec>* specs = new std::vector<ParameterSpec>{
      {"limits.old_space", ValueKind::kMiB, "limits.max_old_space_mib",
       K::SCENARIO_KIND_UNSPECIFIED},
      {"limits.semi_space", ValueKind::kMiB, "limits.max_semi_space_mib",
       K::SCENARIO_KIND_UNSPECIFIED},
      {"limits.stack", ValueKind::kKiB, "limits.stack_kib", K::SCENARIO_KIND_UNSPECIFIED},
      {"limits.native", ValueKind::kBytes, "limits.native_bytes", K::SCENARIO_KIND_UNSPECIFIED},
      {"limits.descriptors", ValueKind::kCount, "limits.max_descriptors",
       K::SCENARIO_KIND_UNSPECIFIED},
      {"limits.timeout", ValueKind::kMillis, "limits.timeout_ms", K::SCENARIO_KIND_UNSPECIFIED},
      {"params.entries", ValueKind::kCount, "cached_data.entries", K::SCENARIO_KIND_CACHED_DATA},
      {"params.entry_size", ValueKind::kBytes, "cached_data.entry_bytes",
       K::SCENARIO_KIND_CACHED_DATA},
      {"params.key_size", ValueKind::kBytes, "cached_data.key_bytes",
       K::SCENARIO_KIND_CACHED_DATA},
      {"params.max_entries", ValueKind::kCount, "cached_data.max_entries",
       K::SCENARIO_KIND_CACHED_DATA},
      {"params.connections", ValueKind::kCount, "open_connections.connections",
       K::SCENARIO_KIND_OPEN_CONNECTIONS},
      {"params.state_size", ValueKind::kBytes, "open_connections.state_bytes",
       K::SCENARIO_KIND_OPEN_CONNECTIONS},
      {"params.buffer_size", ValueKind::kBytes, "open_connections.buffer_bytes",
       K::SCENARIO_KIND_OPEN_CONNECTIONS},
      {"params.count", ValueKind::kCount, "large_buffers.count", K::SCENARIO_KIND_LARGE_BUFFERS},
      {"params.size", ValueKind::kBytes, "large_buffers.buffer_bytes",
       K::SCENARIO_KIND_LARGE_BUFFERS},
      {"params.depth", ValueKind::kCount, "deep_recursion.depth", K::SCENARIO_KIND_DEEP_RECURSION},
      {"params.locals", ValueKind::kCount, "deep_recursion.locals",
       K::SCENARIO_KIND_DEEP_RECURSION},
      {"params.iterations", ValueKind::kCount, "script.iterations", K::SCENARIO_KIND_SCRIPT},
  };
  return *specs;
}

const ParameterSpec* FindParameter(absl::string_view name) {
  for (const ParameterSpec& spec : SweepableParameters()) {
    if (name == spec.name) return &spec;
  }
  return nullptr;
}

absl::StatusOr<uint64_t> ParseParameterValue(const ParameterSpec& spec, absl::string_view text,
                                             bool quoted) {
  switch (spec.kind) {
    case ValueKind::kCount: {
      uint64_t value = 0;
      if (quoted || !absl::SimpleAtoi(text, &value)) {
        return absl::InvalidArgumentError(
            absl::StrCat("expected a whole number, got '", text, "'"));
      }
      return value;
    }
    case ValueKind::kBytes:
    case ValueKind::kKiB:
    case ValueKind::kMiB: {
      absl::StatusOr<uint64_t> bytes = ParseSize(text);
      if (!bytes.ok()) return bytes.status();
      uint64_t unit = spec.kind == ValueKind::kKiB   ? kKiB
                      : spec.kind == ValueKind::kMiB ? kMiB
                                                     : 1;
      if (*bytes % unit != 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "must be a whole number of ", unit == 1024 ? "KiB" : "MiB", ", got ", text));
      }
      return *bytes / unit;
    }
    case ValueKind::kMillis: {
      absl::StatusOr<absl::Duration> d = ParseDuration(text);
      if (!d.ok()) return d.status();
      return static_cast<uint64_t>(absl::ToInt64Milliseconds(*d));
    }
  }
  return absl::InternalError("unknown value kind");
}

absl::Status ApplyParameter(const ParameterSpec& spec, uint64_t value, v1::Scenario* scenario) {
  if (spec.scenario_kind != v1::SCENARIO_KIND_UNSPECIFIED &&
      spec.scenario_kind != scenario->kind()) {
    return absl::InvalidArgumentError(absl::StrCat(
        spec.name, " is not a parameter of ", v1::ScenarioKind_Name(scenario->kind())));
  }
  auto resolved = Resolve(scenario, spec.proto_path);
  if (!resolved.ok()) return resolved.status();
  auto [message, field] = *resolved;
  const auto* reflection = message->GetReflection();
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_UINT32:
      if (value > 0xffffffffULL) {
        return absl::InvalidArgumentError(absl::StrCat(spec.name, " value ", value, " too large"));
      }
      reflection->SetUInt32(message, field, static_cast<uint32_t>(value));
      return absl::OkStatus();
    case FieldDescriptor::CPPTYPE_UINT64:
      reflection->SetUInt64(message, field, value);
      return absl::OkStatus();
    default:
      return absl::InternalError(absl::StrCat(spec.proto_path, " is not an unsigned integer"));
  }
}

absl::StatusOr<uint64_t> ReadParameter(const ParameterSpec& spec, const v1::Scenario& scenario) {
  v1::Scenario copy = scenario;
  auto resolved = Resolve(&copy, spec.proto_path);
  if (!resolved.ok()) return resolved.status();
  auto [message, field] = *resolved;
  const auto* reflection = message->GetReflection();
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_UINT32:
      return reflection->GetUInt32(*message, field);
    case FieldDescriptor::CPPTYPE_UINT64:
      return reflection->GetUInt64(*message, field);
    default:
      return absl::InternalError(absl::StrCat(spec.proto_path, " is not an unsigned integer"));
  }
}

std::string FormatParameterValue(const ParameterSpec& spec, uint64_t value) {
  switch (spec.kind) {
    case ValueKind::kCount:
      return absl::StrCat(value);
    case ValueKind::kBytes:
      return FormatSize(static_cast<double>(value));
    case ValueKind::kKiB:
      return FormatSize(static_cast<double>(value) * static_cast<double>(kKiB));
    case ValueKind::kMiB:
      return FormatSize(static_cast<double>(value) * static_cast<double>(kMiB));
    case ValueKind::kMillis:
      return FormatShortDuration(absl::Milliseconds(value));
  }
  return absl::StrCat(value);
}

}  // namespace heapstorm
