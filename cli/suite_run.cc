#include "cli/suite_run.h"

#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "cli/exit_codes.h"
#include "cli/module_syntax.h"
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
#include "scenarios/plan_estimate.h"
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

// One run of a suite, in steps: load the suite (and what --resume recovers), open the run
// folder, start the coordinator, start the local workers, wait, stop, report. A step that
// fails prints why and gives the exit code; members are released in reverse order (the
// workers, the server, the scheduler, ..., the engine), as the locals of one function were.
class SuiteRun {
 public:
  explicit SuiteRun(const SuiteRunOptions& options) : options_(options) {}

  int Run() {
    if (std::optional<int> failed = LoadSuite()) return *failed;
    if (std::optional<int> failed = OpenRunFolder()) return *failed;
    if (std::optional<int> failed = StartCoordinator()) return *failed;
    StartLocalWorkers();
    Wait();
    if (std::optional<int> failed = StopAll()) return *failed;
    return Report();
  }

 private:
  std::optional<int> LoadSuite();
  std::optional<int> ReadResumeState();
  std::optional<int> ApplyFilters();
  std::optional<int> OpenRunFolder();
  std::optional<int> StartCoordinator();
  void AnnounceStart(const std::string& address) const;
  void StartLocalWorkers();
  void Wait();
  std::optional<int> StopAll();
  int Report();

  const SuiteRunOptions& options_;
  std::string suite_path_;
  std::string out_dir_;
  std::vector<v1::RunResult> recovered_;
  std::optional<v1::Suite> suite_;
  std::vector<std::string> filters_;  // --filter, or the resumed run's own (run.json)
  std::vector<std::string> skipped_;  // left out by the filters
  std::optional<v1::Report> baseline_;
  std::optional<LazyPlan> plan_;
  std::unique_ptr<Engine> engine_;
  absl::Time started_;  // this session's start
  // --resume: when the run first started (run.json), and the time its earlier sessions
  // spent (the report they left); the report counts both.
  uint64_t first_started_unix_ms_ = 0;
  double earlier_wall_ms_ = 0;
  std::unique_ptr<Journal> journal_;
  // Each script module is held once for the run; assignments carry its hash, and workers
  // fetch it by hash (once each) over their session.
  ModuleStore modules_;
  size_t recovered_count_ = 0;
  std::unique_ptr<AdaptivePlanner> adaptive_;
  std::unique_ptr<Scheduler> scheduler_;
  Progress progress_{stderr};
  std::atomic<size_t> done_{0};
  Mutex version_mu_;
  std::string node_version_ ABSL_GUARDED_BY(version_mu_);
  std::string token_;
  std::unique_ptr<CoordinatorServer> server_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> worker_threads_;
  bool interrupted_ = false;
  bool start_timed_out_ = false;
};

// --resume: the suite path from run.json and the results of the journal.
std::optional<int> SuiteRun::ReadResumeState() {
  absl::StatusOr<v1::RunManifest> manifest = ReadManifest(out_dir_);
  if (!manifest.ok()) {
    std::cerr << "heapstorm: --resume: " << manifest.status().message() << "\n";
    return kExitBadInput;
  }
  if (suite_path_.empty()) suite_path_ = manifest->suite_path();
  first_started_unix_ms_ = manifest->started_unix_ms();
  // The scenarios the run started with: a resume goes on with the same (with others, it
  // said "1 run (1 recovered)" and ran another scenario beside it).
  const std::vector<std::string> started_with(manifest->filters().begin(), manifest->filters().end());
  if (!options_.filters.empty() && options_.filters != started_with) {
    std::cerr << "heapstorm: --resume: the run started with "
              << (started_with.empty() ? "every scenario" : absl::StrCat("--filter ", absl::StrJoin(started_with, ",")))
              << "; it goes on with the same, so give no --filter\n";
    return kExitBadInput;
  }
  filters_ = started_with;
  if (absl::StatusOr<v1::Report> earlier = ReadReportJson(out_dir_ + "/report.json"); earlier.ok()) {
    earlier_wall_ms_ = earlier->wall_ms();
  }
  absl::StatusOr<std::vector<v1::RunResult>> journal = Journal::Load(out_dir_);
  if (!journal.ok()) {
    std::cerr << "heapstorm: --resume: " << journal.status().message() << "\n";
    return kExitBadInput;
  }
  recovered_ = *std::move(journal);
  // Checked like every message that enters the coordinator: a journal's results decide
  // what runs again, so limits no run can have had stop the resume.
  for (const v1::RunResult& r : recovered_) {
    if (absl::Status valid = ValidateLimits(r.limits()); !valid.ok()) {
      std::cerr << "heapstorm: --resume: the journal's result of " << r.assignment_id()
                << " is not one a run can have made: " << valid.message() << "\n";
      return kExitBadInput;
    }
  }
  absl::StatusOr<v1::Suite> check = LoadSuiteFile(suite_path_);
  if (check.ok() && check->sha256() != manifest->suite_sha256()) {
    std::cerr << "heapstorm: --resume: " << suite_path_
              << " changed since the run started; start a new run instead\n";
    return kExitBadInput;
  }
  return std::nullopt;
}

