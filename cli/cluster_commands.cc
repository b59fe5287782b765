#include "cli/cluster_commands.h"

#include <iostream>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cli/args.h"
#include "cli/exit_codes.h"
#include "cli/signals.h"
#include "cli/suite_run.h"
#include "common/files.h"
#include "common/logging.h"
#include "rpc/rpc_config.h"
#include "model/units.h"
#include "worker/worker.h"

namespace heapstorm {
namespace {

void TlsFlags(ArgParser* parser, TlsFiles* tls) {
  parser->String("--tls-cert", "PEM", "this side's certificate (mutual TLS)", &tls->cert);
  parser->String("--tls-key", "PEM", "this side's private key", &tls->key);
  parser->String("--tls-ca", "PEM", "the CA that signed the other side's certificates", &tls->ca);
}

// The token: from --token-file, else from $HEAPSTORM_TOKEN, else none. Never from argv,
// where every local user reads it (ps, /proc/PID/cmdline).
absl::StatusOr<std::string> Token(const std::string& flag, const std::string& file) {
  if (!flag.empty()) {
    return absl::InvalidArgumentError(
        "--token is not accepted: a token on the command line is visible to every local user "
        "(ps); put it in a file readable only by you and give --token-file FILE, or set "
        "$HEAPSTORM_TOKEN");
  }
  if (!file.empty()) {
    absl::StatusOr<std::string> read = ReadFile(file);
    if (!read.ok()) return absl::InvalidArgumentError(absl::StrCat("--token-file: cannot read ", file));
    std::string token(absl::StripAsciiWhitespace(*read));
    if (token.empty()) return absl::InvalidArgumentError(absl::StrCat("--token-file: ", file, " is empty"));
    return token;
  }
  const char* env = std::getenv("HEAPSTORM_TOKEN");
  return std::string(env != nullptr ? env : "");
}

void TokenFlags(ArgParser* parser, std::string* token, std::string* token_file) {
  parser->String("--token-file", "FILE", "the shared secret workers present, read from FILE (or $HEAPSTORM_TOKEN)",
                 token_file);
  parser->String("--token", "SECRET", "refused: a token in argv shows in ps; use --token-file", token);
}

// "HOST:PORT" with a port from 0 to 65535 ("[::1]:7070" for IPv6).
bool ValidAddress(const std::string& address) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) return false;
  int port = 0;
  if (!absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 0 || port > 65535) return false;
  std::string host = address.substr(0, colon);
  if (host.front() == '[') return host.back() == ']';
  return host.find(':') == std::string::npos;
}

int Usage(const ArgParser& parser, const std::string& name, const absl::Status& status) {
  std::cerr << "heapstorm " << name << ": " << status.message() << "\n";
  return kExitBadInput;
}

}  // namespace

