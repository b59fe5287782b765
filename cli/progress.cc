#include "cli/progress.h"

#include <unistd.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/mutex.h"
#include "common/utf8.h"
#include "model/names.h"
#include "model/units.h"

namespace heapstorm {
namespace {

bool IsLive(FILE* out) {
  const char* ci = std::getenv("CI");
  return isatty(fileno(out)) && (ci == nullptr || *ci == '\0');
}

}  // namespace

std::string ProgressStatus(const Scheduler::Counts& c, size_t workers, size_t crashed, size_t workers_gone,
                           const std::string& eta) {
  std::string text = absl::StrCat("[", c.recorded + c.missing, "/", c.total, "] ", workers, " worker",
                                  workers == 1 ? "" : "s", ", ", c.leased, " running, ", c.queued, " queued, ",
                                  c.missing, " missing, ", c.retried, " retried");
  if (crashed > 0) absl::StrAppend(&text, ", ", crashed, " crashed or threw");
  if (workers_gone > 0) {
    absl::StrAppend(&text, ", ", workers_gone, " worker", workers_gone == 1 ? "" : "s", " lost or refused");
  }
  absl::StrAppend(&text, ", ETA ", eta);
  return text;
}

Progress::Progress(FILE* out)
    : out_(out), live_(IsLive(out)), start_(absl::Now()), last_plain_status_(absl::Now()) {}

void Progress::Line(const std::string& text) {
  const std::string shown = TerminalText(text);  // it may carry what a measured process said
  if (live_) {
    std::fprintf(out_, "\r\033[K%s\n%s", shown.c_str(), status_.c_str());
  } else {
    std::string stamp = absl::FormatTime("%H:%M:%S", absl::Now(), absl::LocalTimeZone());
    std::fprintf(out_, "%s %s\n", stamp.c_str(), shown.c_str());
  }
  std::fflush(out_);
}

void Progress::Result(const v1::RunResult& r, size_t done, size_t total) {
  MutexLock lock(&mu_);
  if (r.outcome() == v1::OUTCOME_CRASHED || r.outcome() == v1::OUTCOME_SCRIPT_ERROR) ++crashed_;
  const std::string name = ConfigurationName(r.scenario(), r.variation());
  std::string attempt = r.attempt() > 1 ? absl::StrCat(" (attempt ", r.attempt(), ")") : "";
  Line(absl::StrFormat("[%*d/%d] %s r%d: %s at %d units in %s on %s%s",
                       static_cast<int>(absl::StrCat(total).size()), done, total, name, r.repeat(),
                       OutcomeName(r.outcome()), r.units_reached(),
                       FormatShortDuration(absl::Milliseconds(r.wall_ms())), r.worker(), attempt));
}

void Progress::WorkerEvent(const std::string& worker, const std::string& event) {
  MutexLock lock(&mu_);
  if (event.rfind("lost", 0) == 0 || event.rfind("refused", 0) == 0) ++workers_gone_;
  Line(absl::StrCat("worker ", worker, ": ", event));
}

void Progress::Tick(const Scheduler::Counts& c,
                    const std::map<std::string, std::vector<std::string>>& running) {
  MutexLock lock(&mu_);
  absl::Duration elapsed = absl::Now() - start_;
  std::string eta = "?";
  size_t finished = c.recorded + c.missing;
  if (finished > 0 && c.total > finished) {
    eta = FormatShortDuration(elapsed * (static_cast<double>(c.total - finished) / finished));
  }
  std::vector<std::string> busy;
  for (const auto& [worker, ids] : running) {
    if (!ids.empty()) busy.push_back(absl::StrCat(worker, ": ", absl::StrJoin(ids, ", ")));
  }
  std::string text = ProgressStatus(c, running.size(), crashed_, workers_gone_, eta);
  if (live_) {
    std::string line = text;
    if (!busy.empty()) absl::StrAppend(&line, " | ", busy.front());
    if (line.size() > 160) line = line.substr(0, 157) + "...";
    status_ = line;
    std::fprintf(out_, "\r\033[K%s", status_.c_str());
    std::fflush(out_);
  } else if (absl::Now() - last_plain_status_ >= absl::Seconds(10)) {
    last_plain_status_ = absl::Now();
    Line(text);
  }
}

void Progress::Finish() {
  MutexLock lock(&mu_);
  if (live_) {
    std::fprintf(out_, "\r\033[K");
    std::fflush(out_);
  }
  status_.clear();
}

}  // namespace heapstorm
