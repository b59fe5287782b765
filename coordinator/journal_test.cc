// The journal on real files: torn tails of every shape are cut before anything is
// appended, so repeated crashes never lose an acknowledged record nor strand new ones.
#include "coordinator/journal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/files.h"
#include "gtest/gtest.h"

namespace heapstorm {
namespace {

std::string FreshDir(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string dir = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/journal-", name);
  RemoveTree(dir);
  EXPECT_TRUE(MakeDirs(dir).ok());
  return dir;
}

v1::RunResult Result(int i) {
  v1::RunResult r;
  r.set_assignment_id(absl::StrCat("run-", i));
  r.set_scenario("s");
  r.set_units_reached(static_cast<uint64_t>(i) * 1000);
  r.mutable_evidence()->set_stderr_tail(std::string(static_cast<size_t>(50 + i * 7), 'x'));
  return r;
}

std::vector<std::string> Ids(const std::vector<v1::RunResult>& results) {
  std::vector<std::string> ids;
  for (const v1::RunResult& r : results) ids.push_back(r.assignment_id());
  return ids;
}

void AppendAll(const std::string& dir, int from, int to) {
  absl::StatusOr<std::unique_ptr<Journal>> journal = Journal::Open(dir);
  ASSERT_TRUE(journal.ok()) << journal.status();
  for (int i = from; i < to; ++i) ASSERT_TRUE((*journal)->Append(Result(i)).ok());
}

TEST(JournalTest, RecordsComeBackInOrder) {
  std::string dir = FreshDir("order");
  AppendAll(dir, 0, 5);
  absl::StatusOr<std::vector<v1::RunResult>> loaded = Journal::Load(dir);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(Ids(*loaded), (std::vector<std::string>{"run-0", "run-1", "run-2", "run-3", "run-4"}));
  struct stat st;
  ASSERT_EQ(stat(Journal::PathIn(dir).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "the journal is the user's alone";
}

// Every way a crash can leave the end of the file, then a resume that appends: the
// records before the damage and the new ones are all there, once.
TEST(JournalTest, ATornTailIsCutBeforeAppendingSoASecondCrashLosesNothing) {
  std::string clean_dir = FreshDir("clean");
  AppendAll(clean_dir, 0, 3);
  absl::StatusOr<std::string> clean = ReadFile(Journal::PathIn(clean_dir));
  ASSERT_TRUE(clean.ok());
  AppendAll(clean_dir, 3, 4);
  absl::StatusOr<std::string> with_fourth = ReadFile(Journal::PathIn(clean_dir));
  ASSERT_TRUE(with_fourth.ok());
  const std::string fourth = with_fourth->substr(clean->size());

  std::vector<std::pair<std::string, std::string>> tails;
  for (size_t cut = 1; cut < fourth.size(); cut += std::max<size_t>(1, fourth.size() / 17)) {
    tails.emplace_back(absl::StrCat("cut at ", cut), fourth.substr(0, cut));
  }
  tails.emplace_back("zeros", std::string(300, '\0'));
  tails.emplace_back("a length and no body", std::string("\x10\x00\x00\x00", 4));
  std::string zeroed = fourth;
  for (size_t i = 4; i < zeroed.size(); ++i) zeroed[i] = '\0';  // the page never reached the disk
  tails.emplace_back("a zeroed body", zeroed + fourth);
  tails.emplace_back("garbage", "\xff\xff\x00\x00garbage");

  for (const auto& [what, tail] : tails) {
    SCOPED_TRACE(what);
    std::string dir = FreshDir("torn");
    ASSERT_TRUE(WriteFileAtomically(Journal::PathIn(dir), *clean + tail).ok());
    chmod(Journal::PathIn(dir).c_str(), 0600);
    absl::StatusOr<std::vector<v1::RunResult>> first = Journal::Load(dir);
    ASSERT_TRUE(first.ok()) << first.status();
    EXPECT_EQ(first->size(), 3u);
    // Resume: append two more; then "crash" again with another torn tail; resume again.
    AppendAll(dir, 10, 12);
    {
      std::ofstream out(Journal::PathIn(dir), std::ios::app | std::ios::binary);
      out << tail;
    }
    AppendAll(dir, 20, 21);
    absl::StatusOr<std::vector<v1::RunResult>> last = Journal::Load(dir);
    ASSERT_TRUE(last.ok()) << last.status();
    EXPECT_EQ(Ids(*last), (std::vector<std::string>{"run-0", "run-1", "run-2", "run-10", "run-11", "run-20"}));
  }
}

TEST(JournalTest, NeverWritesThroughASymbolicLink) {
  std::string dir = FreshDir("link");
  std::string victim = dir + "/victim.txt";
  ASSERT_TRUE(WriteFileAtomically(victim, "keep me").ok());
  ASSERT_EQ(symlink(victim.c_str(), Journal::PathIn(dir).c_str()), 0);
  absl::StatusOr<std::unique_ptr<Journal>> journal = Journal::Open(dir);
  ASSERT_FALSE(journal.ok());
  EXPECT_EQ(journal.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(journal.status().message().find("symbolic link"), absl::string_view::npos);
  EXPECT_EQ(*ReadFile(victim), "keep me");
}

}  // namespace
}  // namespace heapstorm
