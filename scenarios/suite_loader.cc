#include "scenarios/suite_loader.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/files.h"
#include "common/sizes.h"
#include "common/utf8.h"
#include "model/kinds.h"
#include "model/names.h"
#include "model/parameters.h"
#include "model/targets.h"
#include "model/units.h"
#include "scenarios/diagnostics.h"
#include "scenarios/sha256.h"
#include "scenarios/yaml_tree.h"

namespace heapstorm {
namespace {

constexpr size_t kMaxScenarios = 10000;
constexpr size_t kMaxSweepValues = 1000;

// --- "did you mean" ------------------------------------------------------------------

size_t EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      size_t cost = absl::ascii_tolower(a[i - 1]) == absl::ascii_tolower(b[j - 1]) ? 0 : 1;
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + cost});
      diagonal = up;
    }
  }
  return row[b.size()];
}

std::string Suggest(absl::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  for (const std::string& c : candidates) {
    size_t d = EditDistance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

// --- the loading context ----------------------------------------------------------------

struct Context {
  Diagnostics* diagnostics;
  std::string base_dir;
  SuiteLoadOptions options;

  void Error(const YamlNode& at, const std::string& path, std::string message) {
    diagnostics->Add(at.line, at.column, path, std::move(message));
  }
};

std::string Join(const std::string& path, absl::string_view key) {
  return path.empty() ? std::string(key) : absl::StrCat(path, ".", key);
}

std::string Quote(const YamlNode& node) {
  if (node.IsScalar()) {
    std::string shown = node.value.size() > 60 ? node.value.substr(0, 57) + "..." : node.value;
    return absl::StrCat("'", shown, "'");
  }
  return node.TypeName();
}

// "from 1 to 1000", or "of at least 1" when the maximum is only a sanity bound.
std::string RangeText(uint64_t min, uint64_t max) {
  if (max >= (1ULL << 32)) return absl::StrCat("of at least ", min);
  return absl::StrCat("from ", min, " to ", max);
}

// Reads the keys of one mapping. Each getter marks its key as known; Finish() reports
// every key that no getter asked for.
class MapReader {
 public:
  MapReader(Context* ctx, const YamlNode& node, std::string path)
      : ctx_(ctx), node_(node), path_(std::move(path)) {}

  const std::string& path() const { return path_; }
  const YamlNode& node() const { return node_; }

  const YamlNode* Find(absl::string_view key) {
    known_.emplace_back(key);
    for (const auto& [k, v] : node_.entries) {
      if (k.value == key) return &v;
    }
    return nullptr;
  }

  // Reports unknown keys. `explain` may return a better message for a key (e.g. a
  // parameter of another kind); "" falls back to "did you mean".
  void Finish(const std::function<std::string(const std::string&)>& explain = nullptr) {
    for (const auto& [k, v] : node_.entries) {
      if (std::find(known_.begin(), known_.end(), k.value) != known_.end()) continue;
      std::string message = explain ? explain(k.value) : "";
      if (message.empty()) {
        message = absl::StrCat("unknown key '", k.value, "'");
        std::string suggestion = Suggest(k.value, known_);
        if (!suggestion.empty()) {
          absl::StrAppend(&message, "; did you mean '", suggestion, "'?");
        } else {
          std::vector<std::string> sorted = known_;
          std::sort(sorted.begin(), sorted.end());
          sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
          absl::StrAppend(&message, " (expected one of: ", absl::StrJoin(sorted, ", "), ")");
        }
      }
      ctx_->Error(k, Join(path_, k.value), message);
    }
  }

  bool String(absl::string_view key, std::string* out) {
    const YamlNode* v = Find(key);
    if (v == nullptr || v->IsNull()) return false;
    if (!v->IsScalar()) {
      ctx_->Error(*v, Join(path_, key), absl::StrCat("expected text, got ", v->TypeName()));
      return false;
    }
    *out = v->value;
    return true;
  }

  // A whole number in [min, max]. Returns true when present and valid.
  bool Count(absl::string_view key, uint64_t min, uint64_t max, uint64_t* out) {
    const YamlNode* v = Find(key);
    if (v == nullptr || v->IsNull()) return false;
    uint64_t value = 0;
    std::string text = v->IsScalar() ? v->value : "";
    if (!v->IsScalar() || v->quoted || !absl::SimpleAtoi(text, &value) ||
        (!text.empty() && text[0] == '-')) {
      ctx_->Error(*v, Join(path_, key),
                  absl::StrCat("expected a whole number ", RangeText(min, max), ", got ",
                               Quote(*v)));
      return false;
    }
    if (value < min || value > max) {
      ctx_->Error(*v, Join(path_, key),
                  absl::StrCat("must be a whole number ", RangeText(min, max), ", got ", value));
      return false;
    }
    *out = value;
    return true;
  }

  bool Count32(absl::string_view key, uint64_t min, uint64_t max, uint32_t* out) {
    uint64_t value = 0;
    if (!Count(key, min, max, &value)) return false;
    *out = static_cast<uint32_t>(value);
    return true;
  }

  // A size in bytes in [min, max] that is a multiple of `granule`; written "512Mi".
  bool Size(absl::string_view key, uint64_t min, uint64_t max, uint64_t granule, uint64_t* out) {
    const YamlNode* v = Find(key);
    if (v == nullptr || v->IsNull()) return false;
    if (!v->IsScalar()) {
      ctx_->Error(*v, Join(path_, key),
                  absl::StrCat("expected a size such as 256Mi, got ", v->TypeName()));
      return false;
    }
    absl::StatusOr<uint64_t> bytes = ParseSize(v->value);
    if (!bytes.ok()) {
      ctx_->Error(*v, Join(path_, key), std::string(bytes.status().message()));
      return false;
    }
    if (*bytes < min || *bytes > max) {
      ctx_->Error(*v, Join(path_, key),
                  absl::StrCat("must be from ", FormatSize(min), " to ", FormatSize(max),
                               ", got ", v->value));
      return false;
    }
    if (*bytes % granule != 0) {
      ctx_->Error(*v, Join(path_, key),
                  absl::StrCat("must be a whole number of ", FormatSize(granule).substr(1),
                               "B, got ", v->value));
      return false;
    }
    *out = *bytes;
    return true;
  }

  bool Duration(absl::string_view key, absl::Duration min, absl::Duration max, uint64_t* out_ms) {
    const YamlNode* v = Find(key);
    if (v == nullptr || v->IsNull()) return false;
    if (!v->IsScalar()) {
      ctx_->Error(*v, Join(path_, key),
                  absl::StrCat("expected a duration such as 30s, got ", v->TypeName()));
      return false;
    }
    absl::StatusOr<absl::Duration> d = ParseDuration(v->value);
    if (!d.ok()) {
      ctx_->Error(*v, Join(path_, key), std::string(d.status().message()));
      return false;
    }
    if (*d < min || *d > max) {
      ctx_->Error(*v, Join(path_, key),
                  absl::StrCat("must be from ", FormatShortDuration(min), " to ", FormatShortDuration(max),
                               ", got ", v->value));
      return false;
    }
    *out_ms = static_cast<uint64_t>(absl::ToInt64Milliseconds(*d));
    return true;
  }

  bool Bool(absl::string_view key, bool* out) {
    const YamlNode* v = Find(key);
    if (v == nullptr || v->IsNull()) return false;
    if (v->IsScalar() && !v->quoted && (v->value == "true" || v->value == "false")) {
      *out = v->value == "true";
      return true;
    }
    ctx_->Error(*v, Join(path_, key), absl::StrCat("expected true or false, got ", Quote(*v)));
    return false;
  }

  // A number in (min, max], written as a decimal or a percentage ("5%").
  bool Fraction(absl::string_view key, double min, double max, double* out) {
    const YamlNode* v = Find(key);
    if (v == nullptr || v->IsNull()) return false;
    double value = 0;
    bool ok = v->IsScalar() && !v->quoted;
    if (ok) {
      absl::string_view text = v->value;
      bool percent = absl::ConsumeSuffix(&text, "%");
      ok = absl::SimpleAtod(text, &value) && std::isfinite(value);
      if (percent) value /= 100.0;
    }
    if (!ok) {
      ctx_->Error(*v, Join(path_, key),
                  absl::StrCat("expected a number such as 0.05 or 5%, got ", Quote(*v)));
      return false;
    }
    if (!(value > min && value <= max)) {
      ctx_->Error(*v, Join(path_, key),
                  absl::StrCat("must be above ", min, " and at most ", max, ", got ", v->value));
      return false;
    }
    *out = value;
    return true;
  }

  // One of `names`; returns its index + 1 (0 when absent or invalid).
  int Choice(absl::string_view key, const std::vector<std::string>& names) {
    const YamlNode* v = Find(key);
    if (v == nullptr || v->IsNull()) return 0;
    if (v->IsScalar()) {
      for (size_t i = 0; i < names.size(); ++i) {
        if (v->value == names[i]) return static_cast<int>(i) + 1;
      }
    }
    std::string message =
        absl::StrCat("expected one of ", absl::StrJoin(names, ", "), ", got ", Quote(*v));
    if (v->IsScalar()) {
      std::string suggestion = Suggest(v->value, names);
      if (!suggestion.empty()) absl::StrAppend(&message, "; did you mean '", suggestion, "'?");
    }
    ctx_->Error(*v, Join(path_, key), message);
    return 0;
  }

  // A nested mapping; nullptr when absent. Reports a non-mapping.
  const YamlNode* Map(absl::string_view key) {
    const YamlNode* v = Find(key);
    if (v == nullptr || v->IsNull()) return nullptr;
    if (!v->IsMap()) {
      ctx_->Error(*v, Join(path_, key), absl::StrCat("expected a mapping, got ", v->TypeName()));
      return nullptr;
    }
    return v;
  }

 private:
  Context* ctx_;
  const YamlNode& node_;
  std::string path_;
  std::vector<std::string> known_;
};

// --- limits ---------------------------------------------------------------------------------

// Reads a `limits` block over `limits` (values not given stay as they are).
void ReadLimits(Context* ctx, const YamlNode& node, const std::string& path, v1::Limits* limits) {
  MapReader r(ctx, node, path);
  uint64_t bytes = 0;
  if (r.Size("old_space", 16 * kMiB, 64 * kGiB, kMiB, &bytes)) {
    limits->set_max_old_space_mib(static_cast<uint32_t>(bytes / kMiB));
  }
  if (r.Size("semi_space", 1 * kMiB, 256 * kMiB, kMiB, &bytes)) {
    limits->set_max_semi_space_mib(static_cast<uint32_t>(bytes / kMiB));
  }
  if (r.Size("stack", 64 * kKiB, 1 * kGiB, kKiB, &bytes)) {
    limits->set_stack_kib(static_cast<uint32_t>(bytes / kKiB));
  }
  if (r.Size("native_stack", 256 * kKiB, 1 * kGiB, kKiB, &bytes)) {
    limits->set_native_stack_kib(static_cast<uint32_t>(bytes / kKiB));
  }
  if (r.Size("native", 64 * kMiB, 1024 * kGiB, 1, &bytes)) limits->set_native_bytes(bytes);
  if (r.Size("data", 256 * kMiB, 1024 * kGiB, 1, &bytes)) limits->set_data_bytes(bytes);
  uint32_t count = 0;
  if (r.Count32("descriptors", 64, 1 << 20, &count)) limits->set_max_descriptors(count);
  uint64_t ms = 0;
  if (r.Duration("timeout", absl::Milliseconds(100), absl::Hours(24), &ms)) {
    limits->set_timeout_ms(ms);
  }
  r.Finish([](const std::string& key) -> std::string {
    if (key == "max_old_space_size" || key == "max_old_space") {
      return "unknown key '" + key + "'; the old space limit is 'old_space' (e.g. old_space: 256Mi)";
    }
    if (key == "address_space" || key == "as") {
      return "unknown key '" + key +
             "'; heapstorm does not limit address space (RLIMIT_AS breaks node at random): "
             "use 'native' for a memory limit";
    }
    return "";
  });
}

// Fills unset limits with the defaults, then checks that they can work together.
void FinishLimits(Context* ctx, const YamlNode& at, const std::string& path, v1::Limits* limits) {
  if (limits->max_old_space_mib() == 0) limits->set_max_old_space_mib(kDefaultOldSpaceMiB);
  if (limits->max_semi_space_mib() == 0) limits->set_max_semi_space_mib(kDefaultSemiSpaceMiB);
  if (limits->stack_kib() == 0) limits->set_stack_kib(kDefaultStackKiB);
  if (limits->native_stack_kib() == 0) limits->set_native_stack_kib(kDefaultNativeStackKiB);
  if (limits->max_descriptors() == 0) limits->set_max_descriptors(kDefaultMaxDescriptors);
  if (limits->timeout_ms() == 0) limits->set_timeout_ms(kDefaultTimeoutMs);
  if (limits->stack_kib() + kStackMarginKiB > limits->native_stack_kib()) {
    ctx->Error(at, Join(path, "stack"),
               absl::StrCat("must stay ", kStackMarginKiB, "Ki below native_stack (",
                            limits->native_stack_kib(), "Ki), got ", limits->stack_kib(), "Ki",
                            ": at or above the real stack node dies of SIGSEGV with no message"));
  }
}

// --- kind parameters ---------------------------------------------------------------------

std::vector<std::string> KindNames() {
  std::vector<std::string> names;
  for (const KindSpec* k : AllKinds()) names.push_back(k->name);
  return names;
}

// "'depth' is a parameter of deep_recursion, not of cached_data".
std::string ExplainForeignParam(const std::string& key, const KindSpec& kind) {
  for (const KindSpec* k : AllKinds()) {
    if (k == &kind) continue;
    if (FindParam(*k, key) != nullptr) {
      return absl::StrCat("'", key, "' is a parameter of ", k->name, ", not of ", kind.name);
    }
  }
  return "";
}

void Require(Context* ctx, const YamlNode& at, const std::string& path, const char* key,
             bool present) {
  if (!present && at.IsMap()) {
    bool written = false;
    for (const auto& [k, v] : at.entries) written |= (k.value == key);
    if (!written) ctx->Error(at, Join(path, key), "is required");
  }
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

// Reads the params of `kind` from `r` (the params block) into the scenario, with the
// kind's own checks.
void ReadKindParams(Context* ctx, MapReader& r, const KindSpec& kind, v1::Scenario* s) {
  std::unique_ptr<google::protobuf::Message> params(kind.params_prototype->New());
  KindLoadContext kind_ctx{ctx->base_dir, ctx->options.check_files, ctx->options.max_module_bytes, {}};
  for (const ParamSpec& spec : kind.params) {
    bool ok = ReadParam(r, spec, params.get());
    if (spec.required) Require(ctx, r.node(), r.path(), spec.name.c_str(), ok);
    if (ok) kind_ctx.given.insert(spec.name);
  }
  std::vector<KindIssue> issues;
  if (kind.finish) kind.finish(kind_ctx, params.get(), &issues);
  for (const KindIssue& issue : issues) {
    const YamlNode* at = issue.at.empty() ? nullptr : r.Find(issue.at);
    ctx->Error(at != nullptr ? *at : r.node(), Join(r.path(), issue.param), issue.message);
  }
  StoreParams(kind, *params, s);
  r.Finish([&kind](const std::string& key) { return ExplainForeignParam(key, kind); });
}

// --- expectations, leak checks, variations ----------------------------------------------

void ReadExpect(Context* ctx, const YamlNode& node, const std::string& path,
                v1::Expectation* e) {
  MapReader r(ctx, node, path);
  int outcome = r.Choice("outcome", OutcomeNames());
  if (outcome > 0) e->set_outcome(static_cast<v1::Outcome>(outcome));
  uint64_t value = 0;
  if (r.Size("max_heap_used", 1, 1024 * kGiB, 1, &value)) e->set_max_heap_used_bytes(value);
  if (r.Size("max_rss", 1, 1024 * kGiB, 1, &value)) e->set_max_rss_bytes(value);
  if (r.Size("max_external", 1, 1024 * kGiB, 1, &value)) e->set_max_external_bytes(value);
  if (r.Size("max_heap_per_unit", 1, 1 * kGiB, 1, &value)) e->set_max_heap_bytes_per_unit(value);
  if (r.Count("min_units", 1, 1ULL << 40, &value)) e->set_min_units(value);
  bool leak = false;
  if (r.Bool("leak", &leak)) e->set_leak(leak);
  r.Finish();
}

void ReadLeakCheck(Context* ctx, const YamlNode& node, const std::string& path,
                   v1::LeakCheck* l) {
  MapReader r(ctx, node, path);
  uint64_t value = 0;
  l->set_iterations(2000);
  if (r.Count("iterations", 20, 1ULL << 32, &value)) l->set_iterations(value);
  if (const YamlNode* old = r.Find("warmup")) {
    ctx->Error(*old, Join(path, "warmup"),
               "'warmup' counted checkpoints, which are no longer evenly spaced (dense at first, "
               "then thinning out); write warmup_iterations (e.g. 200) or warmup_time (e.g. 2s)");
  }
  l->set_warmup_iterations(100);
  if (r.Count("warmup_iterations", 0, 1ULL << 32, &value)) l->set_warmup_iterations(value);
  if (r.Duration("warmup_time", absl::ZeroDuration(), absl::Hours(24), &value)) l->set_warmup_ms(value);
  // A cap on the spacing of the checkpoints; 0 (absent) leaves the schedule alone.
  if (r.Count("checkpoint_every", 1, 1ULL << 32, &value)) l->set_checkpoint_every(value);
  if (r.Size("min_bytes_per_iteration", 1, 1 * kGiB, 1, &value)) {
    l->set_min_bytes_per_iteration(static_cast<double>(value));
  }
  double p = 0.01;
  l->set_p_value(p);
  if (r.Fraction("p_value", 0.0, 0.5, &p)) l->set_p_value(p);
  bool snapshots = true;
  l->set_snapshots(true);
  if (r.Bool("snapshots", &snapshots)) l->set_snapshots(snapshots);
  r.Finish();
  // The trend needs iterations after the warm-up: at least as many again.
  if (l->iterations() < 2 * l->warmup_iterations()) {
    ctx->Error(node, path,
               absl::StrCat("iterations (", l->iterations(), ") must be at least twice warmup_iterations (",
                            l->warmup_iterations(), "): the trend is measured after the warm-up"));
  }
}

std::optional<ParameterSpec> ReadParameterName(Context* ctx, MapReader& r, const KindSpec* kind) {
  const YamlNode* node = r.Find("parameter");
  std::string name;
  if (!r.String("parameter", &name)) {
    Require(ctx, r.node(), r.path(), "parameter", false);
    return std::nullopt;
  }
  std::optional<ParameterSpec> spec = FindParameter(name, kind);
  std::string path = Join(r.path(), "parameter");
  if (!spec.has_value()) {
    std::vector<std::string> names;
    for (const ParameterSpec& s : SweepableParameters()) {
      if (s.scenario_kind == nullptr || s.scenario_kind == kind) names.push_back(s.name);
    }
    std::string message = absl::StrCat("'", name, "' cannot be varied");
    std::string suggestion = Suggest(name, names);
    if (!suggestion.empty()) {
      absl::StrAppend(&message, "; did you mean '", suggestion, "'?");
    } else {
      absl::StrAppend(&message, " (expected one of: ", absl::StrJoin(names, ", "), ")");
    }
    ctx->Error(*node, path, message);
    return std::nullopt;
  }
  if (spec->scenario_kind != nullptr && spec->scenario_kind != kind) {
    ctx->Error(*node, path,
               absl::StrCat("'", name, "' is a parameter of ", spec->scenario_kind->name, ", not of ",
                            kind != nullptr ? kind->name : "unspecified"));
    return std::nullopt;
  }
  return spec;
}

bool ReadParameterScalar(Context* ctx, const ParameterSpec& spec, const YamlNode& node,
                         const std::string& path, uint64_t* out) {
  if (!node.IsScalar()) {
    ctx->Error(node, path, absl::StrCat("expected a value of ", spec.name, ", got ",
                                        node.TypeName()));
    return false;
  }
  absl::StatusOr<uint64_t> value = ParseParameterValue(spec, node.value, node.quoted);
  if (!value.ok()) {
    ctx->Error(node, path, std::string(value.status().message()));
    return false;
  }
  *out = *value;
  return true;
}

void ReadSweep(Context* ctx, const YamlNode& node, const std::string& path,
               const KindSpec* kind, v1::Sweep* sweep) {
  MapReader r(ctx, node, path);
  std::optional<ParameterSpec> spec = ReadParameterName(ctx, r, kind);
  const YamlNode* values = r.Find("values");
  r.Finish();
  if (values == nullptr) {
    ctx->Error(node, Join(path, "values"), "is required");
    return;
  }
  if (!values->IsSequence() || values->items.empty()) {
    ctx->Error(*values, Join(path, "values"),
               absl::StrCat("expected a non-empty list, got ", values->TypeName()));
    return;
  }
  if (values->items.size() > kMaxSweepValues) {
    ctx->Error(*values, Join(path, "values"),
               absl::StrCat("at most ", kMaxSweepValues, " values, got ", values->items.size()));
    return;
  }
  if (!spec.has_value()) return;
  sweep->set_parameter(spec->name);
  std::vector<uint64_t> seen;
  for (size_t i = 0; i < values->items.size(); ++i) {
    const YamlNode& item = values->items[i];
    std::string item_path = absl::StrCat(path, ".values[", i, "]");
    uint64_t value = 0;
    if (!ReadParameterScalar(ctx, *spec, item, item_path, &value)) continue;
    if (std::find(seen.begin(), seen.end(), value) != seen.end()) {
      ctx->Error(item, item_path, absl::StrCat("value ", item.value, " is listed twice"));
      continue;
    }
    seen.push_back(value);
    sweep->add_values(value);
    sweep->add_labels(FormatParameterValue(*spec, value));
  }
}

void ReadSearch(Context* ctx, const YamlNode& node, const std::string& path,
                 const KindSpec* kind, v1::Search* search) {
  MapReader r(ctx, node, path);
  std::optional<ParameterSpec> spec = ReadParameterName(ctx, r, kind);
  const YamlNode* low = r.Find("low");
  const YamlNode* high = r.Find("high");
  const YamlNode* precision = r.Find("precision");
  int goal = r.Choice("goal", {"smallest_completing", "largest_completing"});
  r.Finish();
  search->set_goal(goal == 2 ? v1::SEARCH_GOAL_LARGEST_COMPLETING
                             : v1::SEARCH_GOAL_SMALLEST_COMPLETING);
  if (low == nullptr) ctx->Error(node, Join(path, "low"), "is required");
  if (high == nullptr) ctx->Error(node, Join(path, "high"), "is required");
  if (!spec.has_value() || low == nullptr || high == nullptr) return;
  search->set_parameter(spec->name);
  uint64_t lo = 0;
  uint64_t hi = 0;
  bool ok = ReadParameterScalar(ctx, *spec, *low, Join(path, "low"), &lo);
  ok &= ReadParameterScalar(ctx, *spec, *high, Join(path, "high"), &hi);
  if (!ok) return;
  if (hi <= lo) {
    ctx->Error(*high, Join(path, "high"),
               absl::StrCat("must be above low (", low->value, "), got ", high->value));
    return;
  }
  search->set_low(lo);
  search->set_high(hi);
  uint64_t step = std::max<uint64_t>(1, (hi - lo) / 64);
  if (precision != nullptr &&
      ReadParameterScalar(ctx, *spec, *precision, Join(path, "precision"), &step)) {
    if (step == 0 || step >= hi - lo) {
      ctx->Error(*precision, Join(path, "precision"),
                 absl::StrCat("must be above 0 and below high - low, got ", precision->value));
    }
  }
  search->set_precision(std::max<uint64_t>(step, 1));
}

// --- scenarios and the suite -------------------------------------------------------------

bool ValidName(const std::string& name) {
  if (name.empty() || name.size() > 100) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '_' && c != '-' && c != '.') return false;
  }
  return true;
}

struct Defaults {
  v1::Limits limits;
  uint32_t repeats = 1;
  uint32_t sample_hz = kDefaultSampleHz;
};

void ReadDefaults(Context* ctx, const YamlNode& node, Defaults* d) {
  MapReader r(ctx, node, "defaults");
  if (const YamlNode* limits = r.Map("limits")) ReadLimits(ctx, *limits, "defaults.limits", &d->limits);
  r.Count32("repeats", 1, 1000, &d->repeats);
  r.Count32("sample_hz", 1, 1000, &d->sample_hz);
  r.Finish([](const std::string& key) -> std::string {
    if (key == "old_space" || key == "semi_space" || key == "stack" || key == "native" ||
        key == "descriptors" || key == "timeout") {
      return absl::StrCat("unknown key '", key, "'; limits go under defaults.limits");
    }
    return "";
  });
}

void ReadScenario(Context* ctx, const YamlNode& node, const std::string& path,
                  const Defaults& defaults, v1::Scenario* s) {
  s->mutable_location()->set_line(node.line);
  s->mutable_location()->set_column(node.column);
  if (!node.IsMap()) {
    ctx->Error(node, path, absl::StrCat("expected a mapping, got ", node.TypeName()));
    return;
  }
  MapReader r(ctx, node, path);
  std::string name;
  const YamlNode* name_node = r.Find("name");
  if (r.String("name", &name)) {
    if (!ValidName(name)) {
      ctx->Error(*name_node, Join(path, "name"),
                 absl::StrCat("must be 1 to 100 of A-Z a-z 0-9 _ - . , got ", Quote(*name_node)));
    }
    s->set_name(name);
  } else {
    Require(ctx, node, path, "name", false);
  }
  std::string description;
  if (r.String("description", &description)) s->set_description(description);

  int kind_index = r.Choice("kind", KindNames());
  if (kind_index == 0) Require(ctx, node, path, "kind", false);
  const KindSpec* kind = kind_index > 0 ? AllKinds()[kind_index - 1] : nullptr;
  if (kind != nullptr) s->set_kind(kind->id);

  const YamlNode* params = r.Map("params");
  if (kind != nullptr) {
    YamlNode empty;
    empty.type = YamlNode::Type::kMap;
    empty.line = node.line;
    empty.column = node.column;
    MapReader pr(ctx, params != nullptr ? *params : empty, Join(path, "params"));
    ReadKindParams(ctx, pr, *kind, s);
  }

  *s->mutable_limits() = defaults.limits;
  const YamlNode* limits = r.Map("limits");
  if (limits != nullptr) ReadLimits(ctx, *limits, Join(path, "limits"), s->mutable_limits());
  FinishLimits(ctx, limits != nullptr ? *limits : node, Join(path, "limits"), s->mutable_limits());

  s->set_repeats(defaults.repeats);
  uint32_t repeats = 0;
  if (r.Count32("repeats", 1, 1000, &repeats)) s->set_repeats(repeats);
  s->set_sample_hz(defaults.sample_hz);
  uint32_t hz = 0;
  if (r.Count32("sample_hz", 1, 1000, &hz)) s->set_sample_hz(hz);
  uint64_t value = 0;
  if (r.Count("target_units", 1, 1ULL << 40, &value)) s->set_target_units(value);
  bool confirm = false;
  if (r.Bool("confirm", &confirm)) s->set_confirm(confirm);
  s->set_confirm_margin(0.1);
  double margin = 0;
  if (r.Fraction("confirm_margin", 0.0, 0.9, &margin)) s->set_confirm_margin(margin);

  s->mutable_expect()->set_outcome(v1::OUTCOME_COMPLETED);
  if (const YamlNode* expect = r.Map("expect")) {
    ReadExpect(ctx, *expect, Join(path, "expect"), s->mutable_expect());
  }
  if (const YamlNode* leak = r.Map("leak_check")) {
    ReadLeakCheck(ctx, *leak, Join(path, "leak_check"), s->mutable_leak_check());
  }
  const YamlNode* sweep = r.Map("sweep");
  const YamlNode* search = r.Map("search");
  if (sweep != nullptr && search != nullptr) {
    ctx->Error(*search, Join(path, "search"), "a scenario has a sweep or a search, not both");
  } else if (sweep != nullptr) {
    ReadSweep(ctx, *sweep, Join(path, "sweep"), kind, s->mutable_sweep());
  } else if (search != nullptr) {
    ReadSearch(ctx, *search, Join(path, "search"), kind, s->mutable_search());
  }

  uint64_t every = 0;
  bool has_every = r.Count("checkpoint_every", 1, 1ULL << 40, &every);
  r.Finish([](const std::string& key) -> std::string {
    for (const KindSpec* k : AllKinds()) {
      if (FindParam(*k, key) != nullptr) {
        return absl::StrCat("unknown key '", key, "'; parameters of a kind go under 'params'");
      }
    }
    if (key == "old_space" || key == "semi_space" || key == "stack" || key == "native" ||
        key == "descriptors" || key == "timeout") {
      return absl::StrCat("unknown key '", key, "'; limits go under 'limits'");
    }
    return "";
  });
  uint64_t target = TargetUnits(*s);
  s->set_checkpoint_every(has_every ? every : std::max<uint64_t>(1, target == 0 ? 100 : target / 100));

  // Combinations that cannot mean what they say.
  if (kind != nullptr && kind->check_scenario) {
    std::vector<KindIssue> issues;
    kind->check_scenario(*s, &issues);
    for (const KindIssue& issue : issues) {
      ctx->Error(params != nullptr ? *params : node, Join(path, Join("params", issue.param)), issue.message);
    }
  }
  if (s->has_leak_check() && (kind == nullptr || !kind->leak_check)) {
    ctx->Error(*r.Find("leak_check"), Join(path, "leak_check"),
               absl::StrCat("leak checks run script scenarios (your module's iteration), not ",
                            kind != nullptr ? kind->name : "unspecified"));
  }
  if (s->expect().leak() && !s->has_leak_check()) {
    ctx->Error(*r.Find("expect"), Join(path, "expect.leak"),
               "expecting a leak needs a leak_check block to look for it");
  }
}

}  // namespace

