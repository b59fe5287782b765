#include "model/limits.h"

#include <string>

#include "gtest/gtest.h"

namespace heapstorm {
namespace {

v1::Limits Defaults() {
  v1::Limits limits;
  FillDefaultLimits(&limits);
  return limits;
}

TEST(LimitsTest, TheDefaultsAreValid) {
  v1::Limits limits = Defaults();
  EXPECT_EQ(limits.max_old_space_mib(), kDefaultOldSpaceMiB);
  EXPECT_EQ(limits.stack_kib(), kDefaultStackKiB);
  EXPECT_EQ(limits.native_bytes(), 0u);  // no native limit unless asked
  EXPECT_TRUE(ValidateLimits(limits).ok()) << ValidateLimits(limits);
}

TEST(LimitsTest, ErrorsNameTheLimitAndTheValue) {
  struct Case {
    void (*edit)(v1::Limits*);
    std::string expected;
  };
  for (const Case& c : std::vector<Case>{
           {[](v1::Limits* l) { l->set_max_old_space_mib(4); }, "limits.old_space: must be from 16Mi to 64Gi, got 4Mi"},
           {[](v1::Limits* l) { l->set_max_semi_space_mib(512); }, "limits.semi_space: must be from 1Mi to 256Mi, got 512Mi"},
           {[](v1::Limits* l) { l->set_stack_kib(8190); },
            "limits.stack: must stay 64Ki below native_stack (8192Ki), got 8190Ki"},
           {[](v1::Limits* l) { l->set_native_bytes(1 << 20); }, "limits.native: must be from 64Mi to 1Ti, got 1Mi"},
           {[](v1::Limits* l) { l->set_max_descriptors(10); },
            "limits.descriptors: must be a whole number from 64 to 1048576, got 10"},
           {[](v1::Limits* l) { l->set_timeout_ms(48ull * 3600 * 1000); },
            "limits.timeout: must be from 100ms to 24h, got 48h"},
       }) {
    v1::Limits limits = Defaults();
    c.edit(&limits);
    absl::Status status = ValidateLimits(limits);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.expected;
    EXPECT_NE(status.message().find(c.expected), std::string::npos) << status.message();
  }
}

TEST(LimitsTest, IncompleteLimitsNameEveryMissingOne) {
  absl::Status status = ValidateLimits(v1::Limits());
  ASSERT_FALSE(status.ok());
  for (const char* key : {"limits.old_space", "limits.semi_space", "limits.stack", "limits.native_stack",
                          "limits.descriptors", "limits.timeout"}) {
    EXPECT_NE(status.message().find(key), std::string::npos) << key << " in " << status.message();
  }
}

}  // namespace
}  // namespace heapstorm
