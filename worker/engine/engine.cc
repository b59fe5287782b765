#include "worker/engine/engine.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/files.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "common/utf8.h"
#include "google/protobuf/util/json_util.h"
#include "model/limits.h"
#include "worker/driver/driver_source.h"
#include "worker/engine/kernel_oom_log.h"
#include "worker/engine/memory_cgroup.h"
#include "worker/engine/run_monitor.h"
#include "worker/engine/run_result.h"

namespace heapstorm {
namespace {

std::string FindOnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) path = "/usr/local/bin:/usr/bin:/bin";
  for (absl::string_view dir : absl::StrSplit(path, ':', absl::SkipEmpty())) {
    std::string candidate = absl::StrCat(dir, "/", name);
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

// Runs `node ARGS` to its end (up to `timeout`), its stdout and stderr together; nullopt
// when it could not be started or did not end in time (then it is killed).
struct NodeAnswer {
  ExitInfo exit;
  std::string output;
};
std::optional<NodeAnswer> AskNode(ProcessLauncher* launcher, const std::string& node, std::vector<std::string> args,
                                  absl::Duration timeout) {
  absl::StatusOr<Pipe> out = MakePipe(0);
  if (!out.ok()) return std::nullopt;
  LaunchSpec spec;
  spec.program = node;
  spec.args = std::move(args);
  spec.env = {"PATH=/usr/local/bin:/usr/bin:/bin"};
  spec.fds = {-1, out->write_fd, out->write_fd};
  int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  spec.fds[0] = devnull;
  absl::StatusOr<pid_t> pid = launcher->Launch(spec);
  close(devnull);
  CloseFd(&out->write_fd);
  std::optional<NodeAnswer> answer;
  if (pid.ok()) {
    answer.emplace();
    const absl::Time deadline = absl::Now() + timeout;
    bool late = false;
    char buffer[4096];
    // To EOF (node is gone), keeping the first 64 KiB: a complaint is a few lines.
    while (true) {
      struct pollfd readable = {out->read_fd, POLLIN, 0};
      const int64_t left_ms = absl::ToInt64Milliseconds(deadline - absl::Now());
      if (left_ms <= 0) {
        late = true;
        break;
      }
      if (poll(&readable, 1, static_cast<int>(std::min<int64_t>(left_ms, 1000))) <= 0) continue;
      ssize_t n = read(out->read_fd, buffer, sizeof(buffer));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      if (answer->output.size() < 65536) answer->output.append(buffer, n);
    }
    if (late) launcher->KillGroup(*pid, SIGKILL);
    while (!launcher->TryReap(*pid, &answer->exit)) {
      if (!late && absl::Now() > deadline) {
        late = true;
        launcher->KillGroup(*pid, SIGKILL);
      }
      absl::SleepFor(absl::Milliseconds(1));
    }
    if (late) answer.reset();
  }
  CloseFd(&out->read_fd);
  return answer;
}

std::string NodeVersionOf(ProcessLauncher* launcher, const std::string& node) {
  std::optional<NodeAnswer> answer = AskNode(launcher, node, {"--version"}, absl::Seconds(5));
  return answer ? std::string(absl::StripAsciiWhitespace(answer->output)) : "";
}

}  // namespace

std::string NodeCheckComplaint(absl::string_view output) {
  std::vector<absl::string_view> lines = absl::StrSplit(output, '\n');
  std::string where;
  std::string what;
  for (size_t i = 0; i < lines.size(); ++i) {
    absl::string_view line = absl::StripTrailingAsciiWhitespace(lines[i]);
    const size_t colon = line.rfind(':');
    int number = 0;
    if (where.empty() && colon != absl::string_view::npos && absl::SimpleAtoi(line.substr(colon + 1), &number)) {
      where = std::string(line);
      // The source line, then a caret under the place.
      if (i + 2 < lines.size()) {
        const size_t caret = lines[i + 2].find('^');
        if (caret != absl::string_view::npos && absl::StripAsciiWhitespace(lines[i + 2]) == "^") {
          absl::StrAppend(&where, ":", caret + 1);
        }
      }
      continue;
    }
    const size_t error = line.find("Error: ");
    if (!where.empty() && what.empty() && error != absl::string_view::npos &&
        line.find(' ') == error + 6 && line.substr(0, 4) != "    ") {
      what = std::string(line);
    }
  }
  if (where.empty() || what.empty()) return std::string(absl::StripAsciiWhitespace(output));
  return absl::StrCat(where, ": ", what);
}

absl::Status Engine::CheckModuleSyntax(const std::string& module_path) const {
  std::optional<NodeAnswer> answer = AskNode(launcher_.get(), node_path_, {"--check", module_path}, absl::Seconds(30));
  if (!answer) return absl::InternalError(absl::StrCat(node_path_, " --check ", module_path, " did not answer"));
  if (answer->exit.exited && answer->exit.exit_code == 0) return absl::OkStatus();
  return absl::InvalidArgumentError(NodeCheckComplaint(ValidUtf8(answer->output)));
}

std::vector<std::string> Engine::NodeFlags(const v1::Limits& limits) {
  return {
      absl::StrCat("--max-old-space-size=", limits.max_old_space_mib()),
      absl::StrCat("--max-semi-space-size=", limits.max_semi_space_mib()),
      absl::StrCat("--stack-size=", limits.stack_kib()),
      "--expose-gc",
  };
}

// A leak check's allocation sites come from V8's sampling heap profiler, which sees less
// than it should of what optimized code allocates, in two ways (bench/sampler_coverage.js,
// bench/RESULTS.md; node 20, 22 and 24 alike):
// - TurboFan folds allocations together, and the sampler counts a folded group as its first
//   object: a module keeping `.map()` results of an optimized function had 5-11% of their
//   bytes seen, and once none in its window. Not folded, every shape measured is seen at
//   97-119%.
// - The sampler names a sample by the stack's physical frames, so what an inlined function
//   allocates is its caller's: kept `.map()` results of priced(), inlined into a hot
//   record(), were all record's (tests/fixtures/leaks/mapped_rows.js). TurboFan inlines,
//   and so does Maglev (on by default from node 24); node 18 has no Maglev inlining to
//   turn off, nor the flag. TurboFan also inlines Array's `map`, `filter` and the like into
//   the optimized caller, which then made what they return on the line of the array
//   literal they consumed: kept `.map()` results, sampled under a `map` frame of their own
//   without it, are read on the `.map(` line (node 18, 20, 22 and 24 alike).
// The heap holds the same objects either way: optimized code allocates them one at a time,
// in the function that makes them. The module's code runs slower (the iterations' share
// of a check's wall time, bench/RESULTS.md "Session 26").
std::vector<std::string> Engine::LeakCheckNodeFlags(int node_major) {
  std::vector<std::string> flags = {"--no-turbo-allocation-folding", "--no-turbo-inlining",
                                    "--no-turbo-inline-array-builtins"};
  if (node_major >= 20) flags.push_back("--no-maglev-inlining");
  return flags;
}

Engine::Engine(EngineOptions options, std::string node_path, std::string node_version, int node_major,
               std::unique_ptr<ProcessLauncher> launcher)
    : options_(std::move(options)),
      node_path_(std::move(node_path)),
      node_version_(std::move(node_version)),
      node_major_(node_major),
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
      new Engine(std::move(options), node, version, major, std::move(launcher)));
}

