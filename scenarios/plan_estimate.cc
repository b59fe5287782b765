#include "scenarios/plan_estimate.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "model/limits.h"
#include "model/targets.h"
#include "model/units.h"

namespace heapstorm {

uint64_t PlannedRuns(const v1::Scenario& s) {
  uint64_t points = 1;
  if (s.has_sweep()) points = std::max(1, s.sweep().values_size());
  if (s.has_search()) {
    double range = static_cast<double>(s.search().high() - s.search().low());
    double precision = static_cast<double>(std::max<uint64_t>(1, s.search().precision()));
    // A search is one run per step, whatever its repeats.
    return static_cast<uint64_t>(std::ceil(std::log2(std::max(1.0, range / precision)))) + 2;
  }
  return points * std::max<uint32_t>(1, s.repeats());
}

PlanEstimate& PlanEstimate::operator+=(const PlanEstimate& other) {
  runs += other.runs;
  coordinator_bytes += other.coordinator_bytes;
  report_bytes += other.report_bytes;
  return *this;
}

PlanEstimate EstimateScenario(const v1::Scenario& s) {
  // Measured on report.json (cached_data example, node 20): 4.5 KiB per run besides its
  // series, 1.1 KiB per checkpoint, 105 B per outside sample. The engine keeps at most
  // 1,000 checkpoints and 2,000 samples; a run is taken to last 10 s of sampling.
  constexpr uint64_t kReportBytesPerRun = 4608;
  constexpr uint64_t kReportBytesPerCheckpoint = 1152;
  constexpr uint64_t kReportBytesPerSample = 105;
  constexpr uint64_t kMaxCheckpoints = kMaxResultCheckpoints;
  constexpr uint64_t kMaxSamples = kMaxResultSamples;
  constexpr uint64_t kSampledSeconds = 10;
  // The coordinator's peak over the report's size: results in wire form (0.3×), parsed
  // (0.6×), the report proto (0.6×) and its JSON text (1×) at the end of the run.
  constexpr double kCoordinatorPerReportByte = 2.5;
  // What the scheduler keeps per planned run besides its result (scheduler_test).
  constexpr uint64_t kSchedulerBytesPerRun = 16;

  const uint64_t target = TargetUnits(s);
  const uint64_t every = std::max<uint64_t>(1, s.checkpoint_every());
  const uint64_t checkpoints = target == 0 ? kMaxCheckpoints : std::min(kMaxCheckpoints, target / every + 1);
  const uint64_t samples = std::min<uint64_t>(kMaxSamples, uint64_t{s.sample_hz()} * kSampledSeconds);
  const uint64_t per_run =
      kReportBytesPerRun + checkpoints * kReportBytesPerCheckpoint + samples * kReportBytesPerSample;
  PlanEstimate e;
  e.runs = PlannedRuns(s);
  e.report_bytes = e.runs * per_run;
  e.coordinator_bytes =
      static_cast<uint64_t>(static_cast<double>(e.report_bytes) * kCoordinatorPerReportByte) +
      e.runs * kSchedulerBytesPerRun;
  return e;
}

PlanEstimate EstimatePlan(const v1::Suite& suite) {
  PlanEstimate total;
  for (const v1::Scenario& s : suite.scenarios()) total += EstimateScenario(s);
  return total;
}

std::string DescribeEstimate(const PlanEstimate& e) {
  return absl::StrCat(e.runs, " runs, estimated coordinator memory ", FormatSize(e.coordinator_bytes),
                      ", estimated report ", FormatSize(e.report_bytes));
}

std::string PlanWarning(const PlanEstimate& e) {
  std::vector<std::string> over;
  if (e.runs > kWarnPlannedRuns) over.push_back(absl::StrCat("more than ", kWarnPlannedRuns, " runs"));
  if (e.coordinator_bytes > kWarnCoordinatorBytes) {
    over.push_back(absl::StrCat("coordinator memory over ", FormatSize(kWarnCoordinatorBytes)));
  }
  if (e.report_bytes > kWarnReportBytes) over.push_back(absl::StrCat("report over ", FormatSize(kWarnReportBytes)));
  if (over.empty()) return "";
  return absl::StrCat("a big plan: ", DescribeEstimate(e), " (", absl::StrJoin(over, ", "),
                      "); make sure the coordinator's machine can hold it, or split the suite");
}

}  // namespace heapstorm
