// A real worker (real node, real gRPC on loopback) against a coordinator that holds one
// script module and not another: the held module runs (fetched once by hash, then from
// the worker's cache); a run whose module the coordinator does not have fails its
// attempts and ends missing with a reason naming the module; the worker stays, and the
// run still ends.
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "coordinator/coordinator_server.h"
#include "coordinator/module_store.h"
#include "coordinator/planner.h"
#include "coordinator/scheduler.h"
#include "gtest/gtest.h"
#include "tests/test_support.h"
#include "worker/worker.h"

namespace heapstorm {
namespace {

using testing_support::ScenarioFromYaml;
using testing_support::TmpDir;

TEST(WorkerModulesTest, HeldModuleRunsAndAMissingOneFailsItsRun) {
  ModuleStore modules;
  const std::string held = modules.Add("module.exports = { iteration() {} };\n");
  v1::Scenario scenario = ScenarioFromYaml(R"(scenarios:
  - name: m
    kind: script
    params: {module: tests/fixtures/naps.js, iterations: 2}
)");
  std::vector<v1::Assignment> plan;
  for (int i = 0; i < 4; ++i) {
    v1::Assignment a;
    a.set_id(AssignmentId("m", i < 3 ? "" : "lost", i));
    a.set_attempt(1);
    *a.mutable_scenario() = scenario;
    // Not at its path on this machine: the worker must run what it fetched.
    a.mutable_scenario()->mutable_script()->set_module_path("/nonexistent/m.js");
    a.mutable_scenario()->mutable_script()->set_module_sha256(i < 3 ? held : std::string(64, 'f'));
    a.set_repeat(i);
    a.set_variation(i < 3 ? "" : "lost");
    plan.push_back(std::move(a));
  }
  Scheduler scheduler(std::move(plan), SchedulerOptions{}, RealClock::Get());
  CoordinatorServerOptions server_options;
  server_options.modules = &modules;
  auto server = CoordinatorServer::Start(&scheduler, server_options);
  ASSERT_TRUE(server.ok()) << server.status();

  EngineOptions engine_options;
  engine_options.use_cgroups = false;
  engine_options.scratch_dir = TmpDir();
  auto engine = Engine::Create(engine_options);
  ASSERT_TRUE(engine.ok()) << engine.status();
  WorkerOptions worker_options;
  worker_options.coordinator = absl::StrCat("127.0.0.1:", (*server)->port());
  worker_options.worker_id = "w";
  worker_options.slots = 2;
  Worker worker(worker_options, engine->get());
  absl::Status ran;
  std::thread thread([&] { ran = worker.Run(); });
  (*server)->WaitUntilDone();
  thread.join();
  EXPECT_TRUE(ran.ok()) << ran << ": the worker ends with the run, it is not lost";

  std::vector<v1::RunResult> results = scheduler.Results();
  ASSERT_EQ(results.size(), 3u);
  for (const v1::RunResult& r : results) {
    EXPECT_EQ(r.outcome(), v1::OUTCOME_COMPLETED) << r.assignment_id() << ": " << r.evidence().summary();
    EXPECT_EQ(r.attempt(), 1u);
  }
  std::vector<v1::Missing> missing = scheduler.Missing();
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0].variation(), "lost");
  EXPECT_NE(missing[0].reason().find("sha256 " + std::string(64, 'f')), std::string::npos) << missing[0].reason();
  EXPECT_NE(missing[0].reason().find("no script module"), std::string::npos) << missing[0].reason();
  EXPECT_NE(missing[0].reason().find("harness error after 3 attempts"), std::string::npos) << missing[0].reason();
  (*server)->Stop("the test is over");
}

}  // namespace
}  // namespace heapstorm
