// Turns a suite into assignments: scenario × sweep point × repeat, each with its limits
// and parameters resolved, in a stable order (suite order, then point, then repeat).
// Searches are adaptive: Plan() returns their bracket (low and high, once each), and the
// search (coordinator/search.h) asks for more as results arrive.
#ifndef HEAPSTORM_COORDINATOR_PLANNER_H_
#define HEAPSTORM_COORDINATOR_PLANNER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/coordinator.pb.h"
#include "proto/suite.pb.h"

namespace heapstorm {

// Assignment ids are "<scenario>/<variation or '-'>/r<repeat>": stable across restarts
// of the same suite, so a journal can be matched to a plan.
std::string AssignmentId(const std::string& scenario, const std::string& variation,
                         uint32_t repeat);

// The scenario with one point of its sweep (or search) applied, the variation cleared.
// `label` is the point as written ("64Mi"). InvalidArgument when the parameter does not
// apply.
absl::StatusOr<v1::Scenario> ApplyPoint(const v1::Scenario& scenario, const std::string& parameter,
                                        uint64_t value, std::string* label);

// Every assignment a suite needs, except the later steps of searches. `lease_ms` is set
// by the coordinator.
absl::StatusOr<std::vector<v1::Assignment>> Plan(const v1::Suite& suite);

}  // namespace heapstorm

#endif  // HEAPSTORM_COORDINATOR_PLANNER_H_
