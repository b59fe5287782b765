// deep_recursion: a unit is one frame, of a plain recursion (the V8 stack limit applies) or
// an awaited async one (heap, not stack).
#include "model/kinds/builtin.h"

namespace heapstorm {

KindSpec DeepRecursionKind() {
  KindSpec k;
  k.name = "deep_recursion";
  k.id = v1::SCENARIO_KIND_DEEP_RECURSION;
  k.params_field = "deep_recursion";
  k.params_prototype = &v1::DeepRecursionParams::default_instance();
  k.unit = "frames";
  k.unit_description = "one frame";
  k.params = {
      Sweepable(CountParam("depth", "depth", 0, 1ULL << 32)),
      Sweepable(CountParam("locals", "locals", 0, 256)),
      ChoiceParam("mode", "mode", {"sync", "async"}, v1::RECURSION_MODE_SYNC),
  };
  k.params[0].note = " = until it breaks; then set `expect.outcome`";
  k.params[1].note = "; at most 256";
  k.target_param = "depth";
  k.driver_entry = "runDeepRecursion";
  k.check_scenario = [](const v1::Scenario& s, std::vector<KindIssue>* issues) {
    if (s.deep_recursion().depth() == 0 && s.expect().outcome() == v1::OUTCOME_COMPLETED &&
        !s.has_sweep() && !s.has_search()) {
      issues->push_back({"", "depth",
                         "without a depth the recursion goes on until something breaks, so it cannot "
                         "complete: set params.depth, or expect.outcome (e.g. stack_overflow)"});
    }
  };
  return k;
}

}  // namespace heapstorm
