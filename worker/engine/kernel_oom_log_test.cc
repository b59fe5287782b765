// The kernel log parser on records as this kernel (6.x, cgroup v1) writes them.
#include "worker/engine/kernel_oom_log.h"

#include "gtest/gtest.h"

namespace heapstorm {
namespace {

const char* kOomKill =
    "6,2151,250104976,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,"
    "oom_memcg=/process_api/ec92/heapstorm-77-3,task_memcg=/process_api/ec92/heapstorm-77-3,task=node,"
    "pid=8809,uid=0\n";
const char* kKilled =
    "3,2152,250105005,-;Memory cgroup out of memory: Killed process 8809 (node) total-vm:1050256kB, "
    "anon-rss:64768kB, file-rss:33484kB, shmem-rss:0kB, UID:0 pgtables:556kB oom_score_adj:0\n";

TEST(KernelOomLogTest, FindsTheVictimOfTheRunsCgroup) {
  std::vector<OomKill> kills = FindOomKills(
      {"6,2150,1,-;unrelated\n", kOomKill, kKilled},
      "/sys/fs/cgroup/memory/process_api/ec92/heapstorm-77-3");
  ASSERT_EQ(kills.size(), 1u);
  EXPECT_EQ(kills[0].pid, 8809);
  EXPECT_EQ(kills[0].command, "node");
  EXPECT_EQ(kills[0].anon_rss_bytes, 64768u * 1024);
}

TEST(KernelOomLogTest, IgnoresOtherCgroups) {
  EXPECT_TRUE(FindOomKills({kOomKill, kKilled}, "/sys/fs/cgroup/memory/process_api/ec92/heapstorm-77-4").empty());
  EXPECT_TRUE(FindOomKills({kKilled}, "/sys/fs/cgroup/memory/process_api/ec92/heapstorm-77-3").empty());
}

}  // namespace
}  // namespace heapstorm
