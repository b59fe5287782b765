// The load a scenario's ramp aims for, in its kind's units (entries, connections, buffers,
// frames, iterations). The engine records it, the coordinator's searches and confirmation
// runs move it, capacity and plan estimates read it.
#ifndef HEAPSTORM_MODEL_TARGETS_H_
#define HEAPSTORM_MODEL_TARGETS_H_

#include <cstdint>

#include "proto/suite.pb.h"

namespace heapstorm {

// The units a scenario's ramp aims for: entries, connections, count, depth (0 when
// unbounded), iterations (for a leak check, its iterations). 0 for a scenario without
// kind parameters.
uint64_t TargetUnits(const v1::Scenario& scenario);

// Sets the units the ramp aims for (entries, connections, count, depth, iterations), and
// checkpoint_every to a hundredth of them (at least 1).
void SetTargetUnits(v1::Scenario* scenario, uint64_t units);

}  // namespace heapstorm

#endif  // HEAPSTORM_MODEL_TARGETS_H_
