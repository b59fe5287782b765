#include "cli/args.h"

#include <vector>

#include "gtest/gtest.h"

namespace heapstorm {
namespace {

std::vector<char*> Argv(std::vector<std::string>& words) {
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  return argv;
}

TEST(ArgParserTest, ParsesFlagsAndPositionals) {
  ArgParser p("heapstorm run", "SUITE.yaml", "Runs.");
  std::string out;
  int64_t workers = 0;
  bool quiet = false;
  std::vector<std::string> tags;
  p.String("--out", "DIR", "where", &out);
  p.Int("--workers", "N", "how many", &workers);
  p.Bool("--quiet", "less", &quiet);
  p.List("--tag", "T", "tags", &tags);
  std::vector<std::string> words = {"heapstorm", "run",     "--out=/tmp/x", "a.yaml",
                                    "--workers", "3",       "--quiet",      "--tag",
                                    "x",         "--tag=y", "--",           "--not-a-flag"};
  auto argv = Argv(words);
  ASSERT_TRUE(p.Parse(static_cast<int>(argv.size()), argv.data()).ok());
  EXPECT_EQ(out, "/tmp/x");
  EXPECT_EQ(workers, 3);
  EXPECT_TRUE(quiet);
  EXPECT_EQ(tags, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(p.positional(), (std::vector<std::string>{"a.yaml", "--not-a-flag"}));
}

TEST(ArgParserTest, ErrorsNameTheFlag) {
  ArgParser p("heapstorm run", "SUITE.yaml", "Runs.");
  int64_t workers = 0;
  p.Int("--workers", "N", "how many", &workers);
  {
    std::vector<std::string> words = {"heapstorm", "run", "--wokers", "3"};
    auto argv = Argv(words);
    absl::Status s = p.Parse(static_cast<int>(argv.size()), argv.data());
    EXPECT_NE(s.message().find("unknown flag '--wokers'"), std::string::npos) << s;
  }
  {
    std::vector<std::string> words = {"heapstorm", "run", "--workers", "three"};
    auto argv = Argv(words);
    absl::Status s = p.Parse(static_cast<int>(argv.size()), argv.data());
    EXPECT_NE(s.message().find("--workers: expected a whole number, got 'three'"),
              std::string::npos)
        << s;
  }
  {
    std::vector<std::string> words = {"heapstorm", "run", "--workers"};
    auto argv = Argv(words);
    absl::Status s = p.Parse(static_cast<int>(argv.size()), argv.data());
    EXPECT_NE(s.message().find("--workers needs a value"), std::string::npos) << s;
  }
}

TEST(ArgParserTest, HelpListsEveryFlag) {
  ArgParser p("heapstorm run", "SUITE.yaml", "Runs a suite.");
  std::string out;
  p.String("--out", "DIR", "where the reports go", &out);
  std::vector<std::string> words = {"heapstorm", "run", "-h"};
  auto argv = Argv(words);
  ASSERT_TRUE(p.Parse(static_cast<int>(argv.size()), argv.data()).ok());
  EXPECT_TRUE(p.help_requested());
  std::string help = p.Help();
  EXPECT_NE(help.find("usage: heapstorm run [flags] SUITE.yaml"), std::string::npos) << help;
  EXPECT_NE(help.find("--out DIR"), std::string::npos);
  EXPECT_NE(help.find("where the reports go"), std::string::npos);
  EXPECT_NE(help.find("--help"), std::string::npos);
}

// A help of several lines continues under its first line's text, whatever the flag's width
// (run --help's continuations stood three columns left of it).
TEST(ArgParserTest, AHelpOfSeveralLinesStaysInItsColumn) {
  ArgParser p("heapstorm run", "SUITE.yaml", "Runs a suite.");
  std::string out;
  bool flag = false;
  p.String("--baseline", "REPORT.json", "compare with an earlier report", &out);
  p.Bool("--bazel-test", "follow Bazel's test contract: scratch in\n$TEST_TMPDIR, reports in\n  $OUTPUTS", &flag);
  const std::string help = p.Help();
  const size_t first = help.find("follow Bazel's");
  ASSERT_NE(first, std::string::npos) << help;
  const size_t column = first - help.rfind('\n', first) - 1;
  for (const char* next : {"$TEST_TMPDIR", "$OUTPUTS"}) {
    const size_t at = help.find(next);
    ASSERT_NE(at, std::string::npos) << help;
    EXPECT_EQ(at - help.rfind('\n', at) - 1, column) << next << " in\n" << help;
  }
}

}  // namespace
}  // namespace heapstorm
