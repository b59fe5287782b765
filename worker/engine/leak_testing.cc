#include "worker/engine/leak_testing.h"

#include <algorithm>

#include "worker/engine/leak_detector.h"

namespace heapstorm {
namespace leak_testing {

v1::LeakCheck Check() {
  v1::LeakCheck c;
  c.set_iterations(2000);
  c.set_warmup_iterations(200);
  c.set_p_value(0.01);
  return c;
}

v1::LeakResult Feed(int n, const std::function<double(double)>& heap) {
  LeakDetector d(Check());
  for (int i = 0; i < n; ++i) {
    v1::Checkpoint c;
    c.set_after_gc(true);
    c.set_units(static_cast<uint64_t>(i) * 20);
    c.set_heap_used_bytes(static_cast<uint64_t>(heap(i * 20.0)));
    d.Add(c);
  }
  return d.Evaluate();
}

v1::LeakSeries Suspected(double slope) {
  v1::LeakSeries s;
  s.set_name("heap_used");
  s.set_slope_per_iteration(slope);
  s.set_slope_low(slope * 0.9);
  s.set_slope_high(slope * 1.1);
  s.set_min_effect(8);
  return s;
}

std::vector<v1::Checkpoint> Descriptors(const std::vector<uint64_t>& units, const std::function<double(double)>& fds) {
  std::vector<v1::Checkpoint> out;
  for (uint64_t u : units) {
    v1::Checkpoint c;
    c.set_after_gc(true);
    c.set_units(u);
    c.set_descriptors(static_cast<uint32_t>(fds(static_cast<double>(u))));
    out.push_back(c);
  }
  return out;
}

std::vector<uint64_t> Schedule(uint64_t until) {
  std::vector<uint64_t> units = {0, 1, 2, 4, 8, 16, 24, 32};
  while (units.back() < until) units.push_back(units.back() + std::max<uint64_t>(8, units.back() / 25));
  units.pop_back();
  return units;
}

}  // namespace leak_testing
}  // namespace heapstorm
