// Turns a suite into assignments: scenario × sweep point × repeat, each with its limits
// and parameters resolved, in a stable order (suite order, then point, then repeat).
// Searches are adaptive: the plan holds their bracket (low and high, once each), and the
// search (coordinator/search.h) asks for more as results arrive.
//
// A plan is lazy: a LazyPlan keeps one block per scenario (its scenario, its points'
// values and labels, its repeats) and makes an Assignment only when asked for one by
// index, so a million planned runs cost what their points cost, not a million protos.
#ifndef HEAPSTORM_COORDINATOR_PLANNER_H_
#define HEAPSTORM_COORDINATOR_PLANNER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
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

// Every assignment of a suite (except the later steps of searches), made on demand.
// Immutable after Create(), so it may be read from several threads.
class LazyPlan {
 public:
  // An empty plan.
  LazyPlan() = default;

  // Checks every point once (InvalidArgument when a parameter does not apply). A point
  // whose label repeats an earlier one of the same scenario is planned once.
  static absl::StatusOr<LazyPlan> Create(const v1::Suite& suite);

  // Planned runs. Indices run from 0 to size() - 1, in plan order.
  uint64_t size() const { return size_; }

  // The assignment at `index` (< size()), attempt 1, no lease set. Costs one copy of its
  // scenario.
  v1::Assignment At(uint64_t index) const;

  // The id of the assignment at `index` (< size()), without making the assignment.
  std::string IdAt(uint64_t index) const;

  // What the run at `index` (< size()) is, without making its assignment.
  struct Run {
    std::string scenario;   // its name
    std::string variation;  // the point's label, "" without a sweep or search
    uint32_t repeat = 0;
  };
  Run RunAt(uint64_t index) const;

  // The index of an assignment id of this plan; nullopt for any other id.
  std::optional<uint64_t> Find(absl::string_view id) const;

 private:
  struct Block {
    v1::Scenario scenario;          // as loaded (sweep or search still set)
    std::string parameter;          // "" when the scenario has one point
    std::vector<uint64_t> values;   // one per point
    std::vector<std::string> labels;  // one per point; {""} without a sweep or search
    absl::flat_hash_map<std::string, uint32_t> point_of_label;
    uint32_t repeats = 1;
    uint64_t first = 0;             // index of its first run
  };
  // The block holding `index` and the index's offset in it.
  const Block& BlockOf(uint64_t index, uint64_t* offset) const;

  std::vector<Block> blocks_;
  absl::flat_hash_map<std::string, size_t> block_of_scenario_;
  uint64_t size_ = 0;
};

// Every assignment a suite needs, except the later steps of searches, all made at once
// (small suites and tests; the coordinator uses LazyPlan). `lease_ms` is set by the
// coordinator.
absl::StatusOr<std::vector<v1::Assignment>> Plan(const v1::Suite& suite);

}  // namespace heapstorm

#endif  // HEAPSTORM_COORDINATOR_PLANNER_H_
