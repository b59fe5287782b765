#include "worker/engine/engine.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/linear_fit.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "google/protobuf/util/json_util.h"
#include "proto/telemetry.pb.h"
#include "scenarios/suite_loader.h"
#include "scenarios/units.h"
#include "worker/driver/driver_source.h"
#include "worker/engine/connection_clients.h"
#include "worker/engine/heap_snapshot.h"
#include "worker/engine/leak_detector.h"
#include "worker/engine/memory_cgroup.h"
#include "worker/engine/outcome_classifier.h"
#include "worker/engine/proc_sampler.h"

namespace heapstorm {
namespace {

constexpr size_t kStderrHeadBytes = 16 * 1024;
constexpr size_t kStderrTailBytes = 48 * 1024;
constexpr size_t kMaxTelemetryLine = 4 << 20;
// The watchdog samples at least this often, whatever the scenario's sample_hz.
constexpr int kWatchdogHz = 200;

std::string FindOnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) path = "/usr/local/bin:/usr/bin:/bin";
  for (absl::string_view dir : absl::StrSplit(path, ':', absl::SkipEmpty())) {
    std::string candidate = absl::StrCat(dir, "/", name);
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

absl::Status WriteWholeFile(const std::string& path, absl::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path, ": ", std::strerror(errno)));
  return absl::OkStatus();
}

bool ReadWholeFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream buffer;
  buffer << in.rdbuf();
  *out = buffer.str();
  return true;
}

void RemoveTree(const std::string& dir) {
  // Run folders hold a handful of flat files (driver, config, module, snapshots).
  std::string command;
  if (dir.empty() || dir == "/") return;
  if (auto* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      std::string path = dir + "/" + name;
      struct stat st;
      if (lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
        RemoveTree(path);
      } else {
        unlink(path.c_str());
      }
    }
    closedir(d);
  }
  rmdir(dir.c_str());
}

// Keeps the first and last bytes of a stream: the FATAL line of an abort is at the end.
class HeadTail {
 public:
  void Append(absl::string_view data) {
    total_ += data.size();
    if (head_.size() < kStderrHeadBytes) {
      size_t take = std::min(data.size(), kStderrHeadBytes - head_.size());
      head_.append(data.data(), take);
      data.remove_prefix(take);
    }
    tail_.append(data.data(), data.size());
    if (tail_.size() > 2 * kStderrTailBytes) tail_.erase(0, tail_.size() - kStderrTailBytes);
  }
  std::string Text() const {
    std::string t = tail_.size() > kStderrTailBytes ? tail_.substr(tail_.size() - kStderrTailBytes) : tail_;
    if (total_ > head_.size() + t.size()) {
      return absl::StrCat(head_, "\n[... ", total_ - head_.size() - t.size(), " bytes ...]\n", t);
    }
    return head_ + t;
  }
  uint64_t total() const { return total_; }

 private:
  std::string head_;
  std::string tail_;
  uint64_t total_ = 0;
};

// Keeps at most `max` items by dropping every other one when full (stride doubles), so
// a long run keeps an even spread from start to end. The newest item is kept aside.
template <typename T>
class Thinned {
 public:
  explicit Thinned(int max) : max_(std::max(4, max)) {}
  void Add(const T& item) {
    ++seen_;
    last_ = item;
    has_last_ = true;
    if ((seen_ - 1) % stride_ != 0) return;
    items_.push_back(item);
    if (static_cast<int>(items_.size()) >= max_) {
      std::vector<T> kept;
      for (size_t i = 0; i < items_.size(); i += 2) kept.push_back(items_[i]);
      items_.swap(kept);
      stride_ *= 2;
    }
  }
  std::vector<T> Items() const {
    std::vector<T> out = items_;
    if (has_last_ && (seen_ - 1) % stride_ != 0) out.push_back(last_);
    return out;
  }

 private:
  int max_;
  uint64_t seen_ = 0;
  uint64_t stride_ = 1;
  std::vector<T> items_;
  T last_;
  bool has_last_ = false;
};

