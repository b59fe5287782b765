// Decides how a run ended, from raw observations only: a pure function, so every rule is
// tested by a table (outcome_classifier_test.cc) without starting node.
//
// The rules follow NODE_FACTS.md: the wait4 status first (stderr may be truncated), the
// cgroup's oom_kill delta to tell a kernel OOM kill from any other SIGKILL, stderr markers
// for V8's many OOM messages, then what the driver reported. The first verdict wins. An
// ending no rule recognises is `crashed` with every raw fact in its evidence, never
// `completed`, and no run is `completed` while its evidence says a limit was hit (an OOM
// kill counted in its cgroup, the watchdog's kill, its descriptors at their limit).
#ifndef HEAPSTORM_WORKER_ENGINE_OUTCOME_CLASSIFIER_H_
#define HEAPSTORM_WORKER_ENGINE_OUTCOME_CLASSIFIER_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "proto/result.pb.h"
#include "proto/suite.pb.h"

namespace heapstorm {

struct RunObservations {
  // wait4
  bool exited = false;   // true: exit_code is valid
  int exit_code = 0;
  int signal = 0;        // when !exited
  // stderr as kept (head and tail of a long one)
  std::string stderr_text;
  // the driver's "done" event, if one arrived
  bool driver_done = false;
  v1::DriverStatus driver_status = v1::DRIVER_STATUS_UNSPECIFIED;
  std::string driver_error_name;     // "RangeError"
  std::string driver_error_message;  // "Maximum call stack size exceeded"
  std::string driver_detail;         // the driver's remark
  // the harness
  v1::HarnessKill harness_kill = v1::HARNESS_KILL_NONE;
  uint64_t timeout_ms = 0;
  // native memory
  v1::LimitMechanism mechanism = v1::LIMIT_MECHANISM_NONE;
  uint64_t native_limit_bytes = 0;
  uint64_t cgroup_oom_kills = 0;  // delta over the run
  uint64_t cgroup_failcnt = 0;
  uint64_t peak_rss_bytes = 0;
  // descriptors
  uint32_t peak_descriptors = 0;
  uint32_t max_descriptors = 0;
  uint64_t units_reached = 0;
  // node's pid, and the process the native limit took (0 when unknown): a cgroup OOM kill
  // may take a process the module spawned instead of node.
  int pid = 0;
  int victim_pid = 0;
  std::string victim_command;
  uint64_t victim_bytes = 0;
  uint64_t peak_tree_bytes = 0;  // the whole tree at its largest (watchdog)
};

// The verdict as facts: no sentence (the reports make it from the reason and the result's
// numbers, reports/outcome_sentence.h).
struct Classification {
  v1::Outcome outcome = v1::OUTCOME_CRASHED;
  v1::OutcomeReason reason = v1::OUTCOME_REASON_UNSPECIFIED;  // the rule that decided
  std::string matched_stderr;  // the stderr line that decided, if one did
};

// The outcome of a run, by the first rule that applies (see the top of this file). Pure.
Classification ClassifyOutcome(const RunObservations& o);

// "SIGABRT", "SIGKILL", ..., or "signal 42".
std::string SignalName(int signal);

// The most heap V8 had in use before one of the GCs it lists at an OOM ("<--- Last few GCs
// --->", then lines like "Mark-Compact 36.1 (54.3) -> 28.5 (65.8) MB": used (committed)
// before -> after, in MiB), in bytes; 0 without that section. A run that died inside one
// long iteration had no reading of its own near the limit (4.02Mi read, 36.1 here). Pure.
uint64_t HeapUsedInV8sLastGcs(absl::string_view stderr_text);

}  // namespace heapstorm

#endif  // HEAPSTORM_WORKER_ENGINE_OUTCOME_CLASSIFIER_H_
