#include "common/trend.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "common/median.h"

namespace heapstorm {
namespace {

// Variance of Kendall's S with the tie correction.
double KendallVariance(const std::vector<double>& y) {
  double n = static_cast<double>(y.size());
  std::map<double, int> ties;
  for (double v : y) ++ties[v];
  double correction = 0;
  for (const auto& [value, t] : ties) correction += t * (t - 1.0) * (2.0 * t + 5.0);
  return (n * (n - 1) * (2 * n + 5) - correction) / 18.0;
}

}  // namespace

double NormalQuantile(double p) {
  // Acklam's rational approximation, refined by one step of Newton's method.
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                             1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01,  -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                             3.754408661907416e+00};
  if (p <= 0) return -INFINITY;
  if (p >= 1) return INFINITY;
  double q, x;
  if (p < 0.02425) {
    q = std::sqrt(-2 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - 0.02425) {
    q = p - 0.5;
    double r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    q = std::sqrt(-2 * std::log(1 - p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  double e = 0.5 * std::erfc(-x / std::sqrt(2.0)) - p;
  double u = e * std::sqrt(2 * M_PI) * std::exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

TheilSen TheilSenSlope(const std::vector<double>& x, const std::vector<double>& y, double alpha) {
  TheilSen fit;
  size_t n = std::min(x.size(), y.size());
  fit.points = n;
  if (n < 2) {
    fit.intercept = n == 1 ? y[0] : 0;
    return fit;
  }
  std::vector<double> slopes;
  slopes.reserve(n * (n - 1) / 2);
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = i + 1; j < n; ++j) {
      if (x[j] != x[i]) slopes.push_back((y[j] - y[i]) / (x[j] - x[i]));
    }
  }
  if (slopes.empty()) return fit;
  std::sort(slopes.begin(), slopes.end());
  size_t m = slopes.size();
  fit.slope = m % 2 == 1 ? slopes[m / 2] : (slopes[m / 2 - 1] + slopes[m / 2]) / 2;
  std::vector<double> residual(n);
  for (size_t i = 0; i < n; ++i) residual[i] = y[i] - fit.slope * x[i];
  fit.intercept = Median(residual);
  // Sen's interval: ranks (N ∓ C)/2 of the ordered slopes, C = z × sqrt(Var S).
  double z = NormalQuantile(1 - alpha / 2);
  double c = z * std::sqrt(KendallVariance(y));
  double lower_rank = (static_cast<double>(m) - c) / 2;
  double upper_rank = (static_cast<double>(m) + c) / 2 + 1;
  auto at = [&](double rank) {
    long index = std::lround(rank) - 1;
    index = std::clamp<long>(index, 0, static_cast<long>(m) - 1);
    return slopes[static_cast<size_t>(index)];
  };
  fit.low = at(lower_rank);
  fit.high = at(upper_rank);
  return fit;
}

MannKendall MannKendallTest(const std::vector<double>& y) {
  MannKendall mk;
  size_t n = y.size();
  if (n < 3) return mk;
  double s = 0;
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = i + 1; j < n; ++j) s += (y[j] > y[i]) - (y[j] < y[i]);
  }
  mk.s = s;
  mk.variance = KendallVariance(y);
  if (mk.variance <= 0) return mk;
  double z = s > 0 ? (s - 1) / std::sqrt(mk.variance) : s < 0 ? (s + 1) / std::sqrt(mk.variance) : 0;
  mk.p_value = std::erfc(std::fabs(z) / std::sqrt(2.0));
  return mk;
}

double RobustNoise(const std::vector<double>& x, const std::vector<double>& y, const TheilSen& fit) {
  size_t n = std::min(x.size(), y.size());
  if (n < 3) return 0;
  std::vector<double> residual(n);
  for (size_t i = 0; i < n; ++i) residual[i] = y[i] - (fit.intercept + fit.slope * x[i]);
  double center = Median(residual);
  for (double& r : residual) r = std::fabs(r - center);
  return 1.4826 * Median(residual);
}

}  // namespace heapstorm