// What a run holds from Prepare() to the end of Run(). Members are released in reverse
// order: the kernel log, the pipes, the cgroup, then the scratch folder.
struct Engine::PreparedRun {
  // Held while the run lives, so no other heapstorm's cleanup takes the folder away (it
  // cannot tell our PID is alive from another PID namespace).
  struct DirCleanup {
    std::string dir;
    bool keep = false;
    int lock = -1;
    ~DirCleanup() {
      if (!dir.empty() && !keep) RemoveTree(dir);
      if (lock >= 0) close(lock);
    }
  };
  struct PipeCleanup {
    std::vector<int*> fds;
    ~PipeCleanup() {
      for (int* fd : fds) CloseFd(fd);
    }
  };

  DirCleanup dir_cleanup;
  std::string run_dir;
  v1::Scenario scenario;  // as it runs: script module paths resolved
  std::unique_ptr<MemoryCgroup> cgroup;
  // Control (stdin), stdout, stderr, telemetry (fd 3).
  Pipe control, out, err, telemetry;
  PipeCleanup pipe_cleanup;
  std::unique_ptr<KernelLog> kernel_log;  // who an OOM kill in the cgroup took
  LaunchSpec spec;
  FinishedRun finished;  // filled as the run goes
};

namespace {

// A scenario the engine can run: a kind, and limits the suite loader would accept.
absl::Status CheckRunnable(const v1::Scenario& scenario) {
  if (scenario.params_case() == v1::Scenario::PARAMS_NOT_SET) {
    return absl::InvalidArgumentError(
        absl::StrCat("scenario '", scenario.name(), "' has no kind parameters"));
  }
  const v1::Limits& limits = scenario.limits();
  if (absl::Status valid = ValidateLimits(limits); !valid.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("scenario '", scenario.name(), "': ", valid.message()));
  }
  return absl::OkStatus();
}

