// Test inputs for the leak detector, shared by its own test and by the reports' test of the
// sentences made from its results (reports/leak_sentence_test): a leak check, after-GC
// checkpoints on the driver's schedule, a suspected heap series. Test-only.
#ifndef HEAPSTORM_WORKER_ENGINE_LEAK_TESTING_H_
#define HEAPSTORM_WORKER_ENGINE_LEAK_TESTING_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "proto/result.pb.h"
#include "proto/suite.pb.h"

namespace heapstorm {
namespace leak_testing {

// 2,000 iterations, 200 of warm-up, p < 0.01.
v1::LeakCheck Check();

// The detector's verdict after n after-GC checkpoints 20 iterations apart (0, 20, ...),
// with heap_used = heap(iteration).
v1::LeakResult Feed(int n, const std::function<double(double)>& heap);

// A heap_used series suspected at `slope` bytes per iteration, its interval ±10%.
v1::LeakSeries Suspected(double slope);

// After-GC checkpoints with descriptors = fds(units), at the given units.
std::vector<v1::Checkpoint> Descriptors(const std::vector<uint64_t>& units, const std::function<double(double)>& fds);

// The driver's checkpoint schedule below `until`: dense at first, then ~4% apart.
std::vector<uint64_t> Schedule(uint64_t until);

}  // namespace leak_testing
}  // namespace heapstorm

#endif  // HEAPSTORM_WORKER_ENGINE_LEAK_TESTING_H_