uint64_t PlannedRuns(const v1::Scenario& s) {
  uint64_t points = 1;
  if (s.has_sweep()) points = std::max(1, s.sweep().values_size());
  if (s.has_search()) {
    double range = static_cast<double>(s.search().high() - s.search().low());
    double precision = static_cast<double>(std::max<uint64_t>(1, s.search().precision()));
    // A search is one run per step, whatever its repeats.
    return static_cast<uint64_t>(std::ceil(std::log2(std::max(1.0, range / precision)))) + 2;
  }
  return points * std::max<uint32_t>(1, s.repeats());
}

PlanEstimate& PlanEstimate::operator+=(const PlanEstimate& other) {
  runs += other.runs;
  coordinator_bytes += other.coordinator_bytes;
  report_bytes += other.report_bytes;
  return *this;
}

PlanEstimate EstimateScenario(const v1::Scenario& s) {
  // Measured on report.json (cached_data example, node 20): 4.5 KiB per run besides its
  // series, 1.1 KiB per checkpoint, 105 B per outside sample. The engine keeps at most
  // 1,000 checkpoints and 2,000 samples; a run is taken to last 10 s of sampling.
  constexpr uint64_t kReportBytesPerRun = 4608;
  constexpr uint64_t kReportBytesPerCheckpoint = 1152;
  constexpr uint64_t kReportBytesPerSample = 105;
  constexpr uint64_t kMaxCheckpoints = 1000;
  constexpr uint64_t kMaxSamples = 2000;
  constexpr uint64_t kSampledSeconds = 10;
  // The coordinator's peak over the report's size: results in wire form (0.3×), parsed
  // (0.6×), the report proto (0.6×) and its JSON text (1×) at the end of the run.
  constexpr double kCoordinatorPerReportByte = 2.5;
  // What the scheduler keeps per planned run besides its result (scheduler_test).
  constexpr uint64_t kSchedulerBytesPerRun = 16;

  const uint64_t target = TargetUnits(s);
  const uint64_t every = std::max<uint64_t>(1, s.checkpoint_every());
  const uint64_t checkpoints = target == 0 ? kMaxCheckpoints : std::min(kMaxCheckpoints, target / every + 1);
  const uint64_t samples = std::min<uint64_t>(kMaxSamples, uint64_t{s.sample_hz()} * kSampledSeconds);
  const uint64_t per_run =
      kReportBytesPerRun + checkpoints * kReportBytesPerCheckpoint + samples * kReportBytesPerSample;
  PlanEstimate e;
  e.runs = PlannedRuns(s);
  e.report_bytes = e.runs * per_run;
  e.coordinator_bytes =
      static_cast<uint64_t>(static_cast<double>(e.report_bytes) * kCoordinatorPerReportByte) +
      e.runs * kSchedulerBytesPerRun;
  return e;
}

