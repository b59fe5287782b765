#include "model/limits.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "common/sizes.h"
#include "model/units.h"

namespace heapstorm {
namespace {

// A size limit out of [min, max] (bytes): "must be from 16Mi to 64Gi, got 4Mi".
void CheckSize(const char* key, uint64_t bytes, uint64_t min, uint64_t max, std::vector<LimitViolation>* out) {
  if (bytes >= min && bytes <= max) return;
  out->push_back({key, absl::StrCat("must be from ", FormatSize(static_cast<double>(min)), " to ",
                                    FormatSize(static_cast<double>(max)), ", got ",
                                    FormatSize(static_cast<double>(bytes)))});
}

}  // namespace

void FillDefaultLimits(v1::Limits* limits) {
  if (limits->max_old_space_mib() == 0) limits->set_max_old_space_mib(kDefaultOldSpaceMiB);
  if (limits->max_semi_space_mib() == 0) limits->set_max_semi_space_mib(kDefaultSemiSpaceMiB);
  if (limits->stack_kib() == 0) limits->set_stack_kib(kDefaultStackKiB);
  if (limits->native_stack_kib() == 0) limits->set_native_stack_kib(kDefaultNativeStackKiB);
  if (limits->max_descriptors() == 0) limits->set_max_descriptors(kDefaultMaxDescriptors);
  if (limits->timeout_ms() == 0) limits->set_timeout_ms(kDefaultTimeoutMs);
}

std::vector<LimitViolation> LimitViolations(const v1::Limits& l) {
  std::vector<LimitViolation> out;
  CheckSize("old_space", uint64_t{l.max_old_space_mib()} * kMiB, uint64_t{kMinOldSpaceMiB} * kMiB,
            uint64_t{kMaxOldSpaceMiB} * kMiB, &out);
  CheckSize("semi_space", uint64_t{l.max_semi_space_mib()} * kMiB, uint64_t{kMinSemiSpaceMiB} * kMiB,
            uint64_t{kMaxSemiSpaceMiB} * kMiB, &out);
  CheckSize("stack", uint64_t{l.stack_kib()} * kKiB, uint64_t{kMinStackKiB} * kKiB, uint64_t{kMaxStackKiB} * kKiB,
            &out);
  CheckSize("native_stack", uint64_t{l.native_stack_kib()} * kKiB, uint64_t{kMinNativeStackKiB} * kKiB,
            uint64_t{kMaxNativeStackKiB} * kKiB, &out);
  if (l.native_bytes() != 0) CheckSize("native", l.native_bytes(), kMinNativeBytes, kMaxNativeBytes, &out);
  if (l.data_bytes() != 0) CheckSize("data", l.data_bytes(), kMinDataBytes, kMaxDataBytes, &out);
  if (l.max_descriptors() < kMinDescriptors || l.max_descriptors() > kMaxDescriptors) {
    out.push_back({"descriptors", absl::StrCat("must be a whole number from ", kMinDescriptors, " to ",
                                               kMaxDescriptors, ", got ", l.max_descriptors())});
  }
  if (l.timeout_ms() < kMinTimeoutMs || l.timeout_ms() > kMaxTimeoutMs) {
    out.push_back({"timeout", absl::StrCat("must be from ", FormatShortDuration(absl::Milliseconds(kMinTimeoutMs)),
                                           " to ", FormatShortDuration(absl::Milliseconds(kMaxTimeoutMs)),
                                           ", got ", FormatShortDuration(absl::Milliseconds(l.timeout_ms())))});
  }
  if (uint64_t{l.stack_kib()} + kStackMarginKiB > l.native_stack_kib()) {
    out.push_back({"stack", absl::StrCat("must stay ", kStackMarginKiB, "Ki below native_stack (",
                                         l.native_stack_kib(), "Ki), got ", l.stack_kib(), "Ki",
                                         ": at or above the real stack node dies of SIGSEGV with no message")});
  }
  return out;
}

absl::Status ValidateLimits(const v1::Limits& limits) {
  std::vector<std::string> problems;
  for (const LimitViolation& v : LimitViolations(limits)) {
    problems.push_back(absl::StrCat("limits.", v.key, ": ", v.message));
  }
  if (problems.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrJoin(problems, "; "));
}

}  // namespace heapstorm
