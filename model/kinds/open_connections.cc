// open_connections: a unit is one accepted TCP connection held open by the measured server;
// the clients live in the worker, outside the measured process.
#include "common/sizes.h"
#include "model/kinds/builtin.h"

namespace heapstorm {

KindSpec OpenConnectionsKind() {
  KindSpec k;
  k.name = "open_connections";
  k.id = v1::SCENARIO_KIND_OPEN_CONNECTIONS;
  k.params_field = "open_connections";
  k.params_prototype = &v1::OpenConnectionsParams::default_instance();
  k.unit = "connections";
  k.unit_description = "one accepted TCP connection held by the measured server; the clients are in the worker";
  k.params = {
      Sweepable(Required(CountParam("connections", "connections", 1, 1000000))),
      Sweepable(SizeParam("state_size", "state_bytes", 0, 64 * kMiB)),
      Sweepable(SizeParam("buffer_size", "buffer_bytes", 0, 64 * kMiB)),
      CountParam("ramp_per_second", "ramp_per_second", 0, 1000000),
      SizeParam("message_size", "message_bytes", 0, 1 * kMiB),
      DurationParam("message_interval", "message_interval_ms", 1, 3600 * 1000),
  };
  k.params[3].note = " = at once";
  k.params[5].note = "; 1s when `message_size` is set";
  k.target_param = "connections";
  k.driver_entry = "runOpenConnections";
  k.unit_holds_descriptor = true;
  k.finish = [](const KindLoadContext&, google::protobuf::Message* message, std::vector<KindIssue>*) {
    auto& p = static_cast<v1::OpenConnectionsParams&>(*message);
    if (p.message_bytes() > 0 && p.message_interval_ms() == 0) p.set_message_interval_ms(1000);
  };
  return k;
}

}  // namespace heapstorm
