// Robust trend statistics for series that should be flat: the Theil–Sen slope with its
// confidence interval (Sen 1968), the Mann–Kendall trend test, a robust noise estimate,
// and the normal quantile they need. Pure functions; x must not repeat.
#ifndef HEAPSTORM_COMMON_TREND_H_
#define HEAPSTORM_COMMON_TREND_H_

#include <cstddef>
#include <vector>

namespace heapstorm {

struct TheilSen {
  double slope = 0;      // median of the pairwise slopes
  double intercept = 0;  // median of y - slope × x
  double low = 0;        // confidence interval of the slope
  double high = 0;
  size_t points = 0;
};

// Theil–Sen slope of y on x with a two-sided (1 - alpha) confidence interval.
TheilSen TheilSenSlope(const std::vector<double>& x, const std::vector<double>& y, double alpha);

struct MannKendall {
  double s = 0;         // sum of sign(y_j - y_i) over i < j
  double variance = 0;  // with the tie correction
  double p_value = 1;   // two-sided, normal approximation with continuity correction
};

// Mann–Kendall test for a monotonic trend in y (in the order given).
MannKendall MannKendallTest(const std::vector<double>& y);

// 1.4826 × the median absolute deviation of the residuals from the line: the standard
// deviation of the noise, not inflated by a few outliers.
double RobustNoise(const std::vector<double>& x, const std::vector<double>& y, const TheilSen& fit);

// The p-quantile of the standard normal distribution (0 < p < 1), |error| < 1e-9.
double NormalQuantile(double p);

}  // namespace heapstorm

#endif  // HEAPSTORM_COMMON_TREND_H_
