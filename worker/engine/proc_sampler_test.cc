#include "worker/engine/proc_sampler.h"

#include <unistd.h>

#include "gtest/gtest.h"

namespace heapstorm {
namespace {

TEST(ParseProcStatusTest, ReadsTheFieldsWeUse) {
  ProcStatus s = ParseProcStatus(
      "Name:\tnode\nVmPeak:\t 1185908 kB\nVmHWM:\t   79824 kB\nVmRSS:\t   77224 kB\n"
      "Threads:\t7\nFDSize:\t16384\n");
  EXPECT_EQ(s.rss_bytes, 77224u * 1024);
  EXPECT_EQ(s.hwm_bytes, 79824u * 1024);
  EXPECT_EQ(s.threads, 7u);
}

TEST(ParseProcStatusTest, MissingFieldsStayZero) {
  ProcStatus s = ParseProcStatus("Name:\tzombie\nState:\tZ (zombie)\n");
  EXPECT_EQ(s.rss_bytes, 0u);
  EXPECT_EQ(s.threads, 0u);
}

TEST(ParsePssTest, CountsTheProcessOwnMemoryNotSharedFiles) {
  // Node beside other node processes: most of its Pss is the binary's file pages.
  EXPECT_EQ(ParsePss("00400000-7ffc56522000 ---p 00000000 00:00 0   [rollup]\nRss:  40492 kB\n"
                     "Pss:  36702 kB\nPss_Dirty:  6332 kB\nPss_Anon:  6332 kB\nPss_File:  30370 kB\n"
                     "Pss_Shmem:  12 kB\nShared_Clean:  4456 kB\n"),
            (6332u + 12u) * 1024);
}

TEST(ParsePssTest, OlderKernelsGiveTheWholePss) {
  EXPECT_EQ(ParsePss("Rss:  40492 kB\nPss:  36702 kB\nShared_Clean:  4456 kB\n"), 36702u * 1024);
  EXPECT_EQ(ParsePss(""), 0u);
}

TEST(ProcSamplerTest, ReadsThisProcess) {
  ProcStatus s;
  ASSERT_TRUE(ReadProcStatus(getpid(), &s));
  EXPECT_GT(s.rss_bytes, 0u);
  EXPECT_GE(s.hwm_bytes, s.rss_bytes);
  EXPECT_GE(s.threads, 1u);
  // stdin, stdout, stderr at least.
  EXPECT_GE(CountDescriptors(getpid()), 3u);
  EXPECT_FALSE(ReadProcStatus(0x7ffffff0, &s));
}

}  // namespace
}  // namespace heapstorm
