// The script modules of a run, held once each by the coordinator and found by the SHA-256
// of their source. Assignments carry only the hash (ScriptParams.module_sha256); a worker
// asks for a module it has not cached over its session stream (ModuleRequest), and the
// dispatcher answers from here. So a module costs its size once per run, and once per
// worker on the wire, whatever the number of runs that use it.
#ifndef HEAPSTORM_COORDINATOR_MODULE_STORE_H_
#define HEAPSTORM_COORDINATOR_MODULE_STORE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "common/mutex.h"
#include "proto/suite.pb.h"

namespace heapstorm {

class ModuleStore {
 public:
  // Keeps `source` (once, whatever the number of calls with the same bytes) and returns
  // its SHA-256 as lowercase hex. Thread-safe.
  std::string Add(std::string source);

  // The source whose SHA-256 is `sha256`; null when this store does not hold it.
  // Thread-safe; the source stays valid as long as the caller holds it.
  std::shared_ptr<const std::string> Find(const std::string& sha256) const;

  // Reads the module of every script scenario of `suite` (ScriptParams.module_path) into
  // this store, once per file, and sets each scenario's module_sha256. NotFound naming
  // the file when one cannot be read.
  absl::Status AddSuiteModules(v1::Suite* suite);

  // Modules held, and the bytes of their sources.
  size_t size() const;
  uint64_t bytes() const;

 private:
  mutable Mutex mu_;
  std::map<std::string, std::shared_ptr<const std::string>> sources_ ABSL_GUARDED_BY(mu_);
  uint64_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace heapstorm

#endif  // HEAPSTORM_COORDINATOR_MODULE_STORE_H_