// Over 80 lines because most of it is the flag table and its checks, one line each, in
// the order `--help` prints them; the run itself is RunSuite() (cli/suite_run.h).
int CoordinatorCommand(int argc, char** argv) {
  ArgParser parser("heapstorm coordinator", "SUITE.yaml",
                   "Serves a suite to workers that connect to it (cluster mode), journals\n"
                   "every result as it arrives, and writes the reports when every run is in.\n"
                   "Workers: heapstorm worker --coordinator HOST:PORT.");
  std::string listen;
  std::string out_dir;
  std::string resume;
  std::string token;
  std::string token_file;
  std::string start_timeout = "5m";
  std::string lease = "15s";
  int64_t expect_workers = 0;
  int64_t max_attempts = 3;
  bool verbose = false;
  TlsFiles tls;
  parser.String("--listen", "HOST:PORT", "where workers connect (required; port 0 picks one)", &listen);
  parser.String("--out", "DIR", "the run folder (default: heapstorm-out/SUITE-...)", &out_dir);
  parser.String("--resume", "DIR", "continue the run in DIR after a coordinator crash", &resume);
  std::string baseline;
  parser.String("--baseline", "REPORT.json", "compare with an earlier report; regressions fail (exit 1)",
                &baseline);
  parser.Int("--expect-workers", "N", "wait for N workers before giving up at --start-timeout",
             &expect_workers);
  parser.String("--start-timeout", "DURATION", "how long to wait for --expect-workers (default 5m)",
                &start_timeout);
  parser.String("--lease", "DURATION", "a silent worker loses its work after this (default 15s)", &lease);
  parser.Int("--max-attempts", "N", "leases of one run before it is given up (default 3)", &max_attempts);
  TokenFlags(&parser, &token, &token_file);
  TlsFlags(&parser, &tls);
  bool insecure = false;
  parser.Bool("--insecure", "allow a non-loopback --listen without TLS and a token", &insecure);
  parser.Bool("--verbose", "log what the coordinator does", &verbose);
  parser.Epilog(
      "Trust: workers run the JavaScript this coordinator sends them, and their results\n"
      "decide the verdict. On a loopback address only this machine can connect; anywhere\n"
      "else the coordinator requires mutual TLS (--tls-*) and a token, unless --insecure.\n"
      "exit codes: 0 every expectation held, 1 one failed, 2 bad input, 3 could not finish.");
  absl::Status status = parser.Parse(argc, argv);
  if (!status.ok()) return Usage(parser, "coordinator", status);
  if (parser.help_requested()) {
    std::cout << parser.Help();
    return kExitOk;
  }
  if (listen.empty()) return Usage(parser, "coordinator", absl::InvalidArgumentError("--listen is required"));
  if (!ValidAddress(listen)) {
    return Usage(parser, "coordinator",
                 absl::InvalidArgumentError(absl::StrCat("--listen: expected HOST:PORT, got '", listen, "'")));
  }
  if (parser.positional().size() > 1 || (parser.positional().empty() && resume.empty())) {
    return Usage(parser, "coordinator", absl::InvalidArgumentError("name one suite file (or --resume DIR)"));
  }
  absl::StatusOr<absl::Duration> timeout = ParseDuration(start_timeout);
  if (!timeout.ok()) return Usage(parser, "coordinator", absl::InvalidArgumentError(absl::StrCat("--start-timeout: ", timeout.status().message())));
  absl::StatusOr<absl::Duration> lease_duration = ParseDuration(lease);
  if (!lease_duration.ok() || *lease_duration < absl::Seconds(1)) {
    return Usage(parser, "coordinator", absl::InvalidArgumentError("--lease: expected a duration of at least 1s"));
  }
  if (max_attempts < 1 || max_attempts > 100) {
    return Usage(parser, "coordinator", absl::InvalidArgumentError("--max-attempts must be from 1 to 100"));
  }
  absl::StatusOr<std::string> secret = Token(token, token_file);
  if (!secret.ok()) return Usage(parser, "coordinator", secret.status());
  if (!IsLoopbackAddress(listen) && !insecure && (!tls.enabled() || secret->empty())) {
    return Usage(parser, "coordinator",
                 absl::InvalidArgumentError(absl::StrCat(
                     "--listen ", listen, " is not a loopback address, and ",
                     !tls.enabled() ? "there is no TLS" : "there is no token",
                     ": anyone who reaches it could join as a worker, receive the suite's modules and "
                     "report results. Give --tls-cert, --tls-key, --tls-ca and a token (--token-file "
                     "or $HEAPSTORM_TOKEN), or --insecure on a network you trust")));
  }
  if (secret->empty()) {
    std::cerr << "heapstorm coordinator: warning: no token: any process that reaches " << listen
              << " (on loopback: any local user) can join as a worker\n";
  }
  SetLogLevel(verbose ? LogLevel::kDebug : LogLevel::kInfo);
  InstallStopSignals();

  SuiteRunOptions options;
  options.suite_path = parser.positional().empty() ? "" : parser.positional()[0];
  options.out_dir = resume.empty() ? out_dir : resume;
  options.resume = !resume.empty();
  options.listen = listen;
  options.tls = tls;
  options.token = *secret;
  options.expect_workers = static_cast<int>(expect_workers);
  options.start_timeout = *timeout;
  options.lease = *lease_duration;
  options.max_attempts = static_cast<int>(max_attempts);
  options.interrupted = StopRequested();
  options.announce = true;
  options.baseline = baseline;
  return RunSuite(options);
}

namespace {

// Runs the worker until the coordinator ends the run; a watcher turns SIGTERM/SIGINT into a
// clean stop (give back work, exit). The exit code.
int RunWorkerUntilStopped(Worker* worker) {
  std::atomic<bool> finished{false};
  std::thread watcher([&] {
    while (!finished) {
      if (StopRequested()->load()) {
        HS_LOG(INFO) << "stopping: giving back running work";
        worker->Stop();
        // The coordinator has a few seconds to read the releases and end the session.
        absl::Time give_up = absl::Now() + absl::Seconds(3);
        while (!finished && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(20));
        if (!finished) worker->Abort();
        return;
      }
      absl::SleepFor(absl::Milliseconds(20));  // signal-flag polling period
    }
  });
  absl::Status result = worker->Run();
  finished = true;
  watcher.join();
  if (!result.ok()) {
    std::cerr << "heapstorm worker: " << result.message() << "\n";
    return ExitCodeFor(result);
  }
  return kExitOk;
}

}  // namespace

