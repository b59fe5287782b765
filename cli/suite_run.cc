#include "cli/suite_run.h"

#include <fnmatch.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cli/exit_codes.h"
#include "cli/progress.h"
#include "cli/summary_table.h"
#include "common/clock.h"
#include "common/files.h"
#include "common/logging.h"
#include "common/mutex.h"
#include "common/version.h"
#include "coordinator/adaptive.h"
#include "coordinator/coordinator_server.h"
#include "coordinator/journal.h"
#include "coordinator/module_store.h"
#include "coordinator/planner.h"
#include "coordinator/scheduler.h"
#include "google/protobuf/util/json_util.h"
#include "model/limits.h"
#include "reports/compare.h"
#include "reports/report_builder.h"
#include "reports/report_writer.h"
#include "scenarios/suite_loader.h"
#include "worker/worker.h"

namespace heapstorm {
namespace {

std::string Absolute(const std::string& path) {
  if (!path.empty() && path[0] == '/') return path;
  char cwd[4096];
  if (getcwd(cwd, sizeof(cwd)) == nullptr) return path;
  return absl::StrCat(cwd, "/", path);
}

absl::StatusOr<v1::RunManifest> ReadManifest(const std::string& dir) {
  absl::StatusOr<std::string> text = ReadFile(dir + "/run.json");
  if (!text.ok()) {
    return absl::NotFoundError(absl::StrCat(dir, "/run.json: not a heapstorm run folder"));
  }
  v1::RunManifest manifest;
  if (!google::protobuf::util::JsonStringToMessage(*text, &manifest).ok()) {
    return absl::InvalidArgumentError(absl::StrCat(dir, "/run.json: unreadable"));
  }
  return manifest;
}

v1::Environment HostEnvironment(const std::string& node_version) {
  v1::Environment env;
  env.set_heapstorm_version(kHeapstormVersion);
  env.set_node_version(node_version);
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  env.set_hostname(host);
  env.set_cpus(std::thread::hardware_concurrency());
  env.set_memory_bytes(static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) *
                       static_cast<uint64_t>(sysconf(_SC_PAGESIZE)));
  return env;
}

}  // namespace

