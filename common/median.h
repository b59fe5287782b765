// The one median: of a sample of doubles, used by the trend tests (common/trend.h), the
// aggregation over repeats and the comparisons of reports/. A pure function.
#ifndef HEAPSTORM_COMMON_MEDIAN_H_
#define HEAPSTORM_COMMON_MEDIAN_H_

#include <vector>

namespace heapstorm {

// The middle value of `values`, or the mean of the two middle values when there is an even
// number of them; 0 for an empty sample. Takes a copy, which it reorders (linear time).
double Median(std::vector<double> values);

}  // namespace heapstorm

#endif  // HEAPSTORM_COMMON_MEDIAN_H_
