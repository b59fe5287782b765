// Coordinator scale: many simulated workers (no node: each answers its assignment at once)
// against one coordinator process with its journal, over gRPC on loopback.
//
//   bazel run -c opt //bench:coordinator_scale -- --workers=1000 --assignments=20000 [--run-ms=200]
//
// The plan is a suite's: sweeps × 100 repeats (see SweepSuite), planned lazily as
// `heapstorm run` plans it; --assignments=1000000 is the 1M-run sweep of issue 17.
//
// --run-ms is how long each simulated run takes (0: answer at once, the worst case).
//
// Prints one JSON line: assignments/s, dispatch latency (from a worker's result to its
// next assignment) p50/p99 in ms, and the coordinator process's peak RSS and CPU.
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/mutex.h"
#include "grpcpp/alarm.h"
#include "common/clock.h"
#include "common/logging.h"
#include "coordinator/coordinator_server.h"
#include "coordinator/journal.h"
#include "coordinator/planner.h"
#include "rpc/rpc_config.h"
#include "coordinator/scheduler.h"

extern char** environ;

namespace heapstorm {
namespace {

int FlagInt(int argc, char** argv, const char* name, int fallback) {
  std::string prefix = absl::StrCat("--", name, "=");
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    int v = 0;
    if (a.rfind(prefix, 0) == 0 && absl::SimpleAtoi(a.substr(prefix.size()), &v)) return v;
  }
  return fallback;
}

std::string FlagString(int argc, char** argv, const char* name) {
  std::string prefix = absl::StrCat("--", name, "=");
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind(prefix, 0) == 0) return a.substr(prefix.size());
  }
  return "";
}

// The plan of `assignments` tiny runs, as a suite would give it: sweeps of params.entries
// (1,000 values at most, as the loader allows) × 100 repeats, one scenario per 100,000
// runs: 1,000,000 runs are 10 scenarios × 1,000 values × 100 repeats.
v1::Suite SweepSuite(int assignments) {
  constexpr int kRepeats = 100;
  constexpr int kValuesPerScenario = 1000;
  v1::Suite suite;
  int points = std::max(1, assignments / kRepeats);
  for (int s = 0; points > 0; ++s) {
    v1::Scenario* scenario = suite.add_scenarios();
    scenario->set_name(absl::StrCat("tiny", s));
    scenario->set_kind(v1::SCENARIO_KIND_CACHED_DATA);
    scenario->mutable_cached_data()->set_entries(10);
    scenario->set_repeats(kRepeats);
    scenario->mutable_sweep()->set_parameter("params.entries");
    for (int v = 1; v <= std::min(points, kValuesPerScenario); ++v) scenario->mutable_sweep()->add_values(v);
    points -= kValuesPerScenario;
  }
  return suite;
}

// The coordinator process: serves the runs of SweepSuite(assignments) from a lazy plan,
// prints its port, exits when done.
int CoordinatorMain(int assignments, const std::string& dir) {
  SetLogLevel(LogLevel::kError);
  absl::StatusOr<LazyPlan> plan = LazyPlan::Create(SweepSuite(assignments));
  if (!plan.ok()) {
    std::fprintf(stderr, "%s\n", std::string(plan.status().message()).c_str());
    return 3;
  }
  auto journal = Journal::Open(dir);
  if (!journal.ok()) return 3;
  SchedulerOptions options;
  options.lease = absl::Seconds(60);
  Scheduler scheduler(*std::move(plan), options, RealClock::Get(), journal->get());
  CoordinatorServerOptions server_options;
  auto server = CoordinatorServer::Start(&scheduler, server_options);
  if (!server.ok()) return 3;
  std::printf("%d\n", (*server)->port());
  std::fflush(stdout);
  (*server)->WaitUntilDone();
  (*server)->Stop("done");
  return 0;
}

struct Stats {
  Mutex mu;
  std::vector<double> latencies_ms ABSL_GUARDED_BY(mu);
  std::atomic<int64_t> results{0};
  int live ABSL_GUARDED_BY(mu) = 0;
};

// One simulated worker: its own connection and session stream, driven by gRPC's callback
// API so that a thousand of them fit in one process on gRPC's few threads (a thread each
// would spend the machine on context switches and measure this process, not the
// coordinator). It answers each assignment after `run_ms` (0: at once).
class SimulatedWorker : public grpc::ClientBidiReactor<v1::WorkerMessage, v1::CoordinatorMessage> {
 public:
  SimulatedWorker(int index, const std::string& address, int run_ms, Stats* stats)
      : run_ms_(run_ms), stats_(stats) {
    grpc::ChannelArguments args = ChannelArgs();
    // A connection of its own, as a worker on its own machine has (channels with the same
    // arguments would otherwise share one).
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    channel_ = grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
    stub_ = v1::Coordinator::NewStub(channel_);
    v1::WorkerMessage hello;
    hello.mutable_hello()->set_worker_id(absl::StrCat("sim-", index));
    hello.mutable_hello()->set_slots(1);
    stub_->async()->Session(&context_, this);
    Send(std::move(hello), false);
    StartRead(&in_);
    StartCall();
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // the stream ended; OnDone follows
    if (in_.has_shutdown()) {
      StartWritesDone();
      return;
    }
    if (in_.has_assignment()) {
      if (waiting_) mine_.push_back(absl::ToDoubleMilliseconds(absl::Now() - sent_));
      waiting_ = false;
      std::string id = in_.assignment().id();
      if (run_ms_ > 0) {
        // The run itself (a real one starts node, ~130 ms at the least).
        alarm_.Set(std::chrono::system_clock::now() + std::chrono::milliseconds(run_ms_),
                   [this, id](bool) { Answer(id); });
      } else {
        Answer(id);
      }
    }
    StartRead(&in_);
  }

