#include "worker/engine/kernel_oom_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace heapstorm {
namespace {

// The text of a /dev/kmsg record ("6,123,456,-;text\n key=value..."): after the first ';',
// up to the first newline (continuation lines carry dictionary fields).
absl::string_view RecordText(absl::string_view record) {
  size_t semicolon = record.find(';');
  size_t comma = record.find(',');
  if (semicolon != absl::string_view::npos && comma != absl::string_view::npos && comma < semicolon) {
    record.remove_prefix(semicolon + 1);
  }
  return record.substr(0, record.find('\n'));
}

// "key=value" from a comma-separated list.
std::string Field(absl::string_view text, absl::string_view key) {
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    part = absl::StripAsciiWhitespace(part);
    if (absl::ConsumePrefix(&part, key) && absl::ConsumePrefix(&part, "=")) return std::string(part);
  }
  return "";
}

}  // namespace

std::vector<OomKill> FindOomKills(const std::vector<std::string>& records, absl::string_view cgroup_path) {
  std::vector<OomKill> kills;
  for (const std::string& record : records) {
    absl::string_view text = RecordText(record);
    size_t at = text.find("oom-kill:");
    if (at != absl::string_view::npos) {
      absl::string_view fields = text.substr(at + 9);
      std::string memcg = Field(fields, "oom_memcg");
      if (memcg.empty() || !absl::EndsWith(cgroup_path, memcg)) continue;
      OomKill k;
      k.memcg = memcg;
      k.command = Field(fields, "task");
      if (!absl::SimpleAtoi(Field(fields, "pid"), &k.pid)) continue;
      kills.push_back(std::move(k));
      continue;
    }
    // "Memory cgroup out of memory: Killed process 8809 (node) total-vm:..., anon-rss:64768kB, ..."
    at = text.find("Killed process ");
    if (at == absl::string_view::npos) continue;
    absl::string_view rest = text.substr(at + 15);
    int pid = 0;
    if (!absl::SimpleAtoi(rest.substr(0, rest.find(' ')), &pid)) continue;
    for (OomKill& k : kills) {
      if (k.pid != pid) continue;
      size_t rss = rest.find("anon-rss:");
      if (rss != absl::string_view::npos) {
        absl::string_view value = rest.substr(rss + 9);
        value = value.substr(0, value.find("kB"));
        uint64_t kib = 0;
        if (absl::SimpleAtoi(value, &kib)) k.anon_rss_bytes = kib * 1024;
      }
      size_t open = rest.find('(');
      size_t close = rest.rfind(')');
      if (k.command.empty() && open != absl::string_view::npos && close != absl::string_view::npos && close > open) {
        k.command = std::string(rest.substr(open + 1, close - open - 1));
      }
    }
  }
  return kills;
}

std::unique_ptr<KernelLog> KernelLog::OpenAtEnd() {
  int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return nullptr;
  if (lseek(fd, 0, SEEK_END) < 0) {
    close(fd);
    return nullptr;
  }
  return std::unique_ptr<KernelLog>(new KernelLog(fd));
}

KernelLog::~KernelLog() { close(fd_); }

std::vector<std::string> KernelLog::Read() {
  std::vector<std::string> records;
  char buffer[8192];
  while (true) {
    ssize_t n = read(fd_, buffer, sizeof(buffer));  // one record per read
    if (n > 0) {
      records.emplace_back(buffer, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EPIPE) continue;  // records overwritten before we read them
    if (n < 0 && errno == EINTR) continue;
    break;                                  // EAGAIN: nothing more
  }
  return records;
}

}  // namespace heapstorm
