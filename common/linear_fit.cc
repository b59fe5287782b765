#include "common/linear_fit.h"

#include <algorithm>
#include <cmath>

namespace heapstorm {

double StudentT95(size_t df) {
  static const double kTable[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                                  2.201,  2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                                  2.080,  2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};
  if (df == 0) return INFINITY;
  if (df <= 30) return kTable[df - 1];
  if (df <= 60) return 2.042 - (2.042 - 2.000) * static_cast<double>(df - 30) / 30.0;
  if (df <= 120) return 2.000 - (2.000 - 1.980) * static_cast<double>(df - 60) / 60.0;
  return 1.96;
}

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
  fit.slope_low = fit.slope_high = fit.slope;
  fit.intercept_low = fit.intercept_high = fit.intercept;
  if (n > 2) {
    double residual = std::max(0.0, syy - fit.slope * sxy);  // sum of squared residuals
    double s2 = residual / static_cast<double>(n - 2);
    double sx2 = 0;
    for (size_t i = 0; i < n; ++i) sx2 += x[i] * x[i];
    double slope_se = std::sqrt(s2 / sxx);
    double intercept_se = std::sqrt(s2 * sx2 / (static_cast<double>(n) * sxx));
    double t = StudentT95(n - 2);
    fit.slope_low = fit.slope - t * slope_se;
    fit.slope_high = fit.slope + t * slope_se;
    fit.intercept_low = fit.intercept - t * intercept_se;
    fit.intercept_high = fit.intercept + t * intercept_se;
  }
  return fit;
}

void SetFit(const Fit& f, v1::LinearFit* out) {
  out->set_slope(f.slope);
  out->set_intercept(f.intercept);
  out->set_r_squared(f.r_squared);
  out->set_points(static_cast<uint32_t>(f.points));
  out->set_slope_low(f.slope_low);
  out->set_slope_high(f.slope_high);
  out->set_intercept_low(f.intercept_low);
  out->set_intercept_high(f.intercept_high);
}

}  // namespace heapstorm
