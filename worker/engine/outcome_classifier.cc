#include "worker/engine/outcome_classifier.h"

#include <signal.h>

#include <algorithm>
#include <optional>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

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

// V8's words, on its heap OOM line, for giving up before the heap was full.
constexpr absl::string_view kIneffectiveMarkCompacts = "Ineffective mark-compacts near heap limit";

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

Classification Make(v1::Outcome outcome, v1::OutcomeReason reason, std::string line = "") {
  Classification c;
  c.outcome = outcome;
  c.reason = reason;
  c.matched_stderr = std::move(line);
  return c;
}

// The driver's own word on how the scenario ended.
v1::Outcome FromDriver(v1::DriverStatus status) {
  switch (status) {
    case v1::DRIVER_STATUS_COMPLETED:
      return v1::OUTCOME_COMPLETED;
    case v1::DRIVER_STATUS_STACK_OVERFLOW:
      return v1::OUTCOME_STACK_OVERFLOW;
    case v1::DRIVER_STATUS_NATIVE_OOM:
      return v1::OUTCOME_NATIVE_OOM;
    case v1::DRIVER_STATUS_FD_EXHAUSTED:
      return v1::OUTCOME_FD_EXHAUSTED;
    case v1::DRIVER_STATUS_SCRIPT_ERROR:
      return v1::OUTCOME_SCRIPT_ERROR;
    default:  // incomplete, or a status this build does not know
      return v1::OUTCOME_CRASHED;
  }
}

// 1. The kernel's OOM killer in our cgroup: the only reliable sign is its counter. It
// counts a kill of any process of the run's tree, so it decides however node ended.
// 2. What the harness itself did. The watchdog's kill stands even if node got to exit
// first: the tree went over the limit. A time limit kill decides only if it ended the
// process (it may have exited just before).
std::optional<Classification> ByLimits(const RunObservations& o) {
  const bool killed = !o.exited && o.signal == SIGKILL;
  if (o.cgroup_oom_kills > 0) {
    const bool node_was_victim = o.victim_pid == 0 ? killed : o.victim_pid == o.pid;
    return Make(v1::OUTCOME_NATIVE_OOM, node_was_victim && killed ? v1::OUTCOME_REASON_CGROUP_OOM_KILLED_NODE
                                                                  : v1::OUTCOME_REASON_CGROUP_OOM_KILLED_IN_TREE);
  }
  if (o.harness_kill == v1::HARNESS_KILL_WATCHDOG) {
    return Make(v1::OUTCOME_NATIVE_OOM, v1::OUTCOME_REASON_WATCHDOG);
  }
  if (o.harness_kill == v1::HARNESS_KILL_TIMEOUT && !o.exited) {
    return Make(v1::OUTCOME_TIMEOUT, v1::OUTCOME_REASON_TIMEOUT);
  }
  return std::nullopt;
}

// 3. V8's own verdicts on stderr, trusted only with the signal V8 dies of.
std::optional<Classification> ByV8Message(const RunObservations& o) {
  if (o.exited || (o.signal != SIGABRT && o.signal != SIGTRAP)) return std::nullopt;
  std::string line = FindLine(o.stderr_text, HeapOomMarkers());
  if (!line.empty()) {
    const bool early = absl::StrContains(line, kIneffectiveMarkCompacts);
    return Make(v1::OUTCOME_HEAP_EXHAUSTED,
                early ? v1::OUTCOME_REASON_HEAP_OOM_GAVE_UP_EARLY : v1::OUTCOME_REASON_HEAP_OOM_MESSAGE, line);
  }
  line = FindLine(o.stderr_text, NativeOomMarkers());
  if (!line.empty()) return Make(v1::OUTCOME_NATIVE_OOM, v1::OUTCOME_REASON_NATIVE_OOM_MESSAGE, line);
  return std::nullopt;
}

// 4. The driver saw the end and said so, and node then exited cleanly. A completion with
// the descriptors at their limit is not one: opens failed with EMFILE on the way.
std::optional<Classification> ByDriver(const RunObservations& o) {
  if (!o.driver_done || !o.exited || o.exit_code != 0) return std::nullopt;
  v1::Outcome outcome = FromDriver(o.driver_status);
  if (outcome == v1::OUTCOME_COMPLETED && o.max_descriptors > 0 && o.peak_descriptors >= o.max_descriptors) {
    return Make(v1::OUTCOME_FD_EXHAUSTED, v1::OUTCOME_REASON_DESCRIPTORS_AT_LIMIT);
  }
  return Make(outcome, v1::OUTCOME_REASON_DRIVER);
}

