// The gRPC service in-process, over a real loopback channel.
#include "service/verification_service.h"

#include <grpcpp/grpcpp.h>
#include <prometheus/registry.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "service/admission_cost.h"
#include "tests/service/test_service.h"
#include "tests/testing/test_files.h"

namespace sigverify::service {
namespace {

using sigverify::testing::PkiFile;

TEST(VerificationServiceTest, VerifyPassesAndEchoesTheRecord) {
  TestService server({});
  auto req = RsaRequest();
  req.set_record_id("QĐ-123/2026");
  grpc::ClientContext ctx;
  v1::VerifyResponse resp;
  ASSERT_TRUE(server.stub().Verify(&ctx, req, &resp).ok());
  EXPECT_EQ(resp.record_id(), "QĐ-123/2026");
  EXPECT_EQ(resp.indication(), v1::INDICATION_TOTAL_PASSED) << resp.message();
  EXPECT_EQ(resp.path_size(), 3);
  EXPECT_EQ(resp.signer().subject(), "CN=Nguyễn Văn An,O=UBND phường Hoàn Kiếm,L=Hà Nội,C=VN");
  EXPECT_EQ(resp.signer().sha256_fingerprint().size(), 64u);
  EXPECT_FALSE(resp.validation_time_from_request());
  EXPECT_EQ(resp.trust_store_version().size(), 64u);
}

TEST(VerificationServiceTest, BadSignatureIsASuccessfulRpcWithTotalFailed) {
  TestService server({});
  auto req = RsaRequest();
  req.mutable_data()->append("!");
  grpc::ClientContext ctx;
  v1::VerifyResponse resp;
  ASSERT_TRUE(server.stub().Verify(&ctx, req, &resp).ok());
  EXPECT_EQ(resp.indication(), v1::INDICATION_TOTAL_FAILED);
  EXPECT_EQ(resp.sub_indication(), v1::SUB_INDICATION_HASH_FAILURE);
}

TEST(VerificationServiceTest, GarbageCertificateIsInvalidArgument) {
  TestService server({});
  auto req = RsaRequest();
  req.set_signer_certificate("\x30\x03garbage");
  grpc::ClientContext ctx;
  v1::VerifyResponse resp;
  grpc::Status s = server.stub().Verify(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("signer_certificate"), std::string::npos);
}

TEST(VerificationServiceTest, CallerGivenTimeIsUsedAndReportedAsSuch) {
  TestService server({});
  auto req = RsaRequest();
  req.mutable_validation_time()->set_seconds(946684800);  // 2000-01-01
  grpc::ClientContext ctx;
  v1::VerifyResponse resp;
  ASSERT_TRUE(server.stub().Verify(&ctx, req, &resp).ok());
  EXPECT_TRUE(resp.validation_time_from_request());
  EXPECT_EQ(resp.validation_time().seconds(), 946684800);
  EXPECT_EQ(resp.sub_indication(), v1::SUB_INDICATION_NOT_YET_VALID);
  // A claimed time in the future is refused: nothing known by then counts yet.
  req.mutable_validation_time()->set_seconds(4102444800);  // 2100-01-01
  grpc::ClientContext future_ctx;
  grpc::Status future = server.stub().Verify(&future_ctx, req, &resp);
  EXPECT_EQ(future.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(future.error_message().find("validation_time"), std::string::npos);
}

// One thousand items of every kind, interleaved: each result must be the
// one for the item at the same index.
TEST(VerificationServiceTest, MixedBatchOfAThousandComesBackInOrder) {
  TestService server({});
  const std::vector<Kind> kinds = MixedKinds();
  v1::VerifyBatchRequest batch;
  for (int i = 0; i < 1000; ++i) {
    // A stride coprime to the kind count scatters kinds across chunks.
    v1::VerifyRequest* r = batch.add_requests();
    *r = kinds[(i * 7) % kinds.size()].request;
    r->set_record_id(absl::StrCat("rec-", i));
  }
  grpc::ClientContext ctx;
  v1::VerifyBatchResponse resp;
  ASSERT_TRUE(server.stub().VerifyBatch(&ctx, batch, &resp).ok());
  ASSERT_EQ(resp.results_size(), 1000);
  for (int i = 0; i < 1000; ++i) {
    const Kind& k = kinds[(i * 7) % kinds.size()];
    const auto& item = resp.results(i);
    const std::string id = absl::StrCat("rec-", i);
    if (k.error) {
      ASSERT_TRUE(item.has_error()) << id;
      EXPECT_EQ(item.error().record_id(), id);
      EXPECT_EQ(item.error().code(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
      continue;
    }
    ASSERT_TRUE(item.has_response()) << id << ": " << item.error().message();
    EXPECT_EQ(item.response().record_id(), id);
    EXPECT_EQ(item.response().indication(), k.indication)
        << id << ": " << item.response().message();
    EXPECT_EQ(item.response().sub_indication(), k.sub) << id;
  }
}

TEST(VerificationServiceTest, ValidateCertificateJudgesThePathAlone) {
  TestService server({});
  v1::ValidateCertificateRequest req;
  req.set_certificate(PkiFile("signer-ec.pem"));
  req.add_intermediate_certificates(PkiFile("ca.pem"));
  {
    grpc::ClientContext ctx;
    v1::ValidateCertificateResponse resp;
    ASSERT_TRUE(server.stub().ValidateCertificate(&ctx, req, &resp).ok());
    EXPECT_EQ(resp.indication(), v1::INDICATION_TOTAL_PASSED) << resp.message();
    EXPECT_EQ(resp.path_size(), 3);
    EXPECT_EQ(resp.certificate().subject(),
              "CN=Trần Thị Bình,O=UBND phường Hoàn Kiếm,L=Hà Nội,C=VN");
    EXPECT_EQ(resp.trust_store_version().size(), 64u);
  }
  {
    req.set_certificate(PkiFile("signer-wrong-ku.pem"));
    grpc::ClientContext ctx;
    v1::ValidateCertificateResponse resp;
    ASSERT_TRUE(server.stub().ValidateCertificate(&ctx, req, &resp).ok());
    EXPECT_EQ(resp.indication(), v1::INDICATION_INDETERMINATE);
    EXPECT_EQ(resp.sub_indication(), v1::SUB_INDICATION_CHAIN_CONSTRAINTS_FAILURE);
    EXPECT_EQ(resp.path_size(), 0);
  }
  {
    req.set_certificate(PkiFile("signer-ec.pem"));
    req.mutable_validation_time()->set_seconds(946684800);  // 2000-01-01
    grpc::ClientContext ctx;
    v1::ValidateCertificateResponse resp;
    ASSERT_TRUE(server.stub().ValidateCertificate(&ctx, req, &resp).ok());
    EXPECT_EQ(resp.sub_indication(), v1::SUB_INDICATION_NOT_YET_VALID);
    EXPECT_TRUE(resp.validation_time_from_request());
  }
  {
    req.set_policy("legacy-g1");
    grpc::ClientContext ctx;
    v1::ValidateCertificateResponse resp;
    grpc::Status s = server.stub().ValidateCertificate(&ctx, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(s.error_message().find("legacy-g1"), std::string::npos);
  }
  {
    req.clear_policy();
    req.set_certificate("not a certificate");
    grpc::ClientContext ctx;
    v1::ValidateCertificateResponse resp;
    grpc::Status s = server.stub().ValidateCertificate(&ctx, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(s.error_message().find("certificate: "), std::string::npos);
  }
}

TEST(VerificationServiceTest, MessagesAreVietnameseByDefaultAndEnglishOnRequest) {
  TestService server({});
  auto req = Request("signer-expired", v1::SIGNATURE_ALGORITHM_RSA_PKCS1_V15_SHA256);
  {
    grpc::ClientContext ctx;
    v1::VerifyResponse resp;
    ASSERT_TRUE(server.stub().Verify(&ctx, req, &resp).ok());
    EXPECT_EQ(resp.sub_indication(), v1::SUB_INDICATION_EXPIRED);
    EXPECT_NE(resp.message().find("đã hết hạn"), std::string::npos) << resp.message();
    // Which certificate failed which check, as data.
    EXPECT_EQ(resp.failed_check().check(), "validity");
    EXPECT_EQ(resp.failed_check().position(), 1);
    EXPECT_EQ(resp.failed_check().certificate().sha256_fingerprint(),
              resp.signer().sha256_fingerprint());
  }
  {
    req.set_language("en");
    grpc::ClientContext ctx;
    v1::VerifyResponse resp;
    ASSERT_TRUE(server.stub().Verify(&ctx, req, &resp).ok());
    EXPECT_NE(resp.message().find("certificate has expired"), std::string::npos) << resp.message();
  }
  {
    // The call's accept-language metadata decides when the field is empty.
    req.clear_language();
    grpc::ClientContext ctx;
    ctx.AddMetadata("accept-language", "en-US,en;q=0.9");
    v1::VerifyResponse resp;
    ASSERT_TRUE(server.stub().Verify(&ctx, req, &resp).ok());
    EXPECT_NE(resp.message().find("certificate has expired"), std::string::npos) << resp.message();
  }
  {
    req.set_language("fr");
    grpc::ClientContext ctx;
    v1::VerifyResponse resp;
    grpc::Status s = server.stub().Verify(&ctx, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(s.error_message().find("language"), std::string::npos) << s.error_message();
  }
}

TEST(VerificationServiceTest, PolicyIsNamedInTheAnswerAndUnknownOnesAreRefused) {
  TestService server({});
  auto req = RsaRequest();
  {
    grpc::ClientContext ctx;
    v1::VerifyResponse resp;
    ASSERT_TRUE(server.stub().Verify(&ctx, req, &resp).ok());
    EXPECT_EQ(resp.policy(), "default");
  }
  req.set_policy("lenient");
  grpc::ClientContext ctx;
  v1::VerifyResponse resp;
  grpc::Status s = server.stub().Verify(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(
      s.error_message().find("unknown validation policy 'lenient' (this server has: default)"),
      std::string::npos)
      << s.error_message();
}

TEST(VerificationServiceTest, BatchOverTheItemLimitNamesTheLimit) {
  Limits limits;
  limits.max_batch_items = 3;
  TestService server(limits);
  v1::VerifyBatchRequest batch;
  for (int i = 0; i < 4; ++i) *batch.add_requests() = RsaRequest();
  grpc::ClientContext ctx;
  v1::VerifyBatchResponse resp;
  grpc::Status s = server.stub().VerifyBatch(&ctx, batch, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("over the limit of 3"), std::string::npos) << s.error_message();
}

TEST(VerificationServiceTest, OverloadIsRefusedWithResourceExhausted) {
  Limits limits;
  limits.max_queued_items = 5;
  TestService server(limits, 1);
  v1::VerifyBatchRequest batch;
  for (int i = 0; i < 6; ++i) *batch.add_requests() = RsaRequest();
  grpc::ClientContext ctx;
  v1::VerifyBatchResponse resp;
  grpc::Status s = server.stub().VerifyBatch(&ctx, batch, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(s.error_message().find("--max-queued-items"), std::string::npos);
}

// x-request-id goes into the audit log: only a bounded token is accepted,
// not free text.
TEST(VerificationServiceTest, ARequestIdThatIsNotATokenIsRefused) {
  TestService server(Limits{});
  auto call = [&](const std::string& id) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-request-id", id);
    v1::VerifyResponse resp;
    return server.stub().Verify(&ctx, RsaRequest(), &resp);
  };
  EXPECT_TRUE(call("3f2b9c1e-7d4a-4c1b-9e2f-0a1b2c3d4e5f").ok());
  grpc::Status free_text = call("<script>alert(1)</script> DROP TABLE");
  EXPECT_EQ(free_text.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(free_text.error_message().find("x-request-id"), std::string::npos);
  EXPECT_EQ(call(std::string(129, 'a')).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  v1::VerifyBatchRequest batch;
  *batch.add_requests() = RsaRequest();
  grpc::ClientContext ctx;
  ctx.AddMetadata("x-request-id", "a b");
  v1::VerifyBatchResponse resp;
  EXPECT_EQ(server.stub().VerifyBatch(&ctx, batch, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

// Memory held by admitted calls is bounded: a call takes twice its size
// from its half of --max-inflight-bytes before it is parsed.
TEST(VerificationServiceTest, CallsBeyondTheInflightByteBudgetAreRefusedBeforeParsing) {
  Limits limits;
  limits.max_inflight_bytes = 256 << 10;
  TestService server(limits);
  {
    grpc::ClientContext ctx;
    v1::VerifyResponse resp;
    ASSERT_TRUE(server.stub().Verify(&ctx, RsaRequest(), &resp).ok());
  }
  v1::VerifyRequest large = RsaRequest();
  large.set_data(std::string(70 << 10, 'x'));  // x2 > 128 KiB
  grpc::ClientContext ctx;
  v1::VerifyResponse resp;
  grpc::Status s = server.stub().Verify(&ctx, large, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  EXPECT_NE(s.error_message().find("--max-inflight-bytes"), std::string::npos);
  // What the refused and the finished calls took is given back.
  grpc::ClientContext again;
  EXPECT_TRUE(server.stub().Verify(&again, RsaRequest(), &resp).ok());
}

// Admission weighs an item by what it costs, not as one: a large document
// takes as many units of the budget as its hashing costs.
TEST(VerificationServiceTest, AdmissionCountsAnItemByItsCost) {
  Limits limits;
  limits.max_queued_items = 5;
  TestService server(limits, 1);
  {
    grpc::ClientContext ctx;
    v1::VerifyResponse resp;
    ASSERT_TRUE(server.stub().Verify(&ctx, RsaRequest(), &resp).ok());
  }
  v1::VerifyRequest large = RsaRequest();
  large.set_data(std::string(8 * kDataBytesPerUnit, 'x'));  // 9 units
  grpc::ClientContext ctx;
  v1::VerifyResponse resp;
  grpc::Status s = server.stub().Verify(&ctx, large, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  EXPECT_EQ(AdmissionCost(large), 9u + AdmissionCost(RsaRequest()) - 1);
}

TEST(VerificationServiceTest, MessageOverTheSizeLimitIsRefusedByTransport) {
  Limits limits;
  limits.max_message_bytes = 64 << 10;
  TestService server(limits);
  auto req = RsaRequest();
  req.set_data(std::string(100 << 10, 'x'));
  grpc::ClientContext ctx;
  v1::VerifyResponse resp;
  EXPECT_EQ(server.stub().Verify(&ctx, req, &resp).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
}

TEST(VerificationServiceTest, CancelledBatchStopsSpendingCpu) {
  TestService server({}, /*workers=*/1);
  // DER certificates and a digest keep the request small; the work is not.
  auto item = RsaRequest();
  item.set_signer_certificate((*crypto::Certificate::Parse(item.signer_certificate()))->der());
  item.set_intermediate_certificates(
      0, (*crypto::Certificate::Parse(item.intermediate_certificates(0)))->der());
  const crypto::Sha256Digest digest = crypto::Sha256(item.data());
  item.mutable_digest()->set_algorithm(v1::HASH_ALGORITHM_SHA256);
  item.mutable_digest()->set_value(std::string(digest.begin(), digest.end()));
  constexpr int kItems = 3000;
  v1::VerifyBatchRequest batch;
  for (int i = 0; i < kItems; ++i) *batch.add_requests() = item;

  grpc::ClientContext ctx;
  v1::VerifyBatchResponse resp;
  absl::Notification done;
  grpc::Status status;
  server.stub().async()->VerifyBatch(&ctx, &batch, &resp, [&](grpc::Status s) {
    status = std::move(s);
    done.Notify();
  });
  auto counted = [&] {
    return CounterSum(server.registry(), "sigverify_items_total") +
           CounterSum(server.registry(), "sigverify_item_errors_total");
  };
  // Cancel once the worker is verifying this call's items.
  // Sleeping, not spinning: gRPC's own threads need the CPU to deliver the
  // cancellation on a two-core machine.
  while (counted() == 0 && !done.HasBeenNotified()) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  ctx.TryCancel();
  done.WaitForNotification();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED);
  // The worker finishes the call quickly, accounting for every item once:
  // verified before the cancel, or skipped after it.
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (counted() < kItems && absl::Now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(counted(), kItems);
  EXPECT_GT(CounterSum(server.registry(), "sigverify_item_errors_total"), 0);
  EXPECT_LT(CounterSum(server.registry(), "sigverify_items_total"), kItems);
}

TEST(VerificationServiceTest, ItemsAreCountedByAlgorithmAndIndication) {
  TestService server({});
  grpc::ClientContext ctx;
  v1::VerifyResponse resp;
  ASSERT_TRUE(server.stub().Verify(&ctx, RsaRequest(), &resp).ok());
  bool found = false;
  for (const auto& family : server.registry().Collect()) {
    if (family.name != "sigverify_items_total") continue;
    for (const auto& m : family.metric) {
      std::map<std::string, std::string> labels;
      for (const auto& l : m.label) labels[l.name] = l.value;
      if (labels["method"] == "Verify" && labels["algorithm"] == "rsa_pkcs1_v15_sha256" &&
          labels["indication"] == "total_passed") {
        EXPECT_EQ(m.counter.value, 1);
        found = true;
      }
    }
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace sigverify::service
