// Reading a scenario's `params` block by its kind's description in the registry
// (model/kinds.h): every param by its type, bounds and default, the kind's own checks, and
// a clear error for a param that belongs to another kind. No kind is named here: a kind
// added to the registry is read with no edit of this file.
#ifndef HEAPSTORM_SCENARIOS_KIND_PARAMS_H_
#define HEAPSTORM_SCENARIOS_KIND_PARAMS_H_

#include <string>

#include "model/kinds.h"
#include "proto/suite.pb.h"
#include "scenarios/diagnostics.h"
#include "scenarios/map_reader.h"

namespace heapstorm {

// Reads the params of `kind` from `r` (the params block, or an empty mapping when the
// scenario has none) into `scenario` (its kind and params), reporting each problem to
// `diagnostics` at its key. `context` carries the suite's folder and file checks; its
// `given` is filled here. Finishes `r` (unknown keys are reported).
void ReadKindParams(Diagnostics* diagnostics, KindLoadContext context, MapReader& r, const KindSpec& kind,
                    v1::Scenario* scenario);

// True when some kind has a param called `key` (to tell a user that params go under
// `params`).
bool IsParamOfAnyKind(const std::string& key);

// Every kind's name, in registry order (what `kind:` accepts).
std::vector<std::string> KindNames();

}  // namespace heapstorm

#endif  // HEAPSTORM_SCENARIOS_KIND_PARAMS_H_
