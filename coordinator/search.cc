#include "coordinator/search.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "model/parameters.h"
#include "model/targets.h"

namespace heapstorm {

SearchController::SearchController(const v1::Scenario& scenario)
    : scenario_(scenario), search_(scenario.search()), low_(search_.low()), high_(search_.high()) {}

std::vector<uint64_t> SearchController::Next() {
  std::vector<uint64_t> out;
  if (done_) return out;
  auto ask = [&](uint64_t v) {
    if (std::find(asked_.begin(), asked_.end(), v) != asked_.end()) return;
    asked_.push_back(v);
    out.push_back(v);
  };
  if (!outcomes_.count(low_) || !outcomes_.count(high_)) {
    ask(low_);
    ask(high_);
    return out;
  }
  uint64_t mid = low_ + (high_ - low_) / 2;
  if (!outcomes_.count(mid)) ask(mid);
  return out;
}

void SearchController::Record(uint64_t value, bool completed) {
  outcomes_[value] = completed;
  Advance();
}

void SearchController::Advance() {
  if (done_ || !outcomes_.count(low_) || !outcomes_.count(high_)) return;
  std::optional<ParameterSpec> spec = FindParameter(search_.parameter(), KindOf(scenario_));
  auto label = [spec](uint64_t v) { return spec ? FormatParameterValue(*spec, v) : absl::StrCat(v); };
  const bool smallest = search_.goal() != v1::SEARCH_GOAL_LARGEST_COMPLETING;
  // The bracket must hold the change.
  if (outcomes_.size() == 2 || (low_ == search_.low() && high_ == search_.high())) {
    bool lo = outcomes_[low_], hi = outcomes_[high_];
    if (smallest && lo) {
      done_ = found_ = true;
      answer_ = low_;
      message_ = absl::StrCat("it already completes at the low end, ", label(low_));
      return;
    }
    if (smallest && !hi) {
      done_ = true;
      message_ = absl::StrCat("it does not complete even at the high end, ", label(high_));
      return;
    }
    if (!smallest && !lo) {
      done_ = true;
      message_ = absl::StrCat("it does not complete even at the low end, ", label(low_));
      return;
    }
    if (!smallest && hi) {
      done_ = found_ = true;
      answer_ = high_;
      message_ = absl::StrCat("it still completes at the high end, ", label(high_));
      return;
    }
  }
  // Bisect while the bracket is wider than the precision.
  while (high_ - low_ > std::max<uint64_t>(1, search_.precision())) {
    uint64_t mid = low_ + (high_ - low_) / 2;
    auto it = outcomes_.find(mid);
    if (it == outcomes_.end()) return;  // wait for it
    bool completes = it->second;
    if (smallest == completes) {
      high_ = mid;
    } else {
      low_ = mid;
    }
  }
  done_ = found_ = true;
  answer_ = smallest ? high_ : low_;
  message_ = absl::StrCat(smallest ? "the smallest " : "the largest ", search_.parameter(),
                          " at which it completes is ", label(answer_), " (between ", label(low_),
                          " and ", label(high_), ")");
}

v1::SearchResult SearchController::Result() const {
  v1::SearchResult r;
  r.set_scenario(scenario_.name());
  r.set_parameter(search_.parameter());
  r.set_goal(search_.goal());
  r.set_found(found_);
  r.set_value(answer_);
  std::optional<ParameterSpec> spec = FindParameter(search_.parameter(), KindOf(scenario_));
  r.set_value_label(spec ? FormatParameterValue(*spec, answer_) : absl::StrCat(answer_));
  r.set_low(low_);
  r.set_high(high_);
  r.set_steps(static_cast<uint32_t>(outcomes_.size()));
  r.set_message(done_ ? message_ : "the search did not finish");
  // Is the parameter the ramp's own target? Then setting it sets the scenario's unit count.
  if (spec.has_value()) {
    v1::Scenario probe = scenario_;
    const uint64_t marker = TargetUnits(scenario_) + 7919;
    if (ApplyParameter(*spec, marker, &probe).ok() && TargetUnits(probe) == marker) {
      r.set_ramp_note(absl::StrCat(
          search_.parameter(), " is the scenario's unit count: one run with ", search_.parameter(), " = ",
          r.value_label().empty() ? absl::StrCat(search_.high()) : FormatParameterValue(*spec, search_.high()),
          " ramps to the break and reports the exact count (units_reached), where this search took ",
          outcomes_.size(), " runs"));
    }
  }
  return r;
}

}  // namespace heapstorm