int RunSuite(const SuiteRunOptions& options) {
  // --- the suite, the folder, the journal ---------------------------------------------
  std::string suite_path = options.suite_path;
  std::string out_dir = options.out_dir;
  std::vector<v1::RunResult> recovered;
  if (options.resume) {
    absl::StatusOr<v1::RunManifest> manifest = ReadManifest(out_dir);
    if (!manifest.ok()) {
      std::cerr << "heapstorm: --resume: " << manifest.status().message() << "\n";
      return kExitBadInput;
    }
    if (suite_path.empty()) suite_path = manifest->suite_path();
    absl::StatusOr<std::vector<v1::RunResult>> journal = Journal::Load(out_dir);
    if (!journal.ok()) {
      std::cerr << "heapstorm: --resume: " << journal.status().message() << "\n";
      return kExitBadInput;
    }
    recovered = *std::move(journal);
    // Checked like every message that enters the coordinator: a journal's results decide
    // what runs again, so limits no run can have had stop the resume.
    for (const v1::RunResult& r : recovered) {
      if (absl::Status valid = ValidateLimits(r.limits()); !valid.ok()) {
        std::cerr << "heapstorm: --resume: the journal's result of " << r.assignment_id()
                  << " is not one a run can have made: " << valid.message() << "\n";
        return kExitBadInput;
      }
    }
    absl::StatusOr<v1::Suite> check = LoadSuiteFile(suite_path);
    if (check.ok() && check->sha256() != manifest->suite_sha256()) {
      std::cerr << "heapstorm: --resume: " << suite_path
                << " changed since the run started; start a new run instead\n";
      return kExitBadInput;
    }
  }
  absl::StatusOr<v1::Suite> suite = LoadSuiteFile(suite_path);
  if (!suite.ok()) {
    std::cerr << suite.status().message() << "\n";
    return ExitCodeFor(suite.status());
  }
  // Filters (Bazel's --test_filter): the scenarios left out are reported as skipped.
  std::vector<std::string> skipped;
  if (!options.filters.empty()) {
    v1::Suite kept = *suite;
    kept.clear_scenarios();
    for (const v1::Scenario& s : suite->scenarios()) {
      bool match = false;
      for (const std::string& f : options.filters) match |= fnmatch(f.c_str(), s.name().c_str(), 0) == 0;
      if (match) {
        *kept.add_scenarios() = s;
      } else {
        skipped.push_back(s.name());
      }
    }
    if (kept.scenarios_size() == 0) {
      std::cerr << "heapstorm: no scenario of " << suite_path << " matches the filter\n";
      return kExitBadInput;
    }
    *suite = std::move(kept);
  }
  std::optional<v1::Report> baseline;
  if (!options.baseline.empty()) {
    absl::StatusOr<v1::Report> read = ReadReportJson(options.baseline);
    if (!read.ok()) {
      std::cerr << "heapstorm: --baseline: " << read.status().message() << "\n";
      return kExitBadInput;
    }
    baseline = *std::move(read);
  }
  // Each script module is held once for the run; assignments carry its hash, and workers
  // fetch it by hash (once each) over their session.
  ModuleStore modules;
  absl::Status stored = modules.AddSuiteModules(&*suite);
  absl::StatusOr<LazyPlan> plan = stored.ok() ? LazyPlan::Create(*suite) : absl::StatusOr<LazyPlan>(stored);
  if (!plan.ok()) {
    std::cerr << "heapstorm: " << plan.status().message() << "\n";
    return kExitBadInput;
  }

  // Local workers need node before anything is written.
  std::unique_ptr<Engine> engine;
  if (options.local_workers > 0) {
    absl::StatusOr<std::unique_ptr<Engine>> created = Engine::Create(options.engine);
    if (!created.ok()) {
      std::cerr << "heapstorm: " << created.status().message() << "\n";
      return kExitHarness;
    }
    engine = std::move(*created);
  }

  if (out_dir.empty()) {
    out_dir = absl::StrCat("heapstorm-out/", suite->name(), "-",
                           absl::FormatTime("%Y%m%d-%H%M%S", absl::Now(), absl::LocalTimeZone()));
  }
  if (absl::Status made = MakeDirs(out_dir); !made.ok()) {
    std::cerr << "heapstorm: " << made.message() << "\n";
    return kExitHarness;
  }
  if (!options.premature_exit_file.empty()) {
    (void)WriteFileAtomically(options.premature_exit_file, "");
  }
  const absl::Time started = absl::Now();
  if (!options.resume) {
    v1::RunManifest manifest;
    manifest.set_suite_path(Absolute(suite_path));
    manifest.set_suite_sha256(suite->sha256());
    manifest.set_started_unix_ms(static_cast<uint64_t>(absl::ToUnixMillis(started)));
    manifest.set_heapstorm_version(kHeapstormVersion);
    std::string json;
    (void)google::protobuf::util::MessageToJsonString(manifest, &json);
    if (absl::Status s = WriteFileAtomically(out_dir + "/run.json", json); !s.ok()) {
      std::cerr << "heapstorm: " << s.message() << "\n";
      return kExitHarness;
    }
  }
  absl::StatusOr<std::unique_ptr<Journal>> journal = Journal::Open(out_dir);
  if (!journal.ok()) {
    std::cerr << "heapstorm: " << journal.status().message() << "\n";
    return kExitHarness;
  }

  // --- the coordinator ----------------------------------------------------------------
  SchedulerOptions scheduler_options;
  scheduler_options.lease = options.lease;
  scheduler_options.max_attempts = options.max_attempts;
  size_t recovered_count = recovered.size();
  // Searches and confirming runs ask for more work as results come in; on --resume the
  // journal's results replay into them first.
  AdaptivePlanner adaptive(*suite);
  std::vector<v1::Assignment> resumed_work;
  for (const v1::RunResult& r : recovered) {
    for (v1::Assignment& a : adaptive.OnResult(r)) {
      if (absl::Status valid = ValidateLimits(a.scenario().limits()); !valid.ok()) {
        std::cerr << "heapstorm: --resume: " << a.id() << ": " << valid.message() << "\n";
        return kExitBadInput;
      }
      resumed_work.push_back(std::move(a));
    }
  }
  Scheduler scheduler(*std::move(plan), scheduler_options, RealClock::Get(), journal->get(),
                      std::move(recovered));
  scheduler.Add(std::move(resumed_work));
  scheduler.SetFollowUp([&adaptive](const v1::RunResult& r) { return adaptive.OnResult(r); });
  const size_t total = scheduler.counts().total;

  Progress progress(stderr);
  std::atomic<size_t> done{scheduler.counts().recorded};
  std::string node_version = engine ? engine->node_version() : "";
  Mutex version_mu;
  // Local mode: the run's own workers prove who they are with a secret made for this run
  // (it never leaves this process), so no other local user can join on the loopback port.
  std::string token = options.token;
  if (options.local_workers > 0 && token.empty()) {
    absl::StatusOr<std::string> made = RandomToken();
    if (!made.ok()) {
      std::cerr << "heapstorm: " << made.status().message() << "\n";
      return kExitHarness;
    }
    token = *std::move(made);
  }
  CoordinatorServerOptions server_options;
  server_options.listen = options.listen;
  server_options.tls = options.tls;
  server_options.token = token;
  server_options.modules = &modules;
  server_options.on_result = [&](const v1::RunResult& r) {
    progress.Result(r, ++done, scheduler.counts().total);
    MutexLock lock(&version_mu);
    if (node_version.empty()) node_version = r.node_version();
  };
  server_options.on_worker_event = [&](const std::string& worker, const std::string& event) {
    if (options.local_workers == 0) progress.WorkerEvent(worker, event);
  };
  absl::StatusOr<std::unique_ptr<CoordinatorServer>> server =
      CoordinatorServer::Start(&scheduler, server_options);
  if (!server.ok()) {
    std::cerr << "heapstorm: " << server.status().message() << "\n";
    return ExitCodeFor(server.status());
  }
  const std::string address = absl::StrCat(
      options.listen.substr(0, options.listen.rfind(':')), ":", (*server)->port());
  if (options.announce) {
    std::cout << "listening on " << address << std::endl;
  }
  std::cerr << "heapstorm: suite '" << suite->name() << "', " << total << " run"
            << (total == 1 ? "" : "s");
  if (recovered_count > 0) std::cerr << " (" << recovered_count << " recovered from the journal)";
  if (options.local_workers > 0) {
    std::cerr << " on " << options.local_workers << " local worker"
              << (options.local_workers == 1 ? "" : "s") << ", node " << engine->node_version();
  } else {
    std::cerr << ", coordinator on " << address;
  }
  std::cerr << ", output in " << out_dir << "\n";

  // --- local workers --------------------------------------------------------------------
  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<std::thread> worker_threads;
  for (int i = 0; i < options.local_workers; ++i) {
    WorkerOptions w;
    w.coordinator = absl::StrCat("127.0.0.1:", (*server)->port());
    w.slots = 1;
    w.worker_id = absl::StrCat("local-", i + 1);
    w.token = token;
    w.tls = options.tls;
    workers.push_back(std::make_unique<Worker>(w, engine.get()));
  }
  for (auto& w : workers) {
    Worker* raw = w.get();
    worker_threads.emplace_back([raw] {
      absl::Status s = raw->Run();
      if (!s.ok()) HS_LOG(ERROR) << "local worker " << raw->id() << ": " << s.message();
    });
  }

  // --- wait -----------------------------------------------------------------------------
  bool interrupted = false;
  bool start_timed_out = false;
  // Wakes the moment the run is done; in between, every 20 ms for the progress view,
  // interruptions and the start timeout.
  while (!(*server)->WaitUntilDoneFor(absl::Milliseconds(20)) && !scheduler.Done()) {
    if (options.interrupted != nullptr && options.interrupted->load()) {
      interrupted = true;
      break;
    }
    auto running = scheduler.Running();
    if (options.local_workers == 0 && options.expect_workers > 0 &&
        static_cast<int>(running.size()) < options.expect_workers &&
        scheduler.counts().recorded == recovered_count &&
        absl::Now() - started > options.start_timeout) {
      start_timed_out = true;
      break;
    }
    progress.Tick(scheduler.counts(), running);
  }
  progress.Finish();
  if (absl::Status fatal = (*server)->fatal(); !fatal.ok()) {
    // The journal failed: nothing more can be acknowledged. Stop rather than go on with
    // results that a crash would lose; what was acknowledged is in the journal.
    std::cerr << "heapstorm: stopping: " << fatal.message() << ". Results acknowledged before this are in "
              << out_dir << "/journal.bin; fix the cause and continue with --resume " << out_dir << "\n";
    (*server)->Stop("the coordinator's journal failed");
    for (auto& w : workers) w->Stop();
    for (std::thread& t : worker_threads) t.join();
    return kExitHarness;
  }
  if (interrupted) {
    std::cerr << "heapstorm: interrupted: cancelling the runs and writing a partial report\n";
  }
  if (start_timed_out) {
    std::cerr << "heapstorm: only " << scheduler.Running().size() << " of " << options.expect_workers
              << " workers joined within " << absl::FormatDuration(options.start_timeout) << "\n";
  }
  (*server)->Stop(interrupted ? "interrupted" : start_timed_out ? "not enough workers" : "the run is complete");
  for (auto& w : workers) w->Stop();
  for (std::thread& t : worker_threads) t.join();
  workers.clear();

  // --- report -----------------------------------------------------------------------------
  ReportInputs inputs;
  inputs.suite = &*suite;
  inputs.runs = scheduler.Results();
  inputs.missing = scheduler.Missing();
  {
    MutexLock lock(&version_mu);
    if (node_version.empty() && !inputs.runs.empty()) node_version = inputs.runs[0].node_version();
    inputs.environment = HostEnvironment(node_version);
  }
  inputs.started_unix_ms = static_cast<uint64_t>(absl::ToUnixMillis(started));
  inputs.wall_ms = absl::ToDoubleMilliseconds(absl::Now() - started);
  inputs.aborted = (interrupted || start_timed_out) && inputs.runs.empty();
  inputs.searches = adaptive.Searches();
  v1::Report report = BuildReport(inputs);
  if (baseline) {
    Tolerances tolerances;
    tolerances.relative = suite->tolerance().relative();
    tolerances.p_value = suite->tolerance().p_value();
    *report.mutable_comparison() = Compare(*baseline, report, tolerances, options.baseline);
    if (report.comparison().regressions() > 0) report.set_passed(false);
  }
  std::cout << SummaryTable(report);
  absl::StatusOr<ReportPaths> paths = WriteReportFiles(report, out_dir, options.report_paths, skipped);
  if (!paths.ok()) {
    std::cerr << "heapstorm: " << paths.status().message() << "\n";
    return kExitHarness;
  }
  std::cout << "\nreport: " << paths->json << "\n        " << paths->html << "\n        "
            << paths->junit << std::endl;
  if (!options.premature_exit_file.empty()) unlink(options.premature_exit_file.c_str());
  if (interrupted || start_timed_out) return kExitHarness;
  if (report.status() != v1::RUN_STATUS_COMPLETE && options.local_workers > 0 && report.runs().empty()) {
    return kExitHarness;
  }
  return report.passed() ? kExitOk : kExitFailed;
}

}  // namespace heapstorm
