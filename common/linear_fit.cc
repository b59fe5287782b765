#include "common/linear_fit.h"

#include <algorithm>
#include <cmath>

namespace heapstorm {

Fit LeastSquares(const std::vector<double>& x, const std::vector<double>& y) {
  Fit fit;
  size_t n = std::min(x.size(), y.size());
  fit.points = n;
  if (n == 0) return fit;
  double mx = 0, my = 0;
  for (size_t i = 0; i < n; ++i) {
    mx += x[i];
    my += y[i];
  }
  mx /= static_cast<double>(n);
  my /= static_cast<double>(n);
  double sxx = 0, sxy = 0, syy = 0;
  for (size_t i = 0; i < n; ++i) {
    double dx = x[i] - mx;
    double dy = y[i] - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  if (sxx <= 0) {
    fit.intercept = my;
    fit.r_squared = syy <= 0 ? 1.0 : 0.0;
    return fit;
  }
  fit.slope = sxy / sxx;
  fit.intercept = my - fit.slope * mx;
  fit.r_squared = syy <= 0 ? 1.0 : std::min(1.0, (sxy * sxy) / (sxx * syy));
  return fit;
}

}  // namespace heapstorm