// Filters (Bazel's --test_filter): the scenarios left out are reported as skipped.
std::optional<int> SuiteRun::ApplyFilters() {
  if (filters_.empty()) return std::nullopt;
  v1::Suite kept = *suite_;
  kept.clear_scenarios();
  for (const v1::Scenario& s : suite_->scenarios()) {
    bool match = false;
    for (const std::string& f : filters_) match |= fnmatch(f.c_str(), s.name().c_str(), 0) == 0;
    if (match) {
      *kept.add_scenarios() = s;
    } else {
      skipped_.push_back(s.name());
    }
  }
  if (kept.scenarios_size() == 0) {
    std::cerr << "heapstorm: no scenario of " << suite_path_ << " matches the filter\n";
    return kExitBadInput;
  }
  *suite_ = std::move(kept);
  return std::nullopt;
}

// The suite, the baseline, the modules and the plan; nothing is written yet.
std::optional<int> SuiteRun::LoadSuite() {
  suite_path_ = options_.suite_path;
  out_dir_ = options_.out_dir;
  filters_ = options_.filters;
  if (options_.resume) {
    if (std::optional<int> failed = ReadResumeState()) return failed;
  }
  absl::StatusOr<v1::Suite> suite = LoadSuiteFile(suite_path_);
  if (!suite.ok()) {
    std::cerr << suite.status().message() << "\n";
    return ExitCodeFor(suite.status());
  }
  suite_ = *std::move(suite);
  if (std::optional<int> failed = ApplyFilters()) return failed;
  if (!options_.baseline.empty()) {
    absl::StatusOr<v1::Report> read = ReadReportJson(options_.baseline);
    if (!read.ok()) {
      std::cerr << "heapstorm: --baseline: " << read.status().message() << "\n";
      return kExitBadInput;
    }
    baseline_ = *std::move(read);
  }
  absl::Status stored = modules_.AddSuiteModules(&*suite_);
  absl::StatusOr<LazyPlan> plan = stored.ok() ? LazyPlan::Create(*suite_) : absl::StatusOr<LazyPlan>(stored);
  if (!plan.ok()) {
    std::cerr << "heapstorm: " << plan.status().message() << "\n";
    return kExitBadInput;
  }
  plan_ = *std::move(plan);
  return std::nullopt;
}

