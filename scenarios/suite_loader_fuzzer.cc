// libFuzzer target for the suite loader: any bytes must give a Suite or an
// InvalidArgument with a location, never a crash, a hang or an exception.
//
//   bazel build --config=fuzz //scenarios:suite_loader_fuzzer
//   bazel-bin/scenarios/suite_loader_fuzzer scenarios/testdata/fuzz_corpus -max_total_time=60
//
// The same function is replayed over the checked-in corpus by
// //scenarios:suite_loader_fuzz_replay_test in every normal test run.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "scenarios/suite_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  heapstorm::SuiteLoadOptions options;
  options.check_files = false;
  absl::StatusOr<heapstorm::v1::Suite> suite =
      heapstorm::LoadSuiteText(text, "fuzz.yaml", "/nonexistent", options);
  if (!suite.ok()) {
    // Every failure is bad input, and says where.
    if (suite.status().code() != absl::StatusCode::kInvalidArgument) std::abort();
    if (suite.status().message().rfind("fuzz.yaml:", 0) != 0) std::abort();
  } else if (suite->scenarios_size() == 0) {
    std::abort();  // a valid suite has scenarios
  }
  return 0;
}
