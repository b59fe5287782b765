// Loads a suite from YAML into a validated `v1::Suite` with every default filled.
//
// All problems are collected and returned together as one InvalidArgument status whose
// message has one line per problem: "file:line:col: field.path: what was expected, what
// was found". Unknown keys are errors (with "did you mean" for near misses), and so are
// duplicate keys, anchors and aliases, files over the size cap, and limits that cannot
// work with node (NODE_FACTS.md). A `script` module is resolved relative to the suite
// file and must exist. The schema is documented in scenarios/README.md.
#ifndef HEAPSTORM_SCENARIOS_SUITE_LOADER_H_
#define HEAPSTORM_SCENARIOS_SUITE_LOADER_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/suite.pb.h"

namespace heapstorm {

// Defaults applied by the loader, in the proto's units.
inline constexpr uint32_t kDefaultOldSpaceMiB = 256;
inline constexpr uint32_t kDefaultSemiSpaceMiB = 16;
inline constexpr uint32_t kDefaultStackKiB = 984;
inline constexpr uint32_t kDefaultNativeStackKiB = 8192;
inline constexpr uint32_t kDefaultMaxDescriptors = 1024;
inline constexpr uint64_t kDefaultTimeoutMs = 60000;
inline constexpr uint32_t kDefaultSampleHz = 20;
// Margin kept between --stack-size and the real stack: at or above it node segfaults.
inline constexpr uint32_t kStackMarginKiB = 64;

struct SuiteLoadOptions {
  // Files larger than this are refused before parsing. Bytes.
  uint64_t max_file_bytes = 1 << 20;
  // A script module larger than this is refused. Bytes.
  uint64_t max_module_bytes = 8 << 20;
  // Check that script modules exist (off only for the fuzzer).
  bool check_files = true;
};

// Reads and loads the suite at `path`. NotFound when the file cannot be read;
// InvalidArgument with every problem otherwise.
absl::StatusOr<v1::Suite> LoadSuiteFile(const std::string& path,
                                        const SuiteLoadOptions& options = {});

// Loads a suite from `text`. `display_path` names it in messages and in Suite.path;
// script modules resolve against `base_dir`.
absl::StatusOr<v1::Suite> LoadSuiteText(absl::string_view text, const std::string& display_path,
                                        const std::string& base_dir,
                                        const SuiteLoadOptions& options = {});

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

// "" when the plan is within the warning thresholds; else one sentence that states the
// estimate and what is over.
std::string PlanWarning(const PlanEstimate& estimate);

}  // namespace heapstorm

#endif  // HEAPSTORM_SCENARIOS_SUITE_LOADER_H_
