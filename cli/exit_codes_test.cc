#include "cli/exit_codes.h"

#include "gtest/gtest.h"

namespace heapstorm {
namespace {

// The one map, as DESIGN.md §7 and STYLE.md's error codes say.
TEST(ExitCodesTest, OneMapForEveryCommand) {
  EXPECT_EQ(ExitCodeFor(absl::OkStatus()), kExitOk);
  EXPECT_EQ(ExitCodeFor(absl::InvalidArgumentError("bad yaml")), kExitBadInput);
  EXPECT_EQ(ExitCodeFor(absl::NotFoundError("no such suite")), kExitBadInput);
  EXPECT_EQ(ExitCodeFor(absl::UnauthenticatedError("refused by the coordinator: wrong token")), kExitBadInput);
  EXPECT_EQ(ExitCodeFor(absl::FailedPreconditionError("node is missing")), kExitHarness);
  EXPECT_EQ(ExitCodeFor(absl::UnavailableError("cannot reach the coordinator")), kExitHarness);
  EXPECT_EQ(ExitCodeFor(absl::InternalError("broken invariant")), kExitHarness);
}

}  // namespace
}  // namespace heapstorm
