// Compares a report with a baseline report: for every configuration and metric, the
// relative delta of the medians, a two-sided Mann–Whitney U test when both sides have at
// least 5 repeats (with fewer, the delta alone decides and a note says so, as Google
// Benchmark's compare.py warns), and a verdict against the suite's tolerance. Added and
// removed configurations are listed; a different node version or limit mechanism is a
// warning, never silently compared as if equal.
#ifndef HEAPSTORM_REPORTS_COMPARE_H_
#define HEAPSTORM_REPORTS_COMPARE_H_

#include <string>

#include "proto/report.pb.h"

namespace heapstorm {

inline constexpr int kMinRepeatsForTest = 5;
// A timing (gc_pause_ms) regresses or improves only past this relative change, whatever the
// suite's tolerance: a baseline and a run are apart in time, and the machine's load moves
// pauses by tens of percent between them (unchanged reruns: +9% and +23%, p < 0.05).
inline constexpr double kTimingTolerance = 0.5;

struct Tolerances {
  double relative = 0.05;  // more than 5% worse ...
  double p_value = 0.05;   // ... and significant
};

v1::Comparison Compare(const v1::Report& baseline, const v1::Report& current,
                       const Tolerances& tolerances, const std::string& baseline_path);

// "peak_heap_used_bytes: 12.3Mi → 14.1Mi (+14.6%, p=0.008): regressed".
std::string DescribeComparison(const v1::MetricComparison& m);

// Whether a metric of configuration `s` regressed against the report's baseline. A
// regression fails its configuration as a failed expectation does: the terminal, the HTML
// and JUnit all count it so (the HTML read "0 failed" and PASS beside a terminal's
// REGRESSED).
bool Regressed(const v1::Report& report, const v1::ScenarioReport& s);

// A configuration failed: an expectation failed or a metric regressed.
bool ConfigurationFailed(const v1::Report& report, const v1::ScenarioReport& s);

// Its word: "FAIL" (an expectation failed), "REGRESSED" (they held, a metric did not) or
// "PASS".
const char* ConfigurationVerdict(const v1::Report& report, const v1::ScenarioReport& s);

}  // namespace heapstorm

#endif  // HEAPSTORM_REPORTS_COMPARE_H_
