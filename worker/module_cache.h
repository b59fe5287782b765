// A worker's cache of script modules, by the SHA-256 of their source, bounded in bytes.
//
// Assignments name a module by its hash only (ScriptParams.module_sha256); the worker
// asks the coordinator for a module it does not hold (once per hash) and keeps it here,
// so a module crosses the wire once per worker, not once per run. The least recently
// used modules go first when the cache is over its capacity. Not thread-safe: the
// worker's session thread is its only user.
#ifndef HEAPSTORM_WORKER_MODULE_CACHE_H_
#define HEAPSTORM_WORKER_MODULE_CACHE_H_

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <string>

namespace heapstorm {

// Bytes of module sources a worker keeps by default: 256 MiB.
inline constexpr uint64_t kDefaultModuleCacheBytes = 256ull << 20;

class ModuleCache {
 public:
  explicit ModuleCache(uint64_t capacity_bytes = kDefaultModuleCacheBytes)
      : capacity_bytes_(capacity_bytes) {}

  // The source with this hash, or null; a hit makes it the most recently used.
  std::shared_ptr<const std::string> Find(const std::string& sha256);

  // Keeps `source` under `sha256` (the caller has checked that they match), then drops
  // the least recently used modules until the cache holds at most its capacity; a module
  // larger than the capacity is not kept at all.
  void Put(const std::string& sha256, std::shared_ptr<const std::string> source);

  // Bytes of the sources held; modules held.
  uint64_t bytes() const { return bytes_; }
  size_t size() const { return by_hash_.size(); }

 private:
  struct Held {
    std::shared_ptr<const std::string> source;
    std::list<std::string>::iterator recency;  // its place in recency_
  };
  const uint64_t capacity_bytes_;
  std::map<std::string, Held> by_hash_;
  std::list<std::string> recency_;  // most recently used first
  uint64_t bytes_ = 0;
};

}  // namespace heapstorm

#endif  // HEAPSTORM_WORKER_MODULE_CACHE_H_
