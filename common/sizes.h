// The one set of size constants: bytes in a KiB, MiB, GiB and TiB (powers of 1024, as
// node's --max-old-space-size and the YAML units `Ki`, `Mi`, `Gi`, `Ti` mean them). Use
// these rather than writing 1048576 again. They are integers; in floating-point arithmetic
// write static_cast<double>(kMiB) (exact) where the other operand is an integer too.
#ifndef HEAPSTORM_COMMON_SIZES_H_
#define HEAPSTORM_COMMON_SIZES_H_

#include <cstdint>

namespace heapstorm {

inline constexpr uint64_t kKiB = uint64_t{1} << 10;
inline constexpr uint64_t kMiB = uint64_t{1} << 20;
inline constexpr uint64_t kGiB = uint64_t{1} << 30;
inline constexpr uint64_t kTiB = uint64_t{1} << 40;

}  // namespace heapstorm

#endif  // HEAPSTORM_COMMON_SIZES_H_
