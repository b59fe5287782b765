// The worker's module cache: hits, least-recently-used eviction by bytes, oversize modules.
#include "worker/module_cache.h"

#include "gtest/gtest.h"

namespace heapstorm {
namespace {

std::shared_ptr<const std::string> Source(size_t bytes, char c) {
  return std::make_shared<const std::string>(bytes, c);
}

TEST(ModuleCacheTest, KeepsWithinItsCapacityDroppingTheLeastRecentlyUsed) {
  ModuleCache cache(100);
  cache.Put("a", Source(40, 'a'));
  cache.Put("b", Source(40, 'b'));
  ASSERT_NE(cache.Find("a"), nullptr);  // a is now the most recently used
  cache.Put("c", Source(40, 'c'));      // 120 > 100: b goes
  EXPECT_EQ(cache.Find("b"), nullptr);
  ASSERT_NE(cache.Find("a"), nullptr);
  ASSERT_NE(cache.Find("c"), nullptr);
  EXPECT_EQ(*cache.Find("c"), std::string(40, 'c'));
  EXPECT_EQ(cache.bytes(), 80u);
  EXPECT_EQ(cache.size(), 2u);
}

TEST(ModuleCacheTest, AModuleLargerThanTheCacheIsNotKept) {
  ModuleCache cache(100);
  cache.Put("a", Source(40, 'a'));
  cache.Put("huge", Source(101, 'h'));
  EXPECT_EQ(cache.Find("huge"), nullptr);
  EXPECT_NE(cache.Find("a"), nullptr) << "nothing was evicted for it";
  EXPECT_EQ(cache.bytes(), 40u);
}

}  // namespace
}  // namespace heapstorm
