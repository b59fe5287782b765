// The text of driver.js, embedded in the binary at build time so that a worker is one
// file (see BUILD.bazel: a genrule wraps driver.js in a raw string literal).
#ifndef HEAPSTORM_WORKER_DRIVER_DRIVER_SOURCE_H_
#define HEAPSTORM_WORKER_DRIVER_DRIVER_SOURCE_H_

namespace heapstorm {

extern const char kDriverSource[];

}  // namespace heapstorm

#endif  // HEAPSTORM_WORKER_DRIVER_DRIVER_SOURCE_H_
