#include "service/response_encoding.h"

#include <google/protobuf/arena.h>
#include <google/protobuf/util/message_differencer.h>
#include <grpcpp/support/proto_buffer_reader.h>
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "service/verifier.h"
#include "tests/testing/test_files.h"

namespace sigverify::service {
namespace {

using google::protobuf::util::MessageDifferencer;

v1::Certificate CertificateNumber(int i) {
  v1::Certificate c;
  c.set_subject(absl::StrCat("C=VN,O=UBND phường Hoàn Kiếm,CN=Nguyễn Văn Thành ", i));
  c.set_issuer("C=VN,O=Ban Cơ yếu Chính phủ,CN=CA phục vụ các cơ quan Nhà nước G2");
  c.set_serial_number(absl::StrCat("5E0A", i));
  c.set_sha256_fingerprint(absl::StrCat(std::string(60, 'a'), 1000 + i));
  c.mutable_not_before()->set_seconds(1700000000 + i);
  c.mutable_not_after()->set_seconds(1800000000 + i);
  return c;
}

// A verdict with a signer and a path of three, as the verifier builds it.
void FillVerdict(int signer, v1::VerifyResponse* r) {
  r->set_record_id(absl::StrCat("công-văn-", signer));
  r->set_indication(v1::INDICATION_TOTAL_PASSED);
  r->set_message("Chữ ký và đường dẫn chứng thư hợp lệ");
  *r->mutable_signer() = CertificateNumber(signer);
  *r->add_path() = CertificateNumber(signer);
  *r->add_path() = CertificateNumber(-1);
  *r->add_path() = CertificateNumber(-2);
  r->mutable_validation_time()->set_seconds(1765000000);
  r->set_trust_store_version("ts-1");
  r->set_policy("default");
  v1::RevocationEvidence* e = r->add_revocation();
  e->set_position(1);
  e->set_status("good");
  e->set_responder("C=VN,CN=Máy chủ OCSP");
}

template <typename Message>
Message Decoded(grpc::ByteBuffer& bytes) {
  grpc::ProtoBufferReader reader(&bytes);
  Message m;
  EXPECT_TRUE(m.ParseFromZeroCopyStream(&reader));
  return m;
}

// Encodes `m`; expects the bytes to decode to `m` and `m` unchanged.
template <typename Message>
void ExpectEncodesToItself(Message& m) {
  const Message before = m;
  grpc::ByteBuffer bytes;
  ASSERT_TRUE(EncodeResponse(m, &bytes));
  EXPECT_EQ(bytes.Length(), before.ByteSizeLong());
  const Message decoded = Decoded<Message>(bytes);
  EXPECT_TRUE(MessageDifferencer::Equals(before, decoded)) << decoded.DebugString();
  // The message is whole again, its certificates in their order.
  EXPECT_TRUE(MessageDifferencer::Equals(before, m)) << m.DebugString();
}

TEST(ResponseEncodingTest, ABatchDecodesToItselfAndIsWholeAfter) {
  google::protobuf::Arena arena;
  auto* batch = google::protobuf::Arena::CreateMessage<v1::VerifyBatchResponse>(&arena);
  for (int i = 0; i < 20; ++i) FillVerdict(i % 3, batch->add_results()->mutable_response());
  // An item refused as malformed, a verdict without a signer (a certificate
  // that did not parse) and one that failed with a certificate named.
  v1::ItemError* error = batch->add_results()->mutable_error();
  error->set_record_id("hỏng");
  error->set_code(3);
  error->set_message("signer_certificate: không phải chứng thư DER");
  batch->add_results()->mutable_response()->set_record_id("không có người ký");
  v1::VerifyResponse* failed = batch->add_results()->mutable_response();
  FillVerdict(7, failed);
  *failed->mutable_failed_check()->mutable_certificate() = CertificateNumber(7);
  ExpectEncodesToItself(*batch);
  // Again, now that the thread's table has these certificates.
  ExpectEncodesToItself(*batch);
}

TEST(ResponseEncodingTest, MessagesOffTheArenaToo) {
  v1::VerifyBatchResponse batch;
  for (int i = 0; i < 5; ++i) FillVerdict(i, batch.add_results()->mutable_response());
  ExpectEncodesToItself(batch);
  v1::VerifyResponse unary;
  FillVerdict(3, &unary);
  ExpectEncodesToItself(unary);
  v1::VerifyResponse empty;
  ExpectEncodesToItself(empty);
}

TEST(ResponseEncodingTest, StreamAnswersWithAVerdictOrAnError) {
  google::protobuf::Arena arena;
  auto* answer = google::protobuf::Arena::CreateMessage<v1::VerifyStreamResponse>(&arena);
  answer->set_sequence(41);
  FillVerdict(2, answer->mutable_response());
  ExpectEncodesToItself(*answer);
  v1::VerifyStreamResponse refused;
  refused.set_sequence(42);
  refused.mutable_error()->set_code(8);
  refused.mutable_error()->set_message("quá hạn mức");
  ExpectEncodesToItself(refused);
}

TEST(ResponseEncodingTest, CertificatesSharingASlotStayTheirOwn) {
  // More certificates in one batch than the thread's table has slots: an
  // encoding is held by the response that uses it while others replace it.
  v1::VerifyBatchResponse batch;
  for (int i = 0; i < 3000; ++i) FillVerdict(i, batch.add_results()->mutable_response());
  ExpectEncodesToItself(batch);
}

TEST(ResponseEncodingTest, AnEncodingIsItsCertificatesExactly) {
  CertificateEncodings encodings(4);
  const v1::Certificate c = CertificateNumber(1);
  auto first = encodings.Of(c);
  EXPECT_EQ(first->encoding, c.SerializeAsString());
  EXPECT_EQ(encodings.Of(c), first) << "a certificate seen before is not encoded again";
  // The same fingerprint with another field: encoded afresh, for each field.
  for (int field = 0; field < 5; ++field) {
    v1::Certificate other = c;
    switch (field) {
      case 0:
        other.set_subject("C=VN,CN=Người khác");
        break;
      case 1:
        other.set_issuer("C=VN,CN=CA khác");
        break;
      case 2:
        other.set_serial_number("01");
        break;
      case 3:
        other.mutable_not_before()->set_nanos(1);
        break;
      case 4:
        other.clear_not_after();
        break;
    }
    EXPECT_EQ(encodings.Of(other)->encoding, other.SerializeAsString()) << "field " << field;
    EXPECT_EQ(encodings.Of(c)->encoding, c.SerializeAsString()) << "field " << field;
  }
}

std::vector<crypto::CertificatePtr> TestPath() {
  std::vector<crypto::CertificatePtr> path;
  for (const char* name : {"signer-rsa.pem", "ca.pem", "root.pem"}) {
    auto c = crypto::Certificate::Parse(testing::PkiFile(name));
    EXPECT_TRUE(c.ok()) << name << ": " << c.status();
    path.push_back(*c);
  }
  return path;
}

v1::VerifyResponse Expected(const std::vector<crypto::CertificatePtr>& path) {
  v1::VerifyResponse r;
  ToProto(*path[0], r.mutable_signer());
  for (const crypto::CertificatePtr& c : path) ToProto(*c, r.add_path());
  return r;
}

TEST(ResponseEncodingTest, VerdictsOnAnArenaShareTheirCertificates) {
  const std::vector<crypto::CertificatePtr> path = TestPath();
  const v1::VerifyResponse expected = Expected(path);
  v1::VerifyBatchResponse copy;
  {
    google::protobuf::Arena arena;
    auto* batch = google::protobuf::Arena::CreateMessage<v1::VerifyBatchResponse>(&arena);
    for (int i = 0; i < 3; ++i) {
      SetVerdictCertificates(*path[0], path, batch->add_results()->mutable_response());
    }
    const v1::VerifyResponse& first = batch->results(0).response();
    EXPECT_TRUE(MessageDifferencer::Equals(first, expected)) << first.DebugString();
    // One message per certificate, whatever the number of verdicts.
    EXPECT_EQ(&first.signer(), &first.path(0));
    EXPECT_EQ(&batch->results(2).response().signer(), &first.signer());
    EXPECT_EQ(&batch->results(2).response().path(1), &first.path(1));
    ExpectEncodesToItself(*batch);
    // Encoded on another thread, whose table does not have them yet.
    std::thread([&] { ExpectEncodesToItself(*batch); }).join();
    copy = *batch;
  }
  // The arena is gone; what it shared is not, and was not changed.
  google::protobuf::Arena arena;
  auto* again = google::protobuf::Arena::CreateMessage<v1::VerifyResponse>(&arena);
  SetVerdictCertificates(*path[0], path, again);
  EXPECT_TRUE(MessageDifferencer::Equals(*again, expected)) << again->DebugString();
  EXPECT_TRUE(MessageDifferencer::Equals(copy.results(1).response(), expected));
}

TEST(ResponseEncodingTest, VerdictsOffAnArenaOwnCopies) {
  const std::vector<crypto::CertificatePtr> path = TestPath();
  v1::VerifyResponse a, b;
  SetVerdictCertificates(*path[0], path, &a);
  SetVerdictCertificates(*path[0], path, &b);
  EXPECT_TRUE(MessageDifferencer::Equals(a, Expected(path)));
  EXPECT_NE(&a.signer(), &b.signer());
  a.mutable_signer()->set_subject("changed");  // its own
  EXPECT_TRUE(MessageDifferencer::Equals(b, Expected(path)));
}

TEST(ResponseEncodingTest, TheEncoderKnowsEveryField) {
  // SameCertificate compares every field of v1::Certificate, and the batch
  // and stream encoders write the fields they know: a field added to one of
  // these messages needs them changed too.
  EXPECT_EQ(v1::Certificate::descriptor()->field_count(), 6);
  EXPECT_EQ(v1::VerifyBatchResponse::descriptor()->field_count(), 1);
  EXPECT_EQ(v1::VerifyBatchItem::descriptor()->field_count(), 2);
}

}  // namespace
}  // namespace sigverify::service
