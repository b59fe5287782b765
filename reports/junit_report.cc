#include "reports/junit_report.h"

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "model/names.h"
#include "reports/compare.h"
#include "reports/markup.h"

namespace heapstorm {
namespace {

std::string Seconds(double ms) { return absl::StrFormat("%.3f", ms / 1000.0); }

// One <testcase>: a configuration, a missing result, a comparison or a skipped scenario.
struct Case {
  std::string name;
  double ms = 0;
  std::string failure;  // message; "" when it passed
  std::string failure_text;
  std::string error;
  bool skipped = false;
};

// The cases of a report, each name unique ("name #2" for a repeat).
class Cases {
 public:
  void Add(Case c) {
    std::string candidate = c.name;
    for (int i = 2; !names_.insert(candidate).second; ++i) candidate = absl::StrCat(c.name, " #", i);
    c.name = std::move(candidate);
    cases_.push_back(std::move(c));
  }
  const std::vector<Case>& all() const { return cases_; }

 private:
  std::set<std::string> names_;
  std::vector<Case> cases_;
};

// A case per configuration, failed by its failed checks, and an error when some of its
// runs have no result. The names are the configurations' whatever went missing, so that CI
// history sees one test across a partial run and its resume (a missing run was a case of
// its own, "handler-c r0", beside or instead of "handler-c").
void AddConfigurations(const v1::Report& report, Cases* cases) {
  using Key = std::pair<std::string, std::string>;
  std::map<Key, double> time;
  for (const v1::RunResult& r : report.runs()) time[{r.scenario(), r.variation()}] += r.wall_ms();
  std::map<Key, std::vector<std::string>> missing;
  for (const v1::Missing& m : report.missing()) {
    missing[{m.scenario(), m.variation()}].push_back(absl::StrCat(m.reason(), " (r", m.repeat(), ")"));
  }
  auto add = [&](const Key& key, const std::vector<std::string>& failed) {
    Case c;
    c.name = ConfigurationName(key.first, key.second);
    c.ms = time[key];
    if (!failed.empty()) {
      c.failure = failed.front();
      c.failure_text = absl::StrJoin(failed, "\n");
    }
    auto lost = missing.find(key);
    if (lost != missing.end()) {
      c.error = absl::StrCat("no result: ", lost->second.front(),
                             lost->second.size() > 1 ? absl::StrCat(" (and ", lost->second.size() - 1, " more)") : "");
      missing.erase(lost);
    }
    cases->Add(std::move(c));
  };
  for (const v1::ScenarioReport& s : report.scenarios()) {
    std::vector<std::string> failed;
    for (const v1::ExpectationCheck& check : s.checks()) {
      if (!check.passed()) failed.push_back(absl::StrCat(check.name(), ": ", check.message()));
    }
    add({s.scenario(), s.variation()}, failed);
  }
  // Configurations none of whose runs has a result.
  while (!missing.empty()) add(missing.begin()->first, {});
}

// A case per configuration compared with the baseline, failed by its regressions.
void AddComparisons(const v1::Report& report, Cases* cases) {
  if (!report.has_comparison()) return;
  std::map<std::pair<std::string, std::string>, std::vector<const v1::MetricComparison*>> by_config;
  for (const v1::MetricComparison& m : report.comparison().metrics()) {
    by_config[{m.scenario(), m.variation()}].push_back(&m);
  }
  for (const auto& [key, metrics] : by_config) {
    Case c;
    c.name = ConfigurationName(key.first, key.second) + " vs baseline";
    std::vector<std::string> regressed;
    for (const v1::MetricComparison* m : metrics) {
      if (m->verdict() == v1::VERDICT_REGRESSED) regressed.push_back(DescribeComparison(*m));
    }
    if (!regressed.empty()) {
      c.failure = absl::StrCat("regression: ", regressed.front());
      c.failure_text = absl::StrJoin(regressed, "\n");
    }
    cases->Add(std::move(c));
  }
}

void AppendCase(const std::string& suite, const Case& c, std::string* out) {
  absl::StrAppend(out, "    <testcase classname=\"", suite, "\" name=\"", XmlEscape(c.name), "\" time=\"",
                  Seconds(c.ms), "\"");
  if (c.failure.empty() && c.error.empty() && !c.skipped) {
    absl::StrAppend(out, "/>\n");
    return;
  }
  absl::StrAppend(out, ">\n");
  if (!c.failure.empty()) {
    absl::StrAppend(out, "      <failure message=\"", XmlEscape(c.failure), "\" type=\"expectation\">",
                    XmlEscape(c.failure_text), "</failure>\n");
  }
  if (!c.error.empty()) {
    absl::StrAppend(out, "      <error message=\"", XmlEscape(c.error), "\" type=\"harness\"/>\n");
  }
  if (c.skipped) absl::StrAppend(out, "      <skipped message=\"filtered out\"/>\n");
  absl::StrAppend(out, "    </testcase>\n");
}

}  // namespace

std::string XmlEscape(const std::string& text) { return EscapeMarkup(text); }

std::string RenderJunit(const v1::Report& report, const std::vector<std::string>& skipped) {
  Cases cases;
  AddConfigurations(report, &cases);
  AddComparisons(report, &cases);
  for (const std::string& name : skipped) {
    Case c;
    c.name = name;
    c.skipped = true;
    cases.Add(std::move(c));
  }

  int failures = 0, errors = 0, skips = 0;
  for (const Case& c : cases.all()) {
    failures += !c.failure.empty();
    errors += !c.error.empty();
    skips += c.skipped;
  }
  // Both elements say the run's wall time. Its cases ran in parallel over the workers, so
  // their times add up to more (pytest-xdist writes it so); <testsuite> had said that sum,
  // more than the <testsuites> around it.
  const std::string time = Seconds(report.wall_ms());
  const size_t n = cases.all().size();
  std::string suite = XmlEscape(report.suite_name());
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  absl::StrAppend(&out, "<testsuites name=\"heapstorm\" tests=\"", n, "\" failures=\"", failures,
                  "\" errors=\"", errors, "\" skipped=\"", skips, "\" time=\"", time, "\">\n");
  absl::StrAppend(&out, "  <testsuite name=\"", suite, "\" tests=\"", n, "\" failures=\"", failures,
                  "\" errors=\"", errors, "\" skipped=\"", skips, "\" time=\"", time, "\">\n");
  for (const Case& c : cases.all()) AppendCase(suite, c, &out);
  absl::StrAppend(&out, "  </testsuite>\n</testsuites>\n");
  return out;
}

}  // namespace heapstorm
