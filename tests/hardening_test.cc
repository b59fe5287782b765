// What a hostile but fair reviewer tries (issue 17), on the real binary with real node,
// real gRPC over loopback and real files: bytes that are not UTF-8 from the measured
// process, an uninvited worker, tokens and plaintext off loopback, a disk that fills
// under the journal, and a coordinator killed three times in a row with torn tails.
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/utf8.h"
#include "coordinator/journal.h"
#include "gtest/gtest.h"
#include "reports/report_writer.h"
#include "tests/test_support.h"

namespace heapstorm {
namespace {

using testing_support::ReadFile;
using testing_support::RunCommand;
using testing_support::Runfile;
using testing_support::SpawnProcess;
using testing_support::StopProcess;
using testing_support::TmpDir;
using testing_support::WaitForExitCode;
using testing_support::WaitForFileContains;

std::string Heapstorm() { return Runfile("cli/heapstorm"); }

std::string FreshDir(const std::string& name) {
  std::string dir = TmpDir() + "/" + name;
  EXPECT_EQ(system(("rm -rf '" + dir + "' && mkdir -p '" + dir + "'").c_str()), 0);
  return dir;
}

std::string Write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

v1::Report ReportIn(const std::string& run_dir) {
  absl::StatusOr<v1::Report> report = ReadReportJson(run_dir + "/report.json");
  EXPECT_TRUE(report.ok()) << report.status();
  return report.ok() ? *report : v1::Report();
}

// Two scenarios: one whose module writes bad bytes and throws a hostile message, one
// that is ordinary. Both must be recorded.
std::string HostileSuite() {
  return R"(scenarios:
  - name: bad-bytes
    kind: script
    params: {module: )" +
         Runfile("tests/fixtures/hostile/bad_bytes.js") + R"(, iterations: 10}
    expect: {outcome: script_error}
  - name: ordinary
    kind: cached_data
    params: {entries: 1000}
)";
}

void ExpectHostileRunsRecorded(const std::string& run_dir) {
  v1::Report report = ReportIn(run_dir);
  EXPECT_EQ(report.status(), v1::RUN_STATUS_COMPLETE);
  EXPECT_EQ(report.missing_size(), 0);
  std::map<std::string, v1::Outcome> outcomes;
  for (const v1::RunResult& r : report.runs()) {
    outcomes[r.scenario()] = r.outcome();
    if (r.scenario() != "bad-bytes") continue;
    const v1::Evidence& e = r.evidence();
    EXPECT_TRUE(IsValidUtf8(e.stderr_tail()));
    EXPECT_LE(e.stderr_tail().size(), 8192u);
    EXPECT_TRUE(absl::StrContains(e.driver_error(), "hostile")) << e.driver_error();
  }
  EXPECT_EQ(outcomes["bad-bytes"], v1::OUTCOME_SCRIPT_ERROR);
  EXPECT_EQ(outcomes["ordinary"], v1::OUTCOME_COMPLETED);
  // The JUnit file is well-formed XML: checked by a real XML parser.
  testing_support::CommandResult xml = RunCommand(
      {"/usr/bin/env", "python3", "-c", "import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1]); print('ok')",
       run_dir + "/junit.xml"});
  EXPECT_EQ(xml.exit_code, 0) << xml.err;
}

TEST(HardeningTest, BytesThatAreNotUtf8NeverCostARunLocally) {
  std::string dir = FreshDir("utf8-local");
  std::string suite = Write(dir + "/suite.yaml", HostileSuite());
  testing_support::CommandResult r = RunCommand({Heapstorm(), "run", "--out", dir + "/run", suite});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  ExpectHostileRunsRecorded(dir + "/run");
}

TEST(HardeningTest, BytesThatAreNotUtf8NeverCostARunOnACluster) {
  std::string dir = FreshDir("utf8-cluster");
  std::string suite = Write(dir + "/suite.yaml", HostileSuite());
  pid_t coordinator = SpawnProcess({Heapstorm(), "coordinator", "--listen", "127.0.0.1:0", "--out",
                                    dir + "/run", suite},
                                   dir + "/c.out", dir + "/c.err");
  ASSERT_TRUE(WaitForFileContains(dir + "/c.out", "listening on ", 20)) << ReadFile(dir + "/c.err");
  std::string out = ReadFile(dir + "/c.out");
  size_t at = out.find("listening on ") + 13;
  std::string address = out.substr(at, out.find('\n', at) - at);
  pid_t worker = SpawnProcess({Heapstorm(), "worker", "--coordinator", address, "--slots", "2",
                               "--no-cgroups"},
                              dir + "/w.out", dir + "/w.err");
  EXPECT_EQ(WaitForExitCode(coordinator, 120), 0) << ReadFile(dir + "/c.err");
  EXPECT_EQ(WaitForExitCode(worker, 20), 0) << ReadFile(dir + "/w.err");
  StopProcess(coordinator);
  StopProcess(worker);
  ExpectHostileRunsRecorded(dir + "/run");
}

// The port a process listens on, from `ss` (iproute2).
int ListeningPortOf(pid_t pid) {
  testing_support::CommandResult ss = RunCommand({"/usr/bin/env", "ss", "-ltnpH"});
  for (absl::string_view line : absl::StrSplit(ss.out, '\n')) {
    if (!absl::StrContains(line, absl::StrCat("pid=", pid, ","))) continue;
    std::vector<absl::string_view> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (fields.size() < 4) continue;
    absl::string_view local = fields[3];
    int port = 0;
    if (absl::SimpleAtoi(local.substr(local.rfind(':') + 1), &port)) return port;
  }
  return 0;
}

TEST(HardeningTest, ALocalRunRefusesAnUninvitedWorker) {
  std::string dir = FreshDir("uninvited");
  std::string suite = Write(dir + "/suite.yaml", R"(scenarios:
  - name: naps
    kind: script
    params: {module: )" + Runfile("tests/fixtures/naps.js") + R"(, iterations: 10}
    repeats: 8
)");
  pid_t run = SpawnProcess({Heapstorm(), "run", "--workers", "1", "--out", dir + "/run", suite},
                           dir + "/run.out", dir + "/run.err");
  ASSERT_TRUE(WaitForFileContains(dir + "/run.err", "local worker", 30)) << ReadFile(dir + "/run.err");
  int port = 0;
  for (int i = 0; i < 100 && port == 0; ++i) {
    port = ListeningPortOf(run);
    if (port == 0) usleep(20000);  // the server binds before it prints; ss may lag a little
  }
  ASSERT_GT(port, 0) << "cannot find the local run's port";
  testing_support::CommandResult intruder =
      RunCommand({Heapstorm(), "worker", "--coordinator", absl::StrCat("127.0.0.1:", port), "--id", "intruder",
                  "--no-cgroups", "--reconnect-for", "5s"});
  EXPECT_EQ(intruder.exit_code, 2) << intruder.err;
  EXPECT_TRUE(absl::StrContains(intruder.err, "refused by the coordinator: wrong or missing token")) << intruder.err;
  EXPECT_EQ(WaitForExitCode(run, 120), 0) << ReadFile(dir + "/run.err");
  v1::Report report = ReportIn(dir + "/run");
  EXPECT_EQ(report.runs_size(), 8);
  for (const v1::RunResult& r : report.runs()) EXPECT_EQ(r.worker(), "local-1");
}

TEST(HardeningTest, TokensNeverComeFromArgvAndPlaintextStaysOnLoopback) {
  std::string dir = FreshDir("trust");
  std::string suite = Write(dir + "/suite.yaml", "scenarios:\n  - {name: a, kind: cached_data, params: {entries: 10}}\n");
  testing_support::CommandResult r =
      RunCommand({Heapstorm(), "coordinator", "--listen", "127.0.0.1:0", "--token", "s3cret", suite});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(r.err, "--token is not accepted")) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "--token-file")) << r.err;

  r = RunCommand({Heapstorm(), "coordinator", "--listen", "0.0.0.0:0", "--out", dir + "/run", suite});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(r.err, "is not a loopback address, and there is no TLS")) << r.err;
  struct stat st;
  EXPECT_NE(stat((dir + "/run").c_str(), &st), 0) << "nothing is written on bad input";

  // `.invalid` never resolves: if the check were missing, this would fail to connect and
  // exit 3, never reach anything.
  r = RunCommand({Heapstorm(), "worker", "--coordinator", "coordinator.invalid:7070", "--no-cgroups",
                  "--reconnect-for", "1s"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "is not a loopback address and there is no TLS")) << r.err;

  // --insecure is the explicit way out, and then the coordinator starts.
  pid_t coordinator = SpawnProcess({Heapstorm(), "coordinator", "--listen", "0.0.0.0:0", "--insecure", "--out",
                                    dir + "/run", suite},
                                   dir + "/c.out", dir + "/c.err");
  EXPECT_TRUE(WaitForFileContains(dir + "/c.out", "listening on ", 20)) << ReadFile(dir + "/c.err");
  EXPECT_TRUE(absl::StrContains(ReadFile(dir + "/c.err"), "warning: no token")) << ReadFile(dir + "/c.err");
  StopProcess(coordinator);
}

