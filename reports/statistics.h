// Statistics for comparing runs: medians, and the two-sided Mann–Whitney U test (exact
// distribution for small samples without ties, normal approximation with tie and
// continuity correction otherwise). Pure functions.
#ifndef HEAPSTORM_REPORTS_STATISTICS_H_
#define HEAPSTORM_REPORTS_STATISTICS_H_

#include <vector>

#include "common/median.h"  // Median(), with these tests

namespace heapstorm {

struct MannWhitney {
  double u = 0;        // U of the first sample: pairs (x, y) with x > y, ties counting 1/2
  double p_value = 1;  // two-sided
  bool exact = false;  // from the exact distribution (else the normal approximation)
};

// Two-sided Mann–Whitney U test of x against y. With an empty side, p = 1.
MannWhitney MannWhitneyU(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace heapstorm

#endif  // HEAPSTORM_REPORTS_STATISTICS_H_
