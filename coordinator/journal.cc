#include "coordinator/journal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/files.h"
#include "common/logging.h"
#include "common/mutex.h"

namespace heapstorm {

namespace {

// The records of `data` up to its first bad one, and where that one starts.
struct Scan {
  std::vector<v1::RunResult> results;
  size_t valid_end = 0;
};

Scan ScanRecords(const std::string& data) {
  Scan scan;
  size_t pos = 0;
  while (pos + 4 <= data.size()) {
    uint32_t n = 0;
    for (int i = 0; i < 4; ++i) n |= static_cast<uint32_t>(static_cast<unsigned char>(data[pos + i])) << (8 * i);
    if (n == 0 || pos + 4 + n > data.size()) break;  // cut short, or zeros the disk left
    v1::RunResult r;
    if (!r.ParseFromArray(data.data() + pos + 4, static_cast<int>(n)) || r.assignment_id().empty()) break;
    scan.results.push_back(std::move(r));
    pos += 4 + n;
  }
  scan.valid_end = pos;
  return scan;
}

}  // namespace

std::string Journal::PathIn(const std::string& run_dir) { return run_dir + "/journal.bin"; }

absl::StatusOr<std::unique_ptr<Journal>> Journal::Open(const std::string& run_dir) {
  std::string path = PathIn(run_dir);
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    if (errno == ELOOP) {
      return absl::FailedPreconditionError(absl::StrCat(path, " is a symbolic link: heapstorm writes its journal only "
                                                              "to a regular file of its own"));
    }
    return absl::InternalError(absl::StrCat("cannot open the journal ", path, ": ", std::strerror(errno)));
  }
  std::unique_ptr<Journal> journal(new Journal(fd));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(path, " is not a regular file"));
  }
  if (st.st_size > 0) {
    absl::StatusOr<std::string> data = ReadFile(path);
    if (!data.ok()) return absl::InternalError(absl::StrCat("cannot read the journal ", path));
    Scan scan = ScanRecords(*data);
    if (scan.valid_end < data->size()) {
      HS_LOG(WARNING) << path << ": cutting a torn tail of " << data->size() - scan.valid_end
                      << " bytes at byte " << scan.valid_end << " (written when the coordinator stopped; never "
                      << "acknowledged)";
      if (ftruncate(fd, static_cast<off_t>(scan.valid_end)) != 0 || fdatasync(fd) != 0) {
        return absl::InternalError(
            absl::StrCat("cannot cut the torn tail of the journal ", path, ": ", std::strerror(errno)));
      }
    }
  }
  return journal;
}

Journal::~Journal() { close(fd_); }

absl::Status Journal::Append(const v1::RunResult& result) {
  absl::Status s = AppendUnsynced(result);
  return s.ok() ? Sync() : s;
}

absl::Status Journal::Sync() {
  // No lock: appends go on while the disk syncs (write and fdatasync on one descriptor
  // are safe together); the sync covers every record whose write returned before it began.
  if (fdatasync(fd_) != 0) return absl::InternalError(absl::StrCat("journal sync: ", std::strerror(errno)));
  return absl::OkStatus();
}

absl::Status Journal::AppendUnsynced(const v1::RunResult& result) {
  std::string bytes;
  if (!result.SerializeToString(&bytes)) return absl::InternalError("cannot serialize a result");
  uint32_t n = static_cast<uint32_t>(bytes.size());
  std::string record;
  record.reserve(4 + bytes.size());
  for (int i = 0; i < 4; ++i) record.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  record += bytes;
  MutexLock lock(&mu_);
  size_t written = 0;
  while (written < record.size()) {
    ssize_t w = write(fd_, record.data() + written, record.size() - written);
    if (w < 0) {
      if (errno == EINTR) continue;
      return absl::InternalError(absl::StrCat("journal write: ", std::strerror(errno)));
    }
    written += static_cast<size_t>(w);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::RunResult>> Journal::Load(const std::string& run_dir) {
  absl::StatusOr<std::string> read = ReadFile(PathIn(run_dir));
  if (!read.ok()) return std::vector<v1::RunResult>();  // no journal yet
  Scan scan = ScanRecords(*read);
  if (scan.valid_end != read->size()) {
    HS_LOG(WARNING) << PathIn(run_dir) << ": ignoring a torn tail of " << read->size() - scan.valid_end
                    << " bytes at byte " << scan.valid_end
                    << " (the coordinator stopped while writing it; it was never acknowledged)";
  }
  return std::move(scan.results);
}

}  // namespace heapstorm
