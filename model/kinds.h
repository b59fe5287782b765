// The one registry of scenario kinds. Each kind is described once, here and in its own file
// under model/kinds/: its params (YAML key, unit, default, bounds, whether a sweep or a
// search may vary it), the unit its ramp counts, its driver entry point, and what capacity
// reads from it. The loader (scenarios/), the sweeps (model/parameters.h), the targets
// (model/targets.h), capacity (reports/capacity.cc) and the README's table of kinds
// (checked by tests/kinds_doc_test.cc) all draw from it, so adding a kind is one new file
// plus its part in worker/driver/driver.js.
//
// The built-in kinds are listed in one table in kinds.cc and carry a wire id
// (`v1::ScenarioKind`) and a params message of their own in the `Scenario.params` oneof. A
// kind added without editing suite.proto (RegisterKind) has no wire id: its params message
// travels packed in `Scenario.other_params`, and KindOf() finds the kind by that message's
// type. tests/toy_kind_test.cc shows one.
#ifndef HEAPSTORM_MODEL_KINDS_H_
#define HEAPSTORM_MODEL_KINDS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "proto/suite.pb.h"

namespace heapstorm {

// How a param is written in YAML and stored in its field.
enum class ParamType {
  kCount,     // a whole number; stored as is (uint32 or uint64 field)
  kSize,      // a size ("512Mi"); stored in bytes
  kDuration,  // a duration ("30s"); stored in milliseconds
  kBool,      // true or false
  kChoice,    // one of `choices`; stored as the enum value index + 1
  kText,      // a string
};

// One param of a kind.
struct ParamSpec {
  std::string name;   // YAML key under `params`: "entry_size"
  ParamType type = ParamType::kCount;
  std::string field;  // the field of the kind's params message: "entry_bytes"
  bool required = false;
  // Inclusive bounds of a count, a size (bytes) or a duration (milliseconds).
  uint64_t min = 0;
  uint64_t max = 0;
  // The value stored when the param is absent: a count, bytes, milliseconds, 0 or 1 for a
  // bool, the enum value for a choice. Unused when `required`.
  uint64_t default_value = 0;
  std::vector<std::string> choices;  // kChoice: YAML names; choices[i] is enum value i + 1
  bool sweepable = false;            // a sweep or a search may vary it ("params.<name>")
  std::string note;                  // for the README, after the default: " = at once"
};

// The param constructors the kind files use. Bounds and defaults in the stored unit.
ParamSpec CountParam(std::string name, std::string field, uint64_t min, uint64_t max,
                     uint64_t default_value = 0);
ParamSpec SizeParam(std::string name, std::string field, uint64_t min_bytes, uint64_t max_bytes,
                    uint64_t default_bytes = 0);
ParamSpec DurationParam(std::string name, std::string field, uint64_t min_ms, uint64_t max_ms,
                        uint64_t default_ms = 0);
ParamSpec BoolParam(std::string name, std::string field, bool default_value);
ParamSpec ChoiceParam(std::string name, std::string field, std::vector<std::string> choices,
                      uint64_t default_enum_value);
ParamSpec TextParam(std::string name, std::string field);
// `spec` with `required` (or `sweepable`) set.
ParamSpec Required(ParamSpec spec);
ParamSpec Sweepable(ParamSpec spec);

// A problem a kind finds in its params beyond each param's own bounds. The loader places
// it at the YAML node of the param `at` ("" = the params block, or the scenario when it
// has none) and names `params.<param>` in the message's path.
struct KindIssue {
  std::string at;
  std::string param;
  std::string message;
};

// What a kind's own checks may use while a suite loads.
struct KindLoadContext {
  std::string base_dir;           // the suite's folder: relative paths resolve against it
  bool check_files = true;        // false only for the fuzzer
  uint64_t max_module_bytes = 0;  // a module larger than this is refused. Bytes.
  std::set<std::string> given;    // the params the suite wrote validly
  // The kind's target param may be left out: a leak check's budget stands in for it.
  bool target_optional = false;
};

struct KindSpec {
  std::string name;  // the YAML spelling: "cached_data"
  // The wire id; SCENARIO_KIND_UNSPECIFIED for a kind whose params travel in
  // Scenario.other_params.
  v1::ScenarioKind id = v1::SCENARIO_KIND_UNSPECIFIED;
  // The Scenario.params oneof field holding the params ("cached_data"); "" for
  // other_params.
  std::string params_field;
  // The default instance of the params message. Not owned; lives for the process.
  const google::protobuf::Message* params_prototype = nullptr;
  std::string unit;              // what the ramp counts, in the plural: "entries"
  std::string unit_description;  // for a person: "one cache entry in a Map"
  std::vector<ParamSpec> params;  // in the order the loader reads them
  std::string target_param;       // the param that counts the units the ramp aims for
  std::string driver_entry;       // the function of worker/driver/driver.js that runs it
  bool leak_check = false;        // a leak check may run it (its iterations are the target)
  bool unit_holds_descriptor = false;  // each unit keeps a descriptor open (capacity)
  // Defaults and checks across params, after every param is read. May be empty.
  std::function<void(const KindLoadContext&, google::protobuf::Message* params,
                     std::vector<KindIssue>* issues)>
      finish;
  // Checks of the loaded scenario as a whole (its expectation, sweep, ...). May be empty.
  std::function<void(const v1::Scenario&, std::vector<KindIssue>* issues)> check_scenario;
};

// Adds a kind to the registry, for every later lookup. InvalidArgument when it lacks a
// name, a params message, or a target param of its own that is a count; AlreadyExists when
// its name, wire id or params message is taken. Thread-safe.
absl::Status RegisterKind(KindSpec kind);

// Every kind, built-in ones first, in registration order. The pointers live for the
// process. Thread-safe.
std::vector<const KindSpec*> AllKinds();

// nullptr when no kind has that name (or wire id; UNSPECIFIED finds none).
const KindSpec* FindKind(absl::string_view name);
const KindSpec* FindKind(v1::ScenarioKind id);

// The kind of a scenario: by its wire id, else by the type of its other_params. nullptr
// for a scenario without a kind.
const KindSpec* KindOf(const v1::Scenario& scenario);

// nullptr when the kind has no param of that name.
const ParamSpec* FindParam(const KindSpec& kind, absl::string_view name);

// A copy of the scenario's params for `kind` (its default instance when they are not
// set).
std::unique_ptr<google::protobuf::Message> CopyParams(const KindSpec& kind,
                                                      const v1::Scenario& scenario);

// Stores `params` (a message of the kind's type) as the scenario's params and sets its
// kind.
void StoreParams(const KindSpec& kind, const google::protobuf::Message& params,
                 v1::Scenario* scenario);

// The stored value of a count, size, duration, bool or choice param. Internal when the
// field is not of a numeric type.
absl::StatusOr<uint64_t> GetParamValue(const google::protobuf::Message& params,
                                       const ParamSpec& param);

// Stores a value in the param's field. InvalidArgument when it does not fit a 32-bit
// field; Internal when the field is not numeric.
absl::Status SetParamValue(const ParamSpec& param, uint64_t value,
                           google::protobuf::Message* params);

// Stores a text param. Internal when the field is not a string.
absl::Status SetParamText(const ParamSpec& param, const std::string& value,
                          google::protobuf::Message* params);

}  // namespace heapstorm

#endif  // HEAPSTORM_MODEL_KINDS_H_
