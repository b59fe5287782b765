#include "cli/run_command.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <iostream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cli/args.h"
#include "cli/exit_codes.h"
#include "cli/summary_table.h"
#include "common/logging.h"
#include "common/version.h"
#include "coordinator/planner.h"
#include "reports/report_builder.h"
#include "reports/report_writer.h"
#include "scenarios/suite_loader.h"
#include "scenarios/units.h"
#include "worker/engine/engine.h"

namespace heapstorm {
namespace {

std::atomic<bool> g_interrupted{false};

void OnSignal(int) { g_interrupted = true; }

void InstallSignalHandlers() {
  struct sigaction action {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

std::string DefaultOutDir(const std::string& suite_name) {
  return absl::StrCat("heapstorm-out/", suite_name, "-",
                      absl::FormatTime("%Y%m%d-%H%M%S", absl::Now(), absl::LocalTimeZone()));
}

v1::Environment HostEnvironment(const Engine& engine) {
  v1::Environment env;
  env.set_heapstorm_version(kHeapstormVersion);
  env.set_node_version(engine.node_version());
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  env.set_hostname(host);
  env.set_cpus(std::thread::hardware_concurrency());
  env.set_memory_bytes(static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) *
                       static_cast<uint64_t>(sysconf(_SC_PAGESIZE)));
  return env;
}

}  // namespace

int RunCommand(int argc, char** argv) {
  ArgParser parser("heapstorm run", "SUITE.yaml",
                   "Runs a suite on this machine: every scenario in a real node process under\n"
                   "its limits, several at once. Prints a table per scenario and writes\n"
                   "report.json into the output folder.");
  int64_t workers = 0;
  std::string out_dir;
  std::string node;
  bool keep = false;
  bool no_cgroups = false;
  bool verbose = false;
  parser.Int("--workers", "N", "runs at once (default: one per core)", &workers);
  parser.String("--out", "DIR",
                "where reports go (default: heapstorm-out/SUITE-YYYYmmdd-HHMMSS)", &out_dir);
  parser.String("--node", "PATH", "the node executable (default: node on PATH)", &node);
  parser.Bool("--keep-run-dirs", "keep each run's scratch folder (driver, config, snapshots)",
              &keep);
  parser.Bool("--no-cgroups", "keep native limits with the RSS watchdog, not a memory cgroup",
              &no_cgroups);
  parser.Bool("--verbose", "log what the harness does", &verbose);
  parser.Epilog(
      "exit codes: 0 every expectation held, 1 an expectation failed, 2 bad input or usage,\n"
      "            3 heapstorm could not run (no node, no scratch space).");
  absl::Status status = parser.Parse(argc, argv);
  if (!status.ok()) {
    std::cerr << "heapstorm run: " << status.message() << "\n";
    return kExitBadInput;
  }
  if (parser.help_requested()) {
    std::cout << parser.Help();
    return kExitOk;
  }
  if (parser.positional().size() != 1) {
    std::cerr << "heapstorm run: name exactly one suite file\n\n" << parser.Help();
    return kExitBadInput;
  }
  if (workers < 0 || workers > 1024) {
    std::cerr << "heapstorm run: --workers must be from 1 to 1024, got " << workers << "\n";
    return kExitBadInput;
  }
  SetLogLevel(verbose ? LogLevel::kDebug : LogLevel::kWarning);
  // From here on Ctrl-C and SIGTERM stop the runs and still write a (partial) report.
  InstallSignalHandlers();

  absl::StatusOr<v1::Suite> suite = LoadSuiteFile(parser.positional()[0]);
  if (!suite.ok()) {
    std::cerr << suite.status().message() << "\n";
    return kExitBadInput;
  }
  absl::StatusOr<std::vector<v1::Assignment>> plan = Plan(*suite);
  if (!plan.ok()) {
    std::cerr << "heapstorm run: " << plan.status().message() << "\n";
    return kExitBadInput;
  }
  EngineOptions options;
  options.node_path = node;
  options.keep_run_dirs = keep;
  options.use_cgroups = !no_cgroups;
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(options);
  if (!engine.ok()) {
    std::cerr << "heapstorm run: " << engine.status().message() << "\n";
    return kExitHarness;
  }
  if (out_dir.empty()) out_dir = DefaultOutDir(suite->name());
  absl::Status made = MakeDirs(out_dir);
  if (!made.ok()) {
    std::cerr << "heapstorm run: " << made.message() << "\n";
    return kExitHarness;
  }

  const int slots = static_cast<int>(
      workers > 0 ? workers : std::max(1u, std::thread::hardware_concurrency()));
  const bool tty = isatty(STDERR_FILENO);
  const absl::Time started = absl::Now();
  std::cerr << "heapstorm: suite '" << suite->name() << "', " << plan->size() << " run"
            << (plan->size() == 1 ? "" : "s") << " on " << slots << " slot"
            << (slots == 1 ? "" : "s") << ", node " << (*engine)->node_version() << "\n";

  absl::Mutex mu;
  size_t next = 0;
  size_t finished = 0;
  std::vector<v1::RunResult> results;
  std::vector<v1::Missing> missing;
  absl::Status harness_error;
  std::atomic<bool> cancel{false};

  auto slot = [&]() {
    while (true) {
      const v1::Assignment* a = nullptr;
      {
        absl::MutexLock lock(&mu);
        if (next >= plan->size() || cancel) return;
        a = &(*plan)[next++];
      }
      RunRequest request;
      request.scenario = a->scenario();
      request.repeat = a->repeat();
      request.variation = a->variation();
      request.assignment_id = a->id();
      request.attempt = a->attempt();
      request.cancel = &cancel;
      absl::StatusOr<v1::RunResult> r = (*engine)->Run(request);
      absl::MutexLock lock(&mu);
      ++finished;
      if (r.ok()) {
        std::string line = absl::StrFormat(
            "[%*d/%d] %s%s r%d: %s at %d units in %s", static_cast<int>(absl::StrCat(plan->size()).size()),
            finished, plan->size(), a->scenario().name(),
            a->variation().empty() ? "" : absl::StrCat(" (", a->variation(), ")"), a->repeat(),
            OutcomeName(r->outcome()), r->units_reached(),
            FormatShortDuration(absl::Milliseconds(r->wall_ms())));
        std::cerr << (tty ? "\r\033[K" : "") << line << "\n";
        results.push_back(*std::move(r));
      } else {
        v1::Missing m;
        m.set_scenario(a->scenario().name());
        m.set_repeat(a->repeat());
        m.set_variation(a->variation());
        m.set_reason(std::string(r.status().message()));
        missing.push_back(m);
        if (!absl::IsCancelled(r.status())) {
          std::cerr << "heapstorm: " << a->id() << ": " << r.status().message() << "\n";
          if (harness_error.ok()) harness_error = r.status();
        }
      }
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < slots; ++i) threads.emplace_back(slot);
  while (true) {
    {
      absl::MutexLock lock(&mu);
      bool none_left = next >= plan->size() || cancel;
      if (none_left && finished >= next) break;
    }
    if (g_interrupted && !cancel) {
      std::cerr << "\nheapstorm: interrupted: stopping the runs and writing a partial report\n";
      cancel = true;
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  for (std::thread& t : threads) t.join();
  {
    absl::MutexLock lock(&mu);
    for (size_t i = next; i < plan->size(); ++i) {
      v1::Missing m;
      m.set_scenario((*plan)[i].scenario().name());
      m.set_repeat((*plan)[i].repeat());
      m.set_variation((*plan)[i].variation());
      m.set_reason("not started: the run was interrupted");
      missing.push_back(m);
    }
  }

  ReportInputs inputs;
  inputs.suite = &*suite;
  inputs.runs = results;
  inputs.missing = missing;
  inputs.environment = HostEnvironment(**engine);
  inputs.started_unix_ms = static_cast<uint64_t>(absl::ToUnixMillis(started));
  inputs.wall_ms = absl::ToDoubleMilliseconds(absl::Now() - started);
  inputs.aborted = cancel && results.empty();
  v1::Report report = BuildReport(inputs);

  std::cout << SummaryTable(report);
  absl::StatusOr<std::string> json = ReportToJson(report);
  std::string json_path = out_dir + "/report.json";
  absl::Status written = json.ok() ? WriteFileAtomically(json_path, *json) : json.status();
  if (!written.ok()) {
    std::cerr << "heapstorm run: " << written.message() << "\n";
    return kExitHarness;
  }
  std::cout << "\nreport: " << json_path << "\n";
  if (!harness_error.ok()) return kExitHarness;
  if (cancel) return kExitHarness;
  return report.passed() ? kExitOk : kExitFailed;
}

}  // namespace heapstorm