// A small tmpfs that the journal fills: a real ENOSPC, not a fake.
class FullDisk {
 public:
  FullDisk(const std::string& dir, size_t bytes) : dir_(dir) {
    mounted_ = mount("tmpfs", dir.c_str(), "tmpfs", 0, absl::StrCat("size=", bytes).c_str()) == 0;
  }
  ~FullDisk() {
    if (mounted_) umount2(dir_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }

 private:
  std::string dir_;
  bool mounted_ = false;
};

TEST(HardeningTest, AJournalThatCannotBeWrittenStopsTheRunWithExit3) {
  std::string dir = FreshDir("full-disk");
  std::string disk = dir + "/disk";
  ASSERT_EQ(mkdir(disk.c_str(), 0700), 0);
  FullDisk full(disk, 96 << 10);
  ASSERT_TRUE(full.mounted()) << "mounting a tmpfs needs root outside Bazel's sandbox (tags: no-sandbox)";
  std::string suite = Write(dir + "/suite.yaml", R"(scenarios:
  - name: cache
    kind: cached_data
    params: {entries: 20000}
    repeats: 200
)");
  testing_support::CommandResult r =
      RunCommand({Heapstorm(), "run", "--workers", "2", "--no-cgroups", "--out", disk + "/run", suite});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "the journal cannot be written")) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "No space left on device")) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "--resume " + disk + "/run")) << r.err;
  // What was acknowledged is loadable; the torn tail is not an error.
  absl::StatusOr<std::vector<v1::RunResult>> journal = Journal::Load(disk + "/run");
  ASSERT_TRUE(journal.ok()) << journal.status();
  EXPECT_LT(journal->size(), 200u);
}

