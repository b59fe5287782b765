#include "coordinator/planner.h"

#include "absl/strings/str_cat.h"
#include "scenarios/parameters.h"

namespace heapstorm {

std::string AssignmentId(const std::string& scenario, const std::string& variation,
                         uint32_t repeat) {
  return absl::StrCat(scenario, "/", variation.empty() ? "-" : variation, "/r", repeat);
}

absl::StatusOr<v1::Scenario> ApplyPoint(const v1::Scenario& scenario, const std::string& parameter,
                                        uint64_t value, std::string* label) {
  const ParameterSpec* spec = FindParameter(parameter);
  if (spec == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("unknown parameter ", parameter));
  }
  v1::Scenario point = scenario;
  point.clear_variation();
  absl::Status status = ApplyParameter(*spec, value, &point);
  if (!status.ok()) return status;
  *label = absl::StrCat(spec->name, "=", FormatParameterValue(*spec, value));
  return point;
}

absl::StatusOr<std::vector<v1::Assignment>> Plan(const v1::Suite& suite) {
  std::vector<v1::Assignment> out;
  for (const v1::Scenario& scenario : suite.scenarios()) {
    struct Point {
      v1::Scenario scenario;
      std::string label;
    };
    std::vector<Point> points;
    if (scenario.has_sweep()) {
      for (uint64_t value : scenario.sweep().values()) {
        Point p;
        absl::StatusOr<v1::Scenario> s =
            ApplyPoint(scenario, scenario.sweep().parameter(), value, &p.label);
        if (!s.ok()) return s.status();
        p.scenario = *std::move(s);
        points.push_back(std::move(p));
      }
    } else if (scenario.has_search()) {
      for (uint64_t value : {scenario.search().low(), scenario.search().high()}) {
        Point p;
        absl::StatusOr<v1::Scenario> s =
            ApplyPoint(scenario, scenario.search().parameter(), value, &p.label);
        if (!s.ok()) return s.status();
        p.scenario = *std::move(s);
        points.push_back(std::move(p));
      }
    } else {
      points.push_back(Point{scenario, ""});
    }
    // A search's steps run once each; the search itself asks for the next ones.
    uint32_t repeats = scenario.has_search() ? 1 : std::max<uint32_t>(1, scenario.repeats());
    for (const Point& p : points) {
      for (uint32_t r = 0; r < repeats; ++r) {
        v1::Assignment a;
        a.set_id(AssignmentId(scenario.name(), p.label, r));
        a.set_attempt(1);
        *a.mutable_scenario() = p.scenario;
        a.set_repeat(r);
        a.set_variation(p.label);
        out.push_back(std::move(a));
      }
    }
  }
  return out;
}

}  // namespace heapstorm
