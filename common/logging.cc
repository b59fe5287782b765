#include "common/logging.h"

#include <atomic>
#include <cstdio>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/mutex.h"

namespace heapstorm {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};

Mutex& LogMutex() {
  static Mutex* mu = new Mutex();
  return *mu;
}

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "D";
    case LogLevel::kInfo:
      return "I";
    case LogLevel::kWarning:
      return "W";
    case LogLevel::kError:
      return "E";
    case LogLevel::kOff:
      break;
  }
  return "?";
}

const char* BaseName(const char* path) {
  const char* base = path;
  for (const char* p = path; *p != '\0'; ++p) {
    if (*p == '/') base = p + 1;
  }
  return base;
}

}  // namespace

void SetLogLevel(LogLevel level) { g_level.store(static_cast<int>(level)); }

LogLevel GetLogLevel() { return static_cast<LogLevel>(g_level.load()); }

void WriteLogLine(LogLevel level, const char* file, int line, const std::string& message) {
  std::string stamp = absl::FormatTime("%H:%M:%E3S", absl::Now(), absl::UTCTimeZone());
  MutexLock lock(&LogMutex());
  std::fprintf(stderr, "%s %s %s:%d] %s\n", LevelName(level), stamp.c_str(), BaseName(file), line,
               message.c_str());
  std::fflush(stderr);
}

}  // namespace heapstorm
