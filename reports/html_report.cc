#include "reports/html_report.h"

#include <map>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "common/sizes.h"
#include "model/kinds.h"
#include "model/names.h"
#include "model/parameters.h"
#include "model/units.h"
#include "reports/compare.h"
#include "reports/metrics.h"
#include "reports/svg_chart.h"

namespace heapstorm {
namespace {

constexpr char kStyle[] = R"css(
:root { --ok:#1a7f37; --bad:#cf222e; --warn:#9a6700; --muted:#57606a; --line:#d0d7de; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color:#1f2328; margin:0; background:#f6f8fa; }
main { max-width: 1100px; margin: 0 auto; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 10px; }
.sub { color: var(--muted); }
.badge { display:inline-block; padding:2px 10px; border-radius: 12px; color:#fff; font-weight:600; font-size:13px; }
.pass { background: var(--ok); } .fail { background: var(--bad); } .warn { background: var(--warn); }
.card { background:#fff; border:1px solid var(--line); border-radius:8px; padding:14px 16px; margin:10px 0; }
.chips span { display:inline-block; margin:2px 6px 2px 0; padding:1px 8px; border-radius:10px; background:#eaeef2; font-size:12px; }
.chips .o-completed { background:#dafbe1; } .chips .o-crashed, .chips .o-script_error { background:#ffebe9; }
table { border-collapse: collapse; width:100%; font-size: 13px; }
th, td { text-align:left; padding:4px 8px; border-bottom:1px solid var(--line); vertical-align: top; }
td.n, th.n { text-align:right; font-variant-numeric: tabular-nums; }
tr.regressed td { background:#ffebe9; } tr.improved td { background:#dafbe1; }
details > summary { cursor:pointer; font-weight:600; font-size:15px; list-style: none; }
details > summary::before { content:"▸ "; color: var(--muted); } details[open] > summary::before { content:"▾ "; }
pre { background:#f6f8fa; border:1px solid var(--line); border-radius:6px; padding:8px; overflow:auto; max-height:240px; font-size:12px; white-space: pre-wrap; word-break: break-all; }
.charts { display:grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 8px; }
svg.chart { width:100%; height:auto; background:#fff; }
svg .grid { stroke:#eaeef2; } svg .frame { fill:none; stroke:var(--line); }
svg .tick, svg .legend { font-size:10px; fill: var(--muted); } svg .ct { font-size:12px; font-weight:600; fill:#1f2328; }
svg .marker { stroke: var(--bad); stroke-dasharray: 4 3; } svg .markerlabel { font-size:10px; fill: var(--bad); }
svg .limit { stroke: var(--warn); stroke-dasharray: 2 3; } svg .limitlabel { font-size:10px; fill: var(--warn); }
ul.checks { list-style:none; padding-left:0; margin: 6px 0; } ul.checks li::before { margin-right:6px; }
ul.checks li.ok::before { content:"✓"; color: var(--ok); } ul.checks li.no::before { content:"✗"; color: var(--bad); }
.kv { display:grid; grid-template-columns: 190px 1fr; gap: 2px 12px; font-size: 13px; }
.kv div:nth-child(odd) { color: var(--muted); }
)css";

std::string E(const std::string& s) { return HtmlEscape(s); }

std::string Outcome(int o) { return OutcomeName(static_cast<v1::Outcome>(o)); }

std::string Bytes(double v) { return FormatSize(v); }

std::string Chips(const std::map<std::string, int>& counts) {
  std::string out = "<div class=\"chips\">";
  for (const auto& [name, n] : counts) {
    absl::StrAppend(&out, "<span class=\"o-", E(name), "\">", E(name), " × ", n, "</span>");
  }
  return out + "</div>";
}

std::string Summary(const v1::Report& report) {
  std::map<std::string, int> outcomes;
  for (const v1::RunResult& r : report.runs()) ++outcomes[Outcome(r.outcome())];
  int failed = 0;
  for (const v1::ScenarioReport& s : report.scenarios()) failed += ConfigurationFailed(report, s);
  std::string status = report.status() == v1::RUN_STATUS_COMPLETE  ? "complete"
                       : report.status() == v1::RUN_STATUS_PARTIAL ? "partial"
                                                                   : "aborted";
  std::string out = "<div class=\"card\"><div class=\"kv\">";
  absl::StrAppend(&out, "<div>verdict</div><div><span class=\"badge ", report.passed() ? "pass" : "fail",
                  "\">", report.passed() ? "PASSED" : "FAILED", "</span></div>");
  absl::StrAppend(&out, "<div>configurations</div><div>", report.scenarios_size(), " (", failed,
                  " failed), ", report.runs_size(), " runs, run ", status, "</div>");
  absl::StrAppend(&out, "<div>outcomes</div><div>", Chips(outcomes), "</div>");
  int leaks = 0, checked = 0;
  for (const v1::RunResult& r : report.runs()) {
    if (!r.has_leak()) continue;
    ++checked;
    leaks += r.leak().verdict() == v1::LEAK_VERDICT_LEAK;
  }
  if (checked > 0) {
    absl::StrAppend(&out, "<div>leak checks</div><div>", leaks, " of ", checked, " found a leak</div>");
  }
  if (report.has_comparison()) {
    absl::StrAppend(&out, "<div>against the baseline</div><div>", report.comparison().regressions(),
                    " regressed, ", report.comparison().improvements(), " improved</div>");
  }
  if (report.missing_size() > 0) {
    absl::StrAppend(&out, "<div>missing</div><div>");
    for (const v1::Missing& m : report.missing()) {
      absl::StrAppend(&out, E(m.scenario()), m.variation().empty() ? "" : " [" + E(m.variation()) + "]",
                      " r", m.repeat(), ": ", E(m.reason()), "<br>");
    }
    absl::StrAppend(&out, "</div>");
  }
  const v1::Environment& env = report.environment();
  absl::StrAppend(&out, "<div>environment</div><div>node ", E(env.node_version()), ", heapstorm ",
                  E(env.heapstorm_version()), ", ", E(env.hostname()), " (", env.cpus(), " cpus, ",
                  Bytes(static_cast<double>(env.memory_bytes())), "), native limits by ",
                  LimitMechanismName(env.limit_mechanism()), "</div>");
  absl::StrAppend(&out, "<div>suite</div><div>", E(report.suite_path()), " <span class=\"sub\">sha256 ",
                  E(report.suite_sha256().substr(0, 16)), "…</span></div>");
  absl::StrAppend(&out, "</div></div>");
  return out;
}

std::string Regressions(const v1::Report& report) {
  if (!report.has_comparison()) return "";
  const v1::Comparison& c = report.comparison();
  std::string out = absl::StrCat("<h2>Against the baseline</h2><div class=\"card\"><p class=\"sub\">",
                                 E(c.baseline_path()), ": worse by more than ",
                                 absl::StrFormat("%.3g%%", 100 * c.tolerance_relative()),
                                 " with p &lt; ", absl::StrFormat("%.3g", c.tolerance_p_value()),
                                 " is a regression.</p>");
  for (const std::string& w : c.warnings()) absl::StrAppend(&out, "<p><span class=\"badge warn\">note</span> ", E(w), "</p>");
  absl::StrAppend(&out, "<table><tr><th>scenario</th><th>metric</th><th class=\"n\">baseline</th>"
                        "<th class=\"n\">current</th><th class=\"n\">delta</th><th class=\"n\">p</th>"
                        "<th>verdict</th></tr>");
  for (const v1::MetricComparison& m : c.metrics()) {
    std::string verdict = m.verdict() == v1::VERDICT_REGRESSED  ? "regressed"
                          : m.verdict() == v1::VERDICT_IMPROVED ? "improved"
                          : m.verdict() == v1::VERDICT_ADDED    ? "added"
                          : m.verdict() == v1::VERDICT_REMOVED  ? "removed"
                                                                : "unchanged";
    std::string name = m.variation().empty() ? m.scenario() : m.scenario() + " [" + m.variation() + "]";
    if (m.metric().empty()) {
      absl::StrAppend(&out, "<tr><td>", E(name), "</td><td colspan=\"5\" class=\"sub\">", E(m.note()),
                      "</td><td>", verdict, "</td></tr>");
      continue;
    }
    auto value = [&m](double v) { return FormatMetric(m.metric(), v, MetricStyle::kComparison); };
    absl::StrAppend(&out, "<tr class=\"", verdict, "\"><td>", E(name), "</td><td>", E(m.metric()),
                    "</td><td class=\"n\">", value(m.baseline_median()), " <span class=\"sub\">n=",
                    m.baseline_n(), "</span></td><td class=\"n\">", value(m.current_median()),
                    " <span class=\"sub\">n=", m.current_n(), "</span></td><td class=\"n\">",
                    absl::StrFormat("%+.1f%%", 100 * m.relative_delta()), "</td><td class=\"n\">",
                    m.p_value() < 0 ? "–" : absl::StrFormat("%.3g", m.p_value()), "</td><td>", verdict,
                    m.note().empty() ? "" : " <span class=\"sub\">(" + E(m.note()) + ")</span>", "</td></tr>");
  }
  return out + "</table></div>";
}

std::string Charts(const v1::RunResult& r) {
  std::string out = "<div class=\"charts\">";
  ChartSpec units;
  units.title = "Memory by units of load (inside node)";
  units.x_label = "units of load";
  ChartSeries heap{"heap used", "#0969da", {}}, total{"heap total", "#54aeff", {}, true},
      external{"external", "#8250df", {}}, rss{"RSS", "#bc4c00", {}};
  std::map<std::string, ChartSeries> spaces;
  static const std::map<std::string, std::string> kSpaceColors = {
      {"old_space", "#0969da"}, {"new_space", "#1a7f37"}, {"large_object_space", "#8250df"},
      {"code_space", "#bc4c00"}, {"new_large_object_space", "#bf3989"}};
  for (const v1::Checkpoint& c : r.checkpoints()) {
    double x = static_cast<double>(c.units());
    heap.points.emplace_back(x, c.heap_used_bytes());
    total.points.emplace_back(x, c.heap_total_bytes());
    external.points.emplace_back(x, c.external_bytes());
    if (c.rss_bytes() > 0) rss.points.emplace_back(x, c.rss_bytes());
    for (const v1::HeapSpace& s : c.spaces()) {
      auto color = kSpaceColors.find(s.name());
      if (color == kSpaceColors.end()) continue;
      ChartSeries& series = spaces[s.name()];
      series.name = s.name();
      series.color = color->second;
      series.points.emplace_back(x, s.used_bytes());
    }
  }
  units.series = {heap, total, external, rss};
  if (r.outcome() != v1::OUTCOME_COMPLETED && r.units_reached() > 0) {
    units.markers.push_back({static_cast<double>(r.units_reached()),
                             absl::StrCat(Outcome(r.outcome()), " at ", r.units_reached())});
  }
  if (r.limits().max_old_space_mib() > 0) {
    units.lines.push_back({static_cast<double>(r.limits().max_old_space_mib() * kMiB),
                           absl::StrCat("old space ", r.limits().max_old_space_mib(), "Mi")});
  }
  if (r.limits().native_bytes() > 0) {
    units.lines.push_back({static_cast<double>(r.limits().native_bytes()),
                           absl::StrCat("native ", Bytes(static_cast<double>(r.limits().native_bytes())))});
  }
  absl::StrAppend(&out, RenderSvgChart(units));

  ChartSpec by_space;
  by_space.title = "Heap used per V8 space";
  by_space.x_label = "units of load";
  for (auto& [name, s] : spaces) by_space.series.push_back(s);
  by_space.markers = units.markers;
  absl::StrAppend(&out, RenderSvgChart(by_space));

  ChartSpec outside;
  outside.title = "From outside over time (/proc, cgroup)";
  outside.x_label = "seconds";
  ChartSeries o_rss{"RSS", "#bc4c00", {}}, o_cg{"cgroup usage", "#8250df", {}, true};
  ChartSpec fds;
  fds.title = "Open descriptors over time";
  fds.x_label = "seconds";
  fds.y_bytes = false;
  ChartSeries d{"descriptors", "#1a7f37", {}};
  for (const v1::OutsideSample& s : r.samples()) {
    double t = s.t_ms() / 1000.0;
    o_rss.points.emplace_back(t, s.rss_bytes());
    if (s.cgroup_usage_bytes() > 0) o_cg.points.emplace_back(t, s.cgroup_usage_bytes());
    d.points.emplace_back(t, s.descriptors());
  }
  outside.series = {o_rss, o_cg};
  if (r.limits().native_bytes() > 0) outside.lines = {units.lines.back()};
  absl::StrAppend(&out, RenderSvgChart(outside));
  fds.series = {d};
  fds.lines.push_back({static_cast<double>(r.limits().max_descriptors()),
                       absl::StrCat("limit ", r.limits().max_descriptors())});
  absl::StrAppend(&out, RenderSvgChart(fds));
  return out + "</div>";
}

std::string Evidence(const v1::RunResult& r) {
  const v1::Evidence& e = r.evidence();
  std::string out = "<div class=\"kv\">";
  auto row = [&out](const std::string& k, const std::string& v) {
    absl::StrAppend(&out, "<div>", k, "</div><div>", v, "</div>");
  };
  row("outcome", absl::StrCat("<b>", Outcome(r.outcome()), "</b>: ", E(e.summary())));
  row("ended", e.exited() ? absl::StrCat("exit code ", e.exit_code()) : E(e.signal_name()));
  row("units reached", absl::StrCat(r.units_reached(), r.target_units() ? absl::StrCat(" of ", r.target_units()) : ""));
  if (r.stack_depth() > 0) row("stack depth", absl::StrCat(r.stack_depth(), " frames"));
  row("limits", absl::StrCat("old space ", r.limits().max_old_space_mib(), "Mi, semi space ",
                             r.limits().max_semi_space_mib(), "Mi, stack ", r.limits().stack_kib(),
                             "Ki, descriptors ", r.limits().max_descriptors(), ", timeout ",
                             FormatShortDuration(absl::Milliseconds(r.limits().timeout_ms())),
                             r.limits().native_bytes() ? ", native " + Bytes(static_cast<double>(r.limits().native_bytes())) : ""));
  row("native limit by", absl::StrCat(LimitMechanismName(r.limit_mechanism()),
                                      r.limit_note().empty() ? "" : " — " + E(r.limit_note())));
  if (e.cgroup_oom_kills() || e.cgroup_failcnt()) {
    row("cgroup", absl::StrCat("oom_kill +", e.cgroup_oom_kills(), ", failcnt ", e.cgroup_failcnt(),
                               ", peak ", Bytes(static_cast<double>(e.cgroup_max_usage_bytes()))));
  }
  if (!HarnessKillName(e.harness_kill()).empty()) row("killed by heapstorm", E(HarnessKillName(e.harness_kill())));
  const v1::GcStats& gc = r.gc();
  // A process that died sent its GCs as last reported (every 100 ms, at checkpoints), not to
  // its end; a run without a leak check stops counting near its old-space limit.
  std::string gc_span = e.driver_done() ? "" : " (as last reported before the process died)";
  if (gc.counted_to_units() > 0) {
    gc_span = absl::StrCat(" (counted to ", FormatCount(static_cast<double>(gc.counted_to_units())),
                           " units: counting stops when the heap passes 70% of the old space, where V8's GC "
                           "callbacks make it give up sooner; stderr has V8's own last GCs)");
  }
  row("GC", absl::StrFormat("%d scavenges (%.1f ms), %d mark-compacts (%.1f ms), longest pause %.1f ms%s",
                            gc.scavenges(), gc.scavenge_ms(), gc.mark_compacts(), gc.mark_compact_ms(),
                            gc.pause_ms_max(), gc_span));
  // With their intervals, as capacity says them ("RSS -113Ki" was fit noise).
  auto per_unit = [](const v1::LinearFit& f) {
    return E(FormatSizeWithInterval(f.slope(), f.slope_low(), f.slope_high()));
  };
  row("bytes per unit", absl::StrCat("heap ", per_unit(r.heap_per_unit()),
                                     absl::StrFormat(" (R² %.3f)", r.heap_per_unit().r_squared()), ", external ",
                                     per_unit(r.external_per_unit()), ", RSS ", per_unit(r.rss_per_unit())));
  row("wall time", FormatShortDuration(absl::Milliseconds(r.wall_ms())));
  out += "</div>";
  if (!e.matched_stderr().empty()) absl::StrAppend(&out, "<p>matched on stderr:</p><pre>", E(e.matched_stderr()), "</pre>");
  if (!e.driver_error().empty()) absl::StrAppend(&out, "<p>error in the scenario:</p><pre>", E(e.driver_error()), "</pre>");
  if (!e.stderr_tail().empty() && e.matched_stderr().empty()) {
    absl::StrAppend(&out, "<details><summary>stderr</summary><pre>", E(e.stderr_tail()), "</pre></details>");
  }
  return out;
}

// How an allocation site's line was found (AllocationPosition), and which iterations its
// estimate covers: the window's survivors, or what a storing function made after s2.
std::string SiteKind(const v1::AllocationSite& a, const v1::LeakRetention& t) {
  const bool spans = t.s3() > 0;
  switch (a.position()) {
    case v1::ALLOCATION_POSITION_STORE:
      return spans ? absl::StrCat("store; made in ", t.s2(), "&ndash;", t.s3()) : "store";
    case v1::ALLOCATION_POSITION_RETAINED:
    case v1::ALLOCATION_POSITION_CALL:
    case v1::ALLOCATION_POSITION_EXPRESSION:
    case v1::ALLOCATION_POSITION_FUNCTION: {
      const std::string kind = a.position() == v1::ALLOCATION_POSITION_RETAINED     ? "retained kind"
                               : a.position() == v1::ALLOCATION_POSITION_CALL       ? "call"
                               : a.position() == v1::ALLOCATION_POSITION_EXPRESSION ? "only allocation"
                                                                                    : "function";
      return spans ? absl::StrCat(kind, "; made in ", t.s1(), "&ndash;", t.s2()) : kind;
    }
    default:
      return "";
  }
}

std::string Leak(const v1::RunResult& r) {
  if (!r.has_leak()) return "";
  const v1::LeakResult& l = r.leak();
  const char* verdict = l.verdict() == v1::LEAK_VERDICT_LEAK       ? "leak"
                        : l.verdict() == v1::LEAK_VERDICT_NO_LEAK  ? "no leak"
                                                                   : "inconclusive";
  const char* badge = l.verdict() == v1::LEAK_VERDICT_LEAK ? "fail" : l.verdict() == v1::LEAK_VERDICT_NO_LEAK ? "pass" : "warn";
  std::string out = absl::StrCat("<h3>Leak check <span class=\"badge ", badge, "\">", verdict,
                                 "</span></h3><p>", E(l.summary()), " <span class=\"sub\">(",
                                 l.iterations(), " iterations",
                                 l.iterations_per_second() > 0 ? absl::StrFormat(", %.0f/s", l.iterations_per_second()) : "",
                                 ")</span></p>");
  absl::StrAppend(&out, "<table><tr><th>series (after forced GC)</th><th class=\"n\">per iteration</th>"
                        "<th class=\"n\">interval</th><th class=\"n\">p</th><th class=\"n\">detection limit</th>"
                        "<th>verdict</th></tr>");
  for (const v1::LeakSeries& s : l.series()) {
    bool bytes = s.unit() == "bytes";
    auto v = [bytes](double x) { return bytes ? FormatSize(x) : absl::StrFormat("%.3g", x); };
    const char* sv = s.verdict() == v1::LEAK_VERDICT_LEAK      ? "leak"
                     : s.verdict() == v1::LEAK_VERDICT_NO_LEAK ? "no leak"
                                                               : "inconclusive";  // the JSON's word
    absl::StrAppend(&out, "<tr class=\"", s.verdict() == v1::LEAK_VERDICT_LEAK ? "regressed" : "", "\"><td>",
                    E(s.name()), "</td><td class=\"n\">", v(s.slope_per_iteration()), "</td><td class=\"n\">",
                    v(s.slope_low()), " … ", v(s.slope_high()), "</td><td class=\"n\">",
                    absl::StrFormat("%.2g", s.p_value()), "</td><td class=\"n\">", v(s.detection_limit()),
                    "</td><td>", sv, s.note().empty() ? "" : " <span class=\"sub\">(" + E(s.note()) + ")</span>",
                    "</td></tr>");
  }
  absl::StrAppend(&out, "</table>");
  if (!l.exhaustion().empty()) absl::StrAppend(&out, "<p>Exhaustion: ", E(l.exhaustion()), "</p>");
  if (l.has_retention()) {
    const v1::LeakRetention& t = l.retention();
    absl::StrAppend(&out, "<p>Retention (snapshots after iterations ", t.s1(), ", ", t.s2(), ", ", t.s3(), "): ",
                    t.confirmed() ? "confirmed" : "not confirmed", " — ", E(t.note()), "</p>");
  }
  // The checks before the last, when the run made more than one (LeakResult.checks).
  // A check watched on (the next one's stretched_from is its s3) says so: its reading at s3
  // was not the last word.
  for (int i = 0; i + 1 < l.checks_size(); ++i) {
    const v1::LeakRetention& t = l.checks(i);
    const v1::LeakRetention& next = l.checks(i + 1);
    const bool watched = next.stretched_from() > 0 && next.stretched_from() == t.s3();
    absl::StrAppend(&out, "<p class=\"sub\">Earlier retention check ", i + 1, " (snapshots after iterations ", t.s1(),
                    ", ", t.s2(), ", ", t.s3(), "): ",
                    watched ? absl::StrCat("watched on to ", next.s3(), " and read again there; at ", t.s3(), ": ")
                            : std::string(),
                    E(t.note()), "</p>");
  }
  if (l.v8_internal_bytes_per_iteration() > 0) {
    absl::StrAppend(&out, "<p>V8 internal growth, ", FormatSize(l.v8_internal_bytes_per_iteration()),
                    "/iteration (code, bytecode, feedback, maps, node's Buffer pool): not counted as a leak.</p>");
  }
  if (l.allocation_sites_size() > 0) {
    absl::StrAppend(&out, "<p>Where the leaked objects were allocated (V8's sampling heap profiler; still alive "
                          "at the last snapshot; the line found by, and the iterations that made them):</p>"
                          "<table><tr><th>function</th><th>file:line:column</th><th>line, iterations</th>"
                          "<th class=\"n\">samples</th><th class=\"n\">bytes (est. &plusmn; its standard error)</th></tr>");
    for (const v1::AllocationSite& a : l.allocation_sites()) {
      absl::StrAppend(&out, "<tr><td>", E(a.function()), "</td><td>", E(a.file()), ":", a.line(), ":", a.column(),
                      "</td><td>", SiteKind(a, l.retention()), "</td><td class=\"n\">", a.count(), "</td><td class=\"n\">",
                      FormatSize(static_cast<double>(a.bytes())),
                      a.bytes_error() > 0 ? absl::StrCat(" &plusmn; ", FormatSize(static_cast<double>(a.bytes_error()))) : "",
                      "</td></tr>");
    }
    absl::StrAppend(&out, "</table>");
  }
  if (!l.retainer_path().text().empty()) {
    absl::StrAppend(&out, "<p>Shortest retainer path from a GC root to one leaked object: <code>",
                    E(l.retainer_path().text()), "</code></p>");
  }
  if (l.culprits_size() > 0) {
    absl::StrAppend(&out, "<p>What accumulates (objects allocated after the first heap snapshot and still "
                          "alive at the third):</p><table><tr><th>constructor</th><th>type</th>"
                          "<th class=\"n\">new objects</th><th class=\"n\">bytes</th><th class=\"n\">count growth</th></tr>");
    for (const v1::LeakCulprit& c : l.culprits()) {
      absl::StrAppend(&out, "<tr><td>", E(c.constructor()), c.v8_internal() ? " <span class=\"sub\">(runtime internal)</span>" : "",
                      "</td><td>", E(c.node_type()), "</td><td class=\"n\">",
                      c.count(), "</td><td class=\"n\">", FormatSize(static_cast<double>(c.bytes())),
                      "</td><td class=\"n\">", c.count_growth(), "</td></tr>");
    }
    absl::StrAppend(&out, "</table>");
  }
  return out;
}

// The parameter a capacity report swept: a limit, or a param of its scenario's kind.
std::optional<ParameterSpec> SweptParameter(const v1::Report& report, const v1::CapacityReport& c) {
  const KindSpec* kind = nullptr;
  for (const v1::ScenarioReport& s : report.scenarios()) {
    if (s.scenario() == c.scenario()) kind = FindKind(s.kind());
  }
  return FindParameter(c.parameter(), kind);
}

std::string Capacity(const v1::Report& report) {
  if (report.capacity_size() == 0) return "";
  std::string out = "<h2>Capacity</h2>";
  for (const v1::CapacityReport& c : report.capacity()) {
    absl::StrAppend(&out, "<div class=\"card\"><b>", E(c.scenario()), "</b>");
    if (!c.recommendation().empty()) absl::StrAppend(&out, "<p>", E(c.recommendation()), "</p>");
    for (const v1::SearchResult& sr : c.searches()) {
      absl::StrAppend(&out, "<p>Search: ", E(sr.message()), " <span class=\"sub\">(", sr.steps(), " runs)</span></p>");
      if (!sr.ramp_note().empty()) absl::StrAppend(&out, "<p class=\"sub\">", E(sr.ramp_note()), "</p>");
    }
    if (c.points_size() > 0 && !c.parameter().empty()) {
      // Its amounts as the registry shows them, the chart's x in its step (MiB of old space).
      const std::optional<ParameterSpec> swept = SweptParameter(report, c);
      const double step = swept ? swept->step : 1;
      auto amount = [&swept](double v) { return swept ? FormatBaseAmount(*swept, v) : FormatCount(v); };
      absl::StrAppend(&out, "<table><tr><th>", E(c.parameter()), "</th><th class=\"n\">units at break</th><th>outcome</th>"
                            "<th class=\"n\">heap/unit</th><th class=\"n\">external/unit</th><th class=\"n\">RSS/unit</th></tr>");
      ChartSpec chart;
      chart.title = absl::StrCat("Units at the breaking point by ", c.parameter());
      chart.x_label = step != 1 ? absl::StrCat("limit (", swept->step_name, ")") : "limit";
      chart.y_bytes = false;
      ChartSeries measured{"measured", "#0969da", {}};
      ChartSeries model{"model", "#bc4c00", {}, true};
      for (const v1::CapacityPoint& p : c.points()) {
        absl::StrAppend(&out, "<tr><td>", E(amount(p.limit())),
                        "</td><td class=\"n\">",
                        p.units_at_break() ? FormatCount(static_cast<double>(p.units_at_break())) : "–",
                        "</td><td>", Outcome(p.outcome()), "</td><td class=\"n\">",
                        E(FormatSizeWithInterval(p.heap_bytes_per_unit(), p.heap_bytes_per_unit_low(),
                                                 p.heap_bytes_per_unit_high())),
                        "</td><td class=\"n\">",
                        E(FormatSizeWithInterval(p.external_bytes_per_unit(), p.external_bytes_per_unit_low(),
                                                 p.external_bytes_per_unit_high())),
                        "</td><td class=\"n\">",
                        E(FormatSizeWithInterval(p.rss_bytes_per_unit(), p.rss_bytes_per_unit_low(),
                                                 p.rss_bytes_per_unit_high())),
                        "</td></tr>");
        double x = p.limit() / step;
        if (p.units_at_break() > 0) measured.points.emplace_back(x, static_cast<double>(p.units_at_break()));
        if (c.model().points() >= 2) {
          model.points.emplace_back(x, c.model().intercept() + c.model().slope() * p.limit());
        }
      }
      absl::StrAppend(&out, "</table>");
      if (!c.model_summary().empty()) {
        absl::StrAppend(&out, "<p class=\"sub\">model: units at break ", E(c.model_summary()),
                        absl::StrFormat(" (R² %.3f)", c.model().r_squared()), "</p>");
      }
      if (!c.unit_cost_summary().empty()) {
        absl::StrAppend(&out, "<p class=\"sub\">", E(c.unit_cost_summary()),
                        absl::StrFormat(" (R² %.3f)", c.unit_cost().r_squared()), "</p>");
      }
      chart.series = {measured, model};
      absl::StrAppend(&out, "<div class=\"charts\">", RenderSvgChart(chart), "</div>");
    }
    absl::StrAppend(&out, "</div>");
  }
  return out;
}

std::string Configuration(const v1::Report& report, const v1::ScenarioReport& s) {
  const std::string name = ConfigurationName(s.scenario(), s.variation());
  std::map<std::string, int> outcomes;
  for (int o : s.outcomes()) ++outcomes[Outcome(o)];
  // As the terminal says it: FAIL, REGRESSED or PASS.
  const bool failed = ConfigurationFailed(report, s);
  // Open: what failed, and everything in a small report.
  bool open = failed || report.scenarios_size() <= 8;
  std::string out = absl::StrCat("<details class=\"card\"", open ? " open" : "", "><summary>",
                                 "<span class=\"badge ", failed ? "fail" : "pass", "\">",
                                 ConfigurationVerdict(report, s), "</span> ", E(name),
                                 " <span class=\"sub\">",
                                 E(KindName(s.kind())), "</span></summary>");
  if (!s.description().empty()) absl::StrAppend(&out, "<p>", E(s.description()), "</p>");
  absl::StrAppend(&out, Chips(outcomes), "<ul class=\"checks\">");
  for (const v1::ExpectationCheck& c : s.checks()) {
    absl::StrAppend(&out, "<li class=\"", c.passed() ? "ok" : "no", "\">", E(c.name()), ": ", E(c.message()), "</li>");
  }
  absl::StrAppend(&out, "</ul><table><tr><th>metric</th><th class=\"n\">median</th><th class=\"n\">min</th>"
                        "<th class=\"n\">max</th><th class=\"n\">n</th></tr>");
  for (const v1::Aggregate& a : s.aggregates()) {
    auto v = [&a](double x) { return FormatMetric(a.metric(), x, MetricStyle::kTable); };
    absl::StrAppend(&out, "<tr><td>", E(a.metric()), "</td><td class=\"n\">", v(a.median()), "</td><td class=\"n\">",
                    v(a.min()), "</td><td class=\"n\">", v(a.max()), "</td><td class=\"n\">", a.n(), "</td></tr>");
  }
  absl::StrAppend(&out, "</table>");
  // The first repeat's series and evidence stand for the configuration.
  for (const v1::RunResult& r : report.runs()) {
    if (r.scenario() != s.scenario() || r.variation() != s.variation()) continue;
    absl::StrAppend(&out, "<h3>repeat ", r.repeat(), "</h3>", Leak(r), Charts(r), Evidence(r));
    break;
  }
  return out + "</details>";
}

}  // namespace

std::string RenderHtml(const v1::Report& report) {
  std::string title = absl::StrCat("heapstorm: ", report.suite_name());
  std::string started = absl::FormatTime("%Y-%m-%d %H:%M:%S UTC",
                                         absl::FromUnixMillis(static_cast<int64_t>(report.started_unix_ms())),
                                         absl::UTCTimeZone());
  std::string out = absl::StrCat(
      "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>",
      E(title), "</title><style>", kStyle, "</style></head><body><main>");
  absl::StrAppend(&out, "<h1>", E(report.suite_name()), " <span class=\"badge ", report.passed() ? "pass" : "fail",
                  "\">", report.passed() ? "PASSED" : "FAILED", "</span></h1><p class=\"sub\">started ", started,
                  ", took ", FormatShortDuration(absl::Milliseconds(report.wall_ms())), "</p>");
  absl::StrAppend(&out, Summary(report), Regressions(report), Capacity(report), "<h2>Scenarios</h2>");
  for (const v1::ScenarioReport& s : report.scenarios()) absl::StrAppend(&out, Configuration(report, s));
  absl::StrAppend(&out, "<p class=\"sub\">report.json holds every figure shown here, and more.</p></main></body></html>\n");
  return out;
}

}  // namespace heapstorm
