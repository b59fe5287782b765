// Runs a suite through a coordinator and writes its reports: the one path shared by
// `heapstorm run` (local mode: a coordinator on loopback plus local workers in this
// process) and `heapstorm coordinator` (cluster mode: remote workers connect).
//
// The run folder holds run.json (what to resume), journal.bin (every acknowledged result)
// and the reports. Interrupted (SIGINT/SIGTERM), it cancels outstanding work and writes a
// partial report within a few seconds.
#ifndef HEAPSTORM_CLI_SUITE_RUN_H_
#define HEAPSTORM_CLI_SUITE_RUN_H_

#include <atomic>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "rpc/rpc_config.h"
#include "reports/report_writer.h"
#include "worker/engine/engine.h"

namespace heapstorm {

struct SuiteRunOptions {
  std::string suite_path;     // the suite file ("" when resuming: taken from run.json)
  std::string out_dir;        // "" = heapstorm-out/SUITE-YYYYmmdd-HHMMSS
  bool resume = false;        // out_dir is a run folder to continue
  std::string listen = "127.0.0.1:0";
  TlsFiles tls;
  std::string token;
  int local_workers = 0;      // > 0: local mode with this many in-process workers
  EngineOptions engine;       // for local workers
  int expect_workers = 0;     // cluster mode: wait for this many before the clock starts
  absl::Duration start_timeout = absl::Minutes(5);  // ... for at most this long
  absl::Duration lease = absl::Seconds(15);
  int max_attempts = 3;
  // Set from a signal handler to stop; checked every few milliseconds.
  const std::atomic<bool>* interrupted = nullptr;
  // Cluster mode: print "listening on HOST:PORT" (tests read the port from it).
  bool announce = false;
  // A report to compare with; regressions fail the run (exit 1).
  std::string baseline;
  // Where the reports go, when not in the run folder (Bazel's test outputs).
  ReportPaths report_paths;
  // Only scenarios whose name matches one of these globs ("cache*", "a,b"); the others are
  // reported as skipped. Empty: all.
  std::vector<std::string> filters;
  // Created when the run starts and removed once the reports are flushed (Bazel's
  // TEST_PREMATURE_EXIT_FILE). "" for none.
  std::string premature_exit_file;
};

// Runs the suite and returns the process exit code (0, 1, 2 or 3, DESIGN.md §7). Errors
// are printed to stderr.
int RunSuite(const SuiteRunOptions& options);

}  // namespace heapstorm

#endif  // HEAPSTORM_CLI_SUITE_RUN_H_