// The coordinator is killed three times at random points; each time a torn record is
// left at the end of the journal, as a crash in the middle of a write would. The run
// still ends with every result present exactly once.
TEST(HardeningTest, ThreeCoordinatorCrashesWithTornTailsLoseNothing) {
  std::string dir = FreshDir("three-crashes");
  std::string suite = Write(dir + "/suite.yaml", R"(scenarios:
  - name: naps
    kind: script
    params: {module: )" + Runfile("tests/fixtures/naps.js") + R"(, iterations: 6}
    repeats: 12
  - name: cache
    kind: cached_data
    params: {entries: 3000}
    repeats: 12
)");
  const unsigned seed = std::random_device()();
  std::mt19937 random(seed);
  SCOPED_TRACE(absl::StrCat("seed ", seed));
  std::string run = dir + "/run";
  std::string address = "127.0.0.1:0";
  pid_t worker = 0;
  std::vector<pid_t> all;
  for (int crash = 0; crash <= 3; ++crash) {
    std::vector<std::string> argv = {Heapstorm(), "coordinator", "--listen", address};
    if (crash == 0) {
      argv.insert(argv.end(), {"--out", run, suite});
    } else {
      argv.insert(argv.end(), {"--resume", run});
    }
    std::string tag = absl::StrCat("c", crash);
    pid_t coordinator = SpawnProcess(argv, dir + "/" + tag + ".out", dir + "/" + tag + ".err");
    all.push_back(coordinator);
    ASSERT_TRUE(WaitForFileContains(dir + "/" + tag + ".out", "listening on ", 20)) << ReadFile(dir + "/" + tag + ".err");
    if (crash == 0) {
      std::string out = ReadFile(dir + "/c0.out");
      size_t at = out.find("listening on ") + 13;
      address = out.substr(at, out.find('\n', at) - at);
      worker = SpawnProcess({Heapstorm(), "worker", "--coordinator", address, "--slots", "2", "--no-cgroups",
                             "--reconnect-for", "60s"},
                            dir + "/w.out", dir + "/w.err");
      all.push_back(worker);
    }
    if (crash == 3) {
      EXPECT_EQ(WaitForExitCode(coordinator, 180), 0) << ReadFile(dir + "/" + tag + ".err");
      break;
    }
    // A random point: after 1 to 4 more results have been journaled.
    size_t before = Journal::Load(run)->size();
    size_t target = before + 1 + random() % 4;
    for (int i = 0; i < 3000 && Journal::Load(run)->size() < target; ++i) usleep(10000);
    ASSERT_EQ(kill(coordinator, SIGKILL), 0);
    EXPECT_EQ(WaitForExitCode(coordinator, 10), 128 + SIGKILL);
    // A torn record: a length that promises more than follows.
    std::string torn = std::string("\x00\x20\x00\x00", 4) + std::string(random() % 200, '\x7f');
    std::ofstream(Journal::PathIn(run), std::ios::app | std::ios::binary) << torn;
  }
  EXPECT_EQ(WaitForExitCode(worker, 30), 0) << ReadFile(dir + "/w.err");
  for (pid_t pid : all) StopProcess(pid);
  absl::StatusOr<std::vector<v1::RunResult>> journal = Journal::Load(run);
  ASSERT_TRUE(journal.ok()) << journal.status();
  std::map<std::string, int> count;
  for (const v1::RunResult& r : *journal) ++count[r.assignment_id()];
  EXPECT_EQ(count.size(), 24u);
  for (const auto& [id, n] : count) EXPECT_EQ(n, 1) << id << " journaled " << n << " times";
  v1::Report report = ReportIn(run);
  EXPECT_EQ(report.status(), v1::RUN_STATUS_COMPLETE);
  EXPECT_EQ(report.runs_size(), 24);
}

}  // namespace
}  // namespace heapstorm
