// Turns what was observed of one finished run into its RunResult: the outcome (through the
// pure classifier), the evidence, the peaks, the per-unit fits and the leak result.
//
// BuildRunResult is the last step of Engine::Run (prepare, launch, monitor, build). It is a
// pure function of the raw observations gathered by the others, so every rule that turns
// facts into fields is tested without starting node (run_result_test.cc).
#ifndef HEAPSTORM_WORKER_ENGINE_RUN_RESULT_H_
#define HEAPSTORM_WORKER_ENGINE_RUN_RESULT_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "proto/result.pb.h"
#include "proto/suite.pb.h"
#include "worker/engine/kernel_oom_log.h"
#include "worker/engine/memory_cgroup.h"
#include "worker/engine/outcome_classifier.h"
#include "worker/engine/run_monitor.h"

namespace heapstorm {

// Everything known of a run once its process is gone. Raw facts only: nothing here has
// been judged yet.
struct FinishedRun {
  // The scenario as it ran (script module paths resolved). Not owned; outlives the call.
  const v1::Scenario* scenario = nullptr;
  // Who asked: copied into the result as they are.
  uint32_t repeat = 0;
  std::string variation;
  std::string assignment_id;
  uint32_t attempt = 1;
  std::string node_version;
  std::vector<std::string> node_args;  // the exact command line, node first
  // When node was launched: wall clock for the result, and the start of wall_ms.
  uint64_t started_unix_ms = 0;
  absl::Time start;
  // How the native limit was kept, and why not by a cgroup when one was wanted
  // (UNSPECIFIED else; cgroup_error says why creating it failed).
  v1::LimitMechanism mechanism = v1::LIMIT_MECHANISM_NONE;
  v1::LimitFallback limit_fallback = v1::LIMIT_FALLBACK_UNSPECIFIED;
  std::string cgroup_error;
  pid_t pid = 0;  // node's
  // The run's cgroup counters before launch and after the end (zeros without a cgroup).
  CgroupCounters cgroup_before;
  CgroupCounters cgroup_after;
  // The kernel log's OOM kills in the run's cgroup, first first (empty when none were
  // logged or there is no cgroup).
  std::vector<OomKill> kernel_kills;
  // What the run monitor saw.
  MonitoredRun seen;
};

// The evidence that follows from the observations and their classification: the deciding
// rule, and the raw facts the reports' sentence (reports/outcome_sentence.h) is made from.
// Pure; BuildRunResult calls it and adds what only the run knows (stderr tail, the
// exception's stack, the cgroup's peak, where the victim is known from).
void SetEvidenceOf(const RunObservations& o, const Classification& verdict, v1::Evidence* e);

// The run's result. Pure: reads only `run`. Every string that came from node or the module
// (stderr, error messages, process names) is made valid UTF-8.
v1::RunResult BuildRunResult(const FinishedRun& run);

}  // namespace heapstorm

#endif  // HEAPSTORM_WORKER_ENGINE_RUN_RESULT_H_
