// Work that a suite asks for as results arrive: the steps of searches, and confirming
// runs a margin below a breaking point. The coordinator feeds it every recorded result
// and adds what it returns to the scheduler. Knows no gRPC; deterministic.
#ifndef HEAPSTORM_COORDINATOR_ADAPTIVE_H_
#define HEAPSTORM_COORDINATOR_ADAPTIVE_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "common/mutex.h"
#include "coordinator/search.h"
#include "proto/coordinator.pb.h"
#include "proto/report.pb.h"
#include "proto/result.pb.h"
#include "proto/suite.pb.h"

namespace heapstorm {

class AdaptivePlanner {
 public:
  explicit AdaptivePlanner(const v1::Suite& suite);

  // New assignments that `result` calls for (none for most). Thread-safe.
  std::vector<v1::Assignment> OnResult(const v1::RunResult& result);

  // Where every search stands.
  std::vector<v1::SearchResult> Searches() const;

  // The variation label of a confirming run: "confirm@N".
  static std::string ConfirmLabel(uint64_t units);

 private:
  struct SearchState {
    v1::Scenario scenario;
    std::unique_ptr<SearchController> controller;
    std::map<std::string, uint64_t> value_of;  // assignment id → parameter value
  };
  std::vector<v1::Assignment> AskLocked(SearchState* state) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable Mutex mu_;
  std::map<std::string, v1::Scenario> scenarios_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, SearchState> searches_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, bool> confirmed_ ABSL_GUARDED_BY(mu_);  // configuration → asked
};

}  // namespace heapstorm

#endif  // HEAPSTORM_COORDINATOR_ADAPTIVE_H_
