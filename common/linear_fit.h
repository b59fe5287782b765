// Least-squares line through points: bytes per unit of load and the base they start from.
// Shared by the engine (a run's bytes per unit) and the reports (capacity models).
#ifndef HEAPSTORM_COMMON_LINEAR_FIT_H_
#define HEAPSTORM_COMMON_LINEAR_FIT_H_

#include <cstddef>
#include <vector>

namespace heapstorm {

struct Fit {
  double slope = 0;      // y per x
  double intercept = 0;  // y at x = 0
  double r_squared = 0;  // 0..1; 1 when every point is on the line (or y is constant)
  size_t points = 0;
};

// Ordinary least squares of y on x. Fewer than two distinct x give slope 0 and
// intercept = mean(y). Pure.
Fit LeastSquares(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace heapstorm

#endif  // HEAPSTORM_COMMON_LINEAR_FIT_H_
