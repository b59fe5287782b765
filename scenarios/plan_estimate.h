// What a plan will cost before it runs: the runs a scenario plans (repeats × sweep points,
// or a search's steps), the coordinator's memory and the report's size. The loader refuses
// a plan beyond the hard limits here, and `heapstorm validate` warns beyond the soft ones.
#ifndef HEAPSTORM_SCENARIOS_PLAN_ESTIMATE_H_
#define HEAPSTORM_SCENARIOS_PLAN_ESTIMATE_H_

#include <cstdint>
#include <string>

#include "proto/suite.pb.h"

namespace heapstorm {

// The number of runs a scenario plans: repeats × sweep points (a search: its upper
// bound of steps).
uint64_t PlannedRuns(const v1::Scenario& scenario);

// What a plan will cost, estimated before it runs (`heapstorm validate` states it; the
// loader refuses a plan beyond the hard limits below). The model is in scenarios/README.md:
// a run's report entry is a fixed part plus one part per checkpoint and per outside
// sample (measured on report.json), and the coordinator's peak is a multiple of the report
// (results kept in wire form during the run, then parsed, built into the report and
// printed as JSON at its end).
struct PlanEstimate {
  uint64_t runs = 0;
  uint64_t coordinator_bytes = 0;  // peak memory of the coordinator. Bytes.
  uint64_t report_bytes = 0;       // report.json. Bytes.
  PlanEstimate& operator+=(const PlanEstimate& other);
};
// Above these `heapstorm validate` warns (exit 0).
inline constexpr uint64_t kWarnPlannedRuns = 100000;
inline constexpr uint64_t kWarnCoordinatorBytes = 4ull << 30;
inline constexpr uint64_t kWarnReportBytes = 1ull << 30;
// Above these a suite is refused (InvalidArgument at its `sweep` or `repeats` key).
inline constexpr uint64_t kMaxPlannedRuns = 1000000;
inline constexpr uint64_t kMaxCoordinatorBytes = 1ull << 40;

PlanEstimate EstimateScenario(const v1::Scenario& scenario);
PlanEstimate EstimatePlan(const v1::Suite& suite);

// "12 runs, estimated coordinator memory 1.2Mi, estimated report 480Ki".
std::string DescribeEstimate(const PlanEstimate& estimate);

// "" when the plan is within the warning thresholds; else one sentence that states the
// estimate and what is over.
std::string PlanWarning(const PlanEstimate& estimate);

}  // namespace heapstorm

#endif  // HEAPSTORM_SCENARIOS_PLAN_ESTIMATE_H_
