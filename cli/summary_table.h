// The table `heapstorm run` prints: one row per configuration (scenario × variation) with
// its outcomes, units reached, peaks and bytes per unit, then the failed checks.
#ifndef HEAPSTORM_CLI_SUMMARY_TABLE_H_
#define HEAPSTORM_CLI_SUMMARY_TABLE_H_

#include <string>

#include "proto/report.pb.h"

namespace heapstorm {

std::string SummaryTable(const v1::Report& report);

}  // namespace heapstorm

#endif  // HEAPSTORM_CLI_SUMMARY_TABLE_H_
