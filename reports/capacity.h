// Capacity figures from results: for each scenario, where it broke under each point of its
// sweep (units at the breaking point, which limit broke, bytes per unit), a linear model
// of units at break against the swept limit, and, for the suite's target_units, the limit
// each memory section needs (peak at the target + 15%, rounded up to a whole MiB, as a
// vertical pod autoscaler would) and which current limit binds first. Pure.
#ifndef HEAPSTORM_REPORTS_CAPACITY_H_
#define HEAPSTORM_REPORTS_CAPACITY_H_

#include <vector>

#include "proto/report.pb.h"
#include "proto/result.pb.h"
#include "proto/suite.pb.h"

namespace heapstorm {

inline constexpr double kRecommendationHeadroom = 1.15;

std::vector<v1::CapacityReport> BuildCapacity(const v1::Suite& suite,
                                              const std::vector<v1::RunResult>& runs,
                                              const std::vector<v1::SearchResult>& searches);

// Units at which the model predicts a break for `limit` (bytes, or a count).
double PredictUnitsAtBreak(const v1::CapacityReport& capacity, double limit);

}  // namespace heapstorm

#endif  // HEAPSTORM_REPORTS_CAPACITY_H_
