#include "common/files.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include "gtest/gtest.h"

namespace heapstorm {
namespace {

std::string Tmp() { return std::getenv("TEST_TMPDIR"); }

TEST(FilesTest, WriteThenReadAndRemove) {
  std::string dir = Tmp() + "/a/b/c";
  ASSERT_TRUE(MakeDirs(dir).ok());
  std::string path = dir + "/f.txt";
  ASSERT_TRUE(WriteFileAtomically(path, std::string("hello\0world", 11)).ok());
  absl::StatusOr<std::string> back = ReadFile(path);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, std::string("hello\0world", 11));
  EXPECT_NE(access((path + ".tmp." + std::to_string(getpid())).c_str(), F_OK), 0) << "temp left";
  RemoveTree(Tmp() + "/a");
  EXPECT_NE(access((Tmp() + "/a").c_str(), F_OK), 0);
}

TEST(FilesTest, ScratchFileReplacesWhatWasThere) {
  std::string path = Tmp() + "/scratch.json";
  ASSERT_TRUE(WriteScratchFile(path, "a longer first version").ok());
  ASSERT_TRUE(WriteScratchFile(path, "short").ok());
  absl::StatusOr<std::string> back = ReadFile(path);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, "short");
  absl::Status s = WriteScratchFile(Tmp() + "/no/such/dir/f", "x");
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_NE(s.message().find("no/such/dir/f: No such file"), std::string::npos) << s;
}

// A pid that surely belongs to no process: a child that has exited and been reaped.
pid_t DeadPid() {
  pid_t pid = fork();
  if (pid == 0) _exit(0);
  int status = 0;
  waitpid(pid, &status, 0);
  return pid;
}

TEST(FilesTest, RemoveTreeNeverFollowsALink) {
  std::string victim = Tmp() + "/victim";
  ASSERT_TRUE(MakeDirs(victim + "/deep").ok());
  ASSERT_TRUE(WriteScratchFile(victim + "/deep/precious", "x").ok());
  std::string tree = Tmp() + "/tree";
  ASSERT_TRUE(MakeDirs(tree + "/sub").ok());
  ASSERT_EQ(symlink(victim.c_str(), (tree + "/sub/link").c_str()), 0);
  std::string link_to_dir = Tmp() + "/link-to-victim";
  ASSERT_EQ(symlink(victim.c_str(), link_to_dir.c_str()), 0);

  RemoveTree(tree);
  RemoveTree(link_to_dir);  // a link where a folder was expected: only the link goes
  EXPECT_NE(access(tree.c_str(), F_OK), 0);
  struct stat st;
  EXPECT_NE(lstat(link_to_dir.c_str(), &st), 0);
  EXPECT_EQ(access((victim + "/deep/precious").c_str(), F_OK), 0) << "a link was followed";
  RemoveTree(victim);
}

TEST(FilesTest, StaleScratchDirsAreOnlyOursAndNeverLinks) {
  std::string scratch = Tmp() + "/scratch";
  ASSERT_TRUE(MakeDirs(scratch).ok());
  std::string dead = std::to_string(DeadPid());
  std::string live = std::to_string(getpid());
  // Another user's precious folder, and a link to it dressed as a stale run folder.
  std::string precious = Tmp() + "/precious";
  ASSERT_TRUE(MakeDirs(precious).ok());
  ASSERT_TRUE(WriteScratchFile(precious + "/keep", "x").ok());
  ASSERT_EQ(symlink(precious.c_str(), (scratch + "/heapstorm-run-" + dead + "-evil").c_str()), 0);
  // Ours and stale; ours and live; a stale-looking one owned by someone else.
  ASSERT_TRUE(MakeDirs(scratch + "/heapstorm-run-" + dead + "-aaaaaa/x").ok());
  ASSERT_TRUE(MakeDirs(scratch + "/heapstorm-run-" + live + "-bbbbbb").ok());
  std::string theirs = scratch + "/heapstorm-run-" + dead + "-cccccc";
  ASSERT_TRUE(MakeDirs(theirs).ok());
  // Ours, its pid looks dead from here, but a live run holds it (as a run in another PID
  // namespace would): kept.
  std::string held = scratch + "/heapstorm-run-" + dead + "-dddddd";
  ASSERT_TRUE(MakeDirs(held).ok());
  int lock = LockScratchDir(held);
  ASSERT_GE(lock, 0);
  // Tests run as root (CI does; scripts/test.sh needs it to install): give it away.
  ASSERT_EQ(chown(theirs.c_str(), 65534, 65534), 0) << "run the tests as root";

  EXPECT_EQ(RemoveStaleScratchDirs(scratch, "heapstorm-run-"), 1);
  EXPECT_NE(access((scratch + "/heapstorm-run-" + dead + "-aaaaaa").c_str(), F_OK), 0);
  EXPECT_EQ(access((scratch + "/heapstorm-run-" + live + "-bbbbbb").c_str(), F_OK), 0) << "live run removed";
  EXPECT_EQ(access((precious + "/keep").c_str(), F_OK), 0) << "the planted link was followed";
  struct stat st;
  EXPECT_EQ(lstat((scratch + "/heapstorm-run-" + dead + "-evil").c_str(), &st), 0) << "not ours: left alone";
  EXPECT_EQ(access(theirs.c_str(), F_OK), 0) << "another user's folder removed";
  EXPECT_EQ(access(held.c_str(), F_OK), 0) << "a folder a live run holds was removed";
  close(lock);
  EXPECT_EQ(RemoveStaleScratchDirs(scratch, "heapstorm-run-"), 1) << "once released, it is stale";
}

TEST(FilesTest, WritingToAPipeWithoutAReaderIsAnErrorNotADeath) {
  struct sigaction before {};
  ASSERT_EQ(sigaction(SIGPIPE, nullptr, &before), 0);
  ASSERT_EQ(before.sa_handler, SIG_DFL) << "the test needs SIGPIPE at its default, which kills";
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  EXPECT_TRUE(WriteToPipe(fds[1], "hello\n").ok());
  close(fds[0]);  // the reader goes away (node died, or closed its stdin)
  absl::Status s = WriteToPipe(fds[1], "stop\n");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  close(fds[1]);
  struct sigaction after {};
  ASSERT_EQ(sigaction(SIGPIPE, nullptr, &after), 0);
  EXPECT_EQ(after.sa_handler, SIG_DFL) << "a library must not change the process's dispositions";
  sigset_t pending;
  sigpending(&pending);
  EXPECT_EQ(sigismember(&pending, SIGPIPE), 0) << "the SIGPIPE it raised was left pending";
}

TEST(FilesTest, MissingFileSaysWhich) {
  absl::StatusOr<std::string> r = ReadFile(Tmp() + "/nope");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("nope: No such file"), std::string::npos) << r.status();
}

}  // namespace
}  // namespace heapstorm
