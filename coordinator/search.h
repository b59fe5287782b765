// A search for a parameter's threshold, run by the coordinator as results arrive: first
// the bracket (low and high, at once), then bisection, one step at a time, until the
// bracket is no wider than the precision. It assumes that completing is monotone in the
// parameter (more old space never hurts). Knows no gRPC and no node: it is fed outcomes.
//
//   smallest_completing: fails at low, completes at high → the smallest completing value.
//   largest_completing:  completes at low, fails at high → the largest completing value.
//
// It takes at most ceil(log2((high - low) / precision)) + 2 runs.
#ifndef HEAPSTORM_COORDINATOR_SEARCH_H_
#define HEAPSTORM_COORDINATOR_SEARCH_H_

#include <cstdint>
#include <map>
#include <vector>

#include "proto/report.pb.h"
#include "proto/suite.pb.h"

namespace heapstorm {

class SearchController {
 public:
  // `scenario` has a search.
  explicit SearchController(const v1::Scenario& scenario);

  // Values to run now that were not asked for before: the bracket at first, then each
  // bisection step once the previous one is in. Empty while waiting, and when done.
  std::vector<uint64_t> Next();

  // The outcome at `value`: completed or not.
  void Record(uint64_t value, bool completed);

  bool Done() const { return done_; }
  v1::SearchResult Result() const;

 private:
  void Advance();

  v1::Scenario scenario_;
  v1::Search search_;
  uint64_t low_;
  uint64_t high_;
  std::map<uint64_t, bool> outcomes_;  // value → completed
  std::vector<uint64_t> asked_;
  bool done_ = false;
  bool found_ = false;
  uint64_t answer_ = 0;
  std::string message_;
};

}  // namespace heapstorm

#endif  // HEAPSTORM_COORDINATOR_SEARCH_H_
