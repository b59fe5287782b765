// Builds the Report of a run of a suite from its results: groups runs by configuration
// (scenario × variation), aggregates each metric over the repeats (median, min, max),
// checks the suite's expectations, and says what is missing. Pure: the environment and
// the times are passed in, so the same inputs give the same report (golden tests).
#ifndef HEAPSTORM_REPORTS_REPORT_BUILDER_H_
#define HEAPSTORM_REPORTS_REPORT_BUILDER_H_

#include <vector>

#include "proto/report.pb.h"
#include "proto/result.pb.h"
#include "proto/suite.pb.h"

namespace heapstorm {

inline constexpr uint32_t kReportSchemaVersion = 1;

struct ReportInputs {
  const v1::Suite* suite = nullptr;
  std::vector<v1::RunResult> runs;
  std::vector<v1::Missing> missing;
  v1::Environment environment;
  uint64_t started_unix_ms = 0;
  double wall_ms = 0;
  bool aborted = false;
  std::vector<v1::SearchResult> searches;
};

// The checks of one configuration's expectations against its runs.
std::vector<v1::ExpectationCheck> CheckExpectations(const v1::Scenario& scenario,
                                                    const std::vector<const v1::RunResult*>& runs);

v1::Report BuildReport(const ReportInputs& inputs);

}  // namespace heapstorm

#endif  // HEAPSTORM_REPORTS_REPORT_BUILDER_H_
