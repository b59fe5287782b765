// The memory engine: runs one scenario in a real node process under its limits, watches
// it from inside (the driver's checkpoints) and outside (/proc, the cgroup), and returns
// a RunResult whose outcome says what broke first, with the evidence.
//
// It knows nothing of gRPC: the worker calls Run() from one of its slots, the CLI's
// local mode does the same. A child's stack overflow, heap exhaustion, OOM kill, timeout
// or crash is a *result* (OK status with that outcome); a non-OK status means the harness
// itself could not do its job.
#ifndef HEAPSTORM_WORKER_ENGINE_ENGINE_H_
#define HEAPSTORM_WORKER_ENGINE_ENGINE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "model/limits.h"
#include "proto/result.pb.h"
#include "proto/suite.pb.h"
#include "worker/engine/process_launcher.h"

namespace heapstorm {

struct EngineOptions {
  // The node executable; "" looks for `node` on PATH.
  std::string node_path;
  // Where each run gets its scratch folder; "" uses $TMPDIR, else /tmp.
  std::string scratch_dir;
  // Use a memory cgroup for native limits where possible (else the RSS watchdog).
  bool use_cgroups = true;
  // Replaces /sys/fs/cgroup (tests).
  std::string cgroup_root;
  // The launcher step's executable; "" uses the one embedded in the binary.
  std::string launcher_path;
  // Keep each run's scratch folder (driver, config, node's files) for inspection.
  bool keep_run_dirs = false;
  // Bounds on what one result carries; series beyond are thinned evenly.
  int max_checkpoints = kMaxResultCheckpoints;
  int max_samples = kMaxResultSamples;
};

// One run to do.
struct RunRequest {
  v1::Scenario scenario;
  uint32_t repeat = 0;
  std::string variation;
  std::string assignment_id;
  uint32_t attempt = 1;
  // Called on the engine's thread for every checkpoint (progress). May be empty.
  std::function<void(const v1::Checkpoint&)> on_checkpoint;
  // When it becomes true the run is killed and Run() returns Cancelled. May be null.
  const std::atomic<bool>* cancel = nullptr;
};

// What the worker needs of an engine: a run, and the node version it reports in its hello.
// Engine is the real one; a worker test may substitute a small fake that runs no node.
class ScenarioRunner {
 public:
  virtual ~ScenarioRunner() = default;
  // As Engine::Run. Thread-safe: several runs may go at once from different threads.
  virtual absl::StatusOr<v1::RunResult> Run(const RunRequest& request) = 0;
  virtual const std::string& node_version() const = 0;
};

// Where and what of `node --check`'s complaint: its "PATH:LINE" line, the column of its
// caret under the source line, and its "...Error: message" line, as
// "PATH:LINE:COLUMN: SyntaxError: message". The output as it is when it has none of them.
// Pure.
std::string NodeCheckComplaint(absl::string_view output);

class Engine : public ScenarioRunner {
 public:
  // Finds node and checks that it runs (its version). FailedPrecondition when node is
  // missing or too old (< 18): the harness cannot work (exit 3).
  static absl::StatusOr<std::unique_ptr<Engine>> Create(EngineOptions options);

  // Runs one scenario to its end. OK with an outcome for anything the child did;
  // InvalidArgument for a scenario the engine cannot run (e.g. no kind); NotFound when a
  // script module is missing; Cancelled when `cancel` fired; Internal/FailedPrecondition
  // when the harness failed (scratch folder, pipes, spawn). Thread-safe: several runs
  // may go at once from different threads.
  absl::StatusOr<v1::RunResult> Run(const RunRequest& request) override;

  const std::string& node_version() const override { return node_version_; }
  const std::string& node_path() const { return node_path_; }

  // The node command line for a scenario's limits (without the driver arguments).
  static std::vector<std::string> NodeFlags(const v1::Limits& limits);

  // What a scenario with a leak check adds to node's command line, for node `node_major`:
  // the flags that let V8's allocation sampler name the function that allocated what a
  // leak keeps (engine.cc says why each one).
  static std::vector<std::string> LeakCheckNodeFlags(int node_major);

  // Whether node can parse a script module (`node --check`): InvalidArgument with where and
  // what ("/m/a.js:3:25: SyntaxError: Unexpected token '*'") when it cannot, so that a
  // module that would never load is bad input before anything runs. Internal when node did
  // not answer. Thread-safe.
  absl::Status CheckModuleSyntax(const std::string& module_path) const;

 private:
  // What one run holds from Prepare() to its result (engine.cc).
  struct PreparedRun;

  Engine(EngineOptions options, std::string node_path, std::string node_version, int node_major,
         std::unique_ptr<ProcessLauncher> launcher);

  // The steps of Run(): prepare (scratch folder, files, cgroup, pipes, command line),
  // launch node, monitor it to its end; then the pure BuildRunResult (run_result.h).
  absl::StatusOr<std::unique_ptr<PreparedRun>> Prepare(const RunRequest& request);
  void ChooseNativeLimit(PreparedRun* run);
  absl::Status Launch(PreparedRun* run);
  absl::Status Monitor(const RunRequest& request, PreparedRun* run);

  EngineOptions options_;
  std::string node_path_;
  std::string node_version_;
  int node_major_;
  std::unique_ptr<ProcessLauncher> launcher_;
  std::atomic<uint64_t> run_counter_{0};
};

}  // namespace heapstorm

#endif  // HEAPSTORM_WORKER_ENGINE_ENGINE_H_
