// main() for tests that spawn through PosixProcessLauncher: the launcher step re-executes
// /proc/self/exe with `__launch`, so the test binary must answer it before GoogleTest.
#include "gtest/gtest.h"
#include "worker/engine/process_launcher.h"

int main(int argc, char** argv) {
  heapstorm::MaybeRunLauncherStep(argc, argv);
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
