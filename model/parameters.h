// The parameters and limits a sweep or a search may vary, by the name a suite uses
// ("limits.old_space", "params.entry_size"), with the way each value is written and where
// it is stored. The limits are listed here; the params come from the registry of kinds
// (model/kinds.h, each param marked sweepable there). The loader parses sweep values
// through this, and the coordinator's planner applies them through it: one table, one
// spelling.
#ifndef HEAPSTORM_MODEL_PARAMETERS_H_
#define HEAPSTORM_MODEL_PARAMETERS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "model/kinds.h"
#include "proto/suite.pb.h"

namespace heapstorm {

// How a value is written in YAML and stored in the proto.
enum class ValueKind {
  kCount,     // a whole number, stored as is
  kBytes,     // a size ("512Mi"), stored in bytes
  kKiB,       // a size, stored in KiB; must be a whole number of KiB
  kMiB,       // a size, stored in MiB; must be a whole number of MiB
  kMillis,    // a duration ("30s"), stored in milliseconds
};

// The limit a capacity recommendation gives a figure for (CapacityReport's recommended_*),
// so the model of a sweep over it is compared with the recommendation. kNone for the
// other limits and every param.
enum class RecommendedLimit { kNone, kOldSpace, kNative, kDescriptors };

struct ParameterSpec {
  std::string name;  // "limits.old_space", "params.entries"
  ValueKind kind = ValueKind::kCount;
  // How reports show it (capacity, the HTML): what it sizes in words ("old space"; a param's
  // name with spaces: "entry size"), and the step a person reads an amount of it in ("MiB"
  // of old space, "KiB" of a size param, "descriptor"), in base units (BaseValue).
  std::string display_name;
  std::string step_name;
  double step = 1;
  RecommendedLimit recommended = RecommendedLimit::kNone;
  // A limit: its field of v1::Limits ("max_old_space_mib"). Empty for a param.
  std::string limits_field;
  // A param: the kind whose params hold it, and the param. nullptr for a limit.
  const KindSpec* scenario_kind = nullptr;
  const ParamSpec* param = nullptr;
};

// Every parameter that may be swept or searched: the limits, then each kind's sweepable
// params in registry order.
std::vector<ParameterSpec> SweepableParameters();

// The parameter called `name`: a limit, else a param of `kind` when given, else a param of
// any kind (the first in registry order). nullopt when nothing by that name is sweepable.
std::optional<ParameterSpec> FindParameter(absl::string_view name, const KindSpec* kind = nullptr);

// Parses a value as written in YAML ("64Mi", "30s", "100"). InvalidArgument with a
// message (no location) when it is not of the parameter's kind.
absl::StatusOr<uint64_t> ParseParameterValue(const ParameterSpec& spec, absl::string_view text,
                                             bool quoted);

// Writes `value` (in the stored unit) into `scenario`. InvalidArgument when the
// scenario's kind has no such parameter.
absl::Status ApplyParameter(const ParameterSpec& spec, uint64_t value, v1::Scenario* scenario);

// Reads the parameter's current value (in the stored unit) from `scenario`.
absl::StatusOr<uint64_t> ReadParameter(const ParameterSpec& spec, const v1::Scenario& scenario);

// The value as a person writes it: "64Mi", "30s", "100".
std::string FormatParameterValue(const ParameterSpec& spec, uint64_t value);

// The label of a sweep's or a search's point, its runs' variation: "limits.old_space=64Mi".
std::string PointLabel(const ParameterSpec& spec, uint64_t value);

// Whether variation label `a` ("old_space=32Mi", a PointLabel) comes before `b`: by the
// parameter's value when both vary the same parameter (32Mi before 128Mi, 512Ki before
// 1Mi), else as text.
bool VariationBefore(absl::string_view a, absl::string_view b);

// A stored value in the parameter's base unit: bytes for a size, milliseconds for a
// duration, else the count.
double BaseValue(const ParameterSpec& spec, uint64_t value);

// True when the base unit is bytes.
bool IsSize(const ParameterSpec& spec);

// An amount in the base unit as a person reads it: "64Mi", "1,200", "30s".
std::string FormatBaseAmount(const ParameterSpec& spec, double amount);

}  // namespace heapstorm

#endif  // HEAPSTORM_MODEL_PARAMETERS_H_
