#include "worker/engine/run_monitor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "common/files.h"
#include "common/logging.h"
#include "common/utf8.h"
#include "google/protobuf/util/json_util.h"
#include "worker/engine/proc_sampler.h"

namespace heapstorm {
namespace {

constexpr size_t kStderrHeadBytes = 16 * 1024;
constexpr size_t kStderrTailBytes = 48 * 1024;
constexpr size_t kMaxTelemetryLine = 4 << 20;
// The watchdog samples at least this often, whatever the scenario's sample_hz.
constexpr int kWatchdogHz = 200;
// After a leak verdict: checkpoints between two heap snapshots.
constexpr int kCheckpointsBetweenSnapshots = 5;

// Keeps the first and last bytes of a stream: the FATAL line of an abort is at the end.
class HeadTail {
 public:
  void Append(absl::string_view data) {
    total_ += data.size();
    if (head_.size() < kStderrHeadBytes) {
      size_t take = std::min(data.size(), kStderrHeadBytes - head_.size());
      head_.append(data.data(), take);
      data.remove_prefix(take);
    }
    tail_.append(data.data(), data.size());
    if (tail_.size() > 2 * kStderrTailBytes) tail_.erase(0, tail_.size() - kStderrTailBytes);
  }
  std::string Text() const {
    std::string t = tail_.size() > kStderrTailBytes ? tail_.substr(tail_.size() - kStderrTailBytes) : tail_;
    if (total_ > head_.size() + t.size()) {
      return absl::StrCat(head_, "\n[... ", total_ - head_.size() - t.size(), " bytes ...]\n", t);
    }
    return head_ + t;
  }
  uint64_t total() const { return total_; }

 private:
  std::string head_;
  std::string tail_;
  uint64_t total_ = 0;
};

// Keeps at most `max` items by dropping every other one when full (stride doubles), so
// a long run keeps an even spread from start to end. The newest item is kept aside.
template <typename T>
class Thinned {
 public:
  explicit Thinned(int max) : max_(std::max(4, max)) {}
  void Add(const T& item) {
    ++seen_;
    last_ = item;
    has_last_ = true;
    if ((seen_ - 1) % stride_ != 0) return;
    items_.push_back(item);
    if (static_cast<int>(items_.size()) >= max_) {
      std::vector<T> kept;
      for (size_t i = 0; i < items_.size(); i += 2) kept.push_back(items_[i]);
      items_.swap(kept);
      stride_ *= 2;
    }
  }
  std::vector<T> Items() const {
    std::vector<T> out = items_;
    if (has_last_ && (seen_ - 1) % stride_ != 0) out.push_back(last_);
    return out;
  }