// A new run folder under `scratch_dir`: driver, config, shipped module; node's cwd.
absl::StatusOr<std::string> MakeRunDir(const std::string& scratch_dir) {
  std::string pattern = absl::StrCat(scratch_dir, "/heapstorm-run-", getpid(), "-XXXXXX");
  std::vector<char> dir_buffer(pattern.begin(), pattern.end());
  dir_buffer.push_back('\0');
  if (mkdtemp(dir_buffer.data()) == nullptr) {
    return absl::InternalError(
        absl::StrCat("cannot create a run folder under ", scratch_dir, ": ", std::strerror(errno)));
  }
  return std::string(dir_buffer.data());
}

// A shipped module runs from its own path when this machine has the same file there (so
// its relative requires work), else from a copy in the run folder.
absl::Status PlaceScriptModule(const std::string& run_dir, v1::Scenario* scenario) {
  if (!scenario->has_script()) return absl::OkStatus();
  v1::ScriptParams* script = scenario->mutable_script();
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
    return absl::NotFoundError(absl::StrCat("scenario '", scenario->name(), "': script module ",
                                            script->module_path(), ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

// driver.js and the scenario as JSON, in the run folder.
absl::Status WriteDriverFiles(const v1::Scenario& scenario, const std::string& driver_path,
                              const std::string& config_path) {
  std::string config;
  google::protobuf::util::JsonPrintOptions json_options;
  json_options.preserve_proto_field_names = true;
  // proto3 leaves out fields at their zero value; the driver must see every one (a false
  // `retain` is not the same as an absent one).
  json_options.always_print_primitive_fields = true;
  if (!google::protobuf::util::MessageToJsonString(scenario, &config, json_options).ok()) {
    return absl::InternalError("cannot write the scenario as JSON");
  }
  HS_RETURN_IF_ERROR(WriteScratchFile(driver_path, kDriverSource));
  return WriteScratchFile(config_path, config);
}

}  // namespace

absl::StatusOr<v1::RunResult> Engine::Run(const RunRequest& request) {
  HS_RETURN_IF_ERROR(CheckRunnable(request.scenario));
  HS_ASSIGN_OR_RETURN(std::unique_ptr<PreparedRun> run, Prepare(request));
  HS_RETURN_IF_ERROR(Launch(run.get()));
  HS_RETURN_IF_ERROR(Monitor(request, run.get()));
  return BuildRunResult(run->finished);
}

// The scratch folder with the driver, the config and the module; the native limit's
// mechanism (a cgroup where possible, else the watchdog); the pipes; node's command line.
absl::StatusOr<std::unique_ptr<Engine::PreparedRun>> Engine::Prepare(const RunRequest& request) {
  auto run = std::make_unique<PreparedRun>();
  run->scenario = request.scenario;
  HS_ASSIGN_OR_RETURN(run->run_dir, MakeRunDir(options_.scratch_dir));
  run->dir_cleanup.dir = run->run_dir;
  run->dir_cleanup.keep = options_.keep_run_dirs;
  run->dir_cleanup.lock = LockScratchDir(run->run_dir);
  HS_RETURN_IF_ERROR(PlaceScriptModule(run->run_dir, &run->scenario));
  const std::string driver_path = run->run_dir + "/driver.js";
  const std::string config_path = run->run_dir + "/scenario.json";
  HS_RETURN_IF_ERROR(WriteDriverFiles(run->scenario, driver_path, config_path));

  FinishedRun& f = run->finished;
  f.scenario = &run->scenario;
  f.repeat = request.repeat;
  f.variation = request.variation;
  f.assignment_id = request.assignment_id;
  f.attempt = request.attempt;
  f.node_version = node_version_;
  f.started_unix_ms = static_cast<uint64_t>(absl::ToUnixMillis(absl::Now()));
  ChooseNativeLimit(run.get());

  HS_ASSIGN_OR_RETURN(run->control, MakePipe(0));
  HS_ASSIGN_OR_RETURN(run->out, MakePipe());
  HS_ASSIGN_OR_RETURN(run->err, MakePipe());
  HS_ASSIGN_OR_RETURN(run->telemetry, MakePipe());
  run->pipe_cleanup.fds = {&run->control.read_fd, &run->control.write_fd, &run->out.read_fd,
                           &run->out.write_fd,    &run->err.read_fd,      &run->err.write_fd,
                           &run->telemetry.read_fd, &run->telemetry.write_fd};

  const v1::Limits& limits = run->scenario.limits();
  LaunchSpec& spec = run->spec;
  // Unique on this host while the run lives: its folder is.
  spec.environment_marker = absl::StrCat("HEAPSTORM_RUN=", run->run_dir);
  spec.program = node_path_;
  spec.args = NodeFlags(limits);
  if (run->scenario.has_leak_check()) {
    for (std::string& flag : LeakCheckNodeFlags(node_major_)) spec.args.push_back(std::move(flag));
  }
  spec.args.push_back(driver_path);
  spec.args.push_back(config_path);
  const char* path_env = std::getenv("PATH");
  spec.env = {absl::StrCat("PATH=", path_env ? path_env : "/usr/local/bin:/usr/bin:/bin"),
              absl::StrCat("HOME=", run->run_dir), absl::StrCat("TMPDIR=", run->run_dir), "LANG=C.UTF-8",
              "NODE_NO_WARNINGS=0", spec.environment_marker};
  spec.working_dir = run->run_dir;
  spec.stack_bytes = static_cast<uint64_t>(limits.native_stack_kib()) * 1024;
  spec.max_descriptors = limits.max_descriptors();
  spec.data_bytes = limits.data_bytes();
  if (run->cgroup) spec.cgroup_procs = run->cgroup->procs_file();
  spec.fds = {run->control.read_fd, run->out.write_fd, run->err.write_fd, run->telemetry.write_fd};
  f.node_args.push_back(node_path_);
  for (const std::string& a : spec.args) f.node_args.push_back(a);
  return run;
}

// Native memory: a cgroup where possible, else the watchdog (and a note saying why).
void Engine::ChooseNativeLimit(PreparedRun* run) {
  const v1::Limits& limits = run->scenario.limits();
  FinishedRun& f = run->finished;
  f.mechanism = v1::LIMIT_MECHANISM_NONE;
  if (limits.native_bytes() == 0) return;
  f.mechanism = v1::LIMIT_MECHANISM_WATCHDOG;
  if (!options_.use_cgroups) {
    f.limit_fallback = v1::LIMIT_FALLBACK_CGROUPS_OFF;
    return;
  }
  std::string name = absl::StrCat("heapstorm-", getpid(), "-", run_counter_.fetch_add(1));
  auto created = MemoryCgroup::Create(name, limits.native_bytes(), options_.cgroup_root);
  if (!created.ok()) {
    f.limit_fallback = v1::LIMIT_FALLBACK_CGROUP_FAILED;
    f.cgroup_error = std::string(created.status().message());
    return;
  }
  run->cgroup = std::move(*created);
  f.mechanism = run->cgroup->mechanism();
}

// Starts node; closes this side's copies of its pipe ends.
absl::Status Engine::Launch(PreparedRun* run) {
  FinishedRun& f = run->finished;
  if (run->cgroup) {
    f.cgroup_before = run->cgroup->Read();
    run->kernel_log = KernelLog::OpenAtEnd();
  }
  f.start = absl::Now();
  absl::StatusOr<pid_t> launched = launcher_->Launch(run->spec);
  if (!launched.ok()) {
    return absl::Status(launched.status().code(),
                        absl::StrCat("scenario '", run->scenario.name(), "': ", launched.status().message()));
  }
  f.pid = *launched;
  CloseFd(&run->control.read_fd);
  CloseFd(&run->out.write_fd);
  CloseFd(&run->err.write_fd);
  CloseFd(&run->telemetry.write_fd);
  return absl::OkStatus();
}

// Watches node to its end, then reads what only the cgroup and the kernel log know.
// Cancelled when the request's cancel flag fired.
absl::Status Engine::Monitor(const RunRequest& request, PreparedRun* run) {
  FinishedRun& f = run->finished;
  MonitorSetup setup;
  setup.launcher = launcher_.get();
  setup.pid = f.pid;
  setup.cgroup = run->cgroup.get();
  setup.mechanism = f.mechanism;
  setup.scenario = &run->scenario;
  setup.run_dir = run->run_dir;
  setup.environment_marker = run->spec.environment_marker;
  setup.start = f.start;
  setup.control_fd = run->control.write_fd;
  setup.out_fd = &run->out.read_fd;
  setup.err_fd = &run->err.read_fd;
  setup.telemetry_fd = &run->telemetry.read_fd;
  setup.max_checkpoints = options_.max_checkpoints;
  setup.max_samples = options_.max_samples;
  setup.on_checkpoint = request.on_checkpoint;
  setup.cancel = request.cancel;
  f.seen = RunMonitor(std::move(setup)).Watch();
  if (f.seen.cancelled) {
    return absl::CancelledError(absl::StrCat("run of '", run->scenario.name(), "' was cancelled"));
  }
  if (!run->cgroup) return absl::OkStatus();
  f.cgroup_after = run->cgroup->Read();
  if (f.cgroup_after.oom_kills > f.cgroup_before.oom_kills && run->kernel_log) {
    f.kernel_kills = FindOomKills(run->kernel_log->Read(), run->cgroup->path());
  }
  return absl::OkStatus();
}

}  // namespace heapstorm
