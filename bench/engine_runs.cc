// Runs every scenario of a suite N times through the engine directly (no coordinator, no
// gRPC), one after another, and prints the wall time: the reference for the cost of
// `heapstorm run`'s local mode.
//
//   engine_runs SUITE.yaml N
#include <cstdio>
#include <cstdlib>

#include "absl/time/clock.h"
#include "scenarios/suite_loader.h"
#include "worker/engine/engine.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: engine_runs SUITE.yaml N\n");
    return 2;
  }
  auto suite = heapstorm::LoadSuiteFile(argv[1]);
  if (!suite.ok()) {
    std::fprintf(stderr, "%s\n", std::string(suite.status().message()).c_str());
    return 2;
  }
  auto engine = heapstorm::Engine::Create({});
  if (!engine.ok()) return 3;
  int n = std::atoi(argv[2]);
  absl::Time start = absl::Now();
  int failures = 0;
  for (int i = 0; i < n; ++i) {
    for (const auto& s : suite->scenarios()) {
      heapstorm::RunRequest request;
      request.scenario = s;
      auto r = (*engine)->Run(request);
      failures += !r.ok() || r->outcome() != heapstorm::v1::OUTCOME_COMPLETED;
    }
  }
  std::printf("%.3f\n", absl::ToDoubleSeconds(absl::Now() - start));
  return failures == 0 ? 0 : 1;
}
