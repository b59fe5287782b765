// Loads a suite from YAML into a validated `v1::Suite` with every default filled.
//
// All problems are collected and returned together as one InvalidArgument status whose
// message has one line per problem: "file:line:col: field.path: what was expected, what
// was found". Unknown keys are errors (with "did you mean" for near misses), and so are
// duplicate keys, anchors and aliases, files over the size cap, and limits that cannot
// work with node (NODE_FACTS.md). A `script` module is resolved relative to the suite
// file and must exist. The schema is documented in scenarios/README.md.
//
// The loader is split by concern: map_reader.h reads typed, located values from one YAML
// mapping; kind_params.h reads a kind's params by the registry of kinds (model/kinds.h);
// this file reads the suite's structure and checks what combines badly (limits through
// model/limits.h, the plan's size through plan_estimate.h). It includes model/limits.h and
// plan_estimate.h for its users.
#ifndef HEAPSTORM_SCENARIOS_SUITE_LOADER_H_
#define HEAPSTORM_SCENARIOS_SUITE_LOADER_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "model/limits.h"
#include "proto/suite.pb.h"
#include "scenarios/plan_estimate.h"

namespace heapstorm {

// The limits' defaults and bounds it applies are model/limits.h's; the sampling default:
inline constexpr uint32_t kDefaultSampleHz = 20;

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

}  // namespace heapstorm

#endif  // HEAPSTORM_SCENARIOS_SUITE_LOADER_H_
