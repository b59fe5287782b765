#include "coordinator/module_store.h"

#include "absl/strings/str_cat.h"
#include "common/files.h"
#include "common/mutex.h"
#include "scenarios/sha256.h"

namespace heapstorm {

std::string ModuleStore::Add(std::string source) {
  std::string sha256 = Sha256Hex(source);
  MutexLock lock(&mu_);
  if (sources_.count(sha256) == 0) {
    bytes_ += source.size();
    sources_.emplace(sha256, std::make_shared<const std::string>(std::move(source)));
  }
  return sha256;
}

std::shared_ptr<const std::string> ModuleStore::Find(const std::string& sha256) const {
  MutexLock lock(&mu_);
  auto it = sources_.find(sha256);
  return it == sources_.end() ? nullptr : it->second;
}

absl::Status ModuleStore::AddSuiteModules(v1::Suite* suite) {
  std::map<std::string, std::string> sha_of_path;
  for (v1::Scenario& scenario : *suite->mutable_scenarios()) {
    if (!scenario.has_script()) continue;
    v1::ScriptParams* script = scenario.mutable_script();
    auto known = sha_of_path.find(script->module_path());
    if (known == sha_of_path.end()) {
      absl::StatusOr<std::string> source = ReadFile(script->module_path());
      if (!source.ok()) {
        return absl::NotFoundError(absl::StrCat("script module ", script->module_path(), " cannot be read"));
      }
      known = sha_of_path.emplace(script->module_path(), Add(*std::move(source))).first;
    }
    script->clear_module_source();
    script->set_module_sha256(known->second);
  }
  return absl::OkStatus();
}

size_t ModuleStore::size() const {
  MutexLock lock(&mu_);
  return sources_.size();
}

uint64_t ModuleStore::bytes() const {
  MutexLock lock(&mu_);
  return bytes_;
}

}  // namespace heapstorm
