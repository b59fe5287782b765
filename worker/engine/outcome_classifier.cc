#include "worker/engine/outcome_classifier.h"

#include <signal.h>

#include <algorithm>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "scenarios/units.h"
#include "worker/engine/driver_protocol.h"

namespace heapstorm {
namespace {

// The first stderr line containing any of `markers`, or "".
std::string FindLine(const std::string& text, const std::vector<const char*>& markers) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    for (const char* m : markers) {
      if (absl::StrContains(line, m)) {
        // V8 runs ring-buffer entries together without newlines: keep from the marker's
        // sentence on, at most 300 characters.
        size_t fatal = line.find("FATAL ERROR");
        absl::string_view kept = fatal == absl::string_view::npos ? line : line.substr(fatal);
        return std::string(kept.substr(0, 300));
      }
    }
  }
  return "";
}

const std::vector<const char*>& HeapOomMarkers() {
  static const auto* m = new std::vector<const char*>{
      "Allocation failed - JavaScript heap out of memory", "# Fatal javascript OOM in"};
  return *m;
}

const std::vector<const char*>& NativeOomMarkers() {
  static const auto* m = new std::vector<const char*>{
      "Allocation failed - process out of memory", "# Fatal process OOM in", "std::bad_alloc",
      "ERR_MEMORY_ALLOCATION_FAILED", "Array buffer allocation failed"};
  return *m;
}

const std::vector<const char*>& StackMarkers() {
  static const auto* m =
      new std::vector<const char*>{"RangeError: Maximum call stack size exceeded"};
  return *m;
}

std::string Ending(const RunObservations& o) {
  if (o.exited) return absl::StrCat("exit code ", o.exit_code);
  return SignalName(o.signal);
}

// "pid 123 (sleep, 512Mi)" or "a process" when the victim is not known.
std::string Victim(const RunObservations& o) {
  if (o.victim_pid == 0) return "a process";
  std::string who = absl::StrCat("pid ", o.victim_pid, " (", o.victim_command.empty() ? "?" : o.victim_command);
  if (o.victim_bytes > 0) absl::StrAppend(&who, ", ", FormatSize(static_cast<double>(o.victim_bytes)));
  absl::StrAppend(&who, o.victim_pid == o.pid ? ", node itself)" : ")");
  return who;
}

Classification Make(v1::Outcome outcome, std::string summary, std::string line = "") {
  Classification c;
  c.outcome = outcome;
  c.summary = std::move(summary);
  c.matched_stderr = std::move(line);
  return c;
}

Classification FromDriver(const RunObservations& o) {
  std::string error = o.driver_error.empty() ? "" : absl::StrCat(": ", o.driver_error);
  std::string detail = o.driver_detail.empty() ? "" : absl::StrCat(" (", o.driver_detail, ")");
  switch (o.driver_status) {
    case v1::DRIVER_STATUS_COMPLETED:
      break;
    case v1::DRIVER_STATUS_STACK_OVERFLOW:
      return Make(v1::OUTCOME_STACK_OVERFLOW,
                  absl::StrCat("the V8 stack limit was hit at ", o.units_reached, " units", error));
    case v1::DRIVER_STATUS_NATIVE_OOM:
      return Make(v1::OUTCOME_NATIVE_OOM,
                  absl::StrCat("a native allocation failed at ", o.units_reached, " units", error));
    case v1::DRIVER_STATUS_FD_EXHAUSTED:
      return Make(v1::OUTCOME_FD_EXHAUSTED,
                  absl::StrCat("descriptors ran out (EMFILE) at ", o.units_reached, " units",
                               o.max_descriptors ? absl::StrCat(", limit ", o.max_descriptors) : "",
                               error, detail));
    case v1::DRIVER_STATUS_SCRIPT_ERROR:
      return Make(v1::OUTCOME_SCRIPT_ERROR,
                  absl::StrCat("the scenario threw at ", o.units_reached, " units", error, detail));
    default:
      return Make(v1::OUTCOME_CRASHED, absl::StrCat("the driver could not finish the scenario: '",
                                                    DriverStatusWord(o.driver_status), "'", error, detail));
  }
  if (!o.driver_detail.empty()) {
    return Make(v1::OUTCOME_COMPLETED, absl::StrCat("completed: ", o.driver_detail));
  }
  return Make(v1::OUTCOME_COMPLETED,
              absl::StrCat("reached its target of ", o.units_reached, " units and exited 0"));
}

}  // namespace

std::string SignalName(int signal) {
  switch (signal) {
    case SIGABRT:
      return "SIGABRT";
    case SIGKILL:
      return "SIGKILL";
    case SIGSEGV:
      return "SIGSEGV";
    case SIGTRAP:
      return "SIGTRAP";
    case SIGTERM:
      return "SIGTERM";
    case SIGBUS:
      return "SIGBUS";
    case SIGILL:
      return "SIGILL";
    case SIGFPE:
      return "SIGFPE";
    case SIGINT:
      return "SIGINT";
    case SIGPIPE:
      return "SIGPIPE";
    default:
      return absl::StrCat("signal ", signal);
  }
}

