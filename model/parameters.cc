#include "model/parameters.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/sizes.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/reflection.h"
#include "model/units.h"

namespace heapstorm {
namespace {

using google::protobuf::FieldDescriptor;

// How a limit is shown: its words, and the step a person reads it in.
struct Shown {
  const char* display_name;
  const char* step_name;
  double step;
  RecommendedLimit recommended = RecommendedLimit::kNone;
};

ParameterSpec Limit(const char* name, ValueKind kind, const char* field, const Shown& shown) {
  ParameterSpec spec;
  spec.name = name;
  spec.kind = kind;
  spec.limits_field = field;
  spec.display_name = shown.display_name;
  spec.step_name = shown.step_name;
  spec.step = shown.step;
  spec.recommended = shown.recommended;
  return spec;
}

ValueKind ValueKindOf(const ParamSpec& param) {
  switch (param.type) {
    case ParamType::kSize:
      return ValueKind::kBytes;
    case ParamType::kDuration:
      return ValueKind::kMillis;
    default:
      return ValueKind::kCount;
  }
}

const FieldDescriptor* LimitsField(const ParameterSpec& spec) {
  return v1::Limits::descriptor()->FindFieldByName(spec.limits_field);
}

}  // namespace

std::vector<ParameterSpec> SweepableParameters() {
  std::vector<ParameterSpec> specs = {
      Limit("limits.old_space", ValueKind::kMiB, "max_old_space_mib",
            {"old space", "MiB", kMiB, RecommendedLimit::kOldSpace}),
      Limit("limits.semi_space", ValueKind::kMiB, "max_semi_space_mib", {"semi space", "MiB", kMiB}),
      Limit("limits.stack", ValueKind::kKiB, "stack_kib", {"stack", "KiB", kKiB}),
      Limit("limits.native", ValueKind::kBytes, "native_bytes",
            {"native memory", "MiB", kMiB, RecommendedLimit::kNative}),
      Limit("limits.descriptors", ValueKind::kCount, "max_descriptors",
            {"descriptors", "descriptor", 1, RecommendedLimit::kDescriptors}),
      Limit("limits.timeout", ValueKind::kMillis, "timeout_ms", {"time", "second", 1000}),
  };
  for (const KindSpec* kind : AllKinds()) {
    for (const ParamSpec& param : kind->params) {
      if (!param.sweepable) continue;
      ParameterSpec spec;
      spec.name = absl::StrCat("params.", param.name);
      spec.kind = ValueKindOf(param);
      spec.scenario_kind = kind;
      spec.param = &param;
      spec.display_name = absl::StrReplaceAll(param.name, {{"_", " "}});
      // A size per KiB, a duration per second, a count one by one.
      spec.step_name = spec.kind == ValueKind::kBytes ? "KiB" : spec.kind == ValueKind::kMillis ? "second" : "1";
      spec.step = spec.kind == ValueKind::kBytes ? kKiB : spec.kind == ValueKind::kMillis ? 1000 : 1;
      specs.push_back(std::move(spec));
    }
  }
  return specs;
}

std::optional<ParameterSpec> FindParameter(absl::string_view name, const KindSpec* kind) {
  std::optional<ParameterSpec> found;
  for (ParameterSpec& spec : SweepableParameters()) {
    if (name != spec.name) continue;
    if (spec.scenario_kind == nullptr || spec.scenario_kind == kind) return spec;
    if (!found.has_value()) found = std::move(spec);
  }
  return found;
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
  if (spec.scenario_kind != nullptr) {
    if (KindOf(*scenario) != spec.scenario_kind) {
      return absl::InvalidArgumentError(absl::StrCat(
          spec.name, " is not a parameter of ", v1::ScenarioKind_Name(scenario->kind())));
    }
    std::unique_ptr<google::protobuf::Message> params = CopyParams(*spec.scenario_kind, *scenario);
    absl::Status status = SetParamValue(*spec.param, value, params.get());
    if (!status.ok()) return status;
    StoreParams(*spec.scenario_kind, *params, scenario);
    return absl::OkStatus();
  }
  const FieldDescriptor* field = LimitsField(spec);
  v1::Limits* limits = scenario->mutable_limits();
  switch (field == nullptr ? FieldDescriptor::CPPTYPE_STRING : field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_UINT32:
      if (value > 0xffffffffULL) {
        return absl::InvalidArgumentError(absl::StrCat(spec.name, " value ", value, " too large"));
      }
      limits->GetReflection()->SetUInt32(limits, field, static_cast<uint32_t>(value));
      return absl::OkStatus();
    case FieldDescriptor::CPPTYPE_UINT64:
      limits->GetReflection()->SetUInt64(limits, field, value);
      return absl::OkStatus();
    default:
      return absl::InternalError(absl::StrCat("limits.", spec.limits_field, " is not an unsigned integer"));
  }
}

absl::StatusOr<uint64_t> ReadParameter(const ParameterSpec& spec, const v1::Scenario& scenario) {
  if (spec.scenario_kind != nullptr) {
    return GetParamValue(*CopyParams(*spec.scenario_kind, scenario), *spec.param);
  }
  const FieldDescriptor* field = LimitsField(spec);
  const v1::Limits& limits = scenario.limits();
  switch (field == nullptr ? FieldDescriptor::CPPTYPE_STRING : field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_UINT32:
      return limits.GetReflection()->GetUInt32(limits, field);
    case FieldDescriptor::CPPTYPE_UINT64:
      return limits.GetReflection()->GetUInt64(limits, field);
    default:
      return absl::InternalError(absl::StrCat("limits.", spec.limits_field, " is not an unsigned integer"));
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

std::string PointLabel(const ParameterSpec& spec, uint64_t value) {
  return absl::StrCat(spec.name, "=", FormatParameterValue(spec, value));
}

bool VariationBefore(absl::string_view a, absl::string_view b) {
  const size_t ea = a.find('=');
  const size_t eb = b.find('=');
  if (ea != absl::string_view::npos && eb != absl::string_view::npos && a.substr(0, ea) == b.substr(0, eb)) {
    if (std::optional<ParameterSpec> spec = FindParameter(a.substr(0, ea))) {
      absl::StatusOr<uint64_t> va = ParseParameterValue(*spec, a.substr(ea + 1), false);
      absl::StatusOr<uint64_t> vb = ParseParameterValue(*spec, b.substr(eb + 1), false);
      if (va.ok() && vb.ok() && *va != *vb) return BaseValue(*spec, *va) < BaseValue(*spec, *vb);
    }
  }
  return a < b;
}

double BaseValue(const ParameterSpec& spec, uint64_t value) {
  switch (spec.kind) {
    case ValueKind::kKiB:
      return static_cast<double>(value) * static_cast<double>(kKiB);
    case ValueKind::kMiB:
      return static_cast<double>(value) * static_cast<double>(kMiB);
    default:
      return static_cast<double>(value);
  }
}

bool IsSize(const ParameterSpec& spec) {
  return spec.kind == ValueKind::kBytes || spec.kind == ValueKind::kKiB || spec.kind == ValueKind::kMiB;
}

std::string FormatBaseAmount(const ParameterSpec& spec, double amount) {
  if (IsSize(spec)) return FormatSize(amount);
  if (spec.kind == ValueKind::kMillis) return FormatShortDuration(absl::Milliseconds(amount));
  return FormatCount(amount);
}

}  // namespace heapstorm
