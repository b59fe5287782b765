// The names of scenario kinds and outcomes as suites and reports spell them
// ("cached_data", "heap_exhausted"). One spelling, shared by the loader, the engine, the
// reports and the CLI without linking the YAML loader.
#ifndef HEAPSTORM_MODEL_NAMES_H_
#define HEAPSTORM_MODEL_NAMES_H_

#include <string>
#include <vector>

#include "proto/result.pb.h"
#include "proto/suite.pb.h"

namespace heapstorm {

// "cached_data", "open_connections", ...: the YAML spelling; "unspecified" for a kind
// heapstorm does not know.
std::string KindName(v1::ScenarioKind kind);

// The name of a scenario's kind (model/kinds.h: KindOf), also of a kind without a wire id;
// "unspecified" for a scenario without a kind.
std::string KindNameOf(const v1::Scenario& scenario);

// A configuration for a person: "cache", or a sweep's point "cache [limits.old_space=64Mi]".
std::string ConfigurationName(const std::string& scenario, const std::string& variation);

// "completed", "heap_exhausted", ...: the YAML and report spelling; "unspecified" for
// OUTCOME_UNSPECIFIED or a value out of range.
std::string OutcomeName(v1::Outcome outcome);

// Every outcome's name in enum order: OutcomeNames()[i] names the outcome i + 1.
const std::vector<std::string>& OutcomeNames();

// What kept a run's native limit, in words: "a cgroup v1 (memory.limit_in_bytes)", ...;
// "none (no native limit was set)" for LIMIT_MECHANISM_UNSPECIFIED.
std::string LimitMechanismName(v1::LimitMechanism mechanism);

// Why heapstorm killed a run, in words: "its time limit ran out", ...; "" when it did not.
std::string HarnessKillName(v1::HarnessKill kill);

}  // namespace heapstorm

#endif  // HEAPSTORM_MODEL_NAMES_H_
