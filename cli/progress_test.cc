#include "cli/progress.h"

#include "gtest/gtest.h"

namespace heapstorm {
namespace {

// A lost worker's runs are retried and a refused worker never ran anything: neither is a
// failure of the run (a new user read "1 failed" to the end of a run that PASSED, and
// "2 failed" before any run had ended, for two workers with a wrong token).
TEST(ProgressTest, TheStatusNamesWhatWentWrongInItsOwnWords) {
  Scheduler::Counts c;
  c.total = 11;
  c.recorded = 9;
  c.queued = 2;
  c.retried = 1;
  EXPECT_EQ(ProgressStatus(c, 1, 0, 0, "4s"), "[9/11] 1 worker, 0 running, 2 queued, 0 missing, 1 retried, ETA 4s");
  EXPECT_EQ(ProgressStatus(c, 1, 0, 1, "4s"),
            "[9/11] 1 worker, 0 running, 2 queued, 0 missing, 1 retried, 1 worker lost or refused, ETA 4s");
  c.missing = 1;
  EXPECT_EQ(ProgressStatus(c, 2, 3, 2, "?"),
            "[10/11] 2 workers, 0 running, 2 queued, 1 missing, 1 retried, 3 crashed or threw, 2 workers lost or "
            "refused, ETA ?");
}

}  // namespace
}  // namespace heapstorm