// Node for the local workers (before anything is written), the run folder, run.json and
// the journal.
std::optional<int> SuiteRun::OpenRunFolder() {
  if (options_.local_workers > 0) {
    absl::StatusOr<std::unique_ptr<Engine>> created = Engine::Create(options_.engine);
    if (!created.ok()) {
      std::cerr << "heapstorm: " << created.status().message() << "\n";
      return kExitHarness;
    }
    engine_ = std::move(*created);
    // A module node cannot parse would fail every scenario that loads it: bad input, said
    // with its line and column, before anything is written.
    const std::vector<std::string> unparsable = ModuleSyntaxErrors(*engine_, *suite_, suite_path_);
    for (const std::string& e : unparsable) std::cerr << e << "\n";
    if (!unparsable.empty()) return kExitBadInput;
  }
  // A folder that holds a run is continued with --resume, never run into afresh: the new
  // run's records would join the old ones in its journal, and its reports replace the old.
  auto holds_a_run = [](const std::string& dir) {
    struct stat st;
    return stat(Journal::PathIn(dir).c_str(), &st) == 0 && st.st_size > 0;
  };
  if (out_dir_.empty()) {
    const std::string base = absl::StrCat("heapstorm-out/", suite_->name(), "-",
                                          absl::FormatTime("%Y%m%d-%H%M%S", absl::Now(), absl::LocalTimeZone()));
    out_dir_ = base;
    for (int k = 2; holds_a_run(out_dir_); ++k) out_dir_ = absl::StrCat(base, "-", k);
  } else if (!options_.resume && holds_a_run(out_dir_)) {
    std::cerr << "heapstorm: " << out_dir_ << " holds a run already (" << Journal::PathIn(out_dir_)
              << "): continue it with --resume " << out_dir_ << ", or give another --out; nothing was written\n";
    return kExitBadInput;
  }
  if (absl::Status made = MakeDirs(out_dir_); !made.ok()) {
    std::cerr << "heapstorm: " << made.message() << "\n";
    return kExitHarness;
  }
  if (!options_.premature_exit_file.empty()) {
    (void)WriteFileAtomically(options_.premature_exit_file, "");
  }
  started_ = absl::Now();
  if (!options_.resume) {
    v1::RunManifest manifest;
    manifest.set_suite_path(Absolute(suite_path_));
    manifest.set_suite_sha256(suite_->sha256());
    manifest.set_started_unix_ms(static_cast<uint64_t>(absl::ToUnixMillis(started_)));
    manifest.set_heapstorm_version(kHeapstormVersion);
    for (const std::string& f : filters_) manifest.add_filters(f);
    std::string json;
    (void)google::protobuf::util::MessageToJsonString(manifest, &json);
    if (absl::Status s = WriteFileAtomically(out_dir_ + "/run.json", json); !s.ok()) {
      std::cerr << "heapstorm: " << s.message() << "\n";
      return kExitHarness;
    }
  }
  absl::StatusOr<std::unique_ptr<Journal>> journal = Journal::Open(out_dir_);
  if (!journal.ok()) {
    std::cerr << "heapstorm: " << journal.status().message() << "\n";
    return kExitHarness;
  }
  journal_ = *std::move(journal);
  return std::nullopt;
}

// The scheduler (with what the journal recovered replayed into the searches) and the
// session server.
std::optional<int> SuiteRun::StartCoordinator() {
  SchedulerOptions scheduler_options;
  scheduler_options.lease = options_.lease;
  scheduler_options.max_attempts = options_.max_attempts;
  recovered_count_ = recovered_.size();
  // Searches and confirming runs ask for more work as results come in; on --resume the
  // journal's results replay into them first.
  adaptive_ = std::make_unique<AdaptivePlanner>(*suite_);
  std::vector<v1::Assignment> resumed_work;
  for (const v1::RunResult& r : recovered_) {
    for (v1::Assignment& a : adaptive_->OnResult(r)) {
      if (absl::Status valid = ValidateLimits(a.scenario().limits()); !valid.ok()) {
        std::cerr << "heapstorm: --resume: " << a.id() << ": " << valid.message() << "\n";
        return kExitBadInput;
      }
      resumed_work.push_back(std::move(a));
    }
  }
  scheduler_ = std::make_unique<Scheduler>(*std::move(plan_), scheduler_options, RealClock::Get(),
                                           journal_.get(), std::move(recovered_));
  scheduler_->Add(std::move(resumed_work));
  scheduler_->SetFollowUp([this](const v1::RunResult& r) { return adaptive_->OnResult(r); });
  done_ = scheduler_->counts().recorded;
  {
    MutexLock lock(&version_mu_);
    node_version_ = engine_ ? engine_->node_version() : "";
  }
  // Local mode: the run's own workers prove who they are with a secret made for this run
  // (it never leaves this process), so no other local user can join on the loopback port.
  token_ = options_.token;
  if (options_.local_workers > 0 && token_.empty()) {
    absl::StatusOr<std::string> made = RandomToken();
    if (!made.ok()) {
      std::cerr << "heapstorm: " << made.status().message() << "\n";
      return kExitHarness;
    }
    token_ = *std::move(made);
  }
  CoordinatorServerOptions server_options;
  server_options.listen = options_.listen;
  server_options.tls = options_.tls;
  server_options.token = token_;
  server_options.modules = &modules_;
  server_options.on_result = [this](const v1::RunResult& r) {
    progress_.Result(r, ++done_, scheduler_->counts().total);
    MutexLock lock(&version_mu_);
    if (node_version_.empty()) node_version_ = r.node_version();
  };
  server_options.on_worker_event = [this](const std::string& worker, const std::string& event) {
    if (options_.local_workers == 0) progress_.WorkerEvent(worker, event);
  };
  absl::StatusOr<std::unique_ptr<CoordinatorServer>> server =
      CoordinatorServer::Start(scheduler_.get(), server_options);
  if (!server.ok()) {
    std::cerr << "heapstorm: " << server.status().message() << "\n";
    return ExitCodeFor(server.status());
  }
  server_ = *std::move(server);
  const std::string address =
      absl::StrCat(options_.listen.substr(0, options_.listen.rfind(':')), ":", server_->port());
  if (options_.announce) {
    std::cout << "listening on " << address << std::endl;
  }
  AnnounceStart(address);
  return std::nullopt;
}

