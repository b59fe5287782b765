#include "reports/statistics.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace heapstorm {
namespace {

// Exact samples up to this size per side when there are no ties.
constexpr size_t kExactLimit = 20;

// Number of arrangements of n1 x's and n2 y's with U = u, for all u (DP over sizes).
std::vector<double> UDistribution(size_t n1, size_t n2) {
  // f[i][j][u]: counts for i x's and j y's.
  size_t max_u = n1 * n2;
  std::vector<std::vector<std::vector<double>>> f(
      n1 + 1, std::vector<std::vector<double>>(n2 + 1, std::vector<double>(max_u + 1, 0.0)));
  for (size_t i = 0; i <= n1; ++i) {
    for (size_t j = 0; j <= n2; ++j) {
      if (i == 0 || j == 0) {
        f[i][j][0] = 1.0;
        continue;
      }
      for (size_t u = 0; u <= i * j; ++u) {
        // The largest element is an x (it beats all j y's) or a y.
        double from_x = u >= j ? f[i - 1][j][u - j] : 0.0;
        double from_y = f[i][j - 1][u];
        f[i][j][u] = from_x + from_y;
      }
    }
  }
  return f[n1][n2];
}

double NormalTwoSided(double z) { return std::erfc(std::fabs(z) / std::sqrt(2.0)); }

}  // namespace

MannWhitney MannWhitneyU(const std::vector<double>& x, const std::vector<double>& y) {
  MannWhitney result;
  const size_t n1 = x.size();
  const size_t n2 = y.size();
  if (n1 == 0 || n2 == 0) return result;
  double u = 0;
  for (double a : x) {
    for (double b : y) u += a > b ? 1.0 : a == b ? 0.5 : 0.0;
  }
  result.u = u;
  // Ties across the pooled sample.
  std::map<double, int> counts;
  for (double a : x) ++counts[a];
  for (double b : y) ++counts[b];
  double tie_term = 0;
  bool ties = false;
  for (const auto& [value, t] : counts) {
    if (t > 1) ties = true;
    tie_term += static_cast<double>(t) * t * t - t;
  }
  const double mean = n1 * n2 / 2.0;
  if (!ties && n1 <= kExactLimit && n2 <= kExactLimit) {
    std::vector<double> dist = UDistribution(n1, n2);
    double total = 0;
    for (double c : dist) total += c;
    // Two-sided: twice the smaller tail, capped at 1.
    double u_low = std::min(u, n1 * n2 - u);
    double tail = 0;
    for (size_t k = 0; k <= static_cast<size_t>(u_low); ++k) tail += dist[k];
    result.p_value = std::min(1.0, 2.0 * tail / total);
    result.exact = true;
    return result;
  }
  const double n = static_cast<double>(n1 + n2);
  const double variance = n1 * n2 / 12.0 * ((n + 1) - tie_term / (n * (n - 1)));
  if (variance <= 0) {
    result.p_value = 1.0;
    return result;
  }
  const double z = (std::fabs(u - mean) - 0.5) / std::sqrt(variance);
  result.p_value = std::min(1.0, NormalTwoSided(std::max(0.0, z)));
  return result;
}

}  // namespace heapstorm
