// The launcher step's static executable (launcher_main.cc), embedded at build time so a
// worker is one file (see BUILD.bazel).
#ifndef HEAPSTORM_WORKER_ENGINE_LAUNCHER_BLOB_H_
#define HEAPSTORM_WORKER_ENGINE_LAUNCHER_BLOB_H_

#include <cstddef>

namespace heapstorm {

extern const unsigned char kLauncherBlob[];
extern const size_t kLauncherBlobSize;

}  // namespace heapstorm

#endif  // HEAPSTORM_WORKER_ENGINE_LAUNCHER_BLOB_H_
