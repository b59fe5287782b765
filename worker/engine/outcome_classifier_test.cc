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

// V8's two heap OOM lines: out of room ("Reached heap limit"), or given up early
// ("Ineffective mark-compacts near heap limit"), each its own reason, which the reports'
// sentence is made from (it used to search the matched line's text).
TEST(OutcomeClassifierTest, AHeapGivenUpEarlyIsItsOwnReason) {
  RunObservations o = Signaled(SIGABRT);
  o.stderr_text = "<--- JS stacktrace --->\nFATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory\n";
  Classification full = ClassifyOutcome(o);
  EXPECT_EQ(full.outcome, v1::OUTCOME_HEAP_EXHAUSTED);
  EXPECT_EQ(full.reason, v1::OUTCOME_REASON_HEAP_OOM_MESSAGE);
  o.stderr_text =
      "<--- JS stacktrace --->\nFATAL ERROR: Ineffective mark-compacts near heap limit Allocation failed - "
      "JavaScript heap out of memory\n";
  Classification early = ClassifyOutcome(o);
  EXPECT_EQ(early.outcome, v1::OUTCOME_HEAP_EXHAUSTED);
  EXPECT_EQ(early.reason, v1::OUTCOME_REASON_HEAP_OOM_GAVE_UP_EARLY);
}

// V8's account of its last GCs at an OOM, as node 20 writes it (a run that died inside its
// first iteration: heapstorm's own last reading was 4.02Mi).
TEST(OutcomeClassifierTest, TheHeapBeforeV8sLastGcs) {
  const std::string stderr_text =
      "noise Mark-Compact 900.0 (1.0) -> 1.0 (1.0) MB\n"
      "\n<--- Last few GCs --->\n\n"
      "[29345:0x1ccda090]      118 ms: Mark-Compact 22.6 (31.1) -> 17.1 (51.4) MB, 12.25 / 0.00 ms  (+ 7.4 ms "
      "in 26 steps since start of marking) finalize increm"
      "[29345:0x1ccda090]      179 ms: Mark-Compact 36.1 (54.3) -> 28.5 (65.8) MB, 50.03 / 0.00 ms  (average "
      "mu = 0.178) allocation failure; scavenge might not succeed\n\n\n<--- JS stacktrace --->\n"
      "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory\n";
  EXPECT_EQ(HeapUsedInV8sLastGcs(stderr_text), static_cast<uint64_t>(36.1 * 1048576));
  // A GC whose name has its own parentheses (one 32Mi OOM of the engine test wrote it).
  EXPECT_EQ(HeapUsedInV8sLastGcs("<--- Last few GCs --->\n[78:0xa432560]      187 ms: Mark-Compact (reduce) 30.3 "
                                 "(64.3) -> 29.6 (31.3) MB, 45.35 / 0.00 ms\n<--- JS stacktrace --->\n"),
            static_cast<uint64_t>(30.3 * 1048576));
  EXPECT_EQ(HeapUsedInV8sLastGcs("Mark-Compact 36.1 (54.3) -> 28.5 (65.8) MB"), 0u) << "only V8's own section";
  EXPECT_EQ(HeapUsedInV8sLastGcs(""), 0u);
}

}  // namespace
}  // namespace heapstorm
