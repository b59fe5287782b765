#include "worker/engine/engine.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/files.h"
#include "common/linear_fit.h"
#include "common/logging.h"
#include "common/sizes.h"
#include "common/status_macros.h"
#include "common/utf8.h"
#include "google/protobuf/util/json_util.h"
#include "model/limits.h"
#include "model/targets.h"
#include "model/units.h"
#include "worker/driver/driver_source.h"
#include "worker/engine/kernel_oom_log.h"
#include "worker/engine/memory_cgroup.h"
#include "worker/engine/outcome_classifier.h"
#include "worker/engine/run_monitor.h"

namespace heapstorm {
namespace {

// The end of node's stderr kept in a result's evidence.
constexpr size_t kStderrTailBytes = 8192;


std::string FindOnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) path = "/usr/local/bin:/usr/bin:/bin";
  for (absl::string_view dir : absl::StrSplit(path, ':', absl::SkipEmpty())) {
    std::string candidate = absl::StrCat(dir, "/", name);
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
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
  // Run folders of heapstorm processes that died without cleaning up (SIGKILL).
  if (!options.keep_run_dirs) RemoveStaleScratchDirs(options.scratch_dir, "heapstorm-run-");
  // And their cgroups.
  if (options.use_cgroups) {
    for (const std::string& path : MemoryCgroup::SweepStale(options.cgroup_root)) {
      HS_LOG(INFO) << "removed the cgroup of a heapstorm that is gone: " << path;
    }
  }
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
  if (absl::Status valid = ValidateLimits(limits); !valid.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("scenario '", scenario.name(), "': ", valid.message()));
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
  // Held while the run lives, so no other heapstorm's cleanup takes the folder away (it
  // cannot tell our PID is alive from another PID namespace).
  struct DirCleanup {
    std::string dir;
    bool keep;
    int lock;
    ~DirCleanup() {
      if (!keep) RemoveTree(dir);
      if (lock >= 0) close(lock);
    }
  } dir_cleanup{run_dir, options_.keep_run_dirs, LockScratchDir(run_dir)};

  if (scenario.has_script()) {
    v1::ScriptParams* script = scenario.mutable_script();
    // A shipped module runs from its own path when this machine has the same file there
    // (so its relative requires work), else from a copy in the run folder.
    absl::StatusOr<std::string> on_disk =
        script->module_path().empty() ? absl::NotFoundError("") : ReadFile(script->module_path());
    bool same_file = on_disk.ok() && *on_disk == script->module_source();
    if (!script->module_source().empty() && same_file) {
      script->clear_module_source();
    } else if (!script->module_source().empty()) {
      std::string base = script->module();
      base = base.substr(base.find_last_of('/') + 1);
      if (base.empty()) base = "module.js";
      std::string path = absl::StrCat(run_dir, "/", base);
      HS_RETURN_IF_ERROR(WriteScratchFile(path, script->module_source()));
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
  HS_RETURN_IF_ERROR(WriteScratchFile(driver_path, kDriverSource));
  HS_RETURN_IF_ERROR(WriteScratchFile(config_path, config));

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
  // Who an OOM kill in the cgroup took: the kernel log names the victim.
  std::unique_ptr<KernelLog> kernel_log = cgroup ? KernelLog::OpenAtEnd() : nullptr;
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

  // --- watch it ---------------------------------------------------------------------------
  MonitorSetup setup;
  setup.launcher = launcher_.get();
  setup.pid = pid;
  setup.cgroup = cgroup.get();
  setup.mechanism = mechanism;
  setup.scenario = &scenario;
  setup.run_dir = run_dir;
  setup.start = start;
  setup.control_fd = control.write_fd;
  setup.out_fd = &out.read_fd;
  setup.err_fd = &err.read_fd;
  setup.telemetry_fd = &telemetry.read_fd;
  setup.max_checkpoints = options_.max_checkpoints;
  setup.max_samples = options_.max_samples;
  setup.on_checkpoint = request.on_checkpoint;
  setup.cancel = request.cancel;
  MonitoredRun seen = RunMonitor(std::move(setup)).Watch();
  if (seen.cancelled) {
    return absl::CancelledError(absl::StrCat("run of '", scenario.name(), "' was cancelled"));
  }

  // --- what it did ------------------------------------------------------------------------
  CgroupCounters after;
  if (cgroup) after = cgroup->Read();

  RunObservations o;
  o.exited = seen.exit.exited;
  o.exit_code = seen.exit.exit_code;
  o.signal = seen.exit.signal;
  o.stderr_text = seen.stderr_text;
  o.driver_done = seen.driver_done;
  o.driver_status = seen.done.status();
  if (!seen.done.error_name().empty() || !seen.done.error_message().empty()) {
    o.driver_error = absl::StrCat(seen.done.error_name(), ": ", seen.done.error_message());
  }
  o.driver_detail = seen.done.detail();
  o.harness_kill = seen.harness_kill;
  o.timeout_ms = limits.timeout_ms();
  o.mechanism = mechanism;
  o.native_limit_bytes = limits.native_bytes();
  o.cgroup_oom_kills = after.oom_kills - std::min(after.oom_kills, before.oom_kills);
  o.cgroup_failcnt = after.failcnt - std::min(after.failcnt, before.failcnt);
  o.peak_rss_bytes = seen.peak_rss;
  o.peak_descriptors = seen.peak_fds;
  o.max_descriptors = limits.max_descriptors();
  // Under the watchdog the break is where the tree crossed the limit, not where the kill
  // (up to a sampling period later) found the driver.
  uint64_t units = seen.units;
  if (seen.harness_kill == v1::HARNESS_KILL_WATCHDOG && seen.units_at_watchdog_limit > 0) {
    units = std::min(units, seen.units_at_watchdog_limit);
  }
  o.units_reached = units;
  o.pid = pid;
  o.peak_tree_bytes = seen.peak_tree_bytes;
  std::string victim_source;
  if (o.cgroup_oom_kills > 0) {
    std::vector<OomKill> kills =
        kernel_log ? FindOomKills(kernel_log->Read(), cgroup->path()) : std::vector<OomKill>();
    if (!kills.empty()) {
      o.victim_pid = kills.front().pid;
      o.victim_command = kills.front().command;
      o.victim_bytes = kills.front().anon_rss_bytes;
      victim_source = "kernel log";
    } else if (!seen.last_tree.empty()) {
      // The OOM killer takes the biggest: the biggest of the last sample is the best guess.
      const TreeProcess& biggest = *std::max_element(
          seen.last_tree.begin(), seen.last_tree.end(),
          [](const TreeProcess& a, const TreeProcess& b) { return a.rss_bytes < b.rss_bytes; });
      o.victim_pid = biggest.pid;
      o.victim_command = biggest.command;
      o.victim_bytes = biggest.rss_bytes;
      victim_source = "tree samples";
    }
  } else if (seen.harness_kill == v1::HARNESS_KILL_WATCHDOG && seen.watchdog_victim.pid != 0) {
    o.victim_pid = seen.watchdog_victim.pid;
    o.victim_command = seen.watchdog_victim.command;
    o.victim_bytes = seen.watchdog_victim.bytes();
    victim_source = "tree samples";
  }
  Classification verdict = ClassifyOutcome(o);

  result.set_outcome(verdict.outcome);
  result.set_units_reached(units);
  result.set_stack_depth(scenario.has_deep_recursion() ? std::max<uint64_t>(seen.done.depth(), seen.units) : 0);
  result.set_peak_heap_used_bytes(seen.peaks.peak_heap_used_bytes());
  result.set_peak_heap_total_bytes(seen.peaks.peak_heap_total_bytes());
  result.set_peak_external_bytes(seen.peaks.peak_external_bytes());
  result.set_peak_array_buffers_bytes(seen.peaks.peak_array_buffers_bytes());
  result.set_peak_rss_bytes(seen.peak_rss);
  result.set_peak_descriptors(seen.peak_fds);
  for (const auto& [name, used] : seen.peak_spaces) {
    v1::HeapSpace* s = result.add_peak_spaces();
    s->set_name(name);
    s->set_used_bytes(used);
  }
  *result.mutable_gc() = seen.last_gc;
  result.set_wall_ms(absl::ToDoubleMilliseconds(seen.end - start));
  for (const v1::Checkpoint& c : seen.checkpoints) *result.add_checkpoints() = c;
  for (const v1::OutsideSample& s : seen.samples) *result.add_samples() = s;
  auto set_fit = [](const Fit& f, v1::LinearFit* out) {
    out->set_slope(f.slope);
    out->set_intercept(f.intercept);
    out->set_r_squared(f.r_squared);
    out->set_points(static_cast<uint32_t>(f.points));
    out->set_slope_low(f.slope_low);
    out->set_slope_high(f.slope_high);
    out->set_intercept_low(f.intercept_low);
    out->set_intercept_high(f.intercept_high);
  };
  set_fit(LeastSquares(seen.fit_units, seen.fit_heap), result.mutable_heap_per_unit());
  set_fit(LeastSquares(seen.fit_units, seen.fit_external), result.mutable_external_per_unit());
  set_fit(LeastSquares(seen.fit_units, seen.fit_rss), result.mutable_rss_per_unit());

  if (seen.leak) {
    v1::LeakResult leak = *seen.leak;
    // A run that died of a resource: exhaustion is evidence (or says why it is none).
    JudgeExhaustion(verdict.outcome, scenario.limits(), seen.units, seen.checkpoints, &leak);
    FinishLeakResult(scenario, seen.checkpoints, seen.units, seen.peak_rss, &leak);
    *result.mutable_leak() = std::move(leak);
  }

  v1::Evidence* e = result.mutable_evidence();
  e->set_summary(verdict.summary);
  e->set_exited(seen.exit.exited);
  e->set_exit_code(seen.exit.exit_code);
  e->set_signal(seen.exit.signal);
  if (!seen.exit.exited) e->set_signal_name(SignalName(seen.exit.signal));
  e->set_matched_stderr(verdict.matched_stderr);
  e->set_stderr_tail(std::string(Utf8Tail(seen.stderr_text, kStderrTailBytes)));
  e->set_harness_kill(seen.harness_kill);
  e->set_cgroup_oom_kills(o.cgroup_oom_kills);
  e->set_cgroup_failcnt(o.cgroup_failcnt);
  e->set_cgroup_max_usage_bytes(after.max_usage_bytes);
  e->set_driver_status(seen.done.status());
  std::string driver_error = o.driver_error;
  if (!seen.done.error_stack().empty()) driver_error = seen.done.error_stack();
  e->set_driver_error(driver_error);
  e->set_units_reached(units);
  e->set_peak_rss_bytes(seen.peak_rss);
  e->set_peak_descriptors(seen.peak_fds);
  e->set_max_descriptors(limits.max_descriptors());
  e->set_oom_victim_pid(static_cast<uint32_t>(o.victim_pid));
  e->set_oom_victim_command(o.victim_command);
  e->set_oom_victim_bytes(o.victim_bytes);
  e->set_oom_victim_source(victim_source);
  e->set_peak_tree_bytes(seen.peak_tree_bytes);
  // Everything above that came from node or the module (stderr, error messages, names
  // from its heap) is untrusted bytes: proto3 strings must be UTF-8, or the result is lost.
  MakeStringsValidUtf8(&result);
  return result;
}

}  // namespace heapstorm
