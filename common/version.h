// The version of heapstorm, written into reports and exchanged between workers and the
// coordinator.
#ifndef HEAPSTORM_COMMON_VERSION_H_
#define HEAPSTORM_COMMON_VERSION_H_

namespace heapstorm {

inline constexpr char kHeapstormVersion[] = "0.1.0";

}  // namespace heapstorm

#endif  // HEAPSTORM_COMMON_VERSION_H_
