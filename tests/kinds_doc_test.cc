// The README's table of kinds (scenarios/README.md, "kinds and their params") is checked
// against the registry of kinds (model/kinds.h): one row per kind, in registry order, with
// its unit, its params and their defaults, and the params a sweep may vary. And every
// kind's driver entry is a function of worker/driver/driver.js. On a mismatch the test
// prints the row the registry makes, to paste into the README.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/files.h"
#include "gtest/gtest.h"
#include "model/kinds.h"
#include "model/units.h"
#include "tests/test_support.h"

namespace heapstorm {
namespace {

// "1Ki", "16B", "true", "`string`, `object`, `buffer`; object".
std::string DefaultText(const ParamSpec& p) {
  if (p.required) return "required";
  switch (p.type) {
    case ParamType::kCount:
      return absl::StrCat(p.default_value);
    case ParamType::kSize:
      return FormatSize(static_cast<double>(p.default_value));
    case ParamType::kDuration:
      return FormatShortDuration(absl::Milliseconds(p.default_value));
    case ParamType::kBool:
      return p.default_value != 0 ? "true" : "false";
    case ParamType::kChoice: {
      std::vector<std::string> quoted;
      for (const std::string& c : p.choices) quoted.push_back(absl::StrCat("`", c, "`"));
      std::string text = absl::StrJoin(quoted, ", ");
      if (p.default_value >= 1 && p.default_value <= p.choices.size()) {
        absl::StrAppend(&text, "; ", p.choices[p.default_value - 1]);
      }
      return text;
    }
    case ParamType::kText:
      return "";
  }
  return "";
}

std::string RowFor(const KindSpec& k) {
  std::vector<std::string> params, sweepable;
  for (const ParamSpec& p : k.params) {
    params.push_back(absl::StrCat("`", p.name, "` (", DefaultText(p), p.note, ")"));
    if (p.sweepable) sweepable.push_back(absl::StrCat("`", p.name, "`"));
  }
  return absl::StrCat("| `", k.name, "` | ", k.unit_description, " | ", absl::StrJoin(params, ", "), " | ",
                      sweepable.empty() ? "—" : absl::StrJoin(sweepable, ", "), " |");
}

TEST(KindsDocTest, TheReadmeTableOfKindsIsTheRegistry) {
  absl::StatusOr<std::string> readme = ReadFile(testing_support::Runfile("scenarios/README.md"));
  ASSERT_TRUE(readme.ok()) << readme.status();
  std::vector<std::string> rows;
  bool in_section = false;
  for (absl::string_view line : absl::StrSplit(*readme, '\n')) {
    if (absl::StartsWith(line, "## ")) in_section = line == "## kinds and their params";
    if (in_section && absl::StartsWith(line, "| `")) rows.emplace_back(line);
  }
  std::vector<std::string> expected;
  for (const KindSpec* k : AllKinds()) expected.push_back(RowFor(*k));
  EXPECT_EQ(rows.size(), expected.size()) << "one row per kind in scenarios/README.md";
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(i < rows.size() ? rows[i] : "", expected[i]) << "row " << i + 1 << " of the table of kinds";
  }
}

TEST(KindsDocTest, EveryKindHasItsDriverEntry) {
  absl::StatusOr<std::string> driver = ReadFile(testing_support::Runfile("worker/driver/driver.js"));
  ASSERT_TRUE(driver.ok()) << driver.status();
  for (const KindSpec* k : AllKinds()) {
    EXPECT_TRUE(absl::StrContains(*driver, absl::StrCat("function ", k->driver_entry, "(")))
        << k->name << ": driver.js has no function " << k->driver_entry;
    EXPECT_TRUE(absl::StrContains(*driver, absl::StrCat("return ", k->driver_entry, "(config")))
        << k->name << ": driver.js's main() does not call " << k->driver_entry;
  }
}

}  // namespace
}  // namespace heapstorm
