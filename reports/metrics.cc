#include "reports/metrics.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "model/units.h"

namespace heapstorm {
namespace {

// Heap used at the last checkpoint taken after forced full GCs (leak checks); 0 without.
double RetainedHeap(const v1::RunResult& r) {
  for (int i = r.checkpoints_size() - 1; i >= 0; --i) {
    if (r.checkpoints(i).after_gc()) return static_cast<double>(r.checkpoints(i).heap_used_bytes());
  }
  return 0;
}

using U = MetricUnit;
using D = MetricDirection;

// The rows, in MetricId order. Columns: id, key, unit, direction, timing, only_when_broken,
// zero_means_unmeasured, read.
const std::vector<MetricSpec>& Table() {
  static const auto* table = new std::vector<MetricSpec>{
      {MetricId::kPeakHeapUsed, "peak_heap_used_bytes", U::kBytes, D::kLowerIsBetter, false, false, false,
       [](const v1::RunResult& r) { return static_cast<double>(r.peak_heap_used_bytes()); }},
      {MetricId::kPeakHeapTotal, "peak_heap_total_bytes", U::kBytes, D::kLowerIsBetter, false, false, false,
       [](const v1::RunResult& r) { return static_cast<double>(r.peak_heap_total_bytes()); }},
      {MetricId::kPeakExternal, "peak_external_bytes", U::kBytes, D::kLowerIsBetter, false, false, false,
       [](const v1::RunResult& r) { return static_cast<double>(r.peak_external_bytes()); }},
      {MetricId::kPeakArrayBuffers, "peak_array_buffers_bytes", U::kBytes, D::kLowerIsBetter, false, false,
       false, [](const v1::RunResult& r) { return static_cast<double>(r.peak_array_buffers_bytes()); }},
      {MetricId::kPeakRss, "peak_rss_bytes", U::kBytes, D::kLowerIsBetter, false, false, false,
       [](const v1::RunResult& r) { return static_cast<double>(r.peak_rss_bytes()); }},
      {MetricId::kPeakDescriptors, "peak_descriptors", U::kCount, D::kLowerIsBetter, false, false, false,
       [](const v1::RunResult& r) { return static_cast<double>(r.peak_descriptors()); }},
      // More units before a limit broke is better; a completed run only reached its target.
      {MetricId::kUnitsReached, "units_reached", U::kUnits, D::kHigherIsBetter, false, true, false,
       [](const v1::RunResult& r) { return static_cast<double>(r.units_reached()); }},
      {MetricId::kHeapBytesPerUnit, "heap_bytes_per_unit", U::kBytesPerUnit, D::kLowerIsBetter, false, false,
       false, [](const v1::RunResult& r) { return r.heap_per_unit().slope(); }},
      {MetricId::kRetainedHeap, "retained_heap_bytes", U::kBytes, D::kLowerIsBetter, false, false, true,
       RetainedHeap},
      {MetricId::kExternalBytesPerUnit, "external_bytes_per_unit", U::kBytesPerUnit, D::kLowerIsBetter, false,
       false, false, [](const v1::RunResult& r) { return r.external_per_unit().slope(); }},
      {MetricId::kGcPause, "gc_pause_ms", U::kMilliseconds, D::kLowerIsBetter, true, false, false,
       [](const v1::RunResult& r) { return r.gc().pause_ms_total(); }},
      // A run's wall time is startup, load and, for a run that broke, how soon it broke:
      // neither shorter nor longer is better.
      {MetricId::kWall, "wall_ms", U::kMilliseconds, D::kNeither, true, false, false,
       [](const v1::RunResult& r) { return r.wall_ms(); }},
  };
  return *table;
}

std::string FormatNumber(double value, MetricStyle style) {
  return absl::StrFormat("%.*g", style == MetricStyle::kComparison ? 4 : 6, value);
}

}  // namespace

const std::vector<MetricSpec>& AllMetrics() { return Table(); }

const MetricSpec& Metric(MetricId id) { return Table()[static_cast<size_t>(id)]; }

const MetricSpec* FindMetric(absl::string_view name) {
  for (const MetricSpec& m : Table()) {
    if (name == m.name) return &m;
  }
  return nullptr;
}

std::string FormatMetric(const MetricSpec& metric, double value, MetricStyle style) {
  switch (metric.unit) {
    case MetricUnit::kBytes:
      return FormatSize(value);
    case MetricUnit::kBytesPerUnit:
      return FormatSize(style == MetricStyle::kColumn ? std::max(0.0, value) : value);
    case MetricUnit::kUnits:
    case MetricUnit::kCount:
    case MetricUnit::kMilliseconds:
      break;
  }
  if (style == MetricStyle::kColumn) return absl::StrCat(static_cast<uint64_t>(std::max(0.0, value)));
  // Counts in whole units with separators ("228,232 → 228,199", where 4 significant figures
  // read "2.282e+05 → 2.282e+05" for both, and a table "2.07738e+06"); times to 4
  // significant figures ("90.46", not "90.4595").
  if (metric.unit != MetricUnit::kMilliseconds) return FormatCount(value);
  return FormatNumber(value, MetricStyle::kComparison);
}

std::string FormatMetric(absl::string_view name, double value, MetricStyle style) {
  const MetricSpec* metric = FindMetric(name);
  if (metric == nullptr) return FormatNumber(value, style);
  return FormatMetric(*metric, value, style);
}

const v1::Aggregate* FindAggregate(const v1::ScenarioReport& scenario, MetricId id) {
  const char* name = Metric(id).name;
  for (const v1::Aggregate& a : scenario.aggregates()) {
    if (a.metric() == name) return &a;
  }
  return nullptr;
}

}  // namespace heapstorm