PlanEstimate EstimatePlan(const v1::Suite& suite) {
  PlanEstimate total;
  for (const v1::Scenario& s : suite.scenarios()) total += EstimateScenario(s);
  return total;
}

namespace {

std::string DescribeEstimate(const PlanEstimate& e) {
  return absl::StrCat(e.runs, " runs, estimated coordinator memory ", FormatSize(e.coordinator_bytes),
                      ", estimated report ", FormatSize(e.report_bytes));
}

}  // namespace

std::string PlanWarning(const PlanEstimate& e) {
  std::vector<std::string> over;
  if (e.runs > kWarnPlannedRuns) over.push_back(absl::StrCat("more than ", kWarnPlannedRuns, " runs"));
  if (e.coordinator_bytes > kWarnCoordinatorBytes) {
    over.push_back(absl::StrCat("coordinator memory over ", FormatSize(kWarnCoordinatorBytes)));
  }
  if (e.report_bytes > kWarnReportBytes) over.push_back(absl::StrCat("report over ", FormatSize(kWarnReportBytes)));
  if (over.empty()) return "";
  return absl::StrCat("a big plan: ", DescribeEstimate(e), " (", absl::StrJoin(over, ", "),
                      "); make sure the coordinator's machine can hold it, or split the suite");
}

absl::StatusOr<v1::Suite> LoadSuiteText(absl::string_view text, const std::string& display_path,
                                        const std::string& base_dir,
                                        const SuiteLoadOptions& options) {
  Diagnostics diagnostics(display_path);
  Context ctx{&diagnostics, base_dir, options};
  v1::Suite suite;
  suite.set_path(display_path);
  suite.set_sha256(Sha256Hex(text));

  if (text.size() > options.max_file_bytes) {
    diagnostics.Add(1, 1, "",
                    absl::StrCat("the file is ", FormatSize(text.size()), ", more than the ",
                                 FormatSize(options.max_file_bytes), " a suite may have"));
    return diagnostics.ToStatus();
  }
  // Every string of a suite ends up in protos, reports and JUnit: they must be UTF-8.
  if (size_t bad = FindInvalidUtf8(text); bad != absl::string_view::npos) {
    absl::string_view before = text.substr(0, bad);
    size_t line_start = before.rfind('\n');
    line_start = line_start == absl::string_view::npos ? 0 : line_start + 1;
    int line = 1 + static_cast<int>(std::count(before.begin(), before.end(), '\n'));
    // The column counts characters, as an editor shows them.
    int column = 1;
    for (size_t i = line_start; i < bad; ++i) {
      column += (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
    }
    diagnostics.Add(line, column, "",
                    absl::StrFormat("byte 0x%02X is not valid UTF-8: save the suite as UTF-8",
                                    static_cast<unsigned char>(text[bad])));
    return diagnostics.ToStatus();
  }
  YamlNode root;
  if (!ParseYaml(text, &root, &diagnostics)) return diagnostics.ToStatus();
  if (root.IsNull()) {
    diagnostics.Add(1, 1, "", "the file is empty: a suite needs at least 'scenarios'");
    return diagnostics.ToStatus();
  }
  if (!root.IsMap()) {
    diagnostics.Add(root.line, root.column, "",
                    absl::StrCat("a suite is a mapping with 'scenarios', got ", root.TypeName()));
    return diagnostics.ToStatus();
  }

  MapReader r(&ctx, root, "");
  std::string name;
  const YamlNode* name_node = r.Find("name");
  if (r.String("name", &name)) {
    if (!ValidName(name)) {
      ctx.Error(*name_node, "name",
                absl::StrCat("must be 1 to 100 of A-Z a-z 0-9 _ - . , got ", Quote(*name_node)));
    }
    suite.set_name(name);
  } else {
    std::string base = display_path.substr(display_path.find_last_of('/') + 1);
    suite.set_name(base.substr(0, base.find('.')));
  }
  std::string description;
  if (r.String("description", &description)) suite.set_description(description);

  Defaults defaults;
  const YamlNode* defaults_repeats_key = nullptr;
  if (const YamlNode* d = r.Map("defaults")) {
    ReadDefaults(&ctx, *d, &defaults);
    for (const auto& [k, v] : d->entries) {
      if (k.value == "repeats") defaults_repeats_key = &k;
    }
  }

  v1::Tolerance* tolerance = suite.mutable_tolerance();
  tolerance->set_relative(0.05);
  tolerance->set_p_value(0.05);
  if (const YamlNode* t = r.Map("tolerance")) {
    MapReader tr(&ctx, *t, "tolerance");
    double value = 0;
    if (tr.Fraction("relative", 0.0, 10.0, &value)) tolerance->set_relative(value);
    if (tr.Fraction("p_value", 0.0, 0.5, &value)) tolerance->set_p_value(value);
    tr.Finish();
  }

  const YamlNode* scenarios = r.Find("scenarios");
  r.Finish();
  if (scenarios == nullptr || scenarios->IsNull()) {
    ctx.Error(root, "scenarios", "is required: a list of scenarios");
  } else if (!scenarios->IsSequence()) {
    ctx.Error(*scenarios, "scenarios",
              absl::StrCat("expected a list of scenarios, got ", scenarios->TypeName()));
  } else if (scenarios->items.empty()) {
    ctx.Error(*scenarios, "scenarios", "the list is empty: a suite needs at least one scenario");
  } else if (scenarios->items.size() > kMaxScenarios) {
    ctx.Error(*scenarios, "scenarios",
              absl::StrCat("at most ", kMaxScenarios, " scenarios, got ", scenarios->items.size()));
  } else {
    std::vector<std::pair<std::string, int>> names;
    for (size_t i = 0; i < scenarios->items.size(); ++i) {
      const YamlNode& item = scenarios->items[i];
      std::string path = absl::StrCat("scenarios[", i, "]");
      v1::Scenario* s = suite.add_scenarios();
      s->mutable_location()->set_file(display_path);
      ReadScenario(&ctx, item, path, defaults, s);
      if (s->name().empty()) continue;
      for (const auto& [other, line] : names) {
        if (other == s->name()) {
          ctx.Error(item, Join(path, "name"),
                    absl::StrCat("scenario name '", s->name(), "' is already used at line ", line));
        }
      }
      names.emplace_back(s->name(), item.line);
    }
  }
  if (!diagnostics.empty()) return diagnostics.ToStatus();
  // A plan no machine can hold is refused, located at the key of the scenario that takes
  // it over: its sweep, else its repeats, else the defaults' repeats.
  PlanEstimate total;
  for (int i = 0; i < suite.scenarios_size(); ++i) {
    total += EstimateScenario(suite.scenarios(i));
    if (total.runs <= kMaxPlannedRuns && total.coordinator_bytes <= kMaxCoordinatorBytes) continue;
    const YamlNode& item = scenarios->items[i];
    const YamlNode* at = &item;
    std::string key = absl::StrCat("scenarios[", i, "]");
    for (const char* name : {"repeats", "sweep"}) {
      for (const auto& [k, v] : item.entries) {
        if (k.value == name) {
          at = &k;
          key = absl::StrCat("scenarios[", i, "].", name);
        }
      }
    }
    if (at == &item && defaults_repeats_key != nullptr) {
      at = defaults_repeats_key;
      key = "defaults.repeats";
    }
    ctx.Error(*at, key,
              absl::StrCat("the plan is too big: ", DescribeEstimate(total), " with scenarios up to this one; at most ",
                           kMaxPlannedRuns, " runs and ", FormatSize(kMaxCoordinatorBytes),
                           " of coordinator memory; lower the repeats or the sweep, or split the suite"));
    return diagnostics.ToStatus();
  }
  return suite;
}

absl::StatusOr<v1::Suite> LoadSuiteFile(const std::string& path, const SuiteLoadOptions& options) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    return absl::NotFoundError(absl::StrCat(path, ": cannot read the suite: ", std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a regular file"));
  }
  if (static_cast<uint64_t>(st.st_size) > options.max_file_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ":1:1: the file is ", FormatSize(st.st_size), ", more than the ",
                     FormatSize(options.max_file_bytes), " a suite may have"));
  }
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return absl::NotFoundError(absl::StrCat(path, ": cannot read the suite"));
  // Script modules resolve against the suite's folder, made absolute so that they can
  // be found from any working directory (node runs in its own scratch folder).
  std::string dir = ".";
  size_t slash = path.find_last_of('/');
  if (slash != std::string::npos) dir = slash == 0 ? "/" : path.substr(0, slash);
  char resolved[PATH_MAX];
  if (realpath(dir.c_str(), resolved) != nullptr) dir = resolved;
  return LoadSuiteText(*text, path, dir, options);
}

}  // namespace heapstorm