// "heapstorm: suite 'S', N runs (up to B as its searches narrow) (M recovered from the journal) on K
// local workers, ..."
void SuiteRun::AnnounceStart(const std::string& address) const {
  const size_t total = scheduler_->counts().total;
  std::cerr << "heapstorm: suite '" << suite_->name() << "', " << total << " run" << (total == 1 ? "" : "s");
  // A search adds its steps as results come in: say how many it may take (validate's figure).
  if (const uint64_t bound = EstimatePlan(*suite_).runs; bound > total) {
    std::cerr << " (up to " << bound << " as its searches narrow)";
  }
  if (recovered_count_ > 0) std::cerr << " (" << recovered_count_ << " recovered from the journal)";
  if (options_.local_workers > 0) {
    std::cerr << " on " << options_.local_workers << " local worker"
              << (options_.local_workers == 1 ? "" : "s") << ", node " << engine_->node_version();
  } else {
    std::cerr << ", coordinator on " << address;
  }
  std::cerr << ", output in " << out_dir_ << "\n";
}

void SuiteRun::StartLocalWorkers() {
  for (int i = 0; i < options_.local_workers; ++i) {
    WorkerOptions w;
    w.coordinator = absl::StrCat("127.0.0.1:", server_->port());
    w.slots = 1;
    w.worker_id = absl::StrCat("local-", i + 1);
    w.wait_for_resume = false;  // they end with this process
    w.token = token_;
    w.tls = options_.tls;
    workers_.push_back(std::make_unique<Worker>(w, engine_.get()));
  }
  for (auto& w : workers_) {
    Worker* raw = w.get();
    worker_threads_.emplace_back([raw] {
      absl::Status s = raw->Run();
      if (!s.ok()) HS_LOG(ERROR) << "local worker " << raw->id() << ": " << s.message();
    });
  }
}

// Until the run is done, interrupted, or (cluster mode) too few workers came in time.
void SuiteRun::Wait() {
  // Wakes the moment the run is done; in between, every 20 ms for the progress view,
  // interruptions and the start timeout.
  while (!server_->WaitUntilDoneFor(absl::Milliseconds(20)) && !scheduler_->Done()) {
    if (options_.interrupted != nullptr && options_.interrupted->load()) {
      interrupted_ = true;
      break;
    }
    auto running = scheduler_->Running();
    if (options_.local_workers == 0 && options_.expect_workers > 0 &&
        static_cast<int>(running.size()) < options_.expect_workers &&
        scheduler_->counts().recorded == recovered_count_ && absl::Now() - started_ > options_.start_timeout) {
      start_timed_out_ = true;
      break;
    }
    progress_.Tick(scheduler_->counts(), running);
  }
  progress_.Finish();
}

