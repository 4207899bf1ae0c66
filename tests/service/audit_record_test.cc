#include "service/audit_record.h"

#include <gtest/gtest.h>

#include "absl/time/time.h"

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

// A worker's record (on its arena) names the response's signer without
// copying it; the arena's reset leaves the response's message whole.
TEST(AuditRecord, OnAnArenaTheSignerIsSharedNotCopied) {
  const v1::VerifyResponse response = Verdict();
  const std::string signer_bytes = response.signer().SerializeAsString();
  AuditRecordScratch scratch;
  for (int i = 0; i < 3; ++i) {
    v1::AuditRecord& record = scratch.Fresh();
    FillAuditRecord(CallInfo{}, Request(), response, {}, absl::FromUnixSeconds(1796000000), record);
    EXPECT_EQ(&record.signer(), &response.signer());
  }
  scratch.Fresh();
  EXPECT_EQ(response.signer().SerializeAsString(), signer_bytes);
}

// Off an arena the record owns a copy, equal to the response's.
TEST(AuditRecord, OffAnArenaTheSignerIsACopy) {
  const v1::VerifyResponse response = Verdict();
  v1::AuditRecord record =
      AuditRecordOf(CallInfo{}, Request(), response, {}, absl::FromUnixSeconds(1796000000));
  EXPECT_NE(&record.signer(), &response.signer());
  EXPECT_EQ(record.signer().SerializeAsString(), response.signer().SerializeAsString());
}

// A verdict without a signer still records an (empty) signer field, as
// records always did.
TEST(AuditRecord, NoSignerIsAnEmptySigner) {
  v1::VerifyResponse response = Verdict();
  response.clear_signer();
  AuditRecordScratch scratch;
  v1::AuditRecord& record = scratch.Fresh();
  FillAuditRecord(CallInfo{}, Request(), response, {}, absl::FromUnixSeconds(1796000000), record);
  EXPECT_TRUE(record.has_signer());
  EXPECT_EQ(record.signer().ByteSizeLong(), 0u);
}

}  // namespace
}  // namespace sigverify::service
