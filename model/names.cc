#include "model/names.h"

#include "absl/strings/str_cat.h"
#include "model/kinds.h"

namespace heapstorm {

std::string ConfigurationName(const std::string& scenario, const std::string& variation) {
  return variation.empty() ? scenario : absl::StrCat(scenario, " [", variation, "]");
}

std::string KindName(v1::ScenarioKind kind) {
  const KindSpec* spec = FindKind(kind);
  return spec != nullptr ? spec->name : "unspecified";
}

std::string KindNameOf(const v1::Scenario& scenario) {
  const KindSpec* spec = KindOf(scenario);
  return spec != nullptr ? spec->name : "unspecified";
}

const std::vector<std::string>& OutcomeNames() {
  static const std::vector<std::string>* names = new std::vector<std::string>{
      "completed", "stack_overflow", "heap_exhausted", "native_oom",
      "fd_exhausted", "timeout", "crashed", "script_error"};
  return *names;
}

std::string OutcomeName(v1::Outcome outcome) {
  int index = static_cast<int>(outcome);
  if (index >= 1 && index <= static_cast<int>(OutcomeNames().size())) {
    return OutcomeNames()[index - 1];
  }
  return "unspecified";
}

std::string LimitMechanismName(v1::LimitMechanism mechanism) {
  switch (mechanism) {
    case v1::LIMIT_MECHANISM_CGROUP_V2:
      return "a cgroup v2 (memory.max)";
    case v1::LIMIT_MECHANISM_CGROUP_V1:
      return "a cgroup v1 (memory.limit_in_bytes)";
    case v1::LIMIT_MECHANISM_WATCHDOG:
      return "heapstorm's RSS watchdog";
    default:
      return "none (no native limit was set)";
  }
}

std::string HarnessKillName(v1::HarnessKill kill) {
  switch (kill) {
    case v1::HARNESS_KILL_TIMEOUT:
      return "its time limit ran out";
    case v1::HARNESS_KILL_WATCHDOG:
      return "the RSS watchdog: the process tree went over its native limit";
    case v1::HARNESS_KILL_CANCELLED:
      return "the run was cancelled (a shutdown, or its worker's lease was lost)";
    default:
      return "";
  }
}

}  // namespace heapstorm