// Run folders of heapstorm processes that died without cleaning up (SIGKILL): named
// heapstorm-run-PID-XXXXXX, removed when that PID is gone.
void RemoveStaleRunDirs(const std::string& scratch) {
  DIR* d = opendir(scratch.c_str());
  if (d == nullptr) return;
  std::vector<std::string> stale;
  while (dirent* e = readdir(d)) {
    absl::string_view name = e->d_name;
    if (!absl::ConsumePrefix(&name, "heapstorm-run-")) continue;
    int pid = 0;
    if (!absl::SimpleAtoi(name.substr(0, name.find('-')), &pid) || pid <= 0) continue;
    if (access(absl::StrCat("/proc/", pid).c_str(), F_OK) == 0) continue;  // still running
    stale.push_back(absl::StrCat(scratch, "/", e->d_name));
  }
  closedir(d);
  for (const std::string& dir : stale) RemoveTree(dir);
}

std::string NodeVersionOf(ProcessLauncher* launcher, const std::string& node) {
  absl::StatusOr<Pipe> out = MakePipe(0);
  if (!out.ok()) return "";
  LaunchSpec spec;
  spec.program = node;
  spec.args = {"--version"};
  spec.env = {"PATH=/usr/local/bin:/usr/bin:/bin"};
  spec.fds = {-1, out->write_fd, out->write_fd};
  int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  spec.fds[0] = devnull;
  absl::StatusOr<pid_t> pid = launcher->Launch(spec);
  close(devnull);
  CloseFd(&out->write_fd);
  std::string text;
  if (pid.ok()) {
    char buffer[256];
    ssize_t n;
    while ((n = read(out->read_fd, buffer, sizeof(buffer))) > 0) text.append(buffer, n);
    ExitInfo info;
    for (int i = 0; i < 5000 && !launcher->TryReap(*pid, &info); ++i) {
      absl::SleepFor(absl::Milliseconds(1));
    }
  }
  CloseFd(&out->read_fd);
  return std::string(absl::StripAsciiWhitespace(text));
}

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
      double limit = scenario.limits().max_old_space_mib() * 1048576.0;
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
  if (leak->seconds_to_old_space_limit() > 0) {
    absl::StrAppend(leak->mutable_summary(), "; at ", static_cast<int64_t>(rate),
                    " iterations/s the old space (", scenario.limits().max_old_space_mib(),
                    "Mi) is full in ", FormatShortDuration(absl::Seconds(leak->seconds_to_old_space_limit())));
  }
}

}  // namespace

std::vector<std::string> Engine::NodeFlags(const v1::Limits& limits) {
  return {
      absl::StrCat("--max-old-space-size=", limits.max_old_space_mib()),
      absl::StrCat("--max-semi-space-size=", limits.max_semi_space_mib()),
      absl::StrCat("--stack-size=", limits.stack_kib()),
      "--expose-gc",
  };
}

Engine::Engine(EngineOptions options, std::string node_path, std::string node_version,
               std::unique_ptr<ProcessLauncher> launcher)
    : options_(std::move(options)),
      node_path_(std::move(node_path)),
      node_version_(std::move(node_version)),
      launcher_(std::move(launcher)) {}

absl::StatusOr<std::unique_ptr<Engine>> Engine::Create(EngineOptions options) {
  std::string node = options.node_path.empty() ? FindOnPath("node") : options.node_path;
  if (node.empty()) {
    return absl::FailedPreconditionError(
        "node was not found on PATH: install Node.js 18 or newer (scripts/setup.sh does), or "
        "pass --node PATH");
  }
  if (access(node.c_str(), X_OK) != 0) {
    return absl::FailedPreconditionError(absl::StrCat("node at ", node, " is not executable"));
  }
  if (options.scratch_dir.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    options.scratch_dir = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
  }
  if (!options.keep_run_dirs) RemoveStaleRunDirs(options.scratch_dir);
  absl::StatusOr<std::string> launcher_path =
      options.launcher_path.empty() ? LauncherExecutable() : absl::StatusOr<std::string>(options.launcher_path);
  if (!launcher_path.ok()) return absl::FailedPreconditionError(launcher_path.status().message());
  // Room for the clients of open_connections and for the launcher's descriptor shuffling.
  struct rlimit files;
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &files);
  }
  auto launcher = std::make_unique<PosixProcessLauncher>(*launcher_path);
  std::string version = NodeVersionOf(launcher.get(), node);
  int major = 0;
  if (version.size() < 2 || version[0] != 'v' ||
      !absl::SimpleAtoi(version.substr(1, version.find('.') - 1), &major)) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot run ", node, " --version (got '", version, "')"));
  }
  if (major < 18) {
    return absl::FailedPreconditionError(
        absl::StrCat("node ", version, " at ", node, " is too old: heapstorm needs 18 or newer"));
  }
  return std::unique_ptr<Engine>(
      new Engine(std::move(options), node, version, std::move(launcher)));
}

