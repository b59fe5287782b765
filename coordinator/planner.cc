#include "coordinator/planner.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "model/parameters.h"

namespace heapstorm {

std::string AssignmentId(const std::string& scenario, const std::string& variation,
                         uint32_t repeat) {
  return absl::StrCat(scenario, "/", variation.empty() ? "-" : variation, "/r", repeat);
}

absl::StatusOr<v1::Scenario> ApplyPoint(const v1::Scenario& scenario, const std::string& parameter,
                                        uint64_t value, std::string* label) {
  std::optional<ParameterSpec> spec = FindParameter(parameter, KindOf(scenario));
  if (!spec.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat("unknown parameter ", parameter));
  }
  v1::Scenario point = scenario;
  point.clear_variation();
  absl::Status status = ApplyParameter(*spec, value, &point);
  if (!status.ok()) return status;
  *label = PointLabel(*spec, value);
  return point;
}

absl::StatusOr<LazyPlan> LazyPlan::Create(const v1::Suite& suite) {
  LazyPlan plan;
  for (const v1::Scenario& scenario : suite.scenarios()) {
    Block block;
    block.scenario = scenario;
    std::vector<uint64_t> values;
    if (scenario.has_sweep()) {
      block.parameter = scenario.sweep().parameter();
      values.assign(scenario.sweep().values().begin(), scenario.sweep().values().end());
    } else if (scenario.has_search()) {
      block.parameter = scenario.search().parameter();
      values = {scenario.search().low(), scenario.search().high()};
    }
    if (block.parameter.empty()) {
      block.values = {0};
      block.labels = {""};
      block.point_of_label[""] = 0;
    } else {
      for (uint64_t value : values) {
        std::string label;
        absl::StatusOr<v1::Scenario> point = ApplyPoint(scenario, block.parameter, value, &label);
        if (!point.ok()) return point.status();
        if (!block.point_of_label.emplace(label, static_cast<uint32_t>(block.labels.size())).second) {
          continue;  // the same point twice: one id, one run
        }
        block.values.push_back(value);
        block.labels.push_back(std::move(label));
      }
    }
    // A search's steps run once each; the search itself asks for the next ones.
    block.repeats = scenario.has_search() ? 1 : std::max<uint32_t>(1, scenario.repeats());
    block.first = plan.size_;
    plan.size_ += static_cast<uint64_t>(block.labels.size()) * block.repeats;
    plan.block_of_scenario_[scenario.name()] = plan.blocks_.size();
    plan.blocks_.push_back(std::move(block));
  }
  return plan;
}

const LazyPlan::Block& LazyPlan::BlockOf(uint64_t index, uint64_t* offset) const {
  // The last block whose first index is at or before `index`.
  auto it = std::upper_bound(blocks_.begin(), blocks_.end(), index,
                             [](uint64_t i, const Block& b) { return i < b.first; });
  const Block& block = *std::prev(it);
  *offset = index - block.first;
  return block;
}

v1::Assignment LazyPlan::At(uint64_t index) const {
  uint64_t offset = 0;
  const Block& block = BlockOf(index, &offset);
  const uint64_t point = offset / block.repeats;
  const uint32_t repeat = static_cast<uint32_t>(offset % block.repeats);
  v1::Assignment a;
  a.set_id(AssignmentId(block.scenario.name(), block.labels[point], repeat));
  a.set_attempt(1);
  if (block.parameter.empty()) {
    *a.mutable_scenario() = block.scenario;
  } else {
    std::string label;
    // Checked in Create(): it applies.
    *a.mutable_scenario() = *ApplyPoint(block.scenario, block.parameter, block.values[point], &label);
  }
  a.set_repeat(repeat);
  a.set_variation(block.labels[point]);
  return a;
}

LazyPlan::Run LazyPlan::RunAt(uint64_t index) const {
  uint64_t offset = 0;
  const Block& block = BlockOf(index, &offset);
  return Run{block.scenario.name(), block.labels[offset / block.repeats],
             static_cast<uint32_t>(offset % block.repeats)};
}

std::string LazyPlan::IdAt(uint64_t index) const {
  Run run = RunAt(index);
  return AssignmentId(run.scenario, run.variation, run.repeat);
}

std::optional<uint64_t> LazyPlan::Find(absl::string_view id) const {
  // "<scenario>/<label or ->/r<repeat>"; scenario names have no '/'.
  size_t first_slash = id.find('/');
  size_t last = id.rfind("/r");
  if (first_slash == absl::string_view::npos || last == absl::string_view::npos || last <= first_slash) {
    return std::nullopt;
  }
  auto block_it = block_of_scenario_.find(id.substr(0, first_slash));
  if (block_it == block_of_scenario_.end()) return std::nullopt;
  const Block& block = blocks_[block_it->second];
  absl::string_view label = id.substr(first_slash + 1, last - first_slash - 1);
  if (label == "-") label = "";
  auto point_it = block.point_of_label.find(label);
  uint32_t repeat = 0;
  if (point_it == block.point_of_label.end() || !absl::SimpleAtoi(id.substr(last + 2), &repeat) ||
      repeat >= block.repeats) {
    return std::nullopt;
  }
  uint64_t index = block.first + static_cast<uint64_t>(point_it->second) * block.repeats + repeat;
  if (IdAt(index) != id) return std::nullopt;  // e.g. "r01" for "r1"
  return index;
}

absl::StatusOr<std::vector<v1::Assignment>> Plan(const v1::Suite& suite) {
  absl::StatusOr<LazyPlan> plan = LazyPlan::Create(suite);
  if (!plan.ok()) return plan.status();
  std::vector<v1::Assignment> out;
  out.reserve(plan->size());
  for (uint64_t i = 0; i < plan->size(); ++i) out.push_back(plan->At(i));
  return out;
}

}  // namespace heapstorm
