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

// The units a scenario's ramp aims for: entries, connections, count, depth (0 when
// unbounded), iterations (for a leak check, its iterations).
uint64_t TargetUnits(const v1::Scenario& scenario);

// Sets the units the ramp aims for (entries, connections, count, depth, iterations).
void SetTargetUnits(v1::Scenario* scenario, uint64_t units);

// The number of runs a scenario plans: repeats × sweep points (a search: its upper
// bound of steps).
uint64_t PlannedRuns(const v1::Scenario& scenario);

// "cached_data", "open_connections", ...: the YAML spelling.
std::string KindName(v1::ScenarioKind kind);
// "completed", "heap_exhausted", ...: the YAML and report spelling.
std::string OutcomeName(v1::Outcome outcome);

}  // namespace heapstorm

#endif  // HEAPSTORM_SCENARIOS_SUITE_LOADER_H_
