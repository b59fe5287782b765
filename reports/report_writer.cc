#include "reports/report_writer.h"



#include "absl/strings/str_cat.h"
#include "common/files.h"
#include "google/protobuf/util/json_util.h"
#include "reports/html_report.h"
#include "reports/junit_report.h"
#include "reports/report_builder.h"

namespace heapstorm {

absl::StatusOr<std::string> ReportToJson(const v1::Report& report) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  // Compact, and zero values left out as proto3 JSON does: a report of a thousand runs
  // must stay small enough to open.
  options.add_whitespace = false;
  options.preserve_proto_field_names = true;
  auto status = google::protobuf::util::MessageToJsonString(report, &json, options);
  if (!status.ok()) return absl::InternalError(absl::StrCat("report to JSON: ", status.ToString()));
  return json;
}

absl::StatusOr<v1::Report> ReadReportJson(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  v1::Report report;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  auto status = google::protobuf::util::JsonStringToMessage(*text, &report, options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not a heapstorm report: ", status.message().as_string()));
  }
  if (report.schema_version() == 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a heapstorm report: it has no schema_version"));
  }
  if (report.schema_version() != kReportSchemaVersion) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": report schema version ", report.schema_version(), ", this heapstorm reads ",
        kReportSchemaVersion));
  }
  // A report of no configuration (a stub, or a run stopped before any finished) compares
  // with nothing: as a baseline every scenario would pass as new.
  if (report.scenarios_size() == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": a heapstorm report of no configuration: there is nothing to compare with"));
  }
  return report;
}

absl::StatusOr<ReportPaths> WriteReportFiles(const v1::Report& report, const std::string& dir,
                                             ReportPaths paths,
                                             const std::vector<std::string>& skipped) {
  if (paths.json.empty()) paths.json = dir + "/report.json";
  if (paths.html.empty()) paths.html = dir + "/report.html";
  if (paths.junit.empty()) paths.junit = dir + "/junit.xml";
  absl::StatusOr<std::string> json = ReportToJson(report);
  if (!json.ok()) return json.status();
  absl::Status s = WriteFileAtomically(paths.json, *json);
  if (s.ok()) s = WriteFileAtomically(paths.html, RenderHtml(report));
  if (s.ok()) s = WriteFileAtomically(paths.junit, RenderJunit(report, skipped));
  if (!s.ok()) return s;
  return paths;
}

}  // namespace heapstorm
