#include "coordinator/journal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/files.h"
#include "common/logging.h"

namespace heapstorm {

std::string Journal::PathIn(const std::string& run_dir) { return run_dir + "/journal.bin"; }

absl::StatusOr<std::unique_ptr<Journal>> Journal::Open(const std::string& run_dir) {
  std::string path = PathIn(run_dir);
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("cannot open the journal ", path, ": ", std::strerror(errno)));
  }
  return std::unique_ptr<Journal>(new Journal(fd));
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
  absl::MutexLock lock(&mu_);
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
  std::vector<v1::RunResult> out;
  absl::StatusOr<std::string> read = ReadFile(PathIn(run_dir));
  if (!read.ok()) return out;  // no journal yet
  const std::string& data = *read;
  size_t pos = 0;
  while (pos + 4 <= data.size()) {
    uint32_t n = 0;
    for (int i = 0; i < 4; ++i) n |= static_cast<uint32_t>(static_cast<unsigned char>(data[pos + i])) << (8 * i);
    if (pos + 4 + n > data.size()) break;
    v1::RunResult r;
    if (!r.ParseFromArray(data.data() + pos + 4, static_cast<int>(n))) {
      return absl::InvalidArgumentError(
          absl::StrCat(PathIn(run_dir), ": record at byte ", pos, " is not a result"));
    }
    out.push_back(std::move(r));
    pos += 4 + n;
  }
  if (pos != data.size()) {
    HS_LOG(WARNING) << PathIn(run_dir) << ": dropping a record cut short at byte " << pos
                    << " (the coordinator stopped while writing it; it was never acknowledged)";
  }
  return out;
}

}  // namespace heapstorm
