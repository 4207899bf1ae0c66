// VerifyStream over a real loopback channel: every record answered exactly
// once with the verdict Verify gives it, bad records answered with errors
// without ending the stream, flow control from the caller's reading back to
// its writing, and the end at shutdown.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/service/test_service.h"

namespace sigverify::service {
namespace {

using Stream = grpc::ClientReaderWriter<v1::VerifyStreamRequest, v1::VerifyStreamResponse>;

v1::VerifyStreamRequest StreamRequest(const v1::VerifyRequest& request) {
  v1::VerifyStreamRequest message;
  *message.mutable_request() = request;
  return message;
}

// Writes and reads interleaved: the answers come back, each once, and each
// is the verdict of the record its sequence names.
TEST(VerifyStreamTest, EveryRecordIsAnsweredOnceWithItsVerdict) {
  TestService service({});
  const std::vector<Kind> kinds = MixedKinds();
  constexpr int kRecords = 400;
  grpc::ClientContext ctx;
  std::unique_ptr<Stream> stream = service.stub().VerifyStream(&ctx);
  std::thread writer([&] {
    for (int i = 0; i < kRecords; ++i) {
      v1::VerifyRequest r = kinds[(i * 7) % kinds.size()].request;
      r.set_record_id(absl::StrCat("rec-", i));
      ASSERT_TRUE(stream->Write(StreamRequest(r)));
    }
    stream->WritesDone();
  });
  std::map<uint64_t, v1::VerifyStreamResponse> answers;
  v1::VerifyStreamResponse answer;
  while (stream->Read(&answer)) {
    EXPECT_TRUE(answers.emplace(answer.sequence(), answer).second)
        << "sequence " << answer.sequence() << " answered twice";
  }
  writer.join();
  const grpc::Status status = stream->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(answers.size(), size_t{kRecords});
  for (int i = 0; i < kRecords; ++i) {
    const Kind& k = kinds[(i * 7) % kinds.size()];
    const std::string id = absl::StrCat("rec-", i);
    ASSERT_TRUE(answers.count(i)) << id;
    const v1::VerifyStreamResponse& a = answers[i];
    if (k.error) {
      ASSERT_TRUE(a.has_error()) << id;
      EXPECT_EQ(a.error().record_id(), id);
      EXPECT_EQ(a.error().code(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
      EXPECT_NE(a.error().message().find("signer_certificate"), std::string::npos);
      continue;
    }
    ASSERT_TRUE(a.has_response()) << id << ": " << a.error().message();
    EXPECT_EQ(a.response().record_id(), id);
    EXPECT_EQ(a.response().indication(), k.indication) << id << ": " << a.response().message();
    EXPECT_EQ(a.response().sub_indication(), k.sub) << id;
  }
  int errors = 0;
  for (int i = 0; i < kRecords; ++i) errors += kinds[(i * 7) % kinds.size()].error ? 1 : 0;
  EXPECT_EQ(CounterSum(service.registry(), "sigverify_items_total"), kRecords - errors);
  EXPECT_EQ(CounterSum(service.registry(), "sigverify_item_errors_total"), errors);
}

// A message that is not a VerifyStreamRequest (a string that is not UTF-8)
// is answered with INVALID_ARGUMENT at its sequence; the stream goes on.
TEST(VerifyStreamTest, AMalformedMessageIsAnsweredAndTheStreamGoesOn) {
  TestService service({});
  grpc::ClientContext ctx;
  std::unique_ptr<Stream> stream = service.stub().VerifyStream(&ctx);
  v1::VerifyRequest good = RsaRequest();
  good.set_record_id("before");
  ASSERT_TRUE(stream->Write(StreamRequest(good)));
  v1::VerifyRequest bad = RsaRequest();
  bad.set_record_id("\xff\xfe not UTF-8");
  ASSERT_TRUE(stream->Write(StreamRequest(bad)));
  good.set_record_id("after");
  ASSERT_TRUE(stream->Write(StreamRequest(good)));
  stream->WritesDone();
  std::map<uint64_t, v1::VerifyStreamResponse> answers;
  v1::VerifyStreamResponse answer;
  while (stream->Read(&answer)) answers[answer.sequence()] = answer;
  ASSERT_TRUE(stream->Finish().ok());
  ASSERT_EQ(answers.size(), 3u);
  EXPECT_EQ(answers[0].response().record_id(), "before");
  EXPECT_EQ(answers[0].response().indication(), v1::INDICATION_TOTAL_PASSED);
  ASSERT_TRUE(answers[1].has_error());
  EXPECT_EQ(answers[1].error().code(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_NE(answers[1].error().message().find("message 1"), std::string::npos)
      << answers[1].error().message();
  EXPECT_EQ(answers[2].response().record_id(), "after");
  EXPECT_EQ(answers[2].response().indication(), v1::INDICATION_TOTAL_PASSED);
}

// A caller that writes and does not read: the server reads no more than its
// window ahead of the answers the transport can hold, so the caller's writes
// stall long before it has sent everything; once it reads, everything is
// answered.
TEST(VerifyStreamTest, ACallerThatDoesNotReadIsSlowedNotBuffered) {
  Limits limits;
  limits.max_stream_window = 4;
  TestService service(limits);
  // Many records: what the transports can hold between the server and a
  // caller that does not read is a few megabytes of answers.
  const v1::VerifyRequest record = RsaRequest();
  constexpr int kRecords = 30000;
  grpc::ClientContext ctx;
  std::unique_ptr<Stream> stream = service.stub().VerifyStream(&ctx);
  std::atomic<int> written{0};
  std::thread writer([&] {
    for (int i = 0; i < kRecords; ++i) {
      if (!stream->Write(StreamRequest(record))) return;
      written.fetch_add(1);
    }
    stream->WritesDone();
  });
  // Wait until the writer stalls: no progress for a second.
  int last = -1;
  while (written.load() != last && written.load() < kRecords) {
    last = written.load();
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  const double verified = CounterSum(service.registry(), "sigverify_items_total");
  std::printf("writer stalled after %d records, %.0f verified\n", written.load(), verified);
  EXPECT_LT(written.load(), kRecords / 2) << "the writer was not slowed";
  EXPECT_LT(verified, kRecords / 2) << "records were read far ahead of the answers";
  size_t answered = 0;
  v1::VerifyStreamResponse answer;
  while (stream->Read(&answer)) {
    EXPECT_EQ(answer.response().indication(), v1::INDICATION_TOTAL_PASSED);
    ++answered;
  }
  writer.join();
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_EQ(answered, size_t{kRecords});
}

// Shutdown: an idle stream ends at once with UNAVAILABLE, saying how many
// records were answered; the answers given before arrived.
TEST(VerifyStreamTest, ShutdownEndsAnOpenStreamAfterItsAnswers) {
  TestService service({});
  grpc::ClientContext ctx;
  std::unique_ptr<Stream> stream = service.stub().VerifyStream(&ctx);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(stream->Write(StreamRequest(RsaRequest())));
  v1::VerifyStreamResponse answer;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(stream->Read(&answer));
    EXPECT_EQ(answer.response().indication(), v1::INDICATION_TOTAL_PASSED);
  }
  service.CloseStreams();
  EXPECT_FALSE(stream->Read(&answer));
  const grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(status.error_message().find("first 3 records"), std::string::npos)
      << status.error_message();
  // A stream opened after shutdown began ends at once.
  grpc::ClientContext late_ctx;
  std::unique_ptr<Stream> late = service.stub().VerifyStream(&late_ctx);
  EXPECT_FALSE(late->Read(&answer));
  EXPECT_EQ(late->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
}

// A stream the caller cancels ends; the server keeps no work for it.
TEST(VerifyStreamTest, ACancelledStreamEnds) {
  TestService service({});
  grpc::ClientContext ctx;
  std::unique_ptr<Stream> stream = service.stub().VerifyStream(&ctx);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(stream->Write(StreamRequest(RsaRequest())));
  ctx.TryCancel();
  v1::VerifyStreamResponse answer;
  while (stream->Read(&answer)) {
  }
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);
  // Every record read was either verified or skipped, and then the server
  // let go of the call: a new stream works.
  grpc::ClientContext next_ctx;
  std::unique_ptr<Stream> next = service.stub().VerifyStream(&next_ctx);
  ASSERT_TRUE(next->Write(StreamRequest(RsaRequest())));
  next->WritesDone();
  ASSERT_TRUE(next->Read(&answer));
  EXPECT_EQ(answer.response().indication(), v1::INDICATION_TOTAL_PASSED);
  EXPECT_TRUE(next->Finish().ok());
}

}  // namespace
}  // namespace sigverify::service