absl::StatusOr<v1::RunResult> Engine::Run(const RunRequest& request) {
  v1::Scenario scenario = request.scenario;
  if (scenario.params_case() == v1::Scenario::PARAMS_NOT_SET) {
    return absl::InvalidArgumentError(
        absl::StrCat("scenario '", scenario.name(), "' has no kind parameters"));
  }
  const v1::Limits& limits = scenario.limits();
  if (limits.max_old_space_mib() < 16 || limits.max_semi_space_mib() == 0 ||
      limits.stack_kib() == 0 || limits.native_stack_kib() < limits.stack_kib() + 64 ||
      limits.max_descriptors() < 64 || limits.timeout_ms() == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "scenario '", scenario.name(), "': limits are incomplete or impossible: ",
        limits.ShortDebugString(), " (load suites through the suite loader)"));
  }

  // The run's scratch folder: driver, config, shipped module; node's cwd.
  std::string pattern = absl::StrCat(options_.scratch_dir, "/heapstorm-run-", getpid(), "-XXXXXX");
  std::vector<char> dir_buffer(pattern.begin(), pattern.end());
  dir_buffer.push_back('\0');
  if (mkdtemp(dir_buffer.data()) == nullptr) {
    return absl::InternalError(
        absl::StrCat("cannot create a run folder under ", options_.scratch_dir, ": ",
                     std::strerror(errno)));
  }
  const std::string run_dir = dir_buffer.data();
  struct DirCleanup {
    std::string dir;
    bool keep;
    ~DirCleanup() {
      if (!keep) RemoveTree(dir);
    }
  } dir_cleanup{run_dir, options_.keep_run_dirs};

  if (scenario.has_script()) {
    v1::ScriptParams* script = scenario.mutable_script();
    // A shipped module runs from its own path when this machine has the same file there
    // (so its relative requires work), else from a copy in the run folder.
    std::string on_disk;
    bool same_file = !script->module_path().empty() &&
                     ReadWholeFile(script->module_path(), &on_disk) &&
                     on_disk == script->module_source();
    if (!script->module_source().empty() && same_file) {
      script->clear_module_source();
    } else if (!script->module_source().empty()) {
      std::string base = script->module();
      base = base.substr(base.find_last_of('/') + 1);
      if (base.empty()) base = "module.js";
      std::string path = absl::StrCat(run_dir, "/", base);
      HS_RETURN_IF_ERROR(WriteWholeFile(path, script->module_source()));
      script->set_module_path(path);
      script->clear_module_source();
    } else if (access(script->module_path().c_str(), R_OK) != 0) {
      return absl::NotFoundError(absl::StrCat("scenario '", scenario.name(), "': script module ",
                                              script->module_path(), ": ", std::strerror(errno)));
    }
  }

  std::string config;
  google::protobuf::util::JsonPrintOptions json_options;
  json_options.preserve_proto_field_names = true;
  // proto3 leaves out fields at their zero value; the driver must see every one (a false
  // `retain` is not the same as an absent one).
  json_options.always_print_primitive_fields = true;
  if (!google::protobuf::util::MessageToJsonString(scenario, &config, json_options).ok()) {
    return absl::InternalError("cannot write the scenario as JSON");
  }
  const std::string driver_path = run_dir + "/driver.js";
  const std::string config_path = run_dir + "/scenario.json";
  HS_RETURN_IF_ERROR(WriteWholeFile(driver_path, kDriverSource));
  HS_RETURN_IF_ERROR(WriteWholeFile(config_path, config));

  v1::RunResult result;
  result.set_scenario(scenario.name());
  result.set_repeat(request.repeat);
  result.set_variation(request.variation);
  result.set_assignment_id(request.assignment_id);
  result.set_attempt(request.attempt);
  result.set_target_units(TargetUnits(scenario));
  result.set_node_version(node_version_);
  *result.mutable_limits() = limits;
  result.set_started_unix_ms(absl::ToUnixMillis(absl::Now()));

  // Native memory: a cgroup where possible, else the watchdog.
  std::unique_ptr<MemoryCgroup> cgroup;
  v1::LimitMechanism mechanism = v1::LIMIT_MECHANISM_NONE;
  if (limits.native_bytes() > 0) {
    mechanism = v1::LIMIT_MECHANISM_WATCHDOG;
    if (options_.use_cgroups) {
      std::string name = absl::StrCat("heapstorm-", getpid(), "-", run_counter_.fetch_add(1));
      auto created = MemoryCgroup::Create(name, limits.native_bytes(), options_.cgroup_root);
      if (created.ok()) {
        cgroup = std::move(*created);
        mechanism = cgroup->mechanism();
      } else {
        result.set_limit_note(absl::StrCat("native limit kept by the RSS watchdog: ",
                                           created.status().message()));
      }
    } else {
      result.set_limit_note("native limit kept by the RSS watchdog: cgroups are turned off");
    }
  }
  result.set_limit_mechanism(mechanism);

  // Pipes: control (stdin), stdout, stderr, telemetry (fd 3).
  HS_ASSIGN_OR_RETURN(Pipe control, MakePipe(0));
  HS_ASSIGN_OR_RETURN(Pipe out, MakePipe());
  HS_ASSIGN_OR_RETURN(Pipe err, MakePipe());
  HS_ASSIGN_OR_RETURN(Pipe telemetry, MakePipe());
  struct PipeCleanup {
    std::vector<int*> fds;
    ~PipeCleanup() {
      for (int* fd : fds) CloseFd(fd);
    }
  } pipe_cleanup{{&control.read_fd, &control.write_fd, &out.read_fd, &out.write_fd, &err.read_fd,
                  &err.write_fd, &telemetry.read_fd, &telemetry.write_fd}};

  LaunchSpec spec;
  spec.program = node_path_;
  spec.args = NodeFlags(limits);
  spec.args.push_back(driver_path);
  spec.args.push_back(config_path);
  const char* path_env = std::getenv("PATH");
  spec.env = {absl::StrCat("PATH=", path_env ? path_env : "/usr/local/bin:/usr/bin:/bin"),
              absl::StrCat("HOME=", run_dir), absl::StrCat("TMPDIR=", run_dir), "LANG=C.UTF-8",
              "NODE_NO_WARNINGS=0"};
  spec.working_dir = run_dir;
  spec.stack_bytes = static_cast<uint64_t>(limits.native_stack_kib()) * 1024;
  spec.max_descriptors = limits.max_descriptors();
  spec.data_bytes = limits.data_bytes();
  if (cgroup) spec.cgroup_procs = cgroup->procs_file();
  spec.fds = {control.read_fd, out.write_fd, err.write_fd, telemetry.write_fd};
  result.add_node_args(node_path_);
  for (const std::string& a : spec.args) result.add_node_args(a);

  CgroupCounters before;
  if (cgroup) before = cgroup->Read();
  const absl::Time start = absl::Now();
  absl::StatusOr<pid_t> launched = launcher_->Launch(spec);
  if (!launched.ok()) {
    return absl::Status(launched.status().code(),
                        absl::StrCat("scenario '", scenario.name(), "': ", launched.status().message()));
  }
  const pid_t pid = *launched;
  CloseFd(&control.read_fd);
  CloseFd(&out.write_fd);
  CloseFd(&err.write_fd);
  CloseFd(&telemetry.write_fd);
  for (int fd : {out.read_fd, err.read_fd, telemetry.read_fd}) {
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  }
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));

  // --- watch it ---------------------------------------------------------------------------
  const absl::Time deadline = start + absl::Milliseconds(limits.timeout_ms());
  const bool watchdog = mechanism == v1::LIMIT_MECHANISM_WATCHDOG;
  const int sample_hz = std::max<int>(1, watchdog ? std::max<int>(kWatchdogHz, scenario.sample_hz())
                                                 : scenario.sample_hz());
  const absl::Duration sample_every = absl::Seconds(1) / sample_hz;
  // Samples kept in the result follow the scenario's rate even when the watchdog looks faster.
  const absl::Duration keep_every = absl::Seconds(1) / std::max<uint32_t>(1, scenario.sample_hz());
  absl::Time next_sample = start;
  absl::Time next_kept = start;

  HeadTail stderr_text;
  std::string telemetry_buffer;
  Thinned<v1::Checkpoint> checkpoints(options_.max_checkpoints);
  Thinned<v1::OutsideSample> samples(options_.max_samples);
  v1::DriverEvent done;
  bool driver_done = false;
  uint64_t units = 0;
  uint64_t peak_rss = 0;
  uint32_t peak_fds = 0;
  std::vector<double> fit_units, fit_heap, fit_external, fit_rss;
  v1::RunResult peaks;  // peak fields only
  std::map<std::string, uint64_t> peak_spaces;
  v1::GcStats last_gc;
  v1::HarnessKill harness_kill = v1::HARNESS_KILL_NONE;
  std::unique_ptr<ConnectionClients> clients;
  std::atomic<bool> clients_settled{false};
  bool told_clients_done = false;
  ExitInfo exit_info;
  bool reaped = false;
  bool cancelled = false;

  // Leak checks: the verdict as checkpoints arrive; once decided, three heap snapshots
  // (for a leak, when asked) and then "stop" to the driver.
  std::unique_ptr<LeakDetector> detector;
  if (scenario.has_leak_check() && scenario.has_script()) {
    detector = std::make_unique<LeakDetector>(scenario.leak_check());
  }
  std::optional<v1::LeakResult> leak_verdict;
  std::vector<std::string> snapshots;          // written so far
  int snapshots_requested = 0;
  int checkpoints_since_snapshot = 0;
  bool stop_sent = false;
  constexpr int kSnapshots = 3;
  constexpr int kCheckpointsBetweenSnapshots = 5;
  auto command = [&](const std::string& line) {
    std::string text = line + "\n";
    (void)!write(control.write_fd, text.data(), text.size());
  };
  auto request_snapshot = [&]() {
    ++snapshots_requested;
    checkpoints_since_snapshot = 0;
    command(absl::StrCat("snapshot ", run_dir, "/leak-", snapshots_requested, ".heapsnapshot"));
  };
  auto leak_step = [&](const v1::Checkpoint& c) {
    if (!detector || stop_sent || !c.after_gc()) return;
    if (!leak_verdict) {
      detector->Add(c);
      if (!detector->Decided()) return;
      leak_verdict = detector->Evaluate();
      bool snapshot = leak_verdict->verdict() == v1::LEAK_VERDICT_LEAK && scenario.leak_check().snapshots();
      if (!snapshot) {
        command("stop");
        stop_sent = true;
        return;
      }
      request_snapshot();
      return;
    }
    // Snapshot phase: the next one after a few checkpoints past the last one written.
    if (static_cast<int>(snapshots.size()) < snapshots_requested) return;
    if (++checkpoints_since_snapshot < kCheckpointsBetweenSnapshots) return;
    if (snapshots_requested < kSnapshots) {
      request_snapshot();
    } else {
      command("stop");
      stop_sent = true;
    }
  };

  auto kill_run = [&](v1::HarnessKill why) {
    if (harness_kill == v1::HARNESS_KILL_NONE) harness_kill = why;
    launcher_->KillGroup(pid, SIGKILL);
    if (cgroup) {
      for (int p : cgroup->Pids()) launcher_->KillGroup(p, SIGKILL);
    }
  };

  // Reads /proc (and the cgroup): peaks always, a kept sample at the scenario's rate, and
  // the watchdog's verdict. Also called at every checkpoint, so short runs have peaks too.
  // Returns the RSS read (0 when the process is gone).
  auto sample_outside = [&](absl::Time now) -> uint64_t {
    ProcStatus status;
    if (!ReadProcStatus(pid, &status)) return 0;
    uint32_t fds = CountDescriptors(pid);
    peak_rss = std::max({peak_rss, status.rss_bytes, status.hwm_bytes});
    peak_fds = std::max(peak_fds, fds);
    if (now >= next_kept) {
      v1::OutsideSample s;
      s.set_t_ms(absl::ToDoubleMilliseconds(now - start));
      s.set_rss_bytes(status.rss_bytes);
      s.set_hwm_bytes(status.hwm_bytes);
      s.set_descriptors(fds);
      s.set_threads(status.threads);
      if (cgroup) s.set_cgroup_usage_bytes(cgroup->Usage());
      samples.Add(s);
      next_kept = now + keep_every;
    }
    if (watchdog && status.rss_bytes > limits.native_bytes()) kill_run(v1::HARNESS_KILL_WATCHDOG);
    return status.rss_bytes;
  };

  auto handle_event = [&](const std::string& line) {
    v1::DriverEvent event;
    google::protobuf::util::JsonParseOptions parse_options;
    parse_options.ignore_unknown_fields = true;
    if (!google::protobuf::util::JsonStringToMessage(line, &event, parse_options).ok()) {
      HS_LOG(WARNING) << "unreadable telemetry line from the driver: " << line.substr(0, 200);
      return;
    }
    if (event.type() == "checkpoint") {
      v1::Checkpoint& c = *event.mutable_checkpoint();
      if (!reaped) {
        c.set_outside_rss_bytes(sample_outside(absl::Now()));
        if (cgroup) c.set_cgroup_usage_bytes(cgroup->Usage());
      }
      units = std::max<uint64_t>(units, c.units());
      checkpoints.Add(c);
      fit_units.push_back(static_cast<double>(c.units()));
      fit_heap.push_back(static_cast<double>(c.heap_used_bytes()));
      fit_external.push_back(static_cast<double>(c.external_bytes()));
      fit_rss.push_back(static_cast<double>(c.rss_bytes()));
      peaks.set_peak_heap_used_bytes(std::max(peaks.peak_heap_used_bytes(), c.heap_used_bytes()));
      peaks.set_peak_heap_total_bytes(std::max(peaks.peak_heap_total_bytes(), c.heap_total_bytes()));
      peaks.set_peak_external_bytes(std::max(peaks.peak_external_bytes(), c.external_bytes()));
      peaks.set_peak_array_buffers_bytes(
          std::max(peaks.peak_array_buffers_bytes(), c.array_buffers_bytes()));
      peak_rss = std::max(peak_rss, c.rss_bytes());
      for (const v1::HeapSpace& s : c.spaces()) {
        uint64_t& p = peak_spaces[s.name()];
        p = std::max(p, s.used_bytes());
      }
      last_gc = c.gc();
      leak_step(c);
      if (request.on_checkpoint) request.on_checkpoint(c);
    } else if (event.type() == "listening" && scenario.has_open_connections() && !clients) {
      clients = std::make_unique<ConnectionClients>(
          static_cast<uint16_t>(event.port()), scenario.open_connections(),
          [&clients_settled] { clients_settled = true; });
    } else if (event.type() == "snapshot") {
      snapshots.push_back(event.path());
      if (static_cast<int>(snapshots.size()) == kSnapshots && !stop_sent) {
        command("stop");
        stop_sent = true;
      }
    } else if (event.type() == "done") {
      driver_done = true;
      done = event;
      units = std::max<uint64_t>(units, event.units());
    }
  };

  auto drain = [&](int* fd, bool is_telemetry, bool is_stderr) {
    if (*fd < 0) return;
    char buffer[65536];
    while (true) {
      ssize_t n = read(*fd, buffer, sizeof(buffer));
      if (n > 0) {
        if (is_stderr) {
          stderr_text.Append(absl::string_view(buffer, static_cast<size_t>(n)));
        } else if (is_telemetry) {
          telemetry_buffer.append(buffer, static_cast<size_t>(n));
          size_t newline;
          while ((newline = telemetry_buffer.find('\n')) != std::string::npos) {
            handle_event(telemetry_buffer.substr(0, newline));
            telemetry_buffer.erase(0, newline + 1);
          }
          if (telemetry_buffer.size() > kMaxTelemetryLine) telemetry_buffer.clear();
        }
        continue;
      }
      if (n == 0) CloseFd(fd);  // EOF
      return;                   // EAGAIN or EOF
    }
  };

  absl::Time reaped_at;
  while (true) {
    absl::Time now = absl::Now();
    if (!reaped) {
      if (now >= next_sample) {
        sample_outside(now);
        next_sample = now + sample_every;
      }
      if (now >= deadline) kill_run(v1::HARNESS_KILL_TIMEOUT);
      if (request.cancel != nullptr && request.cancel->load()) {
        cancelled = true;
        kill_run(v1::HARNESS_KILL_CANCELLED);
      }
      if (clients_settled && !told_clients_done) {
        told_clients_done = true;
        static constexpr char kDone[] = "clients_done\n";
        (void)!write(control.write_fd, kDone, sizeof(kDone) - 1);
      }
    }

    std::vector<pollfd> fds;
    for (int fd : {out.read_fd, err.read_fd, telemetry.read_fd}) {
      if (fd >= 0) fds.push_back({fd, POLLIN, 0});
    }
    if (!reaped && pidfd >= 0) fds.push_back({pidfd, POLLIN, 0});
    absl::Duration wait = reaped ? absl::Milliseconds(20)
                                 : std::min(next_sample, deadline) - absl::Now();
    if (!reaped && pidfd < 0) wait = std::min(wait, absl::Milliseconds(5));
    int timeout_ms = static_cast<int>(std::max<int64_t>(0, absl::ToInt64Milliseconds(wait)));
    if (!reaped && wait > absl::ZeroDuration() && timeout_ms == 0) timeout_ms = 1;
    if (fds.empty() && reaped) break;
    int n = poll(fds.data(), fds.size(), timeout_ms);
    if (n < 0 && errno != EINTR) break;
    drain(&out.read_fd, false, false);
    drain(&err.read_fd, false, true);
    drain(&telemetry.read_fd, true, false);

    if (!reaped && launcher_->TryReap(pid, &exit_info)) {
      reaped = true;
      reaped_at = absl::Now();
      if (cgroup) {
        for (int p : cgroup->Pids()) launcher_->KillGroup(p, SIGKILL);
      }
    }
    if (reaped) {
      // The pipes close when the last holder exits; do not wait long for stragglers.
      bool open = out.read_fd >= 0 || err.read_fd >= 0 || telemetry.read_fd >= 0;
      if (!open || absl::Now() - reaped_at > absl::Milliseconds(500)) break;
    }
  }
  if (pidfd >= 0) close(pidfd);
  clients.reset();
  const absl::Time end = absl::Now();
  if (cancelled) {
    return absl::CancelledError(absl::StrCat("run of '", scenario.name(), "' was cancelled"));
  }

  // --- what it did ------------------------------------------------------------------------
  CgroupCounters after;
  if (cgroup) after = cgroup->Read();
  peak_rss = std::max(peak_rss, exit_info.max_rss_bytes);

  RunObservations o;
  o.exited = exit_info.exited;
  o.exit_code = exit_info.exit_code;
  o.signal = exit_info.signal;
  o.stderr_text = stderr_text.Text();
  o.driver_done = driver_done;
  o.driver_status = done.status();
  if (!done.error_name().empty() || !done.error_message().empty()) {
    o.driver_error = absl::StrCat(done.error_name(), ": ", done.error_message());
  }
  o.driver_detail = done.detail();
  o.harness_kill = harness_kill;
  o.timeout_ms = limits.timeout_ms();
  o.mechanism = mechanism;
  o.native_limit_bytes = limits.native_bytes();
  o.cgroup_oom_kills = after.oom_kills - std::min(after.oom_kills, before.oom_kills);
  o.cgroup_failcnt = after.failcnt - std::min(after.failcnt, before.failcnt);
  o.peak_rss_bytes = peak_rss;
  o.peak_descriptors = peak_fds;
  o.max_descriptors = limits.max_descriptors();
  o.units_reached = units;
  Classification verdict = ClassifyOutcome(o);

  result.set_outcome(verdict.outcome);
  result.set_units_reached(units);
  result.set_stack_depth(scenario.has_deep_recursion() ? std::max<uint64_t>(done.depth(), units) : 0);
  result.set_peak_heap_used_bytes(peaks.peak_heap_used_bytes());
  result.set_peak_heap_total_bytes(peaks.peak_heap_total_bytes());
  result.set_peak_external_bytes(peaks.peak_external_bytes());
  result.set_peak_array_buffers_bytes(peaks.peak_array_buffers_bytes());
  result.set_peak_rss_bytes(peak_rss);
  result.set_peak_descriptors(peak_fds);
  for (const auto& [name, used] : peak_spaces) {
    v1::HeapSpace* s = result.add_peak_spaces();
    s->set_name(name);
    s->set_used_bytes(used);
  }
  *result.mutable_gc() = last_gc;
  result.set_wall_ms(absl::ToDoubleMilliseconds(end - start));
  for (const v1::Checkpoint& c : checkpoints.Items()) *result.add_checkpoints() = c;
  for (const v1::OutsideSample& s : samples.Items()) *result.add_samples() = s;
  auto set_fit = [](const Fit& f, v1::LinearFit* out) {
    out->set_slope(f.slope);
    out->set_intercept(f.intercept);
    out->set_r_squared(f.r_squared);
    out->set_points(static_cast<uint32_t>(f.points));
  };
  set_fit(LeastSquares(fit_units, fit_heap), result.mutable_heap_per_unit());
  set_fit(LeastSquares(fit_units, fit_external), result.mutable_external_per_unit());
  set_fit(LeastSquares(fit_units, fit_rss), result.mutable_rss_per_unit());

  if (detector) {
    v1::LeakResult leak = leak_verdict ? *leak_verdict : detector->Evaluate();
    FinishLeakResult(scenario, checkpoints.Items(), units, peak_rss, &leak);
    if (snapshots.size() == kSnapshots) {
      absl::StatusOr<std::vector<v1::LeakCulprit>> culprits =
          DiffSnapshots(snapshots[0], snapshots[1], snapshots[2]);
      if (culprits.ok()) {
        for (v1::LeakCulprit& c : *culprits) *leak.add_culprits() = std::move(c);
      } else {
        HS_LOG(WARNING) << "heap snapshot diff: " << culprits.status().message();
      }
    }
    *result.mutable_leak() = std::move(leak);
  }

  v1::Evidence* e = result.mutable_evidence();
  e->set_summary(verdict.summary);
  e->set_exited(exit_info.exited);
  e->set_exit_code(exit_info.exit_code);
  e->set_signal(exit_info.signal);
  if (!exit_info.exited) e->set_signal_name(SignalName(exit_info.signal));
  e->set_matched_stderr(verdict.matched_stderr);
  std::string tail = stderr_text.Text();
  if (tail.size() > 8192) tail = tail.substr(tail.size() - 8192);
  e->set_stderr_tail(tail);
  e->set_harness_kill(harness_kill);
  e->set_cgroup_oom_kills(o.cgroup_oom_kills);
  e->set_cgroup_failcnt(o.cgroup_failcnt);
  e->set_cgroup_max_usage_bytes(after.max_usage_bytes);
  e->set_driver_status(done.status());
  std::string driver_error = o.driver_error;
  if (!done.error_stack().empty()) driver_error = done.error_stack();
  e->set_driver_error(driver_error);
  e->set_units_reached(units);
  e->set_peak_rss_bytes(peak_rss);
  e->set_peak_descriptors(peak_fds);
  e->set_max_descriptors(limits.max_descriptors());
  return result;
}

}  // namespace heapstorm