// 5. Node died of an uncaught error the driver could not catch.
std::optional<Classification> ByUncaughtError(const RunObservations& o) {
  if (!o.exited || o.exit_code == 0) return std::nullopt;
  std::string line = FindLine(o.stderr_text, StackMarkers());
  if (!line.empty()) return Make(v1::OUTCOME_STACK_OVERFLOW, v1::OUTCOME_REASON_UNCAUGHT_STACK_OVERFLOW, line);
  line = FindLine(o.stderr_text, NativeOomMarkers());
  if (!line.empty()) return Make(v1::OUTCOME_NATIVE_OOM, v1::OUTCOME_REASON_UNCAUGHT_NATIVE_OOM, line);
  line = FindLine(o.stderr_text, {"EMFILE"});
  if (!line.empty()) return Make(v1::OUTCOME_FD_EXHAUSTED, v1::OUTCOME_REASON_UNCAUGHT_EMFILE, line);
  if (o.exit_code == 9) {
    return Make(v1::OUTCOME_CRASHED, v1::OUTCOME_REASON_BAD_COMMAND_LINE, FindLine(o.stderr_text, {"bad option"}));
  }
  return std::nullopt;
}

// 6. Anything else is a crash, with what is known.
Classification AsCrash(const RunObservations& o) {
  std::string line = FindLine(o.stderr_text, {"Error", "error", "Assertion", "FATAL"});
  v1::OutcomeReason reason;
  if (!o.exited && o.signal == SIGKILL) {
    reason = v1::OUTCOME_REASON_KILLED_FROM_OUTSIDE;
  } else if (!o.exited && o.signal == SIGSEGV && o.stderr_text.empty()) {
    reason = v1::OUTCOME_REASON_SILENT_SEGV;
  } else if (o.exited && o.exit_code == 0) {
    reason = v1::OUTCOME_REASON_EXITED_EARLY;
  } else if (o.exited) {
    reason = v1::OUTCOME_REASON_EXITED_WITHOUT_OUTCOME;
  } else {
    reason = v1::OUTCOME_REASON_UNRECOGNISED_SIGNAL;
  }
  return Make(v1::OUTCOME_CRASHED, reason, line);
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
  if (std::optional<Classification> c = ByLimits(o)) return *c;
  if (std::optional<Classification> c = ByV8Message(o)) return *c;
  if (std::optional<Classification> c = ByDriver(o)) return *c;
  if (std::optional<Classification> c = ByUncaughtError(o)) return *c;
  return AsCrash(o);
}

uint64_t HeapUsedInV8sLastGcs(absl::string_view stderr_text) {
  const size_t section = stderr_text.rfind("<--- Last few GCs --->");
  if (section == absl::string_view::npos) return 0;
  absl::string_view rest = stderr_text.substr(section);
  const size_t end = rest.find("<--- JS stacktrace --->");
  if (end != absl::string_view::npos) rest = rest.substr(0, end);
  double most_mib = 0;
  // "ms: Mark-Compact 36.1 (54.3) -> ..." or "ms: Mark-Compact (reduce) 30.3 (64.3) -> ...":
  // the used figure is the next to last word before the arrow.
  for (size_t at = rest.find(" ms: "); at != absl::string_view::npos; at = rest.find(" ms: ", at + 1)) {
    absl::string_view line = rest.substr(at + 5);
    const size_t arrow = line.find(" -> ");
    if (arrow == absl::string_view::npos) continue;
    const std::vector<absl::string_view> words = absl::StrSplit(line.substr(0, arrow), ' ', absl::SkipEmpty());
    double mib = 0;
    if (words.size() >= 3 && absl::SimpleAtod(words[words.size() - 2], &mib)) most_mib = std::max(most_mib, mib);
  }
  return static_cast<uint64_t>(most_mib * 1048576.0);
}

}  // namespace heapstorm