  void OnWriteDone(bool ok) override {
    const v1::WorkerMessage* next = nullptr;
    {
      MutexLock lock(&mu_);
      if (ok && outbox_.front().second) ++stats_->results;
      outbox_.pop_front();
      if (ok && !outbox_.empty()) next = &outbox_.front().first;
    }
    // Not under mu_: gRPC may run a reaction inline.
    if (next != nullptr) StartWrite(next);
  }

  void OnDone(const grpc::Status&) override {
    MutexLock lock(&stats_->mu);
    stats_->latencies_ms.insert(stats_->latencies_ms.end(), mine_.begin(), mine_.end());
    --stats_->live;
  }

 private:
  void Answer(const std::string& id) {
    v1::WorkerMessage message;
    message.mutable_result()->set_assignment_id(id);
    v1::RunResult* r = message.mutable_result()->mutable_result();
    r->set_assignment_id(id);
    r->set_scenario(id.substr(0, id.find('/')));
    r->set_outcome(v1::OUTCOME_COMPLETED);
    sent_ = absl::Now();
    waiting_ = true;
    Send(std::move(message), true);
  }

  // gRPC allows one write in flight per stream: the rest wait their turn.
  void Send(v1::WorkerMessage message, bool is_result) {
    const v1::WorkerMessage* first = nullptr;
    {
      MutexLock lock(&mu_);
      outbox_.emplace_back(std::move(message), is_result);  // a deque: the front stays put
      if (outbox_.size() == 1) first = &outbox_.front().first;
    }
    if (first != nullptr) StartWrite(first);
  }

  const int run_ms_;
  Stats* const stats_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Coordinator::Stub> stub_;
  grpc::ClientContext context_;
  grpc::Alarm alarm_;
  v1::CoordinatorMessage in_;
  Mutex mu_;
  std::deque<std::pair<v1::WorkerMessage, bool>> outbox_ ABSL_GUARDED_BY(mu_);  // (message, is a result)
  bool waiting_ = false;
  absl::Time sent_;
  std::vector<double> mine_;
};

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1)))];
}

int Main(int argc, char** argv) {
  int workers = FlagInt(argc, argv, "workers", 1000);
  int assignments = FlagInt(argc, argv, "assignments", 20000);
  int run_ms = FlagInt(argc, argv, "run-ms", 0);
  std::string role = FlagString(argc, argv, "role");
  std::string dir = FlagString(argc, argv, "dir");
  if (role == "coordinator") return CoordinatorMain(assignments, dir);
  bool own_dir = dir.empty();
  if (own_dir) {
    char pattern[] = "/tmp/heapstorm-scale-XXXXXX";
    dir = mkdtemp(pattern);
  }

  // The coordinator in its own process, so its RSS and CPU are its own.
  int out[2];
  if (pipe(out) != 0) return 3;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  std::string a1 = "--role=coordinator", a2 = absl::StrCat("--assignments=", assignments), a3 = "--dir=" + dir;
  std::vector<char*> args = {argv[0], a1.data(), a2.data(), a3.data(), nullptr};
  pid_t coordinator = 0;
  if (posix_spawn(&coordinator, "/proc/self/exe", &actions, nullptr, args.data(), environ) != 0) return 3;
  close(out[1]);
  char buffer[32] = {0};
  ssize_t n = read(out[0], buffer, sizeof(buffer) - 1);
  if (n <= 0) return 3;
  std::string address = absl::StrCat("127.0.0.1:", std::atoi(buffer));

  Stats stats;
  absl::Time start = absl::Now();
  {
    MutexLock lock(&stats.mu);
    stats.live = workers;
  }
  std::vector<std::unique_ptr<SimulatedWorker>> simulated;
  simulated.reserve(workers);
  for (int i = 0; i < workers; ++i) {
    simulated.push_back(std::make_unique<SimulatedWorker>(i, address, run_ms, &stats));
  }
  {
    MutexLock lock(&stats.mu);
    auto all_done = [&stats]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(stats.mu) { return stats.live == 0; };
    stats.mu.Await(absl::Condition(&all_done));
  }
  double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  // The coordinator's own peak RSS and CPU, from wait4.
  int status = 0;
  struct rusage usage {};
  wait4(coordinator, &status, 0, &usage);
  double rss_mib = usage.ru_maxrss / 1024.0;
  double cpu_s = usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + usage.ru_stime.tv_sec +
                 usage.ru_stime.tv_usec / 1e6;
  if (own_dir) {
    unlink((dir + "/journal.bin").c_str());
    rmdir(dir.c_str());
  }
  std::vector<double> latencies;
  {
    MutexLock lock(&stats.mu);
    latencies = stats.latencies_ms;
  }
  std::printf(
      "{\"workers\": %d, \"run_ms\": %d, \"assignments\": %lld, \"seconds\": %.2f, \"assignments_per_s\": %.0f, "
      "\"dispatch_p50_ms\": %.2f, \"dispatch_p99_ms\": %.2f, \"coordinator_peak_rss_mib\": %.1f, "
      "\"coordinator_cpu_s\": %.2f}\n",
      workers, run_ms, static_cast<long long>(stats.results.load()), seconds, stats.results.load() / seconds,
      Percentile(latencies, 0.5), Percentile(latencies, 0.99), rss_mib, cpu_s);
  return 0;
}

}  // namespace
}  // namespace heapstorm

int main(int argc, char** argv) { return heapstorm::Main(argc, argv); }
