// cached_data: a unit is one cache entry kept in a Map, with an optional LRU bound or TTL.
#include "common/sizes.h"
#include "model/kinds/builtin.h"

namespace heapstorm {

KindSpec CachedDataKind() {
  KindSpec k;
  k.name = "cached_data";
  k.id = v1::SCENARIO_KIND_CACHED_DATA;
  k.params_field = "cached_data";
  k.params_prototype = &v1::CachedDataParams::default_instance();
  k.unit = "entries";
  k.unit_description = "one cache entry in a Map";
  k.params = {
      Sweepable(Required(CountParam("entries", "entries", 1, 1ULL << 40))),
      Sweepable(SizeParam("entry_size", "entry_bytes", 0, 1 * kGiB, 1024)),
      Sweepable(SizeParam("key_size", "key_bytes", 1, 64 * kKiB, 16)),
      ChoiceParam("shape", "shape", {"string", "object", "buffer"}, v1::ENTRY_SHAPE_OBJECT),
      ChoiceParam("eviction", "eviction", {"none", "lru", "ttl"}, v1::EVICTION_NONE),
      Sweepable(CountParam("max_entries", "max_entries", 1, 1ULL << 40)),
      DurationParam("ttl", "ttl_ms", 1, 24 * 3600 * 1000),
  };
  k.params[5].note = "; required with `eviction: lru`";
  k.params[6].note = "; required with `eviction: ttl`";
  k.target_param = "entries";
  k.driver_entry = "runCachedData";
  k.finish = [](const KindLoadContext&, google::protobuf::Message* message, std::vector<KindIssue>* issues) {
    const auto& p = static_cast<const v1::CachedDataParams&>(*message);
    // max_entries and ttl are at least 1 when given, so 0 means absent (or already refused).
    if (p.eviction() == v1::EVICTION_LRU && p.max_entries() == 0) {
      issues->push_back({"eviction", "max_entries", "is required with eviction: lru"});
    }
    if (p.eviction() == v1::EVICTION_TTL && p.ttl_ms() == 0) {
      issues->push_back({"eviction", "ttl", "is required with eviction: ttl"});
    }
  };
  return k;
}

}  // namespace heapstorm
