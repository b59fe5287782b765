#include "common/median.h"

#include <algorithm>

namespace heapstorm {

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  const size_t mid = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + mid, values.end());
  double m = values[mid];
  if (values.size() % 2 == 0) {
    // The lower middle value is the largest of those before the upper one.
    m = (*std::max_element(values.begin(), values.begin() + mid) + m) / 2;
  }
  return m;
}

}  // namespace heapstorm
