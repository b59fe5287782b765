#include "model/kinds.h"

#include <deque>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/mutex.h"
#include "google/protobuf/any.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/reflection.h"
#include "model/kinds/builtin.h"

namespace heapstorm {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

struct Registry {
  Mutex mu;
  // A deque, so the pointers handed out stay valid as kinds are added.
  std::deque<KindSpec> kinds ABSL_GUARDED_BY(mu);
};

// The one table of built-in kinds: a new built-in kind adds its line here.
Registry& TheRegistry() {
  static Registry* registry = [] {
    auto* r = new Registry;
    MutexLock lock(&r->mu);
    for (KindSpec (*make)() : {CachedDataKind, OpenConnectionsKind, LargeBuffersKind,
                               DeepRecursionKind, ScriptKind}) {
      r->kinds.push_back(make());
    }
    return r;
  }();
  return *registry;
}

const std::string& ParamsTypeName(const KindSpec& kind) {
  return kind.params_prototype->GetDescriptor()->full_name();
}

const FieldDescriptor* FieldOf(const Message& params, const ParamSpec& param) {
  return params.GetDescriptor()->FindFieldByName(param.field);
}

ParamSpec Make(std::string name, ParamType type, std::string field) {
  ParamSpec spec;
  spec.name = std::move(name);
  spec.type = type;
  spec.field = std::move(field);
  return spec;
}

}  // namespace

ParamSpec CountParam(std::string name, std::string field, uint64_t min, uint64_t max,
                     uint64_t default_value) {
  ParamSpec spec = Make(std::move(name), ParamType::kCount, std::move(field));
  spec.min = min;
  spec.max = max;
  spec.default_value = default_value;
  return spec;
}

ParamSpec SizeParam(std::string name, std::string field, uint64_t min_bytes, uint64_t max_bytes,
                    uint64_t default_bytes) {
  ParamSpec spec = CountParam(std::move(name), std::move(field), min_bytes, max_bytes, default_bytes);
  spec.type = ParamType::kSize;
  return spec;
}

ParamSpec DurationParam(std::string name, std::string field, uint64_t min_ms, uint64_t max_ms,
                        uint64_t default_ms) {
  ParamSpec spec = CountParam(std::move(name), std::move(field), min_ms, max_ms, default_ms);
  spec.type = ParamType::kDuration;
  return spec;
}

ParamSpec BoolParam(std::string name, std::string field, bool default_value) {
  ParamSpec spec = Make(std::move(name), ParamType::kBool, std::move(field));
  spec.default_value = default_value ? 1 : 0;
  return spec;
}

ParamSpec ChoiceParam(std::string name, std::string field, std::vector<std::string> choices,
                      uint64_t default_enum_value) {
  ParamSpec spec = Make(std::move(name), ParamType::kChoice, std::move(field));
  spec.choices = std::move(choices);
  spec.default_value = default_enum_value;
  return spec;
}

ParamSpec TextParam(std::string name, std::string field) {
  return Make(std::move(name), ParamType::kText, std::move(field));
}

ParamSpec Required(ParamSpec spec) {
  spec.required = true;
  return spec;
}

ParamSpec Sweepable(ParamSpec spec) {
  spec.sweepable = true;
  return spec;
}

absl::Status RegisterKind(KindSpec kind) {
  if (kind.name.empty() || kind.params_prototype == nullptr) {
    return absl::InvalidArgumentError("a kind needs a name and a params message");
  }
  const ParamSpec* target = FindParam(kind, kind.target_param);
  if (target == nullptr || target->type != ParamType::kCount) {
    return absl::InvalidArgumentError(absl::StrCat(
        "kind ", kind.name, ": target_param '", kind.target_param, "' is not a count param of it"));
  }
  for (const ParamSpec& p : kind.params) {
    if (FieldOf(*kind.params_prototype, p) == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("kind ", kind.name, ": param ", p.name, ": no field '",
                                                     p.field, "' in ", ParamsTypeName(kind)));
    }
  }
  Registry& r = TheRegistry();
  MutexLock lock(&r.mu);
  for (const KindSpec& k : r.kinds) {
    if (k.name == kind.name || (kind.id != v1::SCENARIO_KIND_UNSPECIFIED && k.id == kind.id) ||
        ParamsTypeName(k) == ParamsTypeName(kind)) {
      return absl::AlreadyExistsError(absl::StrCat("kind ", kind.name, " clashes with kind ", k.name));
    }
  }
  r.kinds.push_back(std::move(kind));
  return absl::OkStatus();
}

std::vector<const KindSpec*> AllKinds() {
  Registry& r = TheRegistry();
  MutexLock lock(&r.mu);
  std::vector<const KindSpec*> out;
  for (const KindSpec& k : r.kinds) out.push_back(&k);
  return out;
}

const KindSpec* FindKind(absl::string_view name) {
  for (const KindSpec* k : AllKinds()) {
    if (k->name == name) return k;
  }
  return nullptr;
}

