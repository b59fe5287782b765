#include "worker/engine/proc_sampler.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace heapstorm {
namespace {

// "VmRSS:\t   41234 kB" → 41234 × 1024.
uint64_t ParseKb(absl::string_view value) {
  value = absl::StripAsciiWhitespace(value);
  size_t space = value.find(' ');
  uint64_t number = 0;
  if (!absl::SimpleAtoi(value.substr(0, space), &number)) return 0;
  return space == absl::string_view::npos ? number : number * 1024;
}

}  // namespace

ProcStatus ParseProcStatus(absl::string_view text) {
  ProcStatus s;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    size_t colon = line.find(':');
    if (colon == absl::string_view::npos) continue;
    absl::string_view key = line.substr(0, colon);
    absl::string_view value = line.substr(colon + 1);
    if (key == "VmRSS") {
      s.rss_bytes = ParseKb(value);
    } else if (key == "VmHWM") {
      s.hwm_bytes = ParseKb(value);
    } else if (key == "Threads") {
      uint32_t n = 0;
      if (absl::SimpleAtoi(absl::StripAsciiWhitespace(value), &n)) s.threads = n;
    }
  }
  return s;
}

bool ReadProcStatus(pid_t pid, ProcStatus* out) {
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/%d/status", static_cast<int>(pid));
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buffer[4096];
  ssize_t n = read(fd, buffer, sizeof(buffer));
  close(fd);
  if (n <= 0) return false;
  *out = ParseProcStatus(absl::string_view(buffer, static_cast<size_t>(n)));
  return true;
}

uint32_t CountDescriptors(pid_t pid) {
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/%d/fd", static_cast<int>(pid));
  struct stat st;
  if (stat(path, &st) != 0) return 0;
  return static_cast<uint32_t>(st.st_size);
}

}  // namespace heapstorm
