#include "reports/outcome_sentence.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "model/units.h"

namespace heapstorm {
namespace {

std::string Signal(const v1::Evidence& e) {
  return e.signal_name().empty() ? absl::StrCat("signal ", e.signal()) : e.signal_name();
}

// "exit code 1" or "SIGABRT".
std::string Ending(const v1::Evidence& e) {
  return e.exited() ? absl::StrCat("exit code ", e.exit_code()) : Signal(e);
}

// "pid 123 (sleep, 512Mi)" or "a process" when the victim is not known.
std::string Victim(const v1::Evidence& e) {
  if (e.oom_victim_pid() == 0) return "a process";
  std::string who = absl::StrCat("pid ", e.oom_victim_pid(), " (",
                                 e.oom_victim_command().empty() ? "?" : e.oom_victim_command());
  if (e.oom_victim_bytes() > 0) absl::StrAppend(&who, ", ", FormatSize(static_cast<double>(e.oom_victim_bytes())));
  absl::StrAppend(&who, e.oom_victim_pid() == e.pid() ? ", node itself)" : ")");
  return who;
}

// V8 aborts for one of two reasons: an allocation its heap had no room for ("Reached heap
// limit"), or mark-compacts near the limit that freed too little for the time they took
// (OUTCOME_REASON_HEAP_OOM_GAVE_UP_EARLY). The second depends on timing: runs sharing the
// CPU die so thousands of units earlier, at an event-loop turn where V8's GC tasks run.
std::string GaveUpEarly(const v1::RunResult& r) {
  std::vector<std::string> known;
  if (r.peak_heap_used_bytes() > 0) {
    known.push_back(absl::StrCat("heap peak ", FormatSize(static_cast<double>(r.peak_heap_used_bytes()))));
  }
  if (r.limits().max_old_space_mib() > 0) {
    known.push_back(absl::StrCat("old space ", FormatSize(r.limits().max_old_space_mib() * 1048576.0)));
  }
  return absl::StrCat(": V8 gave up before its heap was full",
                      known.empty() ? "" : absl::StrCat(" (", absl::StrJoin(known, ", "), ")"),
                      ", its last mark-compacts having freed too little for the time they took "
                      "(\"Ineffective mark-compacts near heap limit\"), which comes sooner when runs share the CPU");
}

// The native limit's verdicts: the cgroup OOM killer, the watchdog.
std::string NativeLimitSentence(const v1::RunResult& r) {
  const v1::Evidence& e = r.evidence();
  const uint64_t units = e.units_reached();
  std::string limit = FormatSize(static_cast<double>(r.limits().native_bytes()));
  std::string counters = absl::StrCat("oom_kill +", e.cgroup_oom_kills(), ", failcnt ", e.cgroup_failcnt());
  if (e.reason() == v1::OUTCOME_REASON_CGROUP_OOM_KILLED_NODE) {
    return absl::StrCat("SIGKILL by the cgroup OOM killer (", counters, ") at ", limit, " native limit, ", units,
                        " units");
  }
  if (e.reason() == v1::OUTCOME_REASON_CGROUP_OOM_KILLED_IN_TREE) {
    return absl::StrCat("the cgroup OOM killer killed ", Victim(e), " in the run's process tree (", counters, ") at ",
                        limit, " native limit; node then ended with ", Ending(e), " at ", units, " units");
  }
  uint64_t over = std::max(e.peak_tree_bytes(), e.peak_rss_bytes());
  return absl::StrCat("the process tree's memory ", FormatSize(static_cast<double>(over)),
                      " went over the native limit of ", limit, "; the watchdog killed the tree (largest: ",
                      Victim(e), ") at ", units, " units");
}

// What the driver said, node having exited 0. `target`: the run's target units (0: none).
std::string DriverSentence(const v1::Evidence& e, uint64_t target) {
  const uint64_t units = e.units_reached();
  std::string error;
  if (!e.driver_error_name().empty() || !e.driver_error_message().empty()) {
    error = absl::StrCat(": ", e.driver_error_name(), ": ", e.driver_error_message());
  }
  std::string detail = e.driver_detail().empty() ? "" : absl::StrCat(" (", e.driver_detail(), ")");
  switch (e.driver_status()) {
    case v1::DRIVER_STATUS_COMPLETED:
      if (!e.driver_detail().empty()) return absl::StrCat("completed: ", e.driver_detail());
      // A leak check goes on past its budget until its verdict (a retention check's last
      // snapshot, a check undecided at the budget).
      if (target > 0 && units > target) {
        return absl::StrCat("went on past its target of ", target, " units to ", units,
                            " for the leak check, and exited 0");
      }
      return absl::StrCat("reached its target of ", units, " units and exited 0");
    case v1::DRIVER_STATUS_STACK_OVERFLOW:
      return absl::StrCat("the V8 stack limit was hit at ", units, " units", error);
    case v1::DRIVER_STATUS_NATIVE_OOM:
      return absl::StrCat("a native allocation failed at ", units, " units", error);
    case v1::DRIVER_STATUS_FD_EXHAUSTED:
      return absl::StrCat("descriptors ran out (EMFILE) at ", units, " units",
                          e.max_descriptors() ? absl::StrCat(", limit ", e.max_descriptors()) : "", error, detail);
    case v1::DRIVER_STATUS_SCRIPT_ERROR:
      return absl::StrCat("the scenario threw at ", units, " units", error, detail);
    case v1::DRIVER_STATUS_INCOMPLETE:
      if (!e.driver_detail().empty()) return absl::StrCat("stopped at ", units, " units: ", e.driver_detail());
      [[fallthrough]];
    default:
      return absl::StrCat("the driver could not finish the scenario: '", DriverStatusWord(e.driver_status()), "'",
                          error, detail);
  }
}

// A crash, with every raw fact known.
std::string CrashSentence(const v1::RunResult& r) {
  const v1::Evidence& e = r.evidence();
  std::string why;
  switch (e.reason()) {
    case v1::OUTCOME_REASON_KILLED_FROM_OUTSIDE:
      why = r.limit_mechanism() == v1::LIMIT_MECHANISM_CGROUP_V1 || r.limit_mechanism() == v1::LIMIT_MECHANISM_CGROUP_V2
                ? "SIGKILL from outside heapstorm (no cgroup OOM kill was counted)"
                : "SIGKILL from outside heapstorm (possibly the system OOM killer)";
      break;
    case v1::OUTCOME_REASON_SILENT_SEGV:
      why = "SIGSEGV with nothing on stderr (a native crash, or a stack larger than the real one)";
      break;
    case v1::OUTCOME_REASON_EXITED_EARLY:
      why = "exited 0 before the scenario finished (did the code call process.exit()?)";
      break;
    case v1::OUTCOME_REASON_EXITED_WITHOUT_OUTCOME:
      why = absl::StrCat("exited with code ", e.exit_code(), " without reporting an outcome");
      break;
    default:
      why = absl::StrCat(Signal(e), " without a recognised message");
      break;
  }
  if (e.driver_done() && !(e.exited() && e.exit_code() == 0)) {
    absl::StrAppend(&why, "; the driver had reported '", DriverStatusWord(e.driver_status()), "'");
  }
  absl::StrAppend(&why, " at ", e.units_reached(), " units (", Ending(e), ")");
  return why;
}

}  // namespace

std::string DriverStatusWord(v1::DriverStatus status) {
  if (status == v1::DRIVER_STATUS_UNSPECIFIED || !v1::DriverStatus_IsValid(status)) return "";
  absl::string_view name = v1::DriverStatus_Name(status);
  absl::ConsumePrefix(&name, "DRIVER_STATUS_");
  return absl::AsciiStrToLower(name);
}

std::string OutcomeSentence(const v1::RunResult& run) {
  const v1::Evidence& e = run.evidence();
  if (!e.summary().empty()) return e.summary();
  const uint64_t units = e.units_reached();
  switch (e.reason()) {
    case v1::OUTCOME_REASON_UNSPECIFIED:
      return "";
    case v1::OUTCOME_REASON_CGROUP_OOM_KILLED_NODE:
    case v1::OUTCOME_REASON_CGROUP_OOM_KILLED_IN_TREE:
    case v1::OUTCOME_REASON_WATCHDOG:
      return NativeLimitSentence(run);
    case v1::OUTCOME_REASON_TIMEOUT:
      return absl::StrCat("still running after ", run.limits().timeout_ms(), " ms; killed at ", units, " units");
    case v1::OUTCOME_REASON_HEAP_OOM_MESSAGE:
      return absl::StrCat(Signal(e), " with V8's heap out-of-memory message at ", units, " units");
    case v1::OUTCOME_REASON_HEAP_OOM_GAVE_UP_EARLY:
      return absl::StrCat(Signal(e), " with V8's heap out-of-memory message at ", units, " units",
                          GaveUpEarly(run));
    case v1::OUTCOME_REASON_NATIVE_OOM_MESSAGE:
      return absl::StrCat(Signal(e), " with a native out-of-memory message at ", units, " units");
    case v1::OUTCOME_REASON_DRIVER:
      return DriverSentence(e, run.target_units());
    case v1::OUTCOME_REASON_DESCRIPTORS_AT_LIMIT:
      return absl::StrCat("the scenario reported completion, but its descriptors reached their limit (",
                          e.peak_descriptors(), " of ", e.max_descriptors(),
                          "), where every open fails with EMFILE; at ", units, " units");
    case v1::OUTCOME_REASON_UNCAUGHT_STACK_OVERFLOW:
      return absl::StrCat("uncaught stack overflow, exit code ", e.exit_code());
    case v1::OUTCOME_REASON_UNCAUGHT_NATIVE_OOM:
      return absl::StrCat("uncaught native allocation failure, exit code ", e.exit_code());
    case v1::OUTCOME_REASON_UNCAUGHT_EMFILE:
      return absl::StrCat("uncaught EMFILE, exit code ", e.exit_code());
    case v1::OUTCOME_REASON_BAD_COMMAND_LINE:
      return "node refused its command line (exit 9): a heapstorm bug, please report it";
    default:
      return CrashSentence(run);
  }
}

}  // namespace heapstorm