// Over 80 lines because most of it is the flag table and its checks, one line each, in
// the order `--help` prints them; running the worker is RunWorkerUntilStopped().
int WorkerCommand(int argc, char** argv) {
  ArgParser parser("heapstorm worker", "",
                   "Connects to a coordinator and runs the scenarios it hands out, each in a\n"
                   "real node process under its limits. Stops when the coordinator says the\n"
                   "run is over; on SIGTERM it gives back its work and exits.");
  std::string coordinator;
  std::string id;
  std::string node;
  std::string token;
  std::string token_file;
  std::string reconnect = "30s";
  int64_t slots = 0;
  bool no_cgroups = false;
  bool verbose = false;
  TlsFiles tls;
  parser.String("--coordinator", "HOST:PORT", "the coordinator (required)", &coordinator);
  parser.Int("--slots", "N", "runs at once (default: one per core)", &slots);
  parser.String("--id", "NAME", "this worker's name (default: HOSTNAME-PID)", &id);
  parser.String("--node", "PATH", "the node executable (default: node on PATH)", &node);
  TokenFlags(&parser, &token, &token_file);
  parser.String("--reconnect-for", "DURATION", "keep trying to reach the coordinator this long (default 30s)",
                &reconnect);
  TlsFlags(&parser, &tls);
  bool insecure = false;
  parser.Bool("--insecure", "allow a non-loopback coordinator without TLS", &insecure);
  parser.Bool("--no-cgroups", "keep native limits with the RSS watchdog", &no_cgroups);
  parser.Bool("--verbose", "log what the worker does", &verbose);
  parser.Epilog(
      "Trust: a worker runs whatever JavaScript its coordinator sends. Off loopback it\n"
      "therefore requires TLS (--tls-ca at least, and --tls-cert/--tls-key for mutual TLS)\n"
      "so that the coordinator is who it says, and the token never travels in plain text.\n"
      "A coordinator stopped before its run was over (Ctrl-C) is waited for as a lost one is,\n"
      "for --reconnect-for, so that the workers join its --resume.\n"
      "exit codes: 0 the run is over, 2 bad usage or refused, 3 no node or no coordinator.");
  absl::Status status = parser.Parse(argc, argv);
  if (!status.ok()) return Usage(parser, "worker", status);
  if (parser.help_requested()) {
    std::cout << parser.Help();
    return kExitOk;
  }
  if (coordinator.empty()) return Usage(parser, "worker", absl::InvalidArgumentError("--coordinator is required"));
  if (!ValidAddress(coordinator)) {
    return Usage(parser, "worker", absl::InvalidArgumentError(
                                       absl::StrCat("--coordinator: expected HOST:PORT, got '", coordinator, "'")));
  }
  if (!parser.positional().empty()) {
    return Usage(parser, "worker", absl::InvalidArgumentError("takes no arguments, only flags"));
  }
  if (slots < 0 || slots > 256) return Usage(parser, "worker", absl::InvalidArgumentError("--slots must be from 1 to 256"));
  absl::StatusOr<absl::Duration> reconnect_for = ParseDuration(reconnect);
  if (!reconnect_for.ok()) return Usage(parser, "worker", reconnect_for.status());
  absl::StatusOr<std::string> secret = Token(token, token_file);
  if (!secret.ok()) return Usage(parser, "worker", secret.status());
  if (!IsLoopbackAddress(coordinator) && !tls.enabled() && !insecure) {
    return Usage(parser, "worker",
                 absl::InvalidArgumentError(absl::StrCat(
                     "--coordinator ", coordinator,
                     " is not a loopback address and there is no TLS: this worker would run whatever "
                     "JavaScript that address sends", secret->empty() ? "" : ", and send its token in plain text",
                     ". Give --tls-ca (and --tls-cert, --tls-key), or --insecure on a network you trust")));
  }
  SetLogLevel(verbose ? LogLevel::kDebug : LogLevel::kInfo);
  InstallStopSignals();

  EngineOptions engine_options;
  engine_options.node_path = node;
  engine_options.use_cgroups = !no_cgroups;
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(engine_options);
  if (!engine.ok()) {
    std::cerr << "heapstorm worker: " << engine.status().message() << "\n";
    return kExitHarness;
  }
  WorkerOptions options;
  options.coordinator = coordinator;
  options.slots = static_cast<int>(slots > 0 ? slots : std::max(1u, std::thread::hardware_concurrency()));
  options.worker_id = id;
  options.token = *secret;
  options.tls = tls;
  options.reconnect_for = *reconnect_for;
  Worker worker(options, engine->get());
  std::cerr << "heapstorm worker '" << worker.id() << "': " << options.slots << " slots, node "
            << (*engine)->node_version() << ", coordinator " << coordinator << "\n";
  return RunWorkerUntilStopped(&worker);
}

}  // namespace heapstorm
