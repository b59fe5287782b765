#include "scenarios/suite_loader.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
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
#include "model/limits.h"
#include "model/names.h"
#include "model/parameters.h"
#include "model/targets.h"
#include "model/units.h"
#include "scenarios/diagnostics.h"
#include "scenarios/kind_params.h"
#include "scenarios/map_reader.h"
#include "scenarios/plan_estimate.h"
#include "scenarios/sha256.h"
#include "scenarios/yaml_tree.h"

namespace heapstorm {
namespace {

constexpr size_t kMaxScenarios = 10000;
constexpr size_t kMaxSweepValues = 1000;

// --- the loading context ----------------------------------------------------------------

struct Context {
  Diagnostics* diagnostics;
  std::string base_dir;
  SuiteLoadOptions options;

  void Error(const YamlNode& at, const std::string& path, std::string message) {
    diagnostics->Add(at.line, at.column, path, std::move(message));
  }
};

// --- limits ---------------------------------------------------------------------------------

// Reads a `limits` block over `limits` (values not given stay as they are).
void ReadLimits(Context* ctx, const YamlNode& node, const std::string& path, v1::Limits* limits) {
  MapReader r(ctx->diagnostics, node, path);
  uint64_t bytes = 0;
  if (r.Size("old_space", kMinOldSpaceMiB * kMiB, kMaxOldSpaceMiB * kMiB, kMiB, &bytes)) {
    limits->set_max_old_space_mib(static_cast<uint32_t>(bytes / kMiB));
  }
  if (r.Size("semi_space", kMinSemiSpaceMiB * kMiB, kMaxSemiSpaceMiB * kMiB, kMiB, &bytes)) {
    limits->set_max_semi_space_mib(static_cast<uint32_t>(bytes / kMiB));
  }
  if (r.Size("stack", kMinStackKiB * kKiB, kMaxStackKiB * kKiB, kKiB, &bytes)) {
    limits->set_stack_kib(static_cast<uint32_t>(bytes / kKiB));
  }
  if (r.Size("native_stack", kMinNativeStackKiB * kKiB, kMaxNativeStackKiB * kKiB, kKiB, &bytes)) {
    limits->set_native_stack_kib(static_cast<uint32_t>(bytes / kKiB));
  }
  if (r.Size("native", kMinNativeBytes, kMaxNativeBytes, 1, &bytes)) limits->set_native_bytes(bytes);
  if (r.Size("data", kMinDataBytes, kMaxDataBytes, 1, &bytes)) limits->set_data_bytes(bytes);
  uint32_t count = 0;
  if (r.Count32("descriptors", kMinDescriptors, kMaxDescriptors, &count)) limits->set_max_descriptors(count);
  uint64_t ms = 0;
  if (r.Duration("timeout", absl::Milliseconds(kMinTimeoutMs), absl::Milliseconds(kMaxTimeoutMs), &ms)) {
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

// Fills unset limits with the defaults, then checks that they can work together (each
// value was checked against its bounds as it was read, so what is left is how they combine).
void FinishLimits(Context* ctx, const YamlNode& at, const std::string& path, v1::Limits* limits) {
  FillDefaultLimits(limits);
  for (const LimitViolation& v : LimitViolations(*limits)) ctx->Error(at, KeyPath(path, v.key), v.message);
}

// --- expectations, leak checks, variations ----------------------------------------------

void ReadExpect(Context* ctx, const YamlNode& node, const std::string& path,
                v1::Expectation* e) {
  MapReader r(ctx->diagnostics, node, path);
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

// A leak check's budget: at least this many iterations, 2,000 when none is written.
constexpr uint64_t kMinLeakIterations = 20;
constexpr uint64_t kDefaultLeakIterations = 2000;

void ReadLeakCheck(Context* ctx, const YamlNode& node, const std::string& path,
                   v1::LeakCheck* l) {
  MapReader r(ctx->diagnostics, node, path);
  uint64_t value = 0;
  l->set_iterations(kDefaultLeakIterations);
  if (r.Count("iterations", kMinLeakIterations, 1ULL << 32, &value)) l->set_iterations(value);
  if (const YamlNode* old = r.Find("warmup")) {
    ctx->Error(*old, KeyPath(path, "warmup"),
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
  bool stretch = true;
  l->set_stretch(true);
  if (r.Bool("stretch", &stretch)) l->set_stretch(stretch);
  r.Finish();
}

// A leak check's budget and the kind's target (a script's params.iterations) are one
// number: the one written is both, leak_check's default (2,000) when neither is; written
// twice, they must agree.
void MergeTargetAndLeakBudget(Context* ctx, const YamlNode& node, const std::string& path, const KindSpec& kind,
                              const YamlNode& leak, v1::Scenario* s) {
  v1::LeakCheck* l = s->mutable_leak_check();
  const ParamSpec* spec = FindParam(kind, kind.target_param);
  const YamlNode* params = node.Entry("params");
  const YamlNode* target = params != nullptr ? params->Entry(kind.target_param) : nullptr;
  std::unique_ptr<google::protobuf::Message> values = CopyParams(kind, *s);
  absl::StatusOr<uint64_t> written = GetParamValue(*values, *spec);
  const std::string target_path = KeyPath(path, KeyPath("params", kind.target_param));
  if (target != nullptr && written.ok() && *written > 0) {
    if (leak.Entry("iterations") != nullptr) {
      if (*written != l->iterations()) {
        ctx->Error(*target, target_path,
                   absl::StrCat("is ", *written, " but leak_check.iterations is ", l->iterations(),
                                ": a leak check runs one budget; write it once (either key)"));
      }
    } else if (*written < kMinLeakIterations) {
      ctx->Error(*target, target_path,
                 absl::StrCat("a leak check needs at least ", kMinLeakIterations, " iterations, got ", *written));
    } else {
      l->set_iterations(*written);
    }
  } else if (SetParamValue(*spec, l->iterations(), values.get()).ok()) {
    StoreParams(kind, *values, s);
  }
}

// A leak check's budget, from leak_check.iterations or the kind's target; the trend needs
// iterations after the warm-up: at least as many again.
void ReconcileLeakBudget(Context* ctx, const YamlNode& node, const std::string& path, const KindSpec* kind,
                         v1::Scenario* s) {
  const YamlNode* leak = node.Entry("leak_check");
  if (!s->has_leak_check() || leak == nullptr) return;
  v1::LeakCheck* l = s->mutable_leak_check();
  if (kind != nullptr && kind->leak_check) MergeTargetAndLeakBudget(ctx, node, path, *kind, *leak, s);
  if (l->iterations() < 2 * l->warmup_iterations()) {
    ctx->Error(*leak, KeyPath(path, "leak_check"),
               absl::StrCat("iterations (", l->iterations(), ") must be at least twice warmup_iterations (",
                            l->warmup_iterations(), "): the trend is measured after the warm-up"));
  }
}

std::optional<ParameterSpec> ReadParameterName(Context* ctx, MapReader& r, const KindSpec* kind) {
  const YamlNode* node = r.Find("parameter");
  std::string name;
  if (!r.String("parameter", &name)) {
    Require(ctx->diagnostics, r.node(), r.path(), "parameter", false);
    return std::nullopt;
  }
  std::optional<ParameterSpec> spec = FindParameter(name, kind);
  std::string path = KeyPath(r.path(), "parameter");
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
  MapReader r(ctx->diagnostics, node, path);
  std::optional<ParameterSpec> spec = ReadParameterName(ctx, r, kind);
  const YamlNode* values = r.Find("values");
  r.Finish();
  if (values == nullptr) {
    ctx->Error(node, KeyPath(path, "values"), "is required");
    return;
  }
  if (!values->IsSequence() || values->items.empty()) {
    ctx->Error(*values, KeyPath(path, "values"),
               absl::StrCat("expected a non-empty list, got ", values->TypeName()));
    return;
  }
  if (values->items.size() > kMaxSweepValues) {
    ctx->Error(*values, KeyPath(path, "values"),
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
  MapReader r(ctx->diagnostics, node, path);
  std::optional<ParameterSpec> spec = ReadParameterName(ctx, r, kind);
  const YamlNode* low = r.Find("low");
  const YamlNode* high = r.Find("high");
  const YamlNode* precision = r.Find("precision");
  int goal = r.Choice("goal", {"smallest_completing", "largest_completing"});
  r.Finish();
  search->set_goal(goal == 2 ? v1::SEARCH_GOAL_LARGEST_COMPLETING
                             : v1::SEARCH_GOAL_SMALLEST_COMPLETING);
  if (low == nullptr) ctx->Error(node, KeyPath(path, "low"), "is required");
  if (high == nullptr) ctx->Error(node, KeyPath(path, "high"), "is required");
  if (!spec.has_value() || low == nullptr || high == nullptr) return;
  search->set_parameter(spec->name);
  uint64_t lo = 0;
  uint64_t hi = 0;
  bool ok = ReadParameterScalar(ctx, *spec, *low, KeyPath(path, "low"), &lo);
  ok &= ReadParameterScalar(ctx, *spec, *high, KeyPath(path, "high"), &hi);
  if (!ok) return;
  if (hi <= lo) {
    ctx->Error(*high, KeyPath(path, "high"),
               absl::StrCat("must be above low (", low->value, "), got ", high->value));
    return;
  }
  search->set_low(lo);
  search->set_high(hi);
  uint64_t step = std::max<uint64_t>(1, (hi - lo) / 64);
  if (precision != nullptr &&
      ReadParameterScalar(ctx, *spec, *precision, KeyPath(path, "precision"), &step)) {
    if (step == 0 || step >= hi - lo) {
      ctx->Error(*precision, KeyPath(path, "precision"),
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
  MapReader r(ctx->diagnostics, node, "defaults");
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

// Reads a scenario's name, description, kind and params; returns its kind (nullptr when
// missing or unknown) and sets `*params` to its params block (nullptr when absent).
const KindSpec* ReadScenarioKind(Context* ctx, MapReader& r, const YamlNode& node, const std::string& path,
                                 v1::Scenario* s, const YamlNode** params) {
  std::string name;
  const YamlNode* name_node = r.Find("name");
  if (r.String("name", &name)) {
    if (!ValidName(name)) {
      ctx->Error(*name_node, KeyPath(path, "name"),
                 absl::StrCat("must be 1 to 100 of A-Z a-z 0-9 _ - . , got ", Quote(*name_node)));
    }
    s->set_name(name);
  } else {
    Require(ctx->diagnostics, node, path, "name", false);
  }
  std::string description;
  if (r.String("description", &description)) s->set_description(description);

  int kind_index = r.Choice("kind", KindNames());
  if (kind_index == 0) Require(ctx->diagnostics, node, path, "kind", false);
  const KindSpec* kind = kind_index > 0 ? AllKinds()[kind_index - 1] : nullptr;
  if (kind != nullptr) s->set_kind(kind->id);

  *params = r.Map("params");
  if (kind != nullptr) {
    YamlNode empty;
    empty.type = YamlNode::Type::kMap;
    empty.line = node.line;
    empty.column = node.column;
    MapReader pr(ctx->diagnostics, *params != nullptr ? **params : empty, KeyPath(path, "params"));
    KindLoadContext context{ctx->base_dir, ctx->options.check_files, ctx->options.max_module_bytes, {}};
    context.target_optional = kind->leak_check && node.Entry("leak_check") != nullptr;
    ReadKindParams(ctx->diagnostics, context, pr, *kind, s);
  }
  return kind;
}

// Reads how a scenario runs: its limits (over the defaults), repeats, sampling, target and
// confirmation.
void ReadScenarioRuns(Context* ctx, MapReader& r, const YamlNode& node, const std::string& path,
                      const Defaults& defaults, v1::Scenario* s) {
  *s->mutable_limits() = defaults.limits;
  const YamlNode* limits = r.Map("limits");
  if (limits != nullptr) ReadLimits(ctx, *limits, KeyPath(path, "limits"), s->mutable_limits());
  FinishLimits(ctx, limits != nullptr ? *limits : node, KeyPath(path, "limits"), s->mutable_limits());

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
}

// Reads what a scenario checks and varies: expect, leak_check, sweep or search.
void ReadScenarioChecks(Context* ctx, MapReader& r, const std::string& path, const KindSpec* kind,
                        v1::Scenario* s) {
  s->mutable_expect()->set_outcome(v1::OUTCOME_COMPLETED);
  if (const YamlNode* expect = r.Map("expect")) {
    ReadExpect(ctx, *expect, KeyPath(path, "expect"), s->mutable_expect());
  }
  if (const YamlNode* leak = r.Map("leak_check")) {
    ReadLeakCheck(ctx, *leak, KeyPath(path, "leak_check"), s->mutable_leak_check());
  }
  const YamlNode* sweep = r.Map("sweep");
  const YamlNode* search = r.Map("search");
  if (sweep != nullptr && search != nullptr) {
    ctx->Error(*search, KeyPath(path, "search"), "a scenario has a sweep or a search, not both");
  } else if (sweep != nullptr) {
    ReadSweep(ctx, *sweep, KeyPath(path, "sweep"), kind, s->mutable_sweep());
  } else if (search != nullptr) {
    ReadSearch(ctx, *search, KeyPath(path, "search"), kind, s->mutable_search());
  }
}

// Combinations that cannot mean what they say: the kind's own checks, a leak check of a
// kind that has none, a leak expected without a leak check.
void CheckScenario(Context* ctx, MapReader& r, const YamlNode& at_params, const std::string& path,
                   const KindSpec* kind, const v1::Scenario& s) {
  if (kind != nullptr && kind->check_scenario) {
    std::vector<KindIssue> issues;
    kind->check_scenario(s, &issues);
    for (const KindIssue& issue : issues) {
      // A param that was refused already reads as unset here: its own error says enough
      // ("depth: expected a whole number" came with "without a depth the recursion...").
      const std::string key = KeyPath(path, KeyPath("params", issue.param));
      if (!ctx->diagnostics->HasAt(key)) ctx->Error(at_params, key, issue.message);
    }
  }
  if (s.has_leak_check() && (kind == nullptr || !kind->leak_check)) {
    ctx->Error(*r.Find("leak_check"), KeyPath(path, "leak_check"),
               absl::StrCat("leak checks run script scenarios (your module's iteration), not ",
                            kind != nullptr ? kind->name : "unspecified"));
  }
  if (s.expect().leak() && !s.has_leak_check()) {
    ctx->Error(*r.Find("expect"), KeyPath(path, "expect.leak"),
               "expecting a leak needs a leak_check block to look for it");
  }
}

void ReadScenario(Context* ctx, const YamlNode& node, const std::string& path,
                  const Defaults& defaults, v1::Scenario* s) {
  s->mutable_location()->set_line(node.line);
  s->mutable_location()->set_column(node.column);
  if (!node.IsMap()) {
    ctx->Error(node, path, absl::StrCat("expected a mapping, got ", node.TypeName()));
    return;
  }
  MapReader r(ctx->diagnostics, node, path);
  const YamlNode* params = nullptr;
  const KindSpec* kind = ReadScenarioKind(ctx, r, node, path, s, &params);
  ReadScenarioRuns(ctx, r, node, path, defaults, s);
  ReadScenarioChecks(ctx, r, path, kind, s);
  ReconcileLeakBudget(ctx, node, path, kind, s);

  uint64_t every = 0;
  bool has_every = r.Count("checkpoint_every", 1, 1ULL << 40, &every);
  r.Finish([](const std::string& key) -> std::string {
    if (IsParamOfAnyKind(key)) {
      return absl::StrCat("unknown key '", key, "'; parameters of a kind go under 'params'");
    }
    if (key == "old_space" || key == "semi_space" || key == "stack" || key == "native" ||
        key == "descriptors" || key == "timeout") {
      return absl::StrCat("unknown key '", key, "'; limits go under 'limits'");
    }
    return "";
  });
  uint64_t target = TargetUnits(*s);
  s->set_checkpoint_every(has_every ? every : std::max<uint64_t>(1, target == 0 ? 100 : target / 100));
  CheckScenario(ctx, r, params != nullptr ? *params : node, path, kind, *s);
}

// The text itself: at most the size cap, and UTF-8 (every string of a suite ends up in
// protos, reports and JUnit). Returns false after reporting the first problem.
bool CheckSuiteText(absl::string_view text, const SuiteLoadOptions& options, Diagnostics* diagnostics) {
  if (text.size() > options.max_file_bytes) {
    diagnostics->Add(1, 1, "",
                     absl::StrCat("the file is ", FormatSize(text.size()), ", more than the ",
                                  FormatSize(options.max_file_bytes), " a suite may have"));
    return false;
  }
  size_t bad = FindInvalidUtf8(text);
  if (bad == absl::string_view::npos) return true;
  absl::string_view before = text.substr(0, bad);
  size_t line_start = before.rfind('\n');
  line_start = line_start == absl::string_view::npos ? 0 : line_start + 1;
  int line = 1 + static_cast<int>(std::count(before.begin(), before.end(), '\n'));
  // The column counts characters, as an editor shows them.
  int column = 1;
  for (size_t i = line_start; i < bad; ++i) {
    column += (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
  }
  diagnostics->Add(line, column, "",
                   absl::StrFormat("byte 0x%02X is not valid UTF-8: save the suite as UTF-8",
                                   static_cast<unsigned char>(text[bad])));
  return false;
}

// Reads the suite's name, description, defaults and tolerance; `*defaults_repeats_key` is
// the key of defaults.repeats (nullptr when absent), where an oversized plan may be shown.
void ReadSuiteHeader(Context* ctx, MapReader& r, const std::string& display_path, v1::Suite* suite,
                     Defaults* defaults, const YamlNode** defaults_repeats_key) {
  std::string name;
  const YamlNode* name_node = r.Find("name");
  if (r.String("name", &name)) {
    if (!ValidName(name)) {
      ctx->Error(*name_node, "name",
                 absl::StrCat("must be 1 to 100 of A-Z a-z 0-9 _ - . , got ", Quote(*name_node)));
    }
    suite->set_name(name);
  } else {
    std::string base = display_path.substr(display_path.find_last_of('/') + 1);
    suite->set_name(base.substr(0, base.find('.')));
  }
  std::string description;
  if (r.String("description", &description)) suite->set_description(description);

  if (const YamlNode* d = r.Map("defaults")) {
    ReadDefaults(ctx, *d, defaults);
    for (const auto& [k, v] : d->entries) {
      if (k.value == "repeats") *defaults_repeats_key = &k;
    }
  }

  v1::Tolerance* tolerance = suite->mutable_tolerance();
  tolerance->set_relative(0.05);
  tolerance->set_p_value(0.05);
  if (const YamlNode* t = r.Map("tolerance")) {
    MapReader tr(ctx->diagnostics, *t, "tolerance");
    double value = 0;
    if (tr.Fraction("relative", 0.0, 10.0, &value)) tolerance->set_relative(value);
    if (tr.Fraction("p_value", 0.0, 0.5, &value)) tolerance->set_p_value(value);
    tr.Finish();
  }
}

// Reads the `scenarios` list (`scenarios` is its node, nullptr when absent; `root` the
// suite's mapping) into the suite; scenario names must be unique.
void ReadScenarioList(Context* ctx, const YamlNode& root, const YamlNode* scenarios,
                      const std::string& display_path, const Defaults& defaults, v1::Suite* suite) {
  if (scenarios == nullptr || scenarios->IsNull()) {
    ctx->Error(root, "scenarios", "is required: a list of scenarios");
  } else if (!scenarios->IsSequence()) {
    ctx->Error(*scenarios, "scenarios",
               absl::StrCat("expected a list of scenarios, got ", scenarios->TypeName()));
  } else if (scenarios->items.empty()) {
    ctx->Error(*scenarios, "scenarios", "the list is empty: a suite needs at least one scenario");
  } else if (scenarios->items.size() > kMaxScenarios) {
    ctx->Error(*scenarios, "scenarios",
               absl::StrCat("at most ", kMaxScenarios, " scenarios, got ", scenarios->items.size()));
  } else {
    std::vector<std::pair<std::string, int>> names;
    for (size_t i = 0; i < scenarios->items.size(); ++i) {
      const YamlNode& item = scenarios->items[i];
      std::string path = absl::StrCat("scenarios[", i, "]");
      v1::Scenario* s = suite->add_scenarios();
      s->mutable_location()->set_file(display_path);
      ReadScenario(ctx, item, path, defaults, s);
      if (s->name().empty()) continue;
      for (const auto& [other, line] : names) {
        if (other == s->name()) {
          ctx->Error(item, KeyPath(path, "name"),
                     absl::StrCat("scenario name '", s->name(), "' is already used at line ", line));
        }
      }
      names.emplace_back(s->name(), item.line);
    }
  }
}

// A plan no machine can hold is refused, located at the key of the scenario that takes it
// over: its sweep, else its repeats, else the defaults' repeats. Returns false when refused.
bool CheckPlanSize(Context* ctx, const v1::Suite& suite, const YamlNode& scenarios,
                   const YamlNode* defaults_repeats_key) {
  PlanEstimate total;
  for (int i = 0; i < suite.scenarios_size(); ++i) {
    total += EstimateScenario(suite.scenarios(i));
    if (total.runs <= kMaxPlannedRuns && total.coordinator_bytes <= kMaxCoordinatorBytes) continue;
    const YamlNode& item = scenarios.items[i];
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
    ctx->Error(*at, key,
               absl::StrCat("the plan is too big: ", DescribeEstimate(total), " with scenarios up to this one; at most ",
                            kMaxPlannedRuns, " runs and ", FormatSize(kMaxCoordinatorBytes),
                            " of coordinator memory; lower the repeats or the sweep, or split the suite"));
    return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<v1::Suite> LoadSuiteText(absl::string_view text, const std::string& display_path,
                                        const std::string& base_dir,
                                        const SuiteLoadOptions& options) {
  Diagnostics diagnostics(display_path);
  Context ctx{&diagnostics, base_dir, options};
  v1::Suite suite;
  suite.set_path(display_path);
  suite.set_sha256(Sha256Hex(text));
  if (!CheckSuiteText(text, options, &diagnostics)) return diagnostics.ToStatus();
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

  MapReader r(ctx.diagnostics, root, "");
  Defaults defaults;
  const YamlNode* defaults_repeats_key = nullptr;
  ReadSuiteHeader(&ctx, r, display_path, &suite, &defaults, &defaults_repeats_key);
  const YamlNode* scenarios = r.Find("scenarios");
  r.Finish();
  ReadScenarioList(&ctx, root, scenarios, display_path, defaults, &suite);
  if (!diagnostics.empty()) return diagnostics.ToStatus();
  if (!CheckPlanSize(&ctx, suite, *scenarios, defaults_repeats_key)) return diagnostics.ToStatus();
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
