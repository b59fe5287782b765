// The coordinator service over real gRPC on loopback, driven by a hand-written worker
// stream: hello, welcome, assignments into free slots, acks, record-once, health.
#include "coordinator/coordinator_server.h"

#include <atomic>
#include <cstdlib>
#include <thread>

#include "coordinator/planner.h"
#include "model/limits.h"
#include "gtest/gtest.h"

namespace heapstorm {
namespace {

// `payload_bytes` of module source makes assignments big enough to stall on flow control.
std::vector<v1::Assignment> PlanOf(int n, size_t payload_bytes = 0) {
  std::vector<v1::Assignment> plan;
  for (int i = 0; i < n; ++i) {
    v1::Assignment a;
    a.set_id(AssignmentId("s", "", i));
    a.set_attempt(1);
    a.mutable_scenario()->set_name("s");
    if (payload_bytes > 0) a.mutable_scenario()->mutable_script()->set_module_source(std::string(payload_bytes, 'x'));
    a.set_repeat(i);
    plan.push_back(a);
  }
  return plan;
}

class CoordinatorServerTest : public ::testing::Test {
 protected:
  void Start(int runs, const std::string& token = "", size_t payload_bytes = 0) {
    scheduler_ = std::make_unique<Scheduler>(PlanOf(runs, payload_bytes), SchedulerOptions{}, RealClock::Get());
    CoordinatorServerOptions options;
    options.token = token;
    options.modules = &modules_;
    auto server = CoordinatorServer::Start(scheduler_.get(), options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    channel_ = grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                         grpc::InsecureChannelCredentials(), ChannelArgs());
    stub_ = v1::Coordinator::NewStub(channel_);
  }
  ModuleStore modules_;
  std::unique_ptr<Scheduler> scheduler_;
  std::unique_ptr<CoordinatorServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Coordinator::Stub> stub_;
};

v1::WorkerMessage Hello(const std::string& id, int slots, const std::string& token = "") {
  v1::WorkerMessage m;
  m.mutable_hello()->set_worker_id(id);
  m.mutable_hello()->set_slots(slots);
  m.mutable_hello()->set_token(token);
  return m;
}

v1::WorkerMessage ResultOf(const v1::Assignment& a) {
  v1::WorkerMessage m;
  m.mutable_result()->set_assignment_id(a.id());
  m.mutable_result()->mutable_result()->set_assignment_id(a.id());
  m.mutable_result()->mutable_result()->set_scenario("s");
  m.mutable_result()->mutable_result()->set_outcome(v1::OUTCOME_COMPLETED);
  FillDefaultLimits(m.mutable_result()->mutable_result()->mutable_limits());  // as a run has them
  return m;
}

TEST_F(CoordinatorServerTest, HandsOutWorkRecordsOnceAndEndsTheRun) {
  Start(3);
  grpc::ClientContext context;
  auto stream = stub_->Session(&context);
  ASSERT_TRUE(stream->Write(Hello("w", 2)));
  v1::CoordinatorMessage m;
  ASSERT_TRUE(stream->Read(&m));
  ASSERT_TRUE(m.has_welcome());
  EXPECT_GT(m.welcome().heartbeat_interval_ms(), 0u);
  std::vector<v1::Assignment> got;
  while (got.size() < 2 && stream->Read(&m)) {
    ASSERT_TRUE(m.has_assignment());
    got.push_back(m.assignment());
  }
  ASSERT_EQ(got.size(), 2u);
  ASSERT_TRUE(stream->Write(ResultOf(got[0])));
  ASSERT_TRUE(stream->Write(ResultOf(got[0])));  // a duplicate: acked, not recorded again
  int acks = 0;
  while (acks < 2 || got.size() < 3) {
    ASSERT_TRUE(stream->Read(&m));
    for (const std::string& id : m.acked()) {
      EXPECT_EQ(id, got[0].id());
      ++acks;
    }
    if (m.has_assignment()) got.push_back(m.assignment());
  }
  ASSERT_TRUE(stream->Write(ResultOf(got[1])));
  ASSERT_TRUE(stream->Write(ResultOf(got[2])));
  bool shutdown = false;
  while (stream->Read(&m)) {
    shutdown |= m.has_shutdown();
    if (m.has_shutdown()) {
      EXPECT_FALSE(m.shutdown().unfinished()) << "the run is over: the worker may exit";
    }
  }
  EXPECT_TRUE(shutdown);
  EXPECT_TRUE(stream->Finish().ok());
  server_->WaitUntilDone();
  EXPECT_EQ(scheduler_->Results().size(), 3u);
}

// Stopped with work left (Ctrl-C), the coordinator tells its workers the run is not over:
// a --resume continues it, and they reconnect for it.
TEST_F(CoordinatorServerTest, AStopWithWorkLeftSaysTheRunIsUnfinished) {
  Start(3);
  grpc::ClientContext context;
  auto stream = stub_->Session(&context);
  ASSERT_TRUE(stream->Write(Hello("w", 1)));
  v1::CoordinatorMessage m;
  ASSERT_TRUE(stream->Read(&m));
  ASSERT_TRUE(m.has_welcome());
  std::thread stopper([this] { server_->Stop("interrupted", absl::Seconds(1)); });
  bool unfinished = false;
  while (stream->Read(&m)) unfinished |= m.has_shutdown() && m.shutdown().unfinished();
  stopper.join();
  EXPECT_TRUE(unfinished);
}

// A result is checked whatever sent it: limits no run can have had are refused (the
// run counts as failed there), acknowledged so that it is not resent, and not recorded.
TEST_F(CoordinatorServerTest, AResultWithImpossibleLimitsIsNotRecorded) {
  Start(1);
  grpc::ClientContext context;
  auto stream = stub_->Session(&context);
  ASSERT_TRUE(stream->Write(Hello("w", 1)));
  v1::CoordinatorMessage m;
  ASSERT_TRUE(stream->Read(&m));
  ASSERT_TRUE(m.has_welcome());
  while (!m.has_assignment()) ASSERT_TRUE(stream->Read(&m));
  v1::WorkerMessage bad = ResultOf(m.assignment());
  bad.mutable_result()->mutable_result()->mutable_limits()->set_max_old_space_mib(4);
  ASSERT_TRUE(stream->Write(bad));
  bool acked = false;
  while (!acked && stream->Read(&m)) {
    for (const std::string& id : m.acked()) acked |= id == bad.result().assignment_id();
  }
  ASSERT_TRUE(acked);
  EXPECT_TRUE(scheduler_->Results().empty());
  context.TryCancel();
  (void)stream->Finish();
}

TEST_F(CoordinatorServerTest, WrongTokenIsUnauthenticated) {
  Start(1, "secret");
  grpc::ClientContext context;
  auto stream = stub_->Session(&context);
  ASSERT_TRUE(stream->Write(Hello("w", 1, "guess")));
  v1::CoordinatorMessage m;
  while (stream->Read(&m)) {
    EXPECT_FALSE(m.has_assignment()) << "no work for a refused worker";
  }
  grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_NE(status.error_message().find("wrong or missing token"), std::string::npos);
}

// A worker that goes away while the coordinator is still writing to it (here: it never
// reads, so big assignments wait on flow control) must not leave its stream unfinished:
// the server's shutdown waits for every stream, and used to wait forever.
TEST_F(CoordinatorServerTest, WorkerGoneInTheMiddleOfAWriteDoesNotHangTheShutdown) {
  Start(8, "", 3 << 20);
  grpc::ClientContext context;
  auto stream = stub_->Session(&context);
  ASSERT_TRUE(stream->Write(Hello("w", 8)));
  // Wait until the coordinator has leased it work (and so is writing to it).
  for (int i = 0; i < 500 && scheduler_->counts().leased == 0; ++i) absl::SleepFor(absl::Milliseconds(10));
  ASSERT_GT(scheduler_->counts().leased, 0u);
  // First the worker's half of the stream ends (the coordinator asks to finish, but a
  // write is still pending), then the connection breaks (that write fails).
  stream->WritesDone();
  for (int i = 0; i < 500 && scheduler_->counts().leased > 0; ++i) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_EQ(scheduler_->counts().leased, 0u) << "the stream's end requeues the work";
  context.TryCancel();
  std::atomic<bool> stopped{false};
  std::thread stopper([&] {
    server_->Stop("the test is over", absl::Seconds(1));
    stopped = true;
  });
  for (int i = 0; i < 3000 && !stopped; ++i) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_TRUE(stopped) << "the coordinator's shutdown is stuck on the departed worker's stream";
  if (!stopped) {
    stopper.detach();  // a hang: fail, do not block the test binary
    std::_Exit(1);
  }
  stopper.join();
}

TEST_F(CoordinatorServerTest, HealthCheckServesUntilStopped) {
  Start(1);
  auto check = [&]() {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + kUnaryDeadline));
    v1::HealthCheckResponse response;
    grpc::Status status = stub_->Check(&context, v1::HealthCheckRequest(), &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.status();
  };
  EXPECT_EQ(check(), v1::HealthCheckResponse::SERVING);
  server_->SetServing(false);
  EXPECT_EQ(check(), v1::HealthCheckResponse::NOT_SERVING);
}

// A worker asks for a module by hash: the coordinator answers with the source it holds,
// or with an error for a hash it does not hold; a run whose module is not to be had fails
// its attempts (Failure) and ends missing with the worker's reason, and the run still ends.
TEST_F(CoordinatorServerTest, ModulesAreServedByHashAndAnUnknownOneFailsItsRun) {
  const std::string held = modules_.Add("module.exports = { iteration() {} };\n");
  Start(1);
  grpc::ClientContext context;
  auto stream = stub_->Session(&context);
  ASSERT_TRUE(stream->Write(Hello("w", 1)));
  v1::CoordinatorMessage m;
  v1::Assignment assignment;
  while (assignment.id().empty() && stream->Read(&m)) {
    if (m.has_assignment()) assignment = m.assignment();
  }
  ASSERT_FALSE(assignment.id().empty());
  for (const std::string& sha256 : {held, std::string(64, '0')}) {
    v1::WorkerMessage request;
    request.mutable_module_request()->set_sha256(sha256);
    ASSERT_TRUE(stream->Write(request));
    do {
      ASSERT_TRUE(stream->Read(&m));
    } while (!m.has_module());
    EXPECT_EQ(m.module().sha256(), sha256);
    if (sha256 == held) {
      EXPECT_EQ(m.module().source(), "module.exports = { iteration() {} };\n");
      EXPECT_EQ(m.module().error(), "");
    } else {
      EXPECT_EQ(m.module().source(), "");
      EXPECT_NE(m.module().error().find("no script module"), std::string::npos) << m.module().error();
    }
  }
  // The worker cannot get the module: each attempt fails, then the run is missing with
  // the worker's reason, and the run ends.
  for (int attempt = 1;; ++attempt) {
    v1::WorkerMessage failure;
    failure.mutable_failure()->set_assignment_id(assignment.id());
    failure.mutable_failure()->set_reason("script module m.js: not to be had");
    ASSERT_TRUE(stream->Write(failure));
    bool again = false;
    while (!again && stream->Read(&m)) again = m.has_assignment();
    if (!again) break;
    ASSERT_LT(attempt, 3) << "at most max_attempts";
  }
  EXPECT_TRUE(stream->Finish().ok());
  server_->WaitUntilDone();
  ASSERT_EQ(scheduler_->Missing().size(), 1u);
  EXPECT_EQ(scheduler_->Missing()[0].reason(),
            "harness error after 3 attempts (last on w): script module m.js: not to be had");
  EXPECT_TRUE(scheduler_->Results().empty());
}

}  // namespace
}  // namespace heapstorm