// Stops the server and the local workers. kExitHarness when the journal failed.
std::optional<int> SuiteRun::StopAll() {
  auto stop_workers = [this] {
    for (auto& w : workers_) w->Stop();
    for (std::thread& t : worker_threads_) t.join();
  };
  if (absl::Status fatal = server_->fatal(); !fatal.ok()) {
    // The journal failed: nothing more can be acknowledged. Stop rather than go on with
    // results that a crash would lose; what was acknowledged is in the journal.
    std::cerr << "heapstorm: stopping: " << fatal.message() << ". Results acknowledged before this are in "
              << out_dir_ << "/journal.bin; fix the cause and continue with --resume " << out_dir_ << "\n";
    server_->Stop("the coordinator's journal failed");
    stop_workers();
    return kExitHarness;
  }
  if (interrupted_) {
    std::cerr << "heapstorm: interrupted: cancelling the runs and writing a partial report\n";
  }
  if (start_timed_out_) {
    std::cerr << "heapstorm: only " << scheduler_->Running().size() << " of " << options_.expect_workers
              << " workers joined within " << absl::FormatDuration(options_.start_timeout) << "\n";
  }
  server_->Stop(interrupted_ ? "interrupted" : start_timed_out_ ? "not enough workers" : "the run is complete");
  stop_workers();
  workers_.clear();
  return std::nullopt;
}

// Builds, compares, prints and writes the report; the exit code.
int SuiteRun::Report() {
  ReportInputs inputs;
  inputs.suite = &*suite_;
  inputs.runs = scheduler_->Results();
  inputs.missing = scheduler_->Missing();
  {
    MutexLock lock(&version_mu_);
    if (node_version_.empty() && !inputs.runs.empty()) node_version_ = inputs.runs[0].node_version();
    inputs.environment = HostEnvironment(node_version_);
  }
  inputs.started_unix_ms = static_cast<uint64_t>(absl::ToUnixMillis(started_));
  inputs.wall_ms = absl::ToDoubleMilliseconds(absl::Now() - started_);
  if (options_.resume) {
    // A resume of a finished run ran nothing: its report stays as it was.
    inputs.started_unix_ms = first_started_unix_ms_;
    inputs.wall_ms = earlier_wall_ms_ + (scheduler_->counts().recorded > recovered_count_ ? inputs.wall_ms : 0);
  }
  inputs.aborted = (interrupted_ || start_timed_out_) && inputs.runs.empty();
  inputs.searches = adaptive_->Searches();
  v1::Report report = BuildReport(inputs);
  if (baseline_) {
    Tolerances tolerances;
    tolerances.relative = suite_->tolerance().relative();
    tolerances.p_value = suite_->tolerance().p_value();
    *report.mutable_comparison() = Compare(*baseline_, report, tolerances, options_.baseline);
    if (report.comparison().regressions() > 0) report.set_passed(false);
  }
  std::cout << SummaryTable(report);
  absl::StatusOr<ReportPaths> paths = WriteReportFiles(report, out_dir_, options_.report_paths, skipped_);
  if (!paths.ok()) {
    std::cerr << "heapstorm: " << paths.status().message() << "\n";
    return kExitHarness;
  }
  std::cout << "\nreport: " << paths->json << "\n        " << paths->html << "\n        " << paths->junit
            << std::endl;
  if (!options_.premature_exit_file.empty()) unlink(options_.premature_exit_file.c_str());
  if (interrupted_ || start_timed_out_) {
    // Where it goes on from (nothing said so after a Ctrl-C).
    std::cerr << "heapstorm: the run is not over; continue it with: heapstorm "
              << (options_.local_workers > 0 ? "run" : "coordinator") << " --resume " << out_dir_
              << (options_.local_workers > 0 ? "" : " (on the same --listen address: its workers wait there)")
              << "\n";
    return kExitHarness;
  }
  if (report.status() != v1::RUN_STATUS_COMPLETE && options_.local_workers > 0 && report.runs().empty()) {
    return kExitHarness;
  }
  return report.passed() ? kExitOk : kExitFailed;
}

}  // namespace

int RunSuite(const SuiteRunOptions& options) { return SuiteRun(options).Run(); }

}  // namespace heapstorm
