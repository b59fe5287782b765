#include "common/files.h"

#include <sys/stat.h>
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

TEST(FilesTest, MissingFileSaysWhich) {
  absl::StatusOr<std::string> r = ReadFile(Tmp() + "/nope");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("nope: No such file"), std::string::npos) << r.status();
}

}  // namespace
}  // namespace heapstorm
