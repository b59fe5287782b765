// large_buffers: a unit is one Buffer, kept or dropped, pooled or not, its pages written
// or only reserved.
#include "common/sizes.h"
#include "model/kinds/builtin.h"

namespace heapstorm {

KindSpec LargeBuffersKind() {
  KindSpec k;
  k.name = "large_buffers";
  k.id = v1::SCENARIO_KIND_LARGE_BUFFERS;
  k.params_field = "large_buffers";
  k.params_prototype = &v1::LargeBuffersParams::default_instance();
  k.unit = "buffers";
  k.unit_description = "one Buffer";
  k.params = {
      Sweepable(Required(CountParam("count", "count", 1, 1ULL << 32))),
      Sweepable(Required(SizeParam("size", "buffer_bytes", 1, 4 * kGiB))),
      BoolParam("retain", "retain", true),
      BoolParam("pooled", "pooled", false),
      BoolParam("touch", "touch", true),
  };
  k.params[3].note = ": `Buffer.alloc`";
  k.params[4].note = ": pages written";
  k.target_param = "count";
  k.driver_entry = "runLargeBuffers";
  return k;
}

}  // namespace heapstorm
