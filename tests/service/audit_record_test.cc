#include "service/audit_record.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "service/access/client_identity.h"
#include "service/audit/leaf_encoding.h"
#include "tests/testing/test_files.h"

namespace sigverify::service {
namespace {

v1::VerifyResponse Verdict() {
  v1::VerifyResponse response;
  response.set_indication(v1::INDICATION_TOTAL_PASSED);
  v1::Certificate* signer = response.mutable_signer();
  signer->set_subject("CN=Nguyễn Văn An,O=UBND Thành phố Hà Nội,C=VN");
  signer->set_issuer("CN=CA phục vụ các cơ quan Nhà nước,O=Ban Cơ yếu Chính phủ,C=VN");
  signer->set_serial_number("0A1B");
  signer->set_sha256_fingerprint(std::string(64, 'a'));
  return response;
}

v1::VerifyRequest Request() {
  v1::VerifyRequest request;
  request.set_record_id("CV-2026/7");
  request.set_data("van ban");
  request.set_signature("chu ky");
  return request;
}

// What AuditLog::Prepare makes of AuditRecordOf's message.
audit::PreparedRecord ThroughTheMessage(const CallInfo& call, const v1::VerifyRequest& request,
                                        const v1::VerifyResponse& response,
                                        audit::RecordAttachments attachments, absl::Time now,
                                        const std::string& shard) {
  v1::AuditRecord record = AuditRecordOf(call, request, response, attachments, now);
  record.set_shard(shard);
  auto leaf = audit::EncodeWithoutSequence(record);
  EXPECT_TRUE(leaf.ok());
  audit::PreparedRecord out{audit::IndexColumns(record, std::move(leaf->bytes)), leaf->sequence_at};
  out.signer_der = std::move(attachments.signer_der);
  out.row.responses = std::move(attachments.responses);
  return out;
}

// The record encoded straight from the verdict is the record the message
// gives: the same leaf bytes (so the same leaf hash), the same place for the
// sequence, the same index columns and attachments, over the ways a
// verified item's call, request and verdict vary.
TEST(AuditRecord, EncodedDirectlyIsTheMessagesRecord) {
  auto identity = access::IdentityFromPem(
      testing::ReadFile(testing::TestDataDir() + "/vn-gca/ee-g2-cuc-thue-2025.pem"));
  ASSERT_TRUE(identity.ok()) << identity.status();
  const auto der = std::make_shared<const std::string>("signer DER");
  const absl::Time now = absl::FromUnixMicros(1796000000123456);
  int cases = 0;
  for (int variant = 0; variant < 64; ++variant) {
    const bool bit[6] = {(variant & 1) != 0, (variant & 2) != 0,  (variant & 4) != 0,
                         (variant & 8) != 0, (variant & 16) != 0, (variant & 32) != 0};
    CallInfo call;
    call.method = bit[0] ? "VerifyBatch" : "Verify";
    call.request_id = bit[1] ? "req-7f3a" : "";
    call.caller = "ipv4:127.0.0.1:50321";
    call.arrived = bit[2] ? now - absl::Microseconds(1234) : now + absl::Seconds(1);
    if (bit[3]) call.authorized.identity = *identity;

    v1::VerifyRequest request = Request();
    if (bit[4]) {
      request.mutable_digest()->set_value(std::string(32, '\x5a'));
      request.clear_data();
    }
    if (bit[5]) request.set_record_id(std::string(300, 'r'));  // a two-byte length

    v1::VerifyResponse response = Verdict();
    switch (variant % 5) {
      case 0:
        response.clear_signer();
        break;
      case 1:
        response.set_indication(v1::INDICATION_TOTAL_FAILED);
        response.set_sub_indication(v1::SUB_INDICATION_REVOKED_NO_POE);
        break;
      case 2:
        response.set_indication(v1::INDICATION_INDETERMINATE);
        response.set_validation_time_from_request(true);
        break;
      case 3:
        response.set_validation_time_from_request(true);
        response.set_validation_time_attested(true);
        break;
      default:
        break;
    }
    response.set_policy(variant % 3 == 0 ? "" : "vn-gov");
    response.set_trust_store_version(std::string(64, 'v'));
    response.mutable_validation_time()->set_seconds(variant % 2 == 0 ? 1796000000 : -86400);
    response.mutable_validation_time()->set_nanos(variant % 4 == 0 ? 0 : 500);
    for (int i = 0; i < variant % 4; ++i) {
      response.add_path()->set_sha256_fingerprint(std::string(64, static_cast<char>('a' + i)));
    }
    for (int i = 0; i < variant % 3; ++i) {
      v1::RevocationEvidence* e = response.add_revocation();
      e->set_position(i);
      e->set_status(i == 0 ? "good" : "revoked");
      e->set_source("ocsp");
      e->set_from_cache(i == 1);
      e->mutable_this_update()->set_seconds(1795990000 + i);
    }

    audit::RecordAttachments attachments;
    if (variant % 2 == 1) attachments.signer_der = der;
    if (variant % 7 == 0) attachments.data_sha256 = std::string(32, '\x11');
    attachments.responses.push_back({der, "ab"});

    std::shared_ptr<CertificateEncodings::Entry> signer;
    if (response.has_signer()) {
      signer = std::make_shared<CertificateEncodings::Entry>();
      signer->certificate = response.signer();
      signer->encoding = response.signer().SerializeAsString();
    }
    const std::string shard = variant % 8 == 0 ? "" : "hanoi-01";
    audit::PreparedRecord direct =
        PrepareVerifyRecord(call, request, response, attachments, now, shard, signer);
    audit::PreparedRecord expected =
        ThroughTheMessage(call, request, response, attachments, now, shard);
    SCOPED_TRACE(absl::StrCat("variant ", variant));
    EXPECT_EQ(direct.row.leaf, expected.row.leaf);
    EXPECT_EQ(direct.sequence_at, expected.sequence_at);
    EXPECT_EQ(direct.row.time_micros, expected.row.time_micros);
    EXPECT_EQ(direct.row.record_id, expected.row.record_id);
    EXPECT_EQ(direct.row.signer.sha256, expected.row.signer.sha256);
    // With the DER attached, the writer takes the other columns from the
    // signer it is handed (the row it sends the DER with); else the row has
    // them.
    const bool handed = signer != nullptr && attachments.signer_der != nullptr;
    ASSERT_EQ(direct.signer != nullptr, handed);
    const audit::CertificateRow columns =
        handed ? audit::CertificateRow{"", direct.signer->subject(), direct.signer->issuer(),
                                       direct.signer->serial_number(), ""}
               : direct.row.signer;
    if (handed) {
      EXPECT_EQ(direct.row.signer.subject, "");
    }
    EXPECT_EQ(columns.subject, expected.row.signer.subject);
    EXPECT_EQ(columns.issuer, expected.row.signer.issuer);
    EXPECT_EQ(columns.serial, expected.row.signer.serial);
    EXPECT_EQ(direct.row.signer.der, expected.row.signer.der);
    EXPECT_EQ(direct.row.indication, expected.row.indication);
    EXPECT_EQ(direct.row.caller, expected.row.caller);
    EXPECT_EQ(direct.signer_der, expected.signer_der);
    ASSERT_EQ(direct.row.responses.size(), expected.row.responses.size());
    EXPECT_EQ(direct.row.responses[0].der, expected.row.responses[0].der);
    // And the writer's sequence goes in where the message's would, in the
    // room reserved for it.
    const char* const place = direct.row.leaf.data();
    audit::InsertSequence(direct.row.leaf, direct.sequence_at, 4242);
    EXPECT_EQ(direct.row.leaf.data(), place);
    audit::InsertSequence(expected.row.leaf, expected.sequence_at, 4242);
    EXPECT_EQ(direct.row.leaf, expected.row.leaf);
    ++cases;
  }
  EXPECT_EQ(cases, 64);
}

// PrepareVerifyRecord writes each field of AuditRecord that a verified item
// sets; a new field must be added there too (this fails until the count is
// updated with it).
TEST(AuditRecord, FieldsTheDirectEncodingKnows) {
  EXPECT_EQ(v1::AuditRecord::descriptor()->field_count(), 30);
}

}  // namespace
}  // namespace sigverify::service
