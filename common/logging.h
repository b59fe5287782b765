// Minimal logging for libraries: one line per message on stderr, with a level and a
// timestamp, serialized so lines from several threads never interleave. abseil 20220623
// has no absl/log. Libraries log through this, never through std::cout.
//
//   HS_LOG(INFO) << "worker " << id << " joined";
//
// The threshold comes from SetLogLevel() (default INFO); the CLI maps --verbose/--quiet.
#ifndef HEAPSTORM_COMMON_LOGGING_H_
#define HEAPSTORM_COMMON_LOGGING_H_

#include <sstream>
#include <string>

namespace heapstorm {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3, kOff = 4 };

// Sets the lowest level that is written. Thread-safe.
void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();

// Writes one line. Thread-safe.
void WriteLogLine(LogLevel level, const char* file, int line, const std::string& message);

namespace logging_internal {

class LogMessage {
 public:
  LogMessage(LogLevel level, const char* file, int line)
      : level_(level), file_(file), line_(line) {}
  LogMessage(const LogMessage&) = delete;
  LogMessage& operator=(const LogMessage&) = delete;
  ~LogMessage() { WriteLogLine(level_, file_, line_, stream_.str()); }
  std::ostream& stream() { return stream_; }

 private:
  LogLevel level_;
  const char* file_;
  int line_;
  std::ostringstream stream_;
};

// Turns the streamed expression into void so that HS_LOG is a single expression (safe
// inside an unbraced if/else).
struct Voidify {
  void operator&(std::ostream&) {}
};

}  // namespace logging_internal
}  // namespace heapstorm

#define HS_LOG_LEVEL_DEBUG ::heapstorm::LogLevel::kDebug
#define HS_LOG_LEVEL_INFO ::heapstorm::LogLevel::kInfo
#define HS_LOG_LEVEL_WARNING ::heapstorm::LogLevel::kWarning
#define HS_LOG_LEVEL_ERROR ::heapstorm::LogLevel::kError

#define HS_LOG(level)                                                                \
  !(HS_LOG_LEVEL_##level >= ::heapstorm::GetLogLevel())                              \
      ? (void)0                                                                      \
      : ::heapstorm::logging_internal::Voidify() &                                   \
            ::heapstorm::logging_internal::LogMessage(HS_LOG_LEVEL_##level, __FILE__, \
                                                      __LINE__)                      \
                .stream()

#endif  // HEAPSTORM_COMMON_LOGGING_H_
