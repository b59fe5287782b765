// Unit tests of the worker's session logic with a fake coordinator and a fake engine: no
// server, no node. Resends until acknowledged, Stop() from several threads, and a result
// too large for a message. The real thing end to end is in tests/distribution_test.cc.
#include "worker/worker.h"

#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "rpc/fake_coordinator_client.h"

namespace heapstorm {
namespace {

// Runs nothing: answers every request at once with what `make` returns.
class FakeRunner : public ScenarioRunner {
 public:
  explicit FakeRunner(std::function<v1::RunResult(const RunRequest&)> make) : make_(std::move(make)) {}
  absl::StatusOr<v1::RunResult> Run(const RunRequest& request) override { return make_(request); }
  const std::string& node_version() const override { return version_; }

 private:
  std::function<v1::RunResult(const RunRequest&)> make_;
  std::string version_ = "v20.0.0-fake";
};

v1::RunResult SmallResult(const RunRequest& request) {
  v1::RunResult result;
  result.set_scenario(request.scenario.name());
  result.set_repeat(request.repeat);
  result.set_units_reached(42);
  return result;
}

v1::CoordinatorMessage Welcome() {
  v1::CoordinatorMessage m;
  m.mutable_welcome()->set_run_id("run");
  m.mutable_welcome()->set_heartbeat_interval_ms(3600 * 1000);  // no heartbeats in the way
  return m;
}

v1::CoordinatorMessage AssignmentMessage(const std::string& id, const std::string& scenario, uint32_t repeat,
                                         const std::string& variation = "") {
  v1::CoordinatorMessage m;
  m.mutable_assignment()->set_id(id);
  m.mutable_assignment()->set_attempt(1);
  m.mutable_assignment()->mutable_scenario()->set_name(scenario);
  m.mutable_assignment()->set_repeat(repeat);
  m.mutable_assignment()->set_variation(variation);
  return m;
}

v1::CoordinatorMessage Ack(const std::string& id) {
  v1::CoordinatorMessage m;
  m.add_acked(id);
  return m;
}

v1::CoordinatorMessage Shutdown() {
  v1::CoordinatorMessage m;
  m.mutable_shutdown()->set_reason("the run is over");
  return m;
}

std::function<bool(const v1::WorkerMessage&)> IsResultFor(const std::string& id) {
  return [id](const v1::WorkerMessage& m) { return m.has_result() && m.result().assignment_id() == id; };
}

bool IsHello(const v1::WorkerMessage& m) { return m.has_hello(); }

WorkerOptions Options() {
  WorkerOptions options;
  options.worker_id = "w1";
  options.slots = 2;
  options.reconnect_for = absl::Hours(1);  // the fake never refuses; tests end runs themselves
  return options;
}

// Runs a worker on its own thread; the destructor joins it.
class RunningWorker {
 public:
  RunningWorker(ScenarioRunner* runner, FakeCoordinatorClient** client) {
    auto fake = std::make_unique<FakeCoordinatorClient>();
    *client = fake.get();
    worker_ = std::make_unique<Worker>(Options(), runner, std::move(fake));
    thread_ = std::thread([this] { status_ = worker_->Run(); });
  }
  ~RunningWorker() {
    if (thread_.joinable()) thread_.join();
  }
  absl::Status Join() {
    thread_.join();
    return status_;
  }
  Worker& worker() { return *worker_; }

