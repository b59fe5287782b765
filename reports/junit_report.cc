#include "reports/junit_report.h"

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "reports/compare.h"
#include "reports/markup.h"

namespace heapstorm {
namespace {

std::string Seconds(double ms) { return absl::StrFormat("%.3f", ms / 1000.0); }

std::string CaseName(const std::string& scenario, const std::string& variation) {
  return variation.empty() ? scenario : absl::StrCat(scenario, " [", variation, "]");
}

}  // namespace

std::string XmlEscape(const std::string& text) { return EscapeMarkup(text); }

std::string RenderJunit(const v1::Report& report, const std::vector<std::string>& skipped) {
  struct Case {
    std::string name;
    double ms = 0;
    std::string failure;  // message; "" when it passed
    std::string failure_text;
    std::string error;
    bool skipped = false;
  };
  std::vector<Case> cases;
  std::set<std::string> names;
  auto unique = [&names](std::string name) {
    std::string candidate = name;
    for (int i = 2; !names.insert(candidate).second; ++i) candidate = absl::StrCat(name, " #", i);
    return candidate;
  };

  std::map<std::pair<std::string, std::string>, double> time;
  for (const v1::RunResult& r : report.runs()) time[{r.scenario(), r.variation()}] += r.wall_ms();

  for (const v1::ScenarioReport& s : report.scenarios()) {
    Case c;
    c.name = unique(CaseName(s.scenario(), s.variation()));
    c.ms = time[{s.scenario(), s.variation()}];
    std::vector<std::string> failed;
    for (const v1::ExpectationCheck& check : s.checks()) {
      if (!check.passed()) failed.push_back(absl::StrCat(check.name(), ": ", check.message()));
    }
    if (!failed.empty()) {
      c.failure = failed.front();
      c.failure_text = absl::StrJoin(failed, "\n");
    }
    cases.push_back(std::move(c));
  }
  for (const v1::Missing& m : report.missing()) {
    Case c;
    c.name = unique(CaseName(m.scenario(), m.variation()) + absl::StrCat(" r", m.repeat()));
    c.error = absl::StrCat("no result: ", m.reason());
    cases.push_back(std::move(c));
  }
  if (report.has_comparison()) {
    std::map<std::pair<std::string, std::string>, std::vector<const v1::MetricComparison*>> by_config;
    for (const v1::MetricComparison& m : report.comparison().metrics()) {
      by_config[{m.scenario(), m.variation()}].push_back(&m);
    }
    for (const auto& [key, metrics] : by_config) {
      Case c;
      c.name = unique(CaseName(key.first, key.second) + " vs baseline");
      std::vector<std::string> regressed;
      for (const v1::MetricComparison* m : metrics) {
        if (m->verdict() == v1::VERDICT_REGRESSED) regressed.push_back(DescribeComparison(*m));
      }
      if (!regressed.empty()) {
        c.failure = absl::StrCat("regression: ", regressed.front());
        c.failure_text = absl::StrJoin(regressed, "\n");
      }
      cases.push_back(std::move(c));
    }
  }
  for (const std::string& name : skipped) {
    Case c;
    c.name = unique(name);
    c.skipped = true;
    cases.push_back(std::move(c));
  }

  int failures = 0, errors = 0, skips = 0;
  double total_ms = 0;
  for (const Case& c : cases) {
    failures += !c.failure.empty();
    errors += !c.error.empty();
    skips += c.skipped;
    total_ms += c.ms;
  }
  std::string suite = XmlEscape(report.suite_name());
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  absl::StrAppend(&out, "<testsuites name=\"heapstorm\" tests=\"", cases.size(), "\" failures=\"", failures,
                  "\" errors=\"", errors, "\" skipped=\"", skips, "\" time=\"", Seconds(report.wall_ms()),
                  "\">\n");
  absl::StrAppend(&out, "  <testsuite name=\"", suite, "\" tests=\"", cases.size(), "\" failures=\"",
                  failures, "\" errors=\"", errors, "\" skipped=\"", skips, "\" time=\"",
                  Seconds(total_ms), "\">\n");
  for (const Case& c : cases) {
    absl::StrAppend(&out, "    <testcase classname=\"", suite, "\" name=\"", XmlEscape(c.name),
                    "\" time=\"", Seconds(c.ms), "\"");
    if (c.failure.empty() && c.error.empty() && !c.skipped) {
      absl::StrAppend(&out, "/>\n");
      continue;
    }
    absl::StrAppend(&out, ">\n");
    if (!c.failure.empty()) {
      absl::StrAppend(&out, "      <failure message=\"", XmlEscape(c.failure), "\" type=\"expectation\">",
                      XmlEscape(c.failure_text), "</failure>\n");
    }
    if (!c.error.empty()) {
      absl::StrAppend(&out, "      <error message=\"", XmlEscape(c.error), "\" type=\"harness\"/>\n");
    }
    if (c.skipped) absl::StrAppend(&out, "      <skipped message=\"filtered out\"/>\n");
    absl::StrAppend(&out, "    </testcase>\n");
  }
  absl::StrAppend(&out, "  </testsuite>\n</testsuites>\n");
  return out;
}

}  // namespace heapstorm
