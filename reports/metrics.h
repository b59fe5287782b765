// The one table of metrics: the figures of a run that a report aggregates over the repeats
// of a configuration. For each: the key it has in report.json (`Aggregate.metric`,
// `MetricComparison.metric`), its unit, which way is better, what a comparison must know
// about its noise, how it is read from a RunResult, and how it is written for a person.
//
// Everything that shows or judges a metric draws from here: the report builder aggregates
// exactly these (in this order, which is the order of report.json), the comparison with a
// baseline takes the direction of a regression from here, and the HTML, the terminal summary
// and the comparison lines format through FormatMetric. Nothing guesses a unit from a
// metric's name. A new metric is one row in metrics.cc (and an id below); a test checks
// that every key of a built report is in the table.
//
// The table lives in reports/ because its readers (report builder, compare, HTML, cli) all
// sit at or above it; nothing below reports/ needs it.
#ifndef HEAPSTORM_REPORTS_METRICS_H_
#define HEAPSTORM_REPORTS_METRICS_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "proto/report.pb.h"
#include "proto/result.pb.h"

namespace heapstorm {

// Every metric, by a name the compiler checks. The order is the table's (report.json's).
enum class MetricId {
  kPeakHeapUsed,
  kPeakHeapTotal,
  kPeakExternal,
  kPeakArrayBuffers,
  kPeakRss,
  kPeakDescriptors,
  kUnitsReached,
  kHeapBytesPerUnit,
  kRetainedHeap,
  kExternalBytesPerUnit,
  kGcPause,
  kWall,
};

enum class MetricUnit {
  kBytes,         // a size
  kBytesPerUnit,  // a size per unit of load (the slope of a fit)
  kUnits,         // units of load (entries, connections, buffers, iterations ...)
  kCount,         // a count of things (descriptors)
  kMilliseconds,  // a duration
};

enum class MetricDirection {
  kLowerIsBetter,
  kHigherIsBetter,
  kNeither,  // no way is better; a comparison never judges it
};

struct MetricSpec {
  MetricId id;
  // The key in report.json: "peak_heap_used_bytes". Never changes for an existing metric
  // (baselines hold it).
  const char* name;
  MetricUnit unit;
  MetricDirection direction;
  // A timing: scheduler noise on a loaded machine, so a comparison gives a verdict only with
  // the U test (at least kMinRepeatsForTest repeats a side), never on the delta alone.
  bool timing;
  // Means something only for runs that broke: units reached is the breaking point of a run
  // that ran out of something, and only its target for a run that completed.
  bool only_when_broken;
  // Zero in every repeat means "not measured" (retained heap without a leak check): the
  // report then leaves the metric out rather than show a zero that was never measured.
  bool zero_means_unmeasured;
  // The metric's value in one run.
  double (*read)(const v1::RunResult& run);
};

// Every metric, in the order of report.json. The reference is to a static table.
const std::vector<MetricSpec>& AllMetrics();

// The metric with this id. Never fails: every id has a row (the test checks it).
const MetricSpec& Metric(MetricId id);

// The metric with this report.json key; nullptr for a key this version does not know (a
// report written by another version, or edited by hand).
const MetricSpec* FindMetric(absl::string_view name);

// Where a figure is written, which decides how much of it a person needs.
enum class MetricStyle {
  // In both: counts whole with separators ("228,232"), times to 4 significant figures
  // ("90.46"); a key this version does not know to 6 (kTable) or 4 significant figures.
  kTable,       // a table of aggregates (HTML)
  kComparison,  // a comparison line or row (terminal, JUnit, HTML)
  kColumn,      // a narrow terminal column: whole numbers (truncated), and a cost per unit
                // below zero (fit noise) shown as 0
};

// `value` of `metric` for a person. Sizes and sizes per unit through FormatSize ("28.1Mi",
// "602B") in every style; other units as plain numbers as `style` says. The unit itself is
// not appended: the metric's name carries it.
std::string FormatMetric(const MetricSpec& metric, double value, MetricStyle style);

// The same for a key from a report: an unknown key (see FindMetric) is written as a plain
// number to 6 (kTable, kColumn) or 4 (kComparison) significant figures.
std::string FormatMetric(absl::string_view name, double value, MetricStyle style);

// The aggregate of `id` in a configuration's report; nullptr when the report has none (a
// metric left out as unmeasured, or a report from another version).
const v1::Aggregate* FindAggregate(const v1::ScenarioReport& scenario, MetricId id);

}  // namespace heapstorm

#endif  // HEAPSTORM_REPORTS_METRICS_H_