 private:
  std::unique_ptr<Worker> worker_;
  std::thread thread_;
  absl::Status status_;
};

TEST(WorkerTest, ResultsWithoutAcknowledgementAreResentUntilAcknowledged) {
  FakeRunner runner(SmallResult);
  FakeCoordinatorClient* coordinator = nullptr;
  RunningWorker running(&runner, &coordinator);
  v1::WorkerMessage got;

  // Session 0: a result is sent, and the connection breaks before it is acknowledged.
  ASSERT_TRUE(coordinator->AwaitWritten(0, IsHello, &got));
  EXPECT_EQ(got.hello().worker_id(), "w1");
  EXPECT_EQ(got.hello().node_version(), "v20.0.0-fake");
  coordinator->Send(0, Welcome());
  coordinator->Send(0, AssignmentMessage("a1", "cache", 0));
  ASSERT_TRUE(coordinator->AwaitWritten(0, IsResultFor("a1"), &got));
  EXPECT_EQ(got.result().result().units_reached(), 42u);
  EXPECT_EQ(got.result().result().worker(), "w1");
  coordinator->End(0, absl::UnavailableError("the connection broke"));

  // Session 1: it comes again, right after the hello; now it is acknowledged.
  ASSERT_TRUE(coordinator->AwaitWritten(1, IsResultFor("a1"), &got));
  EXPECT_EQ(got.result().result().units_reached(), 42u);
  std::vector<v1::WorkerMessage> second = coordinator->Written(1);
  ASSERT_GE(second.size(), 2u);
  EXPECT_TRUE(second[0].has_hello());
  EXPECT_TRUE(second[1].has_result());
  coordinator->Send(1, Welcome());
  coordinator->Send(1, Ack("a1"));
  coordinator->End(1, absl::UnavailableError("the connection broke again"));

  // Session 2: a1 is not sent again. Anything resent would be queued with the hello,
  // before the result of a2, so a2's result arriving first shows that nothing was.
  coordinator->Send(2, Welcome());
  coordinator->Send(2, AssignmentMessage("a2", "cache", 1));
  ASSERT_TRUE(coordinator->AwaitWritten(2, IsResultFor("a2"), &got));
  for (const v1::WorkerMessage& m : coordinator->Written(2)) {
    EXPECT_FALSE(m.has_result() && m.result().assignment_id() == "a1") << "an acknowledged result was resent";
  }
  coordinator->Send(2, Shutdown());
  coordinator->End(2, absl::OkStatus());
  EXPECT_TRUE(running.Join().ok());
  EXPECT_EQ(coordinator->connects(), 3);
}

// A coordinator stopped before its run was over (Ctrl-C) says so: a --resume of the run
// continues it, so the worker reconnects as after a lost connection, where it exited 0
// (a new user's workers were gone when the resumed coordinator came up).
TEST(WorkerTest, AnUnfinishedRunsShutdownIsFollowedByAReconnect) {
  FakeRunner runner(SmallResult);
  FakeCoordinatorClient* coordinator = nullptr;
  RunningWorker running(&runner, &coordinator);
  v1::WorkerMessage got;
  ASSERT_TRUE(coordinator->AwaitWritten(0, IsHello, &got));
  coordinator->Send(0, Welcome());
  v1::CoordinatorMessage interrupted = Shutdown();
  interrupted.mutable_shutdown()->set_reason("interrupted");
  interrupted.mutable_shutdown()->set_unfinished(true);
  coordinator->Send(0, interrupted);
  coordinator->End(0, absl::OkStatus());
  // The resumed coordinator: the same worker says hello again, and a finished run ends it.
  ASSERT_TRUE(coordinator->AwaitWritten(1, IsHello, &got));
  coordinator->Send(1, Welcome());
  coordinator->Send(1, Shutdown());
  coordinator->End(1, absl::OkStatus());
  EXPECT_TRUE(running.Join().ok());
  EXPECT_EQ(coordinator->connects(), 2);
}

TEST(WorkerTest, StopTwiceAndFromOtherThreadsIsSafe) {
  FakeRunner runner(SmallResult);
  FakeCoordinatorClient* coordinator = nullptr;
  RunningWorker running(&runner, &coordinator);
  v1::WorkerMessage got;
  ASSERT_TRUE(coordinator->AwaitWritten(0, IsHello, &got));
  coordinator->Send(0, Welcome());
  coordinator->Send(0, AssignmentMessage("a1", "cache", 0));
  ASSERT_TRUE(coordinator->AwaitWritten(0, IsResultFor("a1"), &got));

  std::vector<std::thread> stoppers;
  for (int i = 0; i < 4; ++i) stoppers.emplace_back([&running] { running.worker().Stop(); });
  running.worker().Stop();
  for (std::thread& t : stoppers) t.join();
  running.worker().Stop();

  // One Drain, then this side half-closed; the coordinator then ends the session.
  ASSERT_TRUE(coordinator->AwaitWritesDone(0));
  int drains = 0;
  for (const v1::WorkerMessage& m : coordinator->Written(0)) drains += m.has_drain() ? 1 : 0;
  EXPECT_EQ(drains, 1);
  coordinator->End(0, absl::OkStatus());
  EXPECT_TRUE(running.Join().ok());
  running.worker().Stop();  // after Run() has returned: still nothing happens
  EXPECT_EQ(coordinator->connects(), 1);
}

TEST(WorkerTest, ResultTooLargeForAMessageBecomesAFailureNamingTheRun) {
  FakeRunner runner([](const RunRequest& request) {
    v1::RunResult result = SmallResult(request);
    result.mutable_evidence()->set_stderr_tail(std::string(kMaxMessageBytes, 'x'));
    return result;
  });
  FakeCoordinatorClient* coordinator = nullptr;
  RunningWorker running(&runner, &coordinator);
  v1::WorkerMessage got;
  ASSERT_TRUE(coordinator->AwaitWritten(0, IsHello, &got));
  coordinator->Send(0, Welcome());
  coordinator->Send(0, AssignmentMessage("big", "huge-stderr", 3, "entries=10"));
  ASSERT_TRUE(coordinator->AwaitWritten(0, [](const v1::WorkerMessage& m) { return m.has_failure(); }, &got));
  EXPECT_EQ(got.failure().assignment_id(), "big");
  EXPECT_NE(got.failure().reason().find("'huge-stderr' repeat 3 (entries=10)"), std::string::npos)
      << got.failure().reason();
  // The failure is sent instead of the result, which never travels.
  for (const v1::WorkerMessage& m : coordinator->Written(0)) EXPECT_FALSE(m.has_result());
  coordinator->Send(0, Shutdown());
  coordinator->End(0, absl::OkStatus());
  EXPECT_TRUE(running.Join().ok());
}

}  // namespace
}  // namespace heapstorm
