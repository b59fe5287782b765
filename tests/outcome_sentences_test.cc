// The outcome classifier's rules, end to end to the sentence a person reads: each case's
// raw observations are classified by the engine's pure classifier, turned into a result's
// evidence as BuildRunResult does (SetEvidenceOf), and the reports' OutcomeSentence must
// say what the engine itself used to write. No node: pure functions only.
#include <signal.h>

#include <functional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "reports/outcome_sentence.h"
#include "worker/engine/outcome_classifier.h"
#include "worker/engine/run_result.h"

namespace heapstorm {
namespace {

// The result of a run with these observations, as far as the sentence reads it.
v1::RunResult AsResult(const RunObservations& o, const Classification& c) {
  v1::RunResult r;
  r.set_outcome(c.outcome);
  r.set_limit_mechanism(o.mechanism);
  r.mutable_limits()->set_timeout_ms(o.timeout_ms);
  r.mutable_limits()->set_native_bytes(o.native_limit_bytes);
  SetEvidenceOf(o, c, r.mutable_evidence());
  return r;
}

struct Case {
  const char* label;
  std::function<void(RunObservations*)> setup;
  v1::Outcome expected;
  const char* summary_contains;
  const char* matched_contains;  // "" when no line must match
};

RunObservations Signaled(int signal) {
  RunObservations o;
  o.exited = false;
  o.signal = signal;
  return o;
}

const char kHeapOom[] =
    "<--- Last few GCs --->\n[6799:0x7404ca0] 185 ms: Mark-Compact 23.7 (54.2) -> 20.8 (54.5) MB "
    "finalize incremen[6799:0x7404ca0] 275 ms: Mark-Compact (reduce) 33.9\n\n<--- JS stacktrace "
    "--->\n\nFATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory\n"
    "----- Native stack trace -----\n";

// A table, one case per rule (and per variant of a rule): long by design.
TEST(OutcomeSentences, EveryRuleOfTheClassifierReadsAsBefore) {
  std::vector<Case> cases = {
      {"completed",
       [](RunObservations* o) {
         o->exited = true;
         o->driver_done = true;
         o->driver_status = v1::DRIVER_STATUS_COMPLETED;
         o->units_reached = 100;
       },
       v1::OUTCOME_COMPLETED, "reached its target of 100 units", ""},
      {"heap OOM, Reached heap limit",
       [](RunObservations* o) {
         *o = Signaled(SIGABRT);
         o->stderr_text = kHeapOom;
       },
       v1::OUTCOME_HEAP_EXHAUSTED, "SIGABRT with V8's heap out-of-memory message",
       "FATAL ERROR: Reached heap limit Allocation failed"},
      {"heap OOM, other prefix",
       [](RunObservations* o) {
         *o = Signaled(SIGABRT);
         o->stderr_text =
             "FATAL ERROR: Scavenger: semi-space copy Allocation failed - JavaScript heap out of "
             "memory\n";
       },
       v1::OUTCOME_HEAP_EXHAUSTED, "SIGABRT", "Scavenger: semi-space copy"},
      {"startup OOM is SIGTRAP",
       [](RunObservations* o) {
         *o = Signaled(SIGTRAP);
         o->stderr_text = "\n#\n# Fatal javascript OOM in GC during deserialization\n#\n";
       },
       v1::OUTCOME_HEAP_EXHAUSTED, "SIGTRAP", "# Fatal javascript OOM in GC"},
      {"heap OOM text but exit 134 (a shell or process.exit) is not trusted",
       [](RunObservations* o) {
         o->exited = true;
         o->exit_code = 134;
         o->stderr_text = kHeapOom;
       },
       v1::OUTCOME_CRASHED, "exited with code 134", ""},
      {"zone OOM is native",
       [](RunObservations* o) {
         *o = Signaled(SIGABRT);
         o->stderr_text = "FATAL ERROR: Zone Allocation failed - process out of memory\n";
       },
       v1::OUTCOME_NATIVE_OOM, "native out-of-memory", "Zone Allocation failed"},
      {"bad_alloc is native",
       [](RunObservations* o) {
         *o = Signaled(SIGABRT);
         o->stderr_text =
             "terminate called after throwing an instance of 'std::bad_alloc'\n  what():  "
             "std::bad_alloc\n";
       },
       v1::OUTCOME_NATIVE_OOM, "native", "std::bad_alloc"},
      {"cgroup OOM kill",
       [](RunObservations* o) {
         *o = Signaled(SIGKILL);
         o->mechanism = v1::LIMIT_MECHANISM_CGROUP_V1;
         o->cgroup_oom_kills = 1;
         o->cgroup_failcnt = 150;
         o->native_limit_bytes = 200u << 20;
       },
       v1::OUTCOME_NATIVE_OOM, "cgroup OOM killer (oom_kill +1, failcnt 150) at 200Mi", ""},
      {"cgroup OOM kill wins over a timeout kill",
       [](RunObservations* o) {
         *o = Signaled(SIGKILL);
         o->mechanism = v1::LIMIT_MECHANISM_CGROUP_V1;
         o->cgroup_oom_kills = 1;
         o->harness_kill = v1::HARNESS_KILL_TIMEOUT;
       },
       v1::OUTCOME_NATIVE_OOM, "cgroup OOM killer", ""},
      {"SIGKILL without the counter is not an OOM",
       [](RunObservations* o) {
         *o = Signaled(SIGKILL);
         o->mechanism = v1::LIMIT_MECHANISM_CGROUP_V1;
       },
       v1::OUTCOME_CRASHED, "no cgroup OOM kill was counted", ""},
      {"watchdog",
       [](RunObservations* o) {
         *o = Signaled(SIGKILL);
         o->mechanism = v1::LIMIT_MECHANISM_WATCHDOG;
         o->harness_kill = v1::HARNESS_KILL_WATCHDOG;
         o->native_limit_bytes = 160u << 20;
         o->peak_rss_bytes = 170u << 20;
       },
       v1::OUTCOME_NATIVE_OOM, "over the native limit of 160Mi", ""},
      {"timeout",
       [](RunObservations* o) {
         *o = Signaled(SIGKILL);
         o->harness_kill = v1::HARNESS_KILL_TIMEOUT;
         o->timeout_ms = 1000;
         o->units_reached = 7;
       },
       v1::OUTCOME_TIMEOUT, "still running after 1000 ms; killed at 7 units", ""},
      {"caught stack overflow",
       [](RunObservations* o) {
         o->exited = true;
         o->driver_done = true;
         o->driver_status = v1::DRIVER_STATUS_STACK_OVERFLOW;
         o->driver_error_name = "RangeError";
         o->driver_error_message = "Maximum call stack size exceeded";
         o->units_reached = 8373;
       },
       v1::OUTCOME_STACK_OVERFLOW, "stack limit was hit at 8373 units", ""},
      {"uncaught stack overflow",
       [](RunObservations* o) {
         o->exited = true;
         o->exit_code = 1;
         o->stderr_text =
             "[eval]:1\nfunction f(){f()} f()\n\nRangeError: Maximum call stack size exceeded\n";
       },
       v1::OUTCOME_STACK_OVERFLOW, "uncaught stack overflow", "RangeError: Maximum call stack"},
      {"caught buffer failure",
       [](RunObservations* o) {
         o->exited = true;
         o->driver_done = true;
         o->driver_status = v1::DRIVER_STATUS_NATIVE_OOM;
         o->driver_error_name = "RangeError";
         o->driver_error_message = "Array buffer allocation failed";
       },
       v1::OUTCOME_NATIVE_OOM, "a native allocation failed", ""},
      {"descriptors",
       [](RunObservations* o) {
         o->exited = true;
         o->driver_done = true;
         o->driver_status = v1::DRIVER_STATUS_FD_EXHAUSTED;
         o->max_descriptors = 256;
         o->units_reached = 235;
       },
       v1::OUTCOME_FD_EXHAUSTED, "at 235 units, limit 256", ""},
      {"script error",
       [](RunObservations* o) {
         o->exited = true;
         o->driver_done = true;
         o->driver_status = v1::DRIVER_STATUS_SCRIPT_ERROR;
         o->driver_error_name = "TypeError";
         o->driver_error_message = "x is not a function";
       },
       v1::OUTCOME_SCRIPT_ERROR, "TypeError: x is not a function", ""},
      {"done but then a non-zero exit is not trusted",
       [](RunObservations* o) {
         o->exited = true;
         o->exit_code = 3;
         o->driver_done = true;
         o->driver_status = v1::DRIVER_STATUS_COMPLETED;
       },
       v1::OUTCOME_CRASHED, "the driver had reported 'completed'", ""},
      {"process.abort",
       [](RunObservations* o) {
         *o = Signaled(SIGABRT);
         o->stderr_text = "node[123]: ../src/node.cc:1: abort\n";
       },
       v1::OUTCOME_CRASHED, "SIGABRT without a recognised message", ""},
      {"silent SIGSEGV",
       [](RunObservations* o) { *o = Signaled(SIGSEGV); },
       v1::OUTCOME_CRASHED, "SIGSEGV with nothing on stderr", ""},
      {"exit 0 without done",
       [](RunObservations* o) { o->exited = true; },
       v1::OUTCOME_CRASHED, "exited 0 before the scenario finished", ""},
      {"bad option",
       [](RunObservations* o) {
         o->exited = true;
         o->exit_code = 9;
         o->stderr_text = "node: bad option: --bogus\n";
       },
       v1::OUTCOME_CRASHED, "node refused its command line", "bad option"},
      // Evidence against outcome: a limit was hit, so the run is not `completed`.
      {"a child OOM-killed in the cgroup while node completed",
       [](RunObservations* o) {
         o->exited = true;
         o->driver_done = true;
         o->driver_status = v1::DRIVER_STATUS_COMPLETED;
         o->mechanism = v1::LIMIT_MECHANISM_CGROUP_V1;
         o->cgroup_oom_kills = 1;
         o->cgroup_failcnt = 169;
         o->native_limit_bytes = 256u << 20;
         o->pid = 100;
         o->victim_pid = 200;
         o->victim_command = "node";
         o->victim_bytes = 250u << 20;
       },
       v1::OUTCOME_NATIVE_OOM, "killed pid 200 (node, 250Mi) in the run's process tree", ""},
      {"an OOM kill of an unknown victim while node exited 0",
       [](RunObservations* o) {
         o->exited = true;
         o->driver_done = true;
         o->driver_status = v1::DRIVER_STATUS_COMPLETED;
         o->cgroup_oom_kills = 2;
       },
       v1::OUTCOME_NATIVE_OOM, "killed a process in the run's process tree (oom_kill +2", ""},
      {"the OOM counter rose while node died of its heap",
       [](RunObservations* o) {
         *o = Signaled(SIGABRT);
         o->stderr_text = kHeapOom;
         o->cgroup_oom_kills = 1;
         o->pid = 100;
         o->victim_pid = 300;
         o->victim_command = "sleep";
       },
       v1::OUTCOME_NATIVE_OOM, "pid 300 (sleep)", ""},
      {"the OOM killer named node itself",
       [](RunObservations* o) {
         *o = Signaled(SIGKILL);
         o->cgroup_oom_kills = 1;
         o->pid = 100;
         o->victim_pid = 100;
       },
       v1::OUTCOME_NATIVE_OOM, "SIGKILL by the cgroup OOM killer", ""},
      {"the watchdog's kill stands though node exited 0",
       [](RunObservations* o) {
         o->exited = true;
         o->driver_done = true;
         o->driver_status = v1::DRIVER_STATUS_COMPLETED;
         o->harness_kill = v1::HARNESS_KILL_WATCHDOG;
         o->native_limit_bytes = 256u << 20;
         o->peak_tree_bytes = 300u << 20;
         o->pid = 100;
         o->victim_pid = 101;
         o->victim_command = "node";
       },
       v1::OUTCOME_NATIVE_OOM, "tree's memory 300Mi went over the native limit of 256Mi; the watchdog killed the tree (largest: pid 101", ""},
      {"a time limit kill that came after a clean exit did not end the run",
       [](RunObservations* o) {
         o->exited = true;
         o->driver_done = true;
         o->driver_status = v1::DRIVER_STATUS_COMPLETED;
         o->harness_kill = v1::HARNESS_KILL_TIMEOUT;
         o->units_reached = 50;
       },
       v1::OUTCOME_COMPLETED, "reached its target of 50 units", ""},
      {"completed with its descriptors at the limit",
       [](RunObservations* o) {
         o->exited = true;
         o->driver_done = true;
         o->driver_status = v1::DRIVER_STATUS_COMPLETED;
         o->peak_descriptors = 256;
         o->max_descriptors = 256;
       },
       v1::OUTCOME_FD_EXHAUSTED, "descriptors reached their limit (256 of 256)", ""},
      {"unknown driver status",
       [](RunObservations* o) {
         o->exited = true;
         o->driver_done = true;
         o->driver_status = v1::DRIVER_STATUS_INCOMPLETE;
         o->driver_detail = "only 3 of 10 connections reached the server";
       },
       v1::OUTCOME_CRASHED, "only 3 of 10 connections", ""},
  };
  for (const Case& c : cases) {
    RunObservations o;
    c.setup(&o);
    Classification got = ClassifyOutcome(o);
    const std::string sentence = OutcomeSentence(AsResult(o, got));
    EXPECT_EQ(got.outcome, c.expected) << c.label << ": " << sentence;
    EXPECT_NE(got.reason, v1::OUTCOME_REASON_UNSPECIFIED) << c.label;
    EXPECT_NE(sentence.find(c.summary_contains), std::string::npos) << c.label << ": sentence was: " << sentence;
    if (*c.matched_contains != '\0') {
      EXPECT_NE(got.matched_stderr.find(c.matched_contains), std::string::npos)
          << c.label << ": matched was: " << got.matched_stderr;
    }
  }
}

}  // namespace
}  // namespace heapstorm
