#include "worker/module_cache.h"

namespace heapstorm {

std::shared_ptr<const std::string> ModuleCache::Find(const std::string& sha256) {
  auto it = by_hash_.find(sha256);
  if (it == by_hash_.end()) return nullptr;
  recency_.splice(recency_.begin(), recency_, it->second.recency);
  return it->second.source;
}

void ModuleCache::Put(const std::string& sha256, std::shared_ptr<const std::string> source) {
  if (source == nullptr || source->size() > capacity_bytes_ || by_hash_.count(sha256) > 0) return;
  recency_.push_front(sha256);
  bytes_ += source->size();
  by_hash_[sha256] = Held{std::move(source), recency_.begin()};
  while (bytes_ > capacity_bytes_) {
    auto oldest = by_hash_.find(recency_.back());
    bytes_ -= oldest->second.source->size();
    by_hash_.erase(oldest);
    recency_.pop_back();
  }
}

}  // namespace heapstorm
