#include "coordinator/adaptive.h"

#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/mutex.h"
#include "coordinator/planner.h"
#include "model/targets.h"

namespace heapstorm {

AdaptivePlanner::AdaptivePlanner(const v1::Suite& suite) {
  MutexLock lock(&mu_);
  for (const v1::Scenario& s : suite.scenarios()) {
    scenarios_[s.name()] = s;
    if (!s.has_search()) continue;
    SearchState& state = searches_[s.name()];
    state.scenario = s;
    state.controller = std::make_unique<SearchController>(s);
    // The bracket is in the initial plan (planner.cc); note its ids.
    for (uint64_t v : state.controller->Next()) {
      std::string label;
      if (ApplyPoint(s, s.search().parameter(), v, &label).ok()) {
        state.value_of[AssignmentId(s.name(), label, 0)] = v;
      }
    }
  }
}

std::string AdaptivePlanner::ConfirmLabel(uint64_t units) { return absl::StrCat("confirm@", units); }

std::vector<v1::Assignment> AdaptivePlanner::AskLocked(SearchState* state) {
  std::vector<v1::Assignment> out;
  for (uint64_t v : state->controller->Next()) {
    std::string label;
    absl::StatusOr<v1::Scenario> point =
        ApplyPoint(state->scenario, state->scenario.search().parameter(), v, &label);
    if (!point.ok()) continue;
    v1::Assignment a;
    a.set_id(AssignmentId(state->scenario.name(), label, 0));
    a.set_attempt(1);
    *a.mutable_scenario() = *std::move(point);
    a.set_repeat(0);
    a.set_variation(label);
    state->value_of[a.id()] = v;
    out.push_back(std::move(a));
  }
  return out;
}

std::vector<v1::Assignment> AdaptivePlanner::OnResult(const v1::RunResult& result) {
  MutexLock lock(&mu_);
  std::vector<v1::Assignment> out;
  auto search = searches_.find(result.scenario());
  if (search != searches_.end()) {
    auto it = search->second.value_of.find(result.assignment_id());
    if (it != search->second.value_of.end()) {
      search->second.controller->Record(it->second, result.outcome() == v1::OUTCOME_COMPLETED);
      for (v1::Assignment& a : AskLocked(&search->second)) out.push_back(std::move(a));
    }
    return out;
  }
  // A breaking point to confirm: once per configuration, never for a confirming run.
  auto scenario = scenarios_.find(result.scenario());
  if (scenario == scenarios_.end() || !scenario->second.confirm()) return out;
  if (result.outcome() == v1::OUTCOME_COMPLETED || result.units_reached() < 2) return out;
  if (absl::StrContains(result.variation(), "confirm@")) return out;
  std::string config = absl::StrCat(result.scenario(), "/", result.variation());
  if (confirmed_[config]) return out;
  confirmed_[config] = true;
  double margin = scenario->second.confirm_margin() > 0 ? scenario->second.confirm_margin() : 0.1;
  uint64_t units = static_cast<uint64_t>(std::floor(result.units_reached() * (1.0 - margin)));
  v1::Scenario confirm = scenario->second;
  confirm.clear_variation();
  // The same point of a sweep: its limits and parameters as the result ran them.
  *confirm.mutable_limits() = result.limits();
  SetTargetUnits(&confirm, std::max<uint64_t>(1, units));
  confirm.mutable_expect()->set_outcome(v1::OUTCOME_COMPLETED);
  std::string label = result.variation().empty() ? ConfirmLabel(units)
                                                 : absl::StrCat(result.variation(), " ", ConfirmLabel(units));
  v1::Assignment a;
  a.set_id(AssignmentId(result.scenario(), label, 0));
  a.set_attempt(1);
  *a.mutable_scenario() = std::move(confirm);
  a.set_variation(label);
  out.push_back(std::move(a));
  return out;
}

std::vector<v1::SearchResult> AdaptivePlanner::Searches() const {
  MutexLock lock(&mu_);
  std::vector<v1::SearchResult> out;
  for (const auto& [name, state] : searches_) out.push_back(state.controller->Result());
  return out;
}

}  // namespace heapstorm
