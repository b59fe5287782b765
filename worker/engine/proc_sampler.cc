#include "worker/engine/proc_sampler.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

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

namespace {

// A small /proc file, whole; "" when gone.
std::string ReadSmall(const char* path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  std::string text;
  char buffer[4096];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof(buffer))) > 0) text.append(buffer, static_cast<size_t>(n));
  close(fd);
  return text;
}

bool SampleOne(pid_t pid, bool with_pss, TreeProcess* out) {
  ProcStatus status;
  if (!ReadProcStatus(pid, &status)) return false;
  char path[64];
  out->pid = pid;
  out->rss_bytes = status.rss_bytes;
  std::snprintf(path, sizeof(path), "/proc/%d/comm", static_cast<int>(pid));
  out->command = std::string(absl::StripAsciiWhitespace(ReadSmall(path)));
  if (with_pss) {
    std::snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", static_cast<int>(pid));
    out->pss_bytes = ParsePss(ReadSmall(path));
  }
  return true;
}

}  // namespace

uint64_t ParsePss(absl::string_view smaps_rollup) {
  uint64_t pss = 0, anon = 0, shmem = 0;
  bool has_anon = false;
  for (absl::string_view line : absl::StrSplit(smaps_rollup, '\n')) {
    if (absl::ConsumePrefix(&line, "Pss:")) {
      pss = ParseKb(line);
    } else if (absl::ConsumePrefix(&line, "Pss_Anon:")) {
      anon = ParseKb(line);
      has_anon = true;
    } else if (absl::ConsumePrefix(&line, "Pss_Shmem:")) {
      shmem = ParseKb(line);
    }
  }
  return has_anon ? anon + shmem : pss;
}

std::vector<TreeProcess> SampleTree(pid_t root, bool with_pss) {
  std::vector<TreeProcess> tree;
  std::vector<pid_t> pending = {root};
  while (!pending.empty() && tree.size() < 4096) {
    pid_t pid = pending.back();
    pending.pop_back();
    TreeProcess p;
    if (!SampleOne(pid, with_pss, &p)) continue;
    tree.push_back(std::move(p));
    char path[64];
    std::snprintf(path, sizeof(path), "/proc/%d/task", static_cast<int>(pid));
    DIR* tasks = opendir(path);
    if (tasks == nullptr) continue;
    while (dirent* t = readdir(tasks)) {
      if (t->d_name[0] == '.') continue;
      std::string children = ReadSmall(
          (std::string(path) + "/" + t->d_name + "/children").c_str());
      for (absl::string_view c : absl::StrSplit(children, ' ', absl::SkipEmpty())) {
        int child = 0;
        if (absl::SimpleAtoi(c, &child) && child > 0) pending.push_back(child);
      }
    }
    closedir(tasks);
  }
  return tree;
}

std::vector<int> PidsWithEnvironment(absl::string_view entry) {
  std::vector<int> pids;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return pids;
  const int self = static_cast<int>(getpid());
  while (dirent* d = readdir(proc)) {
    int pid = 0;
    if (!absl::SimpleAtoi(d->d_name, &pid) || pid <= 0 || pid == self) continue;
    char path[64];
    std::snprintf(path, sizeof(path), "/proc/%d/environ", pid);
    const std::string environ = ReadSmall(path);  // "" for another user's, or one gone
    for (absl::string_view e : absl::StrSplit(environ, '\0', absl::SkipEmpty())) {
      if (e == entry) {
        pids.push_back(pid);
        break;
      }
    }
  }
  closedir(proc);
  return pids;
}

std::vector<TreeProcess> SamplePids(const std::vector<int>& pids, bool with_pss) {
  std::vector<TreeProcess> tree;
  for (int pid : pids) {
    TreeProcess p;
    if (SampleOne(pid, with_pss, &p)) tree.push_back(std::move(p));
  }
  return tree;
}

}  // namespace heapstorm
