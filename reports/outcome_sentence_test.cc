// The outcome sentence from hand-made results: exact text for the common endings, and the
// rules for results that carry a sentence already or no reason at all.
#include "reports/outcome_sentence.h"

#include <signal.h>

#include "gtest/gtest.h"

namespace heapstorm {
namespace {

v1::RunResult Result(v1::OutcomeReason reason) {
  v1::RunResult r;
  r.mutable_evidence()->set_reason(reason);
  return r;
}

TEST(OutcomeSentence, HeapExhaustedAtAbort) {
  v1::RunResult r = Result(v1::OUTCOME_REASON_HEAP_OOM_MESSAGE);
  r.mutable_evidence()->set_signal(SIGABRT);
  r.mutable_evidence()->set_signal_name("SIGABRT");
  r.mutable_evidence()->set_units_reached(42000);
  EXPECT_EQ(OutcomeSentence(r), "SIGABRT with V8's heap out-of-memory message at 42000 units");
}

// V8 also aborts before its heap is full when its last mark-compacts near the limit freed
// too little for the time they took. Two runs sharing two cores died so at 88,570-92,000
// units where the others reached 97,800-99,000 (a user's cache at 66Mi): the sentence says
// which of V8's two reasons it was, so such a point reads as what it is.
TEST(OutcomeSentence, HeapExhaustedByIneffectiveMarkCompactsSaysSo) {
  v1::RunResult r = Result(v1::OUTCOME_REASON_HEAP_OOM_GAVE_UP_EARLY);
  r.mutable_evidence()->set_signal(SIGABRT);
  r.mutable_evidence()->set_signal_name("SIGABRT");
  r.mutable_evidence()->set_units_reached(90000);
  r.mutable_evidence()->set_matched_stderr(
      "FATAL ERROR: Ineffective mark-compacts near heap limit Allocation failed - JavaScript heap out of memory");
  r.mutable_limits()->set_max_old_space_mib(66);
  r.set_peak_heap_used_bytes(61ull << 20);
  EXPECT_EQ(OutcomeSentence(r),
            "SIGABRT with V8's heap out-of-memory message at 90000 units: V8 gave up before its heap "
            "was full (heap peak 61Mi, old space 66Mi), its last mark-compacts having freed too "
            "little for the time they took (\"Ineffective mark-compacts near heap limit\"), which "
            "comes sooner when runs share the CPU");
  r.mutable_evidence()->set_reason(v1::OUTCOME_REASON_HEAP_OOM_MESSAGE);
  EXPECT_EQ(OutcomeSentence(r), "SIGABRT with V8's heap out-of-memory message at 90000 units");
}

TEST(OutcomeSentence, CompletedAndTheDriversRemark) {
  v1::RunResult r = Result(v1::OUTCOME_REASON_DRIVER);
  r.mutable_evidence()->set_exited(true);
  r.mutable_evidence()->set_driver_done(true);
  r.mutable_evidence()->set_driver_status(v1::DRIVER_STATUS_COMPLETED);
  r.mutable_evidence()->set_units_reached(2000);
  EXPECT_EQ(OutcomeSentence(r), "reached its target of 2000 units and exited 0");
  r.set_target_units(2000);
  EXPECT_EQ(OutcomeSentence(r), "reached its target of 2000 units and exited 0");
  // A leak check's retention check went on past the budget (a new user read "reached its
  // target of 8784 units" for a target of 2000).
  r.mutable_evidence()->set_units_reached(8784);
  EXPECT_EQ(OutcomeSentence(r), "went on past its target of 2000 units to 8784 for the leak check, and exited 0");
  r.mutable_evidence()->set_driver_detail("the leak check had its verdict after 300 of 2000 iterations");
  EXPECT_EQ(OutcomeSentence(r), "completed: the leak check had its verdict after 300 of 2000 iterations");
}

TEST(OutcomeSentence, ScriptErrorNamesTheException) {
  v1::RunResult r = Result(v1::OUTCOME_REASON_DRIVER);
  v1::Evidence* e = r.mutable_evidence();
  e->set_driver_status(v1::DRIVER_STATUS_SCRIPT_ERROR);
  e->set_units_reached(4);
  e->set_driver_error_name("Error");
  e->set_driver_error_message("fixture failure at iteration 4");
  EXPECT_EQ(OutcomeSentence(r), "the scenario threw at 4 units: Error: fixture failure at iteration 4");
}

TEST(OutcomeSentence, CgroupOomKillOfAnotherProcess) {
  v1::RunResult r = Result(v1::OUTCOME_REASON_CGROUP_OOM_KILLED_IN_TREE);
  r.mutable_limits()->set_native_bytes(256ull << 20);
  v1::Evidence* e = r.mutable_evidence();
  e->set_exited(true);
  e->set_exit_code(1);
  e->set_cgroup_oom_kills(1);
  e->set_cgroup_failcnt(3);
  e->set_pid(100);
  e->set_oom_victim_pid(200);
  e->set_oom_victim_command("sleep");
  e->set_oom_victim_bytes(250ull << 20);
  e->set_units_reached(9);
  EXPECT_EQ(OutcomeSentence(r),
            "the cgroup OOM killer killed pid 200 (sleep, 250Mi) in the run's process tree (oom_kill +1, "
            "failcnt 3) at 256Mi native limit; node then ended with exit code 1 at 9 units");
}

TEST(OutcomeSentence, CrashSaysWhatTheDriverHadReported) {
  v1::RunResult r = Result(v1::OUTCOME_REASON_UNRECOGNISED_SIGNAL);
  v1::Evidence* e = r.mutable_evidence();
  e->set_signal(SIGABRT);
  e->set_signal_name("SIGABRT");
  e->set_driver_done(true);
  e->set_driver_status(v1::DRIVER_STATUS_COMPLETED);
  e->set_units_reached(12);
  EXPECT_EQ(OutcomeSentence(r),
            "SIGABRT without a recognised message; the driver had reported 'completed' at 12 units (SIGABRT)");
}

TEST(OutcomeSentence, ACarriedSentenceIsKeptAndNoReasonSaysNothing) {
  v1::RunResult r = Result(v1::OUTCOME_REASON_TIMEOUT);
  r.mutable_evidence()->set_summary("written by an older heapstorm");
  EXPECT_EQ(OutcomeSentence(r), "written by an older heapstorm");
  EXPECT_EQ(OutcomeSentence(Result(v1::OUTCOME_REASON_UNSPECIFIED)), "");
}

TEST(OutcomeSentence, DriverStatusWords) {
  EXPECT_EQ(DriverStatusWord(v1::DRIVER_STATUS_COMPLETED), "completed");
  EXPECT_EQ(DriverStatusWord(v1::DRIVER_STATUS_STACK_OVERFLOW), "stack_overflow");
  EXPECT_EQ(DriverStatusWord(v1::DRIVER_STATUS_UNSPECIFIED), "");
}

}  // namespace
}  // namespace heapstorm
