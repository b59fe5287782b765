#include "cli/run_command.h"

#include <iostream>
#include <thread>

#include "cli/args.h"
#include "cli/exit_codes.h"
#include "cli/signals.h"
#include "cli/suite_run.h"
#include "common/logging.h"

namespace heapstorm {

int RunCommand(int argc, char** argv) {
  ArgParser parser("heapstorm run", "SUITE.yaml",
                   "Runs a suite on this machine: a coordinator on loopback and local workers,\n"
                   "the same path as a cluster with nothing to set up. Every scenario runs in\n"
                   "a real node process under its limits. Prints each run as it ends, then a\n"
                   "table, and writes report.json into the output folder.");
  int64_t workers = 0;
  std::string out_dir;
  std::string resume;
  std::string node;
  std::string baseline;
  bool keep = false;
  bool no_cgroups = false;
  bool verbose = false;
  parser.Int("--workers", "N", "runs at once (default: one per core)", &workers);
  parser.String("--out", "DIR",
                "the run folder for reports and the journal (default:\n"
                "                       heapstorm-out/SUITE-YYYYmmdd-HHMMSS in the current folder)",
                &out_dir);
  parser.String("--resume", "DIR", "continue an interrupted run in DIR; its recorded runs are kept",
                &resume);
  parser.String("--baseline", "REPORT.json",
                "compare with an earlier report; a regression fails the run (exit 1)", &baseline);
  parser.String("--node", "PATH", "the node executable (default: node on PATH)", &node);
  parser.Bool("--keep-run-dirs", "keep each run's scratch folder (driver, config, snapshots)", &keep);
  parser.Bool("--no-cgroups", "keep native limits with the RSS watchdog, not a memory cgroup",
              &no_cgroups);
  parser.Bool("--verbose", "log what the harness does", &verbose);
  parser.Epilog(
      "exit codes: 0 every expectation held, 1 an expectation failed or a regression,\n"
      "            2 bad input or usage, 3 heapstorm could not run (no node, interrupted).\n"
      "The run folder gets report.json, report.html and junit.xml.");
  absl::Status status = parser.Parse(argc, argv);
  if (!status.ok()) {
    std::cerr << "heapstorm run: " << status.message() << "\n";
    return kExitBadInput;
  }
  if (parser.help_requested()) {
    std::cout << parser.Help();
    return kExitOk;
  }
  if (parser.positional().size() > 1 || (parser.positional().empty() && resume.empty())) {
    std::cerr << "heapstorm run: name one suite file (or --resume DIR)\n\n" << parser.Help();
    return kExitBadInput;
  }
  if (workers < 0 || workers > 256) {
    std::cerr << "heapstorm run: --workers must be from 1 to 256, got " << workers << "\n";
    return kExitBadInput;
  }
  SetLogLevel(verbose ? LogLevel::kDebug : LogLevel::kWarning);
  InstallStopSignals();

  SuiteRunOptions options;
  options.suite_path = parser.positional().empty() ? "" : parser.positional()[0];
  options.out_dir = resume.empty() ? out_dir : resume;
  options.resume = !resume.empty();
  options.local_workers = static_cast<int>(
      workers > 0 ? workers : std::max(1u, std::thread::hardware_concurrency()));
  options.engine.node_path = node;
  options.engine.keep_run_dirs = keep;
  options.engine.use_cgroups = !no_cgroups;
  options.baseline = baseline;
  options.interrupted = StopRequested();
  return RunSuite(options);
}

}  // namespace heapstorm
