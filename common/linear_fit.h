// Least-squares line through points: bytes per unit of load and the base they start from.
// Shared by the engine (a run's bytes per unit) and the reports (capacity models and unit
// costs), which keep it as a v1::LinearFit (SetFit).
#ifndef HEAPSTORM_COMMON_LINEAR_FIT_H_
#define HEAPSTORM_COMMON_LINEAR_FIT_H_

#include <cstddef>
#include <vector>

#include "proto/result.pb.h"

namespace heapstorm {

struct Fit {
  double slope = 0;      // y per x
  double intercept = 0;  // y at x = 0
  double r_squared = 0;  // 0..1; 1 when every point is on the line (or y is constant)
  size_t points = 0;
  // 95% confidence intervals (Student's t with points − 2 degrees of freedom, from the
  // residuals). Equal to the estimate when there are fewer than three points or the points
  // lie exactly on the line.
  double slope_low = 0, slope_high = 0;
  double intercept_low = 0, intercept_high = 0;
};

// The two-sided 95% quantile of Student's t with `df` degrees of freedom (df ≥ 1). Pure.
double StudentT95(size_t df);

// Ordinary least squares of y on x. Fewer than two distinct x give slope 0 and
// intercept = mean(y). Pure.
Fit LeastSquares(const std::vector<double>& x, const std::vector<double>& y);

// The fit as the reports keep it.
void SetFit(const Fit& f, v1::LinearFit* out);

}  // namespace heapstorm

#endif  // HEAPSTORM_COMMON_LINEAR_FIT_H_
