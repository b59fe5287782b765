#include "worker/engine/run_result.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/linear_fit.h"
#include "common/sizes.h"
#include "common/utf8.h"
#include "model/targets.h"
#include "worker/engine/leak_detector.h"
#include "worker/engine/outcome_classifier.h"

namespace heapstorm {
namespace {

// The end of node's stderr kept in a result's evidence.
constexpr size_t kStderrTailBytes = 8192;

// Iterations, their rate, and when the leaking series would reach their limits.
void FinishLeakResult(const v1::Scenario& scenario, const std::vector<v1::Checkpoint>& checkpoints,
                      uint64_t units, uint64_t peak_rss, v1::LeakResult* leak) {
  leak->set_iterations(units);
  double seconds = 0;
  uint64_t heap_now = 0;
  for (const v1::Checkpoint& c : checkpoints) {
    seconds = std::max(seconds, c.t_ms() / 1000.0);
    heap_now = c.heap_used_bytes();
  }
  double rate = seconds > 0 ? static_cast<double>(units) / seconds : 0;
  leak->set_iterations_per_second(rate);
  if (leak->verdict() != v1::LEAK_VERDICT_LEAK || rate <= 0) return;
  for (const v1::LeakSeries& s : leak->series()) {
    if (s.verdict() != v1::LEAK_VERDICT_LEAK || s.slope_per_iteration() <= 0) continue;
    double per_second = s.slope_per_iteration() * rate;
    if (s.name() == "heap_used") {
      double limit = static_cast<double>(scenario.limits().max_old_space_mib() * kMiB);
      leak->set_seconds_to_old_space_limit(std::max(0.0, (limit - static_cast<double>(heap_now)) / per_second));
    }
    if ((s.name() == "external" || s.name() == "heap_used") && scenario.limits().native_bytes() > 0) {
      double left = static_cast<double>(scenario.limits().native_bytes()) - static_cast<double>(peak_rss);
      double t = std::max(0.0, left / per_second);
      if (leak->seconds_to_native_limit() == 0 || t < leak->seconds_to_native_limit()) {
        leak->set_seconds_to_native_limit(t);
      }
    }
  }
}

// The units a run reached. Under the watchdog the break is where the tree crossed the
// limit, not where the kill (up to a sampling period later) found the driver.
uint64_t UnitsReached(const MonitoredRun& seen) {
  uint64_t units = seen.units;
  if (seen.harness_kill == v1::HARNESS_KILL_WATCHDOG && seen.units_at_watchdog_limit > 0) {
    units = std::min(units, seen.units_at_watchdog_limit);
  }
  return units;
}

// Who the native limit took, and where that is known from ("" when nobody).
std::string FindVictim(const FinishedRun& run, RunObservations* o) {
  const MonitoredRun& seen = run.seen;
  if (o->cgroup_oom_kills > 0) {
    if (!run.kernel_kills.empty()) {
      o->victim_pid = run.kernel_kills.front().pid;
      o->victim_command = run.kernel_kills.front().command;
      o->victim_bytes = run.kernel_kills.front().anon_rss_bytes;
      return "kernel log";
    }
    if (!seen.last_tree.empty()) {
      // The OOM killer takes the biggest: the biggest of the last sample is the best guess.
      const TreeProcess& biggest = *std::max_element(
          seen.last_tree.begin(), seen.last_tree.end(),
          [](const TreeProcess& a, const TreeProcess& b) { return a.rss_bytes < b.rss_bytes; });
      o->victim_pid = biggest.pid;
      o->victim_command = biggest.command;
      o->victim_bytes = biggest.rss_bytes;
      return "tree samples";
    }
    return "";
  }
  if (seen.harness_kill == v1::HARNESS_KILL_WATCHDOG && seen.watchdog_victim.pid != 0) {
    o->victim_pid = seen.watchdog_victim.pid;
    o->victim_command = seen.watchdog_victim.command;
    o->victim_bytes = seen.watchdog_victim.bytes();
    return "tree samples";
  }
  return "";
}

// The classifier's input: the raw facts of how the run ended.
RunObservations Observe(const FinishedRun& run) {
  const MonitoredRun& seen = run.seen;
  const v1::Limits& limits = run.scenario->limits();
  RunObservations o;
  o.exited = seen.exit.exited;
  o.exit_code = seen.exit.exit_code;
  o.signal = seen.exit.signal;
  o.stderr_text = seen.stderr_text;
  o.driver_done = seen.driver_done;
  o.driver_status = seen.done.status();
  o.driver_error_name = seen.done.error_name();
  o.driver_error_message = seen.done.error_message();
  o.driver_detail = seen.done.detail();
  o.harness_kill = seen.harness_kill;
  o.timeout_ms = limits.timeout_ms();
  o.mechanism = run.mechanism;
  o.native_limit_bytes = limits.native_bytes();
  const CgroupCounters& before = run.cgroup_before;
  const CgroupCounters& after = run.cgroup_after;
  o.cgroup_oom_kills = after.oom_kills - std::min(after.oom_kills, before.oom_kills);
  o.cgroup_failcnt = after.failcnt - std::min(after.failcnt, before.failcnt);
  o.peak_rss_bytes = seen.peak_rss;
  o.peak_descriptors = seen.peak_fds;
  o.max_descriptors = limits.max_descriptors();
  o.units_reached = UnitsReached(seen);
  o.pid = run.pid;
  o.peak_tree_bytes = seen.peak_tree_bytes;
  return o;
}

// Who ran what, under which limits, on which node.
void SetIdentity(const FinishedRun& run, v1::RunResult* result) {
  const v1::Scenario& scenario = *run.scenario;
  result->set_scenario(scenario.name());
  result->set_repeat(run.repeat);
  result->set_variation(run.variation);
  result->set_assignment_id(run.assignment_id);
  result->set_attempt(run.attempt);
  result->set_target_units(TargetUnits(scenario));
  result->set_node_version(run.node_version);
  *result->mutable_limits() = scenario.limits();
  result->set_started_unix_ms(run.started_unix_ms);
  result->set_limit_fallback(run.limit_fallback);
  result->set_cgroup_error(run.cgroup_error);
  result->set_limit_mechanism(run.mechanism);
  for (const std::string& a : run.node_args) result->add_node_args(a);
}

// The figures measured: peaks, series, GC, fits.
void SetMeasurements(const FinishedRun& run, uint64_t units, v1::RunResult* result) {
  const MonitoredRun& seen = run.seen;
  result->set_units_reached(units);
  result->set_stack_depth(run.scenario->has_deep_recursion() ? std::max<uint64_t>(seen.done.depth(), seen.units)
                                                             : 0);
  // Up to V8's own account of its last GCs when it ran out (a death inside one iteration
  // leaves no reading of ours near the limit).
  result->set_peak_heap_used_bytes(
      std::max(seen.peaks.peak_heap_used_bytes(), HeapUsedInV8sLastGcs(seen.stderr_text)));
  result->set_peak_heap_total_bytes(seen.peaks.peak_heap_total_bytes());
  result->set_peak_external_bytes(seen.peaks.peak_external_bytes());
  result->set_peak_array_buffers_bytes(seen.peaks.peak_array_buffers_bytes());
  result->set_peak_rss_bytes(seen.peak_rss);
  result->set_peak_descriptors(seen.peak_fds);
  for (const auto& [name, used] : seen.peak_spaces) {
    v1::HeapSpace* s = result->add_peak_spaces();
    s->set_name(name);
    s->set_used_bytes(used);
  }
  *result->mutable_gc() = seen.last_gc;
  result->set_wall_ms(absl::ToDoubleMilliseconds(seen.end - run.start));
  for (const v1::Checkpoint& c : seen.checkpoints) *result->add_checkpoints() = c;
  for (const v1::OutsideSample& s : seen.samples) *result->add_samples() = s;
  SetFit(LeastSquares(seen.fit_units, seen.fit_heap), result->mutable_heap_per_unit());
  SetFit(LeastSquares(seen.fit_units, seen.fit_external), result->mutable_external_per_unit());
  SetFit(LeastSquares(seen.fit_units, seen.fit_rss), result->mutable_rss_per_unit());
}

}  // namespace

void SetEvidenceOf(const RunObservations& o, const Classification& verdict, v1::Evidence* e) {
  e->set_reason(verdict.reason);
  e->set_matched_stderr(verdict.matched_stderr);
  e->set_exited(o.exited);
  e->set_exit_code(o.exit_code);
  e->set_signal(o.signal);
  if (!o.exited) e->set_signal_name(SignalName(o.signal));
  e->set_pid(static_cast<uint32_t>(o.pid));
  e->set_harness_kill(o.harness_kill);
  e->set_cgroup_oom_kills(o.cgroup_oom_kills);
  e->set_cgroup_failcnt(o.cgroup_failcnt);
  e->set_driver_done(o.driver_done);
  e->set_driver_status(o.driver_status);
  if (!o.driver_error_name.empty() || !o.driver_error_message.empty()) {
    e->set_driver_error(absl::StrCat(o.driver_error_name, ": ", o.driver_error_message));
  }
  e->set_driver_error_name(o.driver_error_name);
  e->set_driver_error_message(o.driver_error_message);
  e->set_driver_detail(o.driver_detail);
  e->set_units_reached(o.units_reached);
  e->set_peak_rss_bytes(o.peak_rss_bytes);
  e->set_peak_descriptors(o.peak_descriptors);
  e->set_max_descriptors(o.max_descriptors);
  e->set_oom_victim_pid(static_cast<uint32_t>(o.victim_pid));
  e->set_oom_victim_command(o.victim_command);
  e->set_oom_victim_bytes(o.victim_bytes);
  e->set_peak_tree_bytes(o.peak_tree_bytes);
}

v1::RunResult BuildRunResult(const FinishedRun& run) {
  const MonitoredRun& seen = run.seen;
  RunObservations o = Observe(run);
  const std::string victim_source = FindVictim(run, &o);
  const Classification verdict = ClassifyOutcome(o);

  v1::RunResult result;
  SetIdentity(run, &result);
  result.set_outcome(verdict.outcome);
  SetMeasurements(run, o.units_reached, &result);
  if (seen.leak) {
    v1::LeakResult leak = *seen.leak;
    // A run that died of a resource: exhaustion is evidence (or says why it is none).
    JudgeExhaustion(verdict.outcome, run.scenario->limits(), seen.units, seen.checkpoints, &leak);
    FinishLeakResult(*run.scenario, seen.checkpoints, seen.units, seen.peak_rss, &leak);
    *result.mutable_leak() = std::move(leak);
  }
  v1::Evidence* e = result.mutable_evidence();
  SetEvidenceOf(o, verdict, e);
  e->set_stderr_tail(std::string(Utf8Tail(seen.stderr_text, kStderrTailBytes)));
  if (!seen.done.error_stack().empty()) e->set_driver_error(seen.done.error_stack());
  e->set_cgroup_max_usage_bytes(run.cgroup_after.max_usage_bytes);
  e->set_oom_victim_source(victim_source);
  // Everything above that came from node or the module (stderr, error messages, names
  // from its heap) is untrusted bytes: proto3 strings must be UTF-8, or the result is lost.
  MakeStringsValidUtf8(&result);
  return result;
}

}  // namespace heapstorm
