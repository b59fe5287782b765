#include "scenarios/kind_params.h"

#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace heapstorm {
namespace {

// "'depth' is a parameter of deep_recursion, not of cached_data"; "" when no other kind
// has it.
std::string ExplainForeignParam(const std::string& key, const KindSpec& kind) {
  for (const KindSpec* k : AllKinds()) {
    if (k == &kind) continue;
    if (FindParam(*k, key) != nullptr) {
      return absl::StrCat("'", key, "' is a parameter of ", k->name, ", not of ", kind.name);
    }
  }
  return "";
}

// Reads one param as its spec says into `params` (its default first). Returns true when it
// was written and valid.
bool ReadParam(MapReader& r, const ParamSpec& spec, google::protobuf::Message* params) {
  if (!spec.required) (void)SetParamValue(spec, spec.default_value, params);
  uint64_t value = 0;
  bool ok = false;
  switch (spec.type) {
    case ParamType::kCount:
      ok = r.Count(spec.name, spec.min, spec.max, &value);
      break;
    case ParamType::kSize:
      ok = r.Size(spec.name, spec.min, spec.max, 1, &value);
      break;
    case ParamType::kDuration:
      ok = r.Duration(spec.name, absl::Milliseconds(spec.min), absl::Milliseconds(spec.max), &value);
      break;
    case ParamType::kBool: {
      bool flag = false;
      ok = r.Bool(spec.name, &flag);
      value = flag ? 1 : 0;
      break;
    }
    case ParamType::kChoice: {
      int choice = r.Choice(spec.name, spec.choices);
      ok = choice > 0;
      value = static_cast<uint64_t>(choice);
      break;
    }
    case ParamType::kText: {
      std::string text;
      ok = r.String(spec.name, &text);
      if (ok) (void)SetParamText(spec, text, params);
      return ok;
    }
  }
  if (ok) (void)SetParamValue(spec, value, params);
  return ok;
}

}  // namespace

void ReadKindParams(Diagnostics* diagnostics, KindLoadContext context, MapReader& r, const KindSpec& kind,
                    v1::Scenario* scenario) {
  std::unique_ptr<google::protobuf::Message> params(kind.params_prototype->New());
  for (const ParamSpec& spec : kind.params) {
    bool ok = ReadParam(r, spec, params.get());
    if (spec.required && !(context.target_optional && spec.name == kind.target_param)) {
      Require(diagnostics, r.node(), r.path(), spec.name.c_str(), ok);
    }
    if (ok) context.given.insert(spec.name);
  }
  std::vector<KindIssue> issues;
  if (kind.finish) kind.finish(context, params.get(), &issues);
  for (const KindIssue& issue : issues) {
    const YamlNode* at = issue.at.empty() ? nullptr : r.Find(issue.at);
    if (at == nullptr) at = &r.node();
    diagnostics->Add(at->line, at->column, KeyPath(r.path(), issue.param), issue.message);
  }
  StoreParams(kind, *params, scenario);
  r.Finish([&kind](const std::string& key) { return ExplainForeignParam(key, kind); });
}

bool IsParamOfAnyKind(const std::string& key) {
  for (const KindSpec* k : AllKinds()) {
    if (FindParam(*k, key) != nullptr) return true;
  }
  return false;
}

std::vector<std::string> KindNames() {
  std::vector<std::string> names;
  for (const KindSpec* k : AllKinds()) names.push_back(k->name);
  return names;
}

}  // namespace heapstorm
