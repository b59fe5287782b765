#include "common/utf8.h"

#include <string>

#include "gtest/gtest.h"
#include "proto/result.pb.h"

namespace heapstorm {
namespace {

const std::string kRepl = "\xEF\xBF\xBD";  // U+FFFD

TEST(Utf8Test, ValidTextIsLeftAlone) {
  for (std::string s : {std::string(""), std::string("plain ascii\n"), std::string("h\xC3\xA9llo"),
                        std::string("\xE2\x82\xAC 20"), std::string("\xF0\x9F\x98\x80"),
                        std::string("\xEF\xBF\xBE"),  // U+FFFE is valid UTF-8 (XML forbids it)
                        std::string("nul\0inside", 10)}) {
    EXPECT_TRUE(IsValidUtf8(s)) << s;
    EXPECT_EQ(ValidUtf8(s), s);
  }
}

TEST(Utf8Test, InvalidSequencesBecomeReplacementCharacters) {
  struct Case {
    std::string in;
    std::string out;
    size_t first_bad;
  };
  const Case cases[] = {
      {"a\xFF" "b", "a" + kRepl + "b", 1},                    // a byte that never starts one
      {"\x80x", kRepl + "x", 0},                             // a stray continuation byte
      {"\xC0\x80", kRepl + kRepl, 0},                        // overlong NUL
      {"\xE0\x80\x80", kRepl + kRepl + kRepl, 0},            // overlong, 3 bytes
      {"\xED\xA0\x80", kRepl + kRepl + kRepl, 0},            // a UTF-16 surrogate
      {"\xF4\x90\x80\x80", kRepl + kRepl + kRepl + kRepl, 0},  // above U+10FFFF
      {"ok\xE2\x82", "ok" + kRepl, 2},                       // cut short at the end
      {"\xE2\x82" "A", kRepl + "A", 0},                      // cut short in the middle
      {"\xF0\x9F\x98", kRepl, 0},
      {"latin-1 caf\xE9 au lait", "latin-1 caf" + kRepl + " au lait", 11},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(FindInvalidUtf8(c.in), c.first_bad) << c.in;
    std::string fixed = ValidUtf8(c.in);
    EXPECT_EQ(fixed, c.out) << c.in;
    EXPECT_TRUE(IsValidUtf8(fixed));
  }
}

// A module's exception said "bad bytes: \0\x1b[2J": printed raw, the NUL went to the
// terminal and the escape sequence cleared the screen (a new user's run).
TEST(Utf8Test, TerminalTextShowsControlCharactersInsteadOfSendingThem) {
  EXPECT_EQ(TerminalText(std::string("bad bytes: \0\x1b[2J\x7f end", 21)), "bad bytes: \\x00\\x1b[2J\\x7f end");
  EXPECT_EQ(TerminalText("line one\nline two\tx"), "line one\nline two\\x09x");
  EXPECT_EQ(TerminalText("C1 \xc2\x9b" "31m"), "C1 \\u009b31m");
  EXPECT_EQ(TerminalText("caf\xc3\xa9 \xe2\x86\x92 \xff"), "caf\xc3\xa9 \xe2\x86\x92 \xef\xbf\xbd");
  const std::string plain = "scenario  outcome  units\n  cache: leak: 1.2Ki/iteration\n";
  EXPECT_EQ(TerminalText(plain), plain);
}

TEST(Utf8Test, WidthCountsCharactersNotBytes) {
  EXPECT_EQ(Utf8Width(""), 0u);
  EXPECT_EQ(Utf8Width("heap_exhausted"), 14u);
  EXPECT_EQ(Utf8Width("heap_exhausted\u00d75"), 16u);  // the × is two bytes
  EXPECT_EQ(Utf8Width("\u20ac\U0001F600"), 2u);         // three and four bytes
  // An invalid sequence is shown as one U+FFFD: one column, as ValidUtf8 makes it.
  // (A string literal ends the escape: "\xfeb" would be one out-of-range escape.)
  const std::string invalid = "a\xff\xfe" "b";
  ASSERT_EQ(invalid.size(), 4u);
  EXPECT_EQ(Utf8Width(invalid), Utf8Width(ValidUtf8(invalid)));
  EXPECT_EQ(Utf8Width(invalid), 4u);
}

TEST(Utf8Test, CutsFallOnCharacterBoundaries) {
  std::string euros;
  for (int i = 0; i < 10; ++i) euros += "\xE2\x82\xAC";  // 30 bytes, 3 per character
  for (size_t max = 0; max <= 31; ++max) {
    absl::string_view head = Utf8Head(euros, max);
    absl::string_view tail = Utf8Tail(euros, max);
    EXPECT_LE(head.size(), max);
    EXPECT_LE(tail.size(), max);
    EXPECT_EQ(head.size() % 3, 0u) << max;
    EXPECT_EQ(tail.size(), std::min<size_t>(30, max - max % 3)) << max;
    EXPECT_TRUE(IsValidUtf8(head));
    EXPECT_TRUE(IsValidUtf8(tail));
  }
}

TEST(Utf8Test, JsonTextLosesLoneSurrogatesAndKeepsPairs) {
  EXPECT_EQ(ValidJsonText(R"({"a":"x\ud800y"})"), R"({"a":"x\uFFFDy"})");
  EXPECT_EQ(ValidJsonText(R"({"a":"\udc00"})"), R"({"a":"\uFFFD"})");
  EXPECT_EQ(ValidJsonText(R"({"a":"\ud83d\ude00 ok"})"), R"({"a":"\ud83d\ude00 ok"})");
  EXPECT_EQ(ValidJsonText(R"({"a":"\ud83d\u0041"})"), R"({"a":"\uFFFD\u0041"})");
  EXPECT_EQ(ValidJsonText(R"({"a":"\\ud800 is text"})"), R"({"a":"\\ud800 is text"})");
  EXPECT_EQ(ValidJsonText("{\"a\":\"\xFF\"}"), "{\"a\":\"" + kRepl + "\"}");
  EXPECT_EQ(ValidJsonText(R"({"a":"\ud800)"), R"({"a":"\uFFFD)");
}

TEST(Utf8Test, RepairsEveryStringFieldOfAMessage) {
  v1::RunResult r;
  r.set_scenario("caf\xE9");
  r.mutable_evidence()->set_stderr_tail(std::string("boom \xFF\xFE tail"));
  r.mutable_evidence()->set_driver_error("ok");
  r.add_peak_spaces()->set_name("space\xC3");
  r.mutable_leak()->add_culprits()->set_constructor("Ctor\x80");

  // What the coordinator would see today: the bytes do not parse back as a result.
  std::string wire;
  ASSERT_TRUE(r.SerializeToString(&wire));
  v1::RunResult parsed;
  EXPECT_FALSE(parsed.ParseFromString(wire));

  EXPECT_EQ(MakeStringsValidUtf8(&r), 4);
  EXPECT_EQ(r.scenario(), "caf" + kRepl);
  EXPECT_EQ(r.evidence().stderr_tail(), "boom " + kRepl + kRepl + " tail");
  EXPECT_EQ(r.evidence().driver_error(), "ok");
  EXPECT_EQ(r.peak_spaces(0).name(), "space" + kRepl);
  EXPECT_EQ(r.leak().culprits(0).constructor(), "Ctor" + kRepl);
  ASSERT_TRUE(r.SerializeToString(&wire));
  EXPECT_TRUE(parsed.ParseFromString(wire));
  EXPECT_EQ(MakeStringsValidUtf8(&r), 0);
}

}  // namespace
}  // namespace heapstorm
