// Writes reports to files atomically: the bytes go to a temporary file beside the target,
// which is renamed over it only when complete, so a reader never sees half a report.
#ifndef HEAPSTORM_REPORTS_REPORT_WRITER_H_
#define HEAPSTORM_REPORTS_REPORT_WRITER_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/files.h"
#include "proto/report.pb.h"

namespace heapstorm {

// report.json: the proto3 JSON mapping of the report, field names as in the .proto.
absl::StatusOr<std::string> ReportToJson(const v1::Report& report);

// Reads a report.json back. InvalidArgument when it is not a report, or is of another
// schema version.
absl::StatusOr<v1::Report> ReadReportJson(const std::string& path);

// Where the three reports go. Empty fields take DIR/report.json, DIR/report.html,
// DIR/junit.xml.
struct ReportPaths {
  std::string json;
  std::string html;
  std::string junit;
};

// Writes report.json, report.html and junit.xml (each atomically) and returns where.
// `skipped` names scenarios filtered out, for JUnit.
absl::StatusOr<ReportPaths> WriteReportFiles(const v1::Report& report, const std::string& dir,
                                             ReportPaths paths = {},
                                             const std::vector<std::string>& skipped = {});

}  // namespace heapstorm

#endif  // HEAPSTORM_REPORTS_REPORT_WRITER_H_
