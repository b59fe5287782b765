#include "worker/engine/leak_detector.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/trend.h"
#include "scenarios/units.h"

namespace heapstorm {
namespace {

constexpr double kPower = 0.8;

std::string Rate(double value, const std::string& unit) {
  if (unit == "bytes") return absl::StrCat(FormatSize(value), "/iteration");
  return absl::StrFormat("%.3g/iteration", value);
}

}  // namespace

LeakDetector::LeakDetector(const v1::LeakCheck& check) : check_(check) {
  double every = static_cast<double>(std::max<uint64_t>(1, check.checkpoint_every()));
  double bytes = check.min_bytes_per_iteration() > 0 ? check.min_bytes_per_iteration()
                                                     : kDefaultMinBytesPerCheckpoint / every;
  double counts = kDefaultMinCountPerCheckpoint / every;
  series_ = {
      {"heap_used", "bytes", bytes, {}},
      {"external", "bytes", bytes, {}},
      {"array_buffers", "bytes", bytes, {}},
      {"descriptors", "count", counts, {}},
      {"handles", "count", counts, {}},
  };
  if (check_.p_value() <= 0) check_.set_p_value(0.01);
}

void LeakDetector::Add(const v1::Checkpoint& c) {
  if (!c.after_gc()) return;
  if (seen_++ < check_.warmup_checkpoints()) return;
  if (x_.empty()) {
    first_fds_.insert(c.descriptor_kinds().begin(), c.descriptor_kinds().end());
    first_resources_.insert(c.resource_kinds().begin(), c.resource_kinds().end());
  }
  last_fds_ = std::map<std::string, uint32_t>(c.descriptor_kinds().begin(), c.descriptor_kinds().end());
  last_resources_ = std::map<std::string, uint32_t>(c.resource_kinds().begin(), c.resource_kinds().end());
  x_.push_back(static_cast<double>(c.units()));
  series_[0].y.push_back(static_cast<double>(c.heap_used_bytes()));
  series_[1].y.push_back(static_cast<double>(c.external_bytes()));
  series_[2].y.push_back(static_cast<double>(c.array_buffers_bytes()));
  series_[3].y.push_back(static_cast<double>(c.descriptors()));
  series_[4].y.push_back(static_cast<double>(c.active_handles()));
}

v1::LeakSeries LeakDetector::EvaluateSeries(const Series& s) const {
  v1::LeakSeries out;
  out.set_name(s.name);
  out.set_unit(s.unit);
  out.set_min_effect(s.min_effect);
  out.set_points(static_cast<uint32_t>(x_.size()));
  out.set_verdict(v1::LEAK_VERDICT_INCONCLUSIVE);
  const double alpha = check_.p_value();
  if (x_.size() < 3) {
    out.set_note("too few checkpoints after warm-up");
    return out;
  }
  TheilSen fit = TheilSenSlope(x_, s.y, alpha);
  MannKendall mk = MannKendallTest(s.y);
  out.set_slope_per_iteration(fit.slope);
  out.set_slope_low(fit.low);
  out.set_slope_high(fit.high);
  out.set_p_value(mk.p_value);
  // Detection limit: (z_{1-α/2} + z_power) σ / sqrt(Sxx), and never below the bar.
  double mean = 0;
  for (double x : x_) mean += x;
  mean /= static_cast<double>(x_.size());
  double sxx = 0;
  for (double x : x_) sxx += (x - mean) * (x - mean);
  double sigma = RobustNoise(x_, s.y, fit);
  double mde = sxx > 0 ? (NormalQuantile(1 - alpha / 2) + NormalQuantile(kPower)) * sigma / std::sqrt(sxx) : 0;
  out.set_detection_limit(std::max(mde, s.min_effect));

  // The later half: growth that stopped (warm-up, a cache that filled) is not a leak.
  size_t half = x_.size() / 2;
  std::vector<double> late_x(x_.begin() + half, x_.end());
  std::vector<double> late_y(s.y.begin() + half, s.y.end());
  bool late_enough = late_x.size() >= kMinPointsForLeak;
  TheilSen late = late_enough ? TheilSenSlope(late_x, late_y, alpha) : fit;

  // A leak accumulates: what it holds is never given back. A series that falls back by
  // more than half of what the trend says it gained releases memory periodically: a
  // sawtooth. The level is a 5-point running median, so a drop counts only when it holds
  // (what a sawtooth does until it refills), and transient spikes (up to two in any five
  // checkpoints: a GC that ran late, a buffer in flight) are not mistaken for give-backs.
  double gained = fit.slope * (x_.back() - x_.front());
  double drawdown = 0;
  double running_max = -INFINITY;
  constexpr size_t kHalfWindow = 2;
  for (size_t i = kHalfWindow; i + kHalfWindow < s.y.size(); ++i) {
    std::array<double, 2 * kHalfWindow + 1> window;
    std::copy(s.y.begin() + static_cast<std::ptrdiff_t>(i - kHalfWindow),
              s.y.begin() + static_cast<std::ptrdiff_t>(i + kHalfWindow + 1), window.begin());
    std::nth_element(window.begin(), window.begin() + kHalfWindow, window.end());
    double level = window[kHalfWindow];
    running_max = std::max(running_max, level);
    drawdown = std::max(drawdown, running_max - level);
  }
  bool released = gained > 0 && drawdown > 0.5 * gained;

  // A leak grows over the whole series and still grows, significantly, in its later half
  // (which therefore needs enough points of its own).
  bool grows = fit.slope >= s.min_effect && mk.p_value < alpha && fit.low > 0;
  if (grows && late_enough && released) {
    out.set_note(absl::StrCat("memory is given back periodically (a sawtooth: it fell by ",
                              s.unit == "bytes" ? FormatSize(drawdown) : absl::StrFormat("%.3g", drawdown),
                              "), not a leak"));
    return out;
  }
  if (grows && late_enough) {
    if (late.slope >= s.min_effect && late.low > 0) {
      out.set_verdict(v1::LEAK_VERDICT_LEAK);
      return out;
    }
    out.set_note("it grew early and then slowed or stopped: a warm-up or a structure that "
                 "fills up, not (yet) a leak");
    if (late.high < s.min_effect && late_x.size() >= kMinPointsForNoLeak) {
      out.set_verdict(v1::LEAK_VERDICT_NO_LEAK);
    }
    return out;
  }
  if (x_.size() >= kMinPointsForNoLeak && fit.high < s.min_effect) {
    out.set_verdict(v1::LEAK_VERDICT_NO_LEAK);
    return out;
  }
  if (late_x.size() >= kMinPointsForNoLeak && late.high < s.min_effect) {
    out.set_verdict(v1::LEAK_VERDICT_NO_LEAK);
    out.set_note("flat after an early rise");
    return out;
  }
  return out;
}

v1::LeakResult LeakDetector::Evaluate() const {
  v1::LeakResult result;
  bool any_leak = false;
  bool all_clear = true;
  std::vector<std::string> leaking;
  for (const Series& s : series_) {
    v1::LeakSeries e = EvaluateSeries(s);
    if (e.verdict() == v1::LEAK_VERDICT_LEAK) {
      any_leak = true;
      leaking.push_back(absl::StrCat(s.name, " +", Rate(e.slope_per_iteration(), s.unit),
                                     absl::StrFormat(" (p=%.2g)", e.p_value())));
    }
    if (e.verdict() != v1::LEAK_VERDICT_NO_LEAK) all_clear = false;
    *result.add_series() = std::move(e);
  }
  // A descriptor or handle leak: the kinds that grew.
  auto growth = [&result](const std::map<std::string, uint32_t>& first,
                          const std::map<std::string, uint32_t>& last, const char* type) {
    for (const auto& [kind, count] : last) {
      auto it = first.find(kind);
      uint32_t before = it == first.end() ? 0 : it->second;
      if (count <= before) continue;
      v1::LeakCulprit* c = result.add_culprits();
      c->set_constructor(kind);
      c->set_node_type(type);
      c->set_count(count - before);
      c->set_count_growth(count - before);
    }
  };
  for (const v1::LeakSeries& s : result.series()) {
    if (s.verdict() != v1::LEAK_VERDICT_LEAK) continue;
    if (s.name() == "descriptors") growth(first_fds_, last_fds_, "descriptor");
    if (s.name() == "handles") growth(first_resources_, last_resources_, "handle");
  }
  result.set_verdict(any_leak    ? v1::LEAK_VERDICT_LEAK
                     : all_clear ? v1::LEAK_VERDICT_NO_LEAK
                                 : v1::LEAK_VERDICT_INCONCLUSIVE);
  if (any_leak) {
    std::string list;
    for (const std::string& l : leaking) absl::StrAppend(&list, list.empty() ? "" : ", ", l);
    result.set_summary(absl::StrCat("leak: ", list));
  } else if (all_clear) {
    result.set_summary(absl::StrCat("no leak above ", Rate(result.series(0).detection_limit(), "bytes"),
                                    " of heap (", x_.size(), " checkpoints)"));
  } else {
    result.set_summary(absl::StrCat("inconclusive after ", x_.size(),
                                    " checkpoints: more iterations would decide"));
  }
  return result;
}

bool LeakDetector::Decided() const {
  v1::LeakVerdict v = Evaluate().verdict();
  return v == v1::LEAK_VERDICT_LEAK || v == v1::LEAK_VERDICT_NO_LEAK;
}

}  // namespace heapstorm
