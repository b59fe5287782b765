#include "reports/report_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "reports/html_report.h"
#include "reports/junit_report.h"
#include "reports/report_builder.h"

namespace heapstorm {

absl::Status WriteFileAtomically(const std::string& path, absl::string_view data) {
  std::string temp = absl::StrCat(path, ".tmp.", getpid());
  int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return absl::InternalError(absl::StrCat("cannot write ", temp, ": ", std::strerror(errno)));
  size_t written = 0;
  while (written < data.size()) {
    ssize_t n = write(fd, data.data() + written, data.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      close(fd);
      unlink(temp.c_str());
      return absl::InternalError(absl::StrCat("cannot write ", temp, ": ", std::strerror(err)));
    }
    written += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0 || close(fd) != 0) {
    unlink(temp.c_str());
    return absl::InternalError(absl::StrCat("cannot flush ", temp, ": ", std::strerror(errno)));
  }
  if (rename(temp.c_str(), path.c_str()) != 0) {
    int err = errno;
    unlink(temp.c_str());
    return absl::InternalError(absl::StrCat("cannot rename ", temp, " to ", path, ": ", std::strerror(err)));
  }
  return absl::OkStatus();
}

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
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot read: ", std::strerror(errno)));
  std::stringstream buffer;
  buffer << in.rdbuf();
  v1::Report report;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  auto status = google::protobuf::util::JsonStringToMessage(buffer.str(), &report, options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not a heapstorm report: ", status.message().as_string()));
  }
  if (report.schema_version() != kReportSchemaVersion) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": report schema version ", report.schema_version(), ", this heapstorm reads ",
        kReportSchemaVersion));
  }
  return report;
}

absl::Status MakeDirs(const std::string& dir) {
  if (dir.empty()) return absl::OkStatus();
  std::string partial;
  for (size_t i = 0; i <= dir.size(); ++i) {
    if (i == dir.size() || (dir[i] == '/' && i > 0)) {
      partial = dir.substr(0, i);
      if (mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST) {
        return absl::InternalError(absl::StrCat("cannot create ", partial, ": ", std::strerror(errno)));
      }
    }
  }
  return absl::OkStatus();
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