 private:
  int max_;
  uint64_t seen_ = 0;
  uint64_t stride_ = 1;
  std::vector<T> items_;
  T last_;
  bool has_last_ = false;
};

}  // namespace

// The bounded series of a run.
class RunMonitor::Series {
 public:
  Series(int max_checkpoints, int max_samples) : checkpoints(max_checkpoints), samples(max_samples) {}
  HeadTail stderr_text;
  Thinned<v1::Checkpoint> checkpoints;
  Thinned<v1::OutsideSample> samples;
};

RunMonitor::RunMonitor(MonitorSetup setup)
    : setup_(std::move(setup)),
      limits_(setup_.scenario->limits()),
      watchdog_(setup_.mechanism == v1::LIMIT_MECHANISM_WATCHDOG),
      // The watchdog looks faster than the scenario's rate; the samples kept follow the rate.
      sample_every_(absl::Seconds(1) /
                    std::max<int>(1, watchdog_ ? std::max<int>(kWatchdogHz, setup_.scenario->sample_hz())
                                               : static_cast<int>(setup_.scenario->sample_hz()))),
      keep_every_(absl::Seconds(1) / std::max<uint32_t>(1, setup_.scenario->sample_hz())),
      deadline_(setup_.start + absl::Milliseconds(limits_.timeout_ms())),
      next_sample_(setup_.start),
      next_kept_(setup_.start),
      series_(std::make_unique<Series>(setup_.max_checkpoints, setup_.max_samples)) {
  pidfd_ = static_cast<int>(syscall(SYS_pidfd_open, setup_.pid, 0));
  for (int* fd : {setup_.out_fd, setup_.err_fd, setup_.telemetry_fd}) {
    fcntl(*fd, F_SETFL, fcntl(*fd, F_GETFL) | O_NONBLOCK);
  }
  // Leak checks: the verdict as checkpoints arrive; once decided, three heap snapshots (for
  // a leak, when asked) and then "stop" to the driver.
  if (setup_.scenario->has_leak_check() && setup_.scenario->has_script()) {
    detector_ = std::make_unique<LeakDetector>(setup_.scenario->leak_check());
  }
}

RunMonitor::~RunMonitor() {
  if (pidfd_ >= 0) close(pidfd_);
}

void RunMonitor::Kill(v1::HarnessKill why) {
  if (seen_.harness_kill == v1::HARNESS_KILL_NONE) seen_.harness_kill = why;
  setup_.launcher->KillGroup(setup_.pid, SIGKILL);
  if (setup_.cgroup != nullptr) {
    for (int p : setup_.cgroup->Pids()) setup_.launcher->KillGroup(p, SIGKILL);
  }
}

// Reads /proc (and the cgroup): peaks always, a kept sample at the scenario's rate, and the
// watchdog's verdict. Also called at every checkpoint, so short runs have peaks too.
// Returns the RSS read (0 when the process is gone).
uint64_t RunMonitor::SampleOutside(absl::Time now) {
  ProcStatus status;
  if (!ReadProcStatus(setup_.pid, &status)) return 0;
  uint32_t fds = CountDescriptors(setup_.pid);
  seen_.peak_rss = std::max({seen_.peak_rss, status.rss_bytes, status.hwm_bytes});
  seen_.peak_fds = std::max(seen_.peak_fds, fds);
  if (now >= next_kept_) {
    v1::OutsideSample s;
    s.set_t_ms(absl::ToDoubleMilliseconds(now - setup_.start));
    s.set_rss_bytes(status.rss_bytes);
    s.set_hwm_bytes(status.hwm_bytes);
    s.set_descriptors(fds);
    s.set_threads(status.threads);
    if (setup_.cgroup != nullptr) s.set_cgroup_usage_bytes(setup_.cgroup->Usage());
    series_->samples.Add(s);
    next_kept_ = now + keep_every_;
  }
  if (watchdog_ && status.rss_bytes > limits_.native_bytes()) Kill(v1::HARNESS_KILL_WATCHDOG);
  return status.rss_bytes;
}

void RunMonitor::Command(const std::string& line) {
  // Node may have closed its stdin, or died: then the command is simply not delivered.
  (void)WriteToPipe(setup_.control_fd, line + "\n");
}

void RunMonitor::RequestSnapshot() {
  ++snapshots_requested_;
  checkpoints_since_snapshot_ = 0;
  Command(absl::StrCat("snapshot ", setup_.run_dir, "/leak-", snapshots_requested_, ".heapsnapshot"));
}

void RunMonitor::LeakStep(const v1::Checkpoint& c) {
  if (!detector_ || stop_sent_ || !c.after_gc()) return;
  if (!seen_.leak) {
    detector_->Add(c);
    if (!detector_->Decided()) return;
    seen_.leak = detector_->Evaluate();
    bool snapshot = seen_.leak->verdict() == v1::LEAK_VERDICT_LEAK && setup_.scenario->leak_check().snapshots();
    if (!snapshot) {
      Command("stop");
      stop_sent_ = true;
      return;
    }
    RequestSnapshot();
    return;
  }
  // Snapshot phase: the next one a few checkpoints after the last one was written.
  if (static_cast<int>(seen_.snapshots.size()) < snapshots_requested_) return;
  if (++checkpoints_since_snapshot_ < kCheckpointsBetweenSnapshots) return;
  if (snapshots_requested_ < kSnapshots) {
    RequestSnapshot();
  } else {
    Command("stop");
    stop_sent_ = true;
  }
}

void RunMonitor::OnCheckpoint(v1::Checkpoint* c) {
  if (!reaped_) {
    c->set_outside_rss_bytes(SampleOutside(absl::Now()));
    if (setup_.cgroup != nullptr) {
      c->set_cgroup_usage_bytes(setup_.cgroup->Usage());
      c->set_cgroup_anon_bytes(setup_.cgroup->AnonUsage());
    }
  }
  seen_.units = std::max<uint64_t>(seen_.units, c->units());
  series_->checkpoints.Add(*c);
  seen_.fit_units.push_back(static_cast<double>(c->units()));
  seen_.fit_heap.push_back(static_cast<double>(c->heap_used_bytes()));
  seen_.fit_external.push_back(static_cast<double>(c->external_bytes()));
  seen_.fit_rss.push_back(static_cast<double>(c->rss_bytes()));
  v1::RunResult& p = seen_.peaks;
  p.set_peak_heap_used_bytes(std::max(p.peak_heap_used_bytes(), c->heap_used_bytes()));
  p.set_peak_heap_total_bytes(std::max(p.peak_heap_total_bytes(), c->heap_total_bytes()));
  p.set_peak_external_bytes(std::max(p.peak_external_bytes(), c->external_bytes()));
  p.set_peak_array_buffers_bytes(std::max(p.peak_array_buffers_bytes(), c->array_buffers_bytes()));
  seen_.peak_rss = std::max(seen_.peak_rss, c->rss_bytes());
  for (const v1::HeapSpace& s : c->spaces()) {
    uint64_t& peak = seen_.peak_spaces[s.name()];
    peak = std::max(peak, s.used_bytes());
  }
  seen_.last_gc = c->gc();
  LeakStep(*c);
  if (setup_.on_checkpoint) setup_.on_checkpoint(*c);
}

void RunMonitor::HandleEvent(const std::string& line) {
  v1::DriverEvent event;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  // The driver runs inside the measured process: its lines carry the module's text
  // (error messages with lone surrogates, names), so they are untrusted bytes.
  if (!google::protobuf::util::JsonStringToMessage(ValidJsonText(line), &event, options).ok()) {
    HS_LOG(WARNING) << "unreadable telemetry line from the driver: " << line.substr(0, 200);
    return;
  }
  if (event.type() == "checkpoint") {
    OnCheckpoint(event.mutable_checkpoint());
  } else if (event.type() == "listening" && setup_.scenario->has_open_connections() && !clients_) {
    clients_ = std::make_unique<ConnectionClients>(static_cast<uint16_t>(event.port()),
                                                   setup_.scenario->open_connections(),
                                                   [this] { clients_settled_ = true; });
  } else if (event.type() == "snapshot") {
    seen_.snapshots.push_back(event.path());
    if (static_cast<int>(seen_.snapshots.size()) == kSnapshots && !stop_sent_) {
      Command("stop");
      stop_sent_ = true;
    }
  } else if (event.type() == "done") {
    seen_.driver_done = true;
    seen_.units = std::max<uint64_t>(seen_.units, event.units());
    seen_.done = std::move(event);
  }
}

void RunMonitor::Drain(int* fd, bool is_telemetry) {
  if (*fd < 0) return;
  char buffer[65536];
  while (true) {
    ssize_t n = read(*fd, buffer, sizeof(buffer));
    if (n > 0) {
      if (fd == setup_.err_fd) {
        series_->stderr_text.Append(absl::string_view(buffer, static_cast<size_t>(n)));
      } else if (is_telemetry) {
        telemetry_buffer_.append(buffer, static_cast<size_t>(n));
        size_t newline;
        while ((newline = telemetry_buffer_.find('\n')) != std::string::npos) {
          HandleEvent(telemetry_buffer_.substr(0, newline));
          telemetry_buffer_.erase(0, newline + 1);
        }
        if (telemetry_buffer_.size() > kMaxTelemetryLine) telemetry_buffer_.clear();
      }
      continue;
    }
    if (n == 0) CloseFd(fd);  // EOF
    return;                   // EAGAIN or EOF
  }
}

MonitoredRun RunMonitor::Watch() {
  absl::Time reaped_at;
  while (true) {
    absl::Time now = absl::Now();
    if (!reaped_) {
      if (now >= next_sample_) {
        SampleOutside(now);
        next_sample_ = now + sample_every_;
      }
      if (now >= deadline_) Kill(v1::HARNESS_KILL_TIMEOUT);
      if (setup_.cancel != nullptr && setup_.cancel->load()) {
        seen_.cancelled = true;
        Kill(v1::HARNESS_KILL_CANCELLED);
      }
      if (clients_settled_ && !told_clients_done_) {
        told_clients_done_ = true;
        Command("clients_done");
      }
    }

    std::vector<pollfd> fds;
    for (int* fd : {setup_.out_fd, setup_.err_fd, setup_.telemetry_fd}) {
      if (*fd >= 0) fds.push_back({*fd, POLLIN, 0});
    }
    if (!reaped_ && pidfd_ >= 0) fds.push_back({pidfd_, POLLIN, 0});
    absl::Duration wait =
        reaped_ ? absl::Milliseconds(20) : std::min(next_sample_, deadline_) - absl::Now();
    if (!reaped_ && pidfd_ < 0) wait = std::min(wait, absl::Milliseconds(5));
    int timeout_ms = static_cast<int>(std::max<int64_t>(0, absl::ToInt64Milliseconds(wait)));
    if (!reaped_ && wait > absl::ZeroDuration() && timeout_ms == 0) timeout_ms = 1;
    if (fds.empty() && reaped_) break;
    int n = poll(fds.data(), fds.size(), timeout_ms);
    if (n < 0 && errno != EINTR) break;
    Drain(setup_.out_fd, false);
    Drain(setup_.err_fd, false);
    Drain(setup_.telemetry_fd, true);

    if (!reaped_ && setup_.launcher->TryReap(setup_.pid, &seen_.exit)) {
      reaped_ = true;
      reaped_at = absl::Now();
      if (setup_.cgroup != nullptr) {
        for (int p : setup_.cgroup->Pids()) setup_.launcher->KillGroup(p, SIGKILL);
      }
    }
    if (reaped_) {
      // The pipes close when the last holder exits; do not wait long for stragglers.
      bool open = *setup_.out_fd >= 0 || *setup_.err_fd >= 0 || *setup_.telemetry_fd >= 0;
      if (!open || absl::Now() - reaped_at > absl::Milliseconds(500)) break;
    }
  }
  clients_.reset();
  seen_.end = absl::Now();
  seen_.peak_rss = std::max(seen_.peak_rss, seen_.exit.max_rss_bytes);
  seen_.stderr_text = series_->stderr_text.Text();
  seen_.checkpoints = series_->checkpoints.Items();
  seen_.samples = series_->samples.Items();
  if (detector_ && !seen_.leak) seen_.leak = detector_->Evaluate();
  return std::move(seen_);
}

}  // namespace heapstorm
