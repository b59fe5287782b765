#include "worker/engine/outcome_classifier.h"

#include <signal.h>

#include "gtest/gtest.h"

namespace heapstorm {
namespace {

RunObservations Signaled(int signal) {
  RunObservations o;
  o.exited = false;
  o.signal = signal;
  return o;
}

// The rules case by case, through to the sentence they produce: tests/outcome_sentences_test.cc.
TEST(OutcomeClassifierTest, NeverCompletedWithoutTheDriverSayingSo) {
  // Every signal and exit code without a done event must not be `completed`.
  for (int code = 0; code < 256; ++code) {
    RunObservations o;
    o.exited = true;
    o.exit_code = code;
    EXPECT_NE(ClassifyOutcome(o).outcome, v1::OUTCOME_COMPLETED) << "exit " << code;
  }
  for (int signal = 1; signal < 65; ++signal) {
    RunObservations o = Signaled(signal);
    EXPECT_NE(ClassifyOutcome(o).outcome, v1::OUTCOME_COMPLETED) << "signal " << signal;
  }
}

TEST(OutcomeClassifierTest, NeverCompletedWhenALimitWasHit) {
  // Whatever node and the driver say, a counted OOM kill or the watchdog's kill is native_oom.
  for (int code : {0, 1, 3}) {
    for (v1::HarnessKill kill : {v1::HARNESS_KILL_NONE, v1::HARNESS_KILL_TIMEOUT, v1::HARNESS_KILL_WATCHDOG}) {
      for (uint64_t ooms : {0, 1}) {
        if (kill != v1::HARNESS_KILL_WATCHDOG && ooms == 0) continue;
        RunObservations o;
        o.exited = true;
        o.exit_code = code;
        o.driver_done = true;
        o.driver_status = v1::DRIVER_STATUS_COMPLETED;
        o.harness_kill = kill;
        o.cgroup_oom_kills = ooms;
        EXPECT_EQ(ClassifyOutcome(o).outcome, v1::OUTCOME_NATIVE_OOM)
            << "exit " << code << ", kill " << kill << ", oom kills " << ooms;
      }
    }
  }
}

}  // namespace
}  // namespace heapstorm