Classification ClassifyOutcome(const RunObservations& o) {
  const bool killed = !o.exited && o.signal == SIGKILL;

  // 1. The kernel's OOM killer in our cgroup: the only reliable sign is its counter. It
  // counts a kill of any process of the run's tree, so it decides however node ended.
  if (o.cgroup_oom_kills > 0) {
    std::string limit = FormatSize(static_cast<double>(o.native_limit_bytes));
    std::string counters = absl::StrCat("oom_kill +", o.cgroup_oom_kills, ", failcnt ", o.cgroup_failcnt);
    const bool node_was_victim = o.victim_pid == 0 ? killed : o.victim_pid == o.pid;
    if (node_was_victim && killed) {
      return Make(v1::OUTCOME_NATIVE_OOM,
                  absl::StrCat("SIGKILL by the cgroup OOM killer (", counters, ") at ", limit,
                               " native limit, ", o.units_reached, " units"));
    }
    return Make(v1::OUTCOME_NATIVE_OOM,
                absl::StrCat("the cgroup OOM killer killed ", Victim(o), " in the run's process tree (",
                             counters, ") at ", limit, " native limit; node then ended with ", Ending(o),
                             " at ", o.units_reached, " units"));
  }
  // 2. What the harness itself did. The watchdog's kill stands even if node got to exit
  // first: the tree went over the limit.
  if (o.harness_kill == v1::HARNESS_KILL_WATCHDOG) {
    uint64_t over = std::max(o.peak_tree_bytes, o.peak_rss_bytes);
    return Make(v1::OUTCOME_NATIVE_OOM,
                absl::StrCat("the process tree's memory ", FormatSize(static_cast<double>(over)),
                             " went over the native limit of ",
                             FormatSize(static_cast<double>(o.native_limit_bytes)),
                             "; the watchdog killed the tree (largest: ", Victim(o), ") at ",
                             o.units_reached, " units"));
  }
  // A time limit kill decides only if it ended the process (it may have exited just before).
  if (o.harness_kill == v1::HARNESS_KILL_TIMEOUT && !o.exited) {
    return Make(v1::OUTCOME_TIMEOUT,
                absl::StrCat("still running after ", o.timeout_ms, " ms; killed at ",
                             o.units_reached, " units"));
  }
  // 3. V8's own verdicts on stderr, trusted only with the signal V8 dies of.
  if (!o.exited && (o.signal == SIGABRT || o.signal == SIGTRAP)) {
    std::string line = FindLine(o.stderr_text, HeapOomMarkers());
    if (!line.empty()) {
      return Make(v1::OUTCOME_HEAP_EXHAUSTED,
                  absl::StrCat(SignalName(o.signal), " with V8's heap out-of-memory message at ",
                               o.units_reached, " units"),
                  line);
    }
    line = FindLine(o.stderr_text, NativeOomMarkers());
    if (!line.empty()) {
      return Make(v1::OUTCOME_NATIVE_OOM,
                  absl::StrCat(SignalName(o.signal), " with a native out-of-memory message at ",
                               o.units_reached, " units"),
                  line);
    }
  }
  // 4. The driver saw the end and said so, and node then exited cleanly. A completion with
  // the descriptors at their limit is not one: opens failed with EMFILE on the way.
  if (o.driver_done && o.exited && o.exit_code == 0) {
    Classification c = FromDriver(o);
    if (c.outcome == v1::OUTCOME_COMPLETED && o.max_descriptors > 0 && o.peak_descriptors >= o.max_descriptors) {
      return Make(v1::OUTCOME_FD_EXHAUSTED,
                  absl::StrCat("the scenario reported completion, but its descriptors reached their limit (",
                               o.peak_descriptors, " of ", o.max_descriptors,
                               "), where every open fails with EMFILE; at ", o.units_reached, " units"));
    }
    return c;
  }

  // 5. Node died of an uncaught error the driver could not catch.
  if (o.exited && o.exit_code != 0) {
    std::string line = FindLine(o.stderr_text, StackMarkers());
    if (!line.empty()) {
      return Make(v1::OUTCOME_STACK_OVERFLOW,
                  absl::StrCat("uncaught stack overflow, exit code ", o.exit_code), line);
    }
    line = FindLine(o.stderr_text, NativeOomMarkers());
    if (!line.empty()) {
      return Make(v1::OUTCOME_NATIVE_OOM,
                  absl::StrCat("uncaught native allocation failure, exit code ", o.exit_code),
                  line);
    }
    line = FindLine(o.stderr_text, {"EMFILE"});
    if (!line.empty()) {
      return Make(v1::OUTCOME_FD_EXHAUSTED,
                  absl::StrCat("uncaught EMFILE, exit code ", o.exit_code), line);
    }
    if (o.exit_code == 9) {
      line = FindLine(o.stderr_text, {"bad option"});
      return Make(v1::OUTCOME_CRASHED,
                  "node refused its command line (exit 9): a heapstorm bug, please report it", line);
    }
  }
  // 6. Anything else is a crash, with what is known.
  std::string line = FindLine(o.stderr_text, {"Error", "error", "Assertion", "FATAL"});
  std::string why;
  if (killed) {
    why = o.mechanism == v1::LIMIT_MECHANISM_CGROUP_V1 || o.mechanism == v1::LIMIT_MECHANISM_CGROUP_V2
              ? "SIGKILL from outside heapstorm (no cgroup OOM kill was counted)"
              : "SIGKILL from outside heapstorm (possibly the system OOM killer)";
  } else if (!o.exited && o.signal == SIGSEGV && o.stderr_text.empty()) {
    why = "SIGSEGV with nothing on stderr (a native crash, or a stack larger than the real one)";
  } else if (o.exited && o.exit_code == 0) {
    why = "exited 0 before the scenario finished (did the code call process.exit()?)";
  } else if (o.exited) {
    why = absl::StrCat("exited with code ", o.exit_code, " without reporting an outcome");
  } else {
    why = absl::StrCat(SignalName(o.signal), " without a recognised message");
  }
  if (o.driver_done && !(o.exited && o.exit_code == 0)) {
    absl::StrAppend(&why, "; the driver had reported '", DriverStatusWord(o.driver_status), "'");
  }
  absl::StrAppend(&why, " at ", o.units_reached, " units (", Ending(o), ")");
  return Make(v1::OUTCOME_CRASHED, why, line);
}

}  // namespace heapstorm
