#include "rpc/grpc_coordinator_client.h"

#include <atomic>
#include <utility>

#include "grpcpp/grpcpp.h"
#include "proto/coordinator.grpc.pb.h"

namespace heapstorm {
namespace {

class GrpcCoordinatorStream : public CoordinatorStream {
 public:
  GrpcCoordinatorStream(std::shared_ptr<grpc::Channel> channel, std::string address, TlsFiles tls)
      : stub_(v1::Coordinator::NewStub(std::move(channel))), address_(std::move(address)), tls_(std::move(tls)) {
    // The session lives as long as the run; the stream itself has no deadline.
    context_.set_wait_for_ready(false);
    stream_ = stub_->Session(&context_);
  }

  bool Read(v1::CoordinatorMessage* message) override {
    if (!stream_->Read(message)) return false;
    read_any_ = true;
    return true;
  }
  bool Write(const v1::WorkerMessage& message) override { return stream_->Write(message); }
  bool WritesDone() override { return stream_->WritesDone(); }
  void TryCancel() override { context_.TryCancel(); }

  absl::Status Finish() override {
    grpc::Status status = stream_->Finish();
    if (!read_any_ && status.error_code() == grpc::StatusCode::UNAVAILABLE) {
      // It never got going: say why the connection failed, not only what gRPC saw.
      return absl::UnavailableError(ExplainConnectionError(status, address_, tls_));
    }
    return ToAbsl(status);
  }

 private:
  std::unique_ptr<v1::Coordinator::Stub> stub_;
  const std::string address_;
  const TlsFiles tls_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<v1::WorkerMessage, v1::CoordinatorMessage>> stream_;
  std::atomic<bool> read_any_{false};
};

}  // namespace

GrpcCoordinatorClient::GrpcCoordinatorClient(std::string address, TlsFiles tls)
    : address_(std::move(address)), tls_(std::move(tls)) {}

absl::StatusOr<std::unique_ptr<CoordinatorStream>> GrpcCoordinatorClient::Connect() {
  auto credentials = ChannelCredentialsFor(tls_);
  if (!credentials.ok()) return credentials.status();
  auto channel = grpc::CreateCustomChannel(address_, *credentials, ChannelArgs());
  return std::make_unique<GrpcCoordinatorStream>(std::move(channel), address_, tls_);
}

}  // namespace heapstorm
