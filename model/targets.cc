#include "model/targets.h"

#include <algorithm>
#include <memory>

#include "model/kinds.h"

namespace heapstorm {

uint64_t TargetUnits(const v1::Scenario& s) {
  const KindSpec* kind = KindOf(s);
  if (kind == nullptr) return 0;
  // A leak check's budget is its iterations, whatever the kind's own target says.
  if (kind->leak_check && s.has_leak_check()) return s.leak_check().iterations();
  const ParamSpec* target = FindParam(*kind, kind->target_param);
  absl::StatusOr<uint64_t> units = GetParamValue(*CopyParams(*kind, s), *target);
  return units.ok() ? *units : 0;
}

void SetTargetUnits(v1::Scenario* s, uint64_t units) {
  if (const KindSpec* kind = KindOf(*s)) {
    std::unique_ptr<google::protobuf::Message> params = CopyParams(*kind, *s);
    if (SetParamValue(*FindParam(*kind, kind->target_param), units, params.get()).ok()) {
      StoreParams(*kind, *params, s);
    }
  }
  s->set_checkpoint_every(std::max<uint64_t>(1, units / 100));
}

}  // namespace heapstorm