const KindSpec* FindKind(v1::ScenarioKind id) {
  if (id == v1::SCENARIO_KIND_UNSPECIFIED) return nullptr;
  for (const KindSpec* k : AllKinds()) {
    if (k->id == id) return k;
  }
  return nullptr;
}

const KindSpec* KindOf(const v1::Scenario& scenario) {
  if (scenario.kind() != v1::SCENARIO_KIND_UNSPECIFIED) return FindKind(scenario.kind());
  // A scenario built without `kind` (by hand, or by an older heapstorm) is known by the
  // params it carries, as it was before the registry.
  if (scenario.params_case() == v1::Scenario::PARAMS_NOT_SET) return nullptr;
  if (!scenario.has_other_params()) {
    const google::protobuf::FieldDescriptor* set =
        scenario.GetDescriptor()->FindFieldByNumber(static_cast<int>(scenario.params_case()));
    for (const KindSpec* k : AllKinds()) {
      if (set != nullptr && k->params_field == set->name()) return k;
    }
    return nullptr;
  }
  absl::string_view type = scenario.other_params().type_url();
  type.remove_prefix(std::min(type.size(), type.rfind('/') + 1));
  for (const KindSpec* k : AllKinds()) {
    if (k->params_field.empty() && ParamsTypeName(*k) == type) return k;
  }
  return nullptr;
}

const ParamSpec* FindParam(const KindSpec& kind, absl::string_view name) {
  for (const ParamSpec& p : kind.params) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

std::unique_ptr<Message> CopyParams(const KindSpec& kind, const v1::Scenario& scenario) {
  std::unique_ptr<Message> params(kind.params_prototype->New());
  if (kind.params_field.empty()) {
    if (scenario.has_other_params()) (void)scenario.other_params().UnpackTo(params.get());
    return params;
  }
  const FieldDescriptor* field = scenario.GetDescriptor()->FindFieldByName(kind.params_field);
  if (field != nullptr && scenario.GetReflection()->HasField(scenario, field)) {
    params->CopyFrom(scenario.GetReflection()->GetMessage(scenario, field));
  }
  return params;
}

void StoreParams(const KindSpec& kind, const Message& params, v1::Scenario* scenario) {
  scenario->set_kind(kind.id);
  if (kind.params_field.empty()) {
    scenario->mutable_other_params()->PackFrom(params);
    return;
  }
  const FieldDescriptor* field = scenario->GetDescriptor()->FindFieldByName(kind.params_field);
  scenario->GetReflection()->MutableMessage(scenario, field)->CopyFrom(params);
}

absl::StatusOr<uint64_t> GetParamValue(const Message& params, const ParamSpec& param) {
  const FieldDescriptor* field = FieldOf(params, param);
  const auto* reflection = params.GetReflection();
  switch (field == nullptr ? FieldDescriptor::CPPTYPE_STRING : field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_UINT32:
      return reflection->GetUInt32(params, field);
    case FieldDescriptor::CPPTYPE_UINT64:
      return reflection->GetUInt64(params, field);
    case FieldDescriptor::CPPTYPE_BOOL:
      return reflection->GetBool(params, field) ? 1 : 0;
    case FieldDescriptor::CPPTYPE_ENUM:
      return static_cast<uint64_t>(reflection->GetEnumValue(params, field));
    default:
      return absl::InternalError(absl::StrCat(param.field, " is not a numeric field"));
  }
}

absl::Status SetParamValue(const ParamSpec& param, uint64_t value, Message* params) {
  const FieldDescriptor* field = FieldOf(*params, param);
  const auto* reflection = params->GetReflection();
  switch (field == nullptr ? FieldDescriptor::CPPTYPE_STRING : field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_UINT32:
      if (value > 0xffffffffULL) {
        return absl::InvalidArgumentError(absl::StrCat("params.", param.name, " value ", value, " too large"));
      }
      reflection->SetUInt32(params, field, static_cast<uint32_t>(value));
      return absl::OkStatus();
    case FieldDescriptor::CPPTYPE_UINT64:
      reflection->SetUInt64(params, field, value);
      return absl::OkStatus();
    case FieldDescriptor::CPPTYPE_BOOL:
      reflection->SetBool(params, field, value != 0);
      return absl::OkStatus();
    case FieldDescriptor::CPPTYPE_ENUM:
      reflection->SetEnumValue(params, field, static_cast<int>(value));
      return absl::OkStatus();
    default:
      return absl::InternalError(absl::StrCat(param.field, " is not a numeric field"));
  }
}

absl::Status SetParamText(const ParamSpec& param, const std::string& value, Message* params) {
  const FieldDescriptor* field = FieldOf(*params, param);
  if (field == nullptr || field->cpp_type() != FieldDescriptor::CPPTYPE_STRING) {
    return absl::InternalError(absl::StrCat(param.field, " is not a string field"));
  }
  params->GetReflection()->SetString(params, field, value);
  return absl::OkStatus();
}

}  // namespace heapstorm
