#include "service/request_check.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace sigverify::service {
namespace {

v1::VerifyRequest Valid() {
  v1::VerifyRequest r;
  r.set_record_id("r1");
  r.set_data("hello");
  r.set_signature("sig");
  r.set_algorithm(v1::SIGNATURE_ALGORITHM_RSA_PKCS1_V15_SHA256);
  r.set_signer_certificate("cert");
  return r;
}

void ExpectRefused(const v1::VerifyRequest& r, const std::string& names,
                   const Limits& limits = {}) {
  auto s = CheckRequest(r, limits).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_NE(s.message().find(names), std::string::npos) << s.message();
}

TEST(RequestCheckTest, AcceptsAWellFormedRequest) { EXPECT_TRUE(CheckRequest(Valid(), {}).ok()); }

TEST(RequestCheckTest, EveryAlgorithmHasParams) {
  for (int a = 1; a < v1::SignatureAlgorithm_ARRAYSIZE; ++a) {
    EXPECT_TRUE(ParamsFor(static_cast<v1::SignatureAlgorithm>(a)).ok()) << a;
  }
  EXPECT_FALSE(ParamsFor(v1::SIGNATURE_ALGORITHM_UNSPECIFIED).ok());
  EXPECT_FALSE(ParamsFor(static_cast<v1::SignatureAlgorithm>(99)).ok());
}

TEST(RequestCheckTest, RefusesMissingFields) {
  auto r = Valid();
  r.clear_signature();
  ExpectRefused(r, "signature");
  r = Valid();
  r.clear_signer_certificate();
  ExpectRefused(r, "signer_certificate");
  r = Valid();
  r.clear_data();
  ExpectRefused(r, "content");
  r = Valid();
  r.set_algorithm(v1::SIGNATURE_ALGORITHM_UNSPECIFIED);
  ExpectRefused(r, "algorithm");
}

TEST(RequestCheckTest, EachLimitIsNamed) {
  Limits limits;
  limits.max_data_bytes = 4;
  ExpectRefused(Valid(), "data is 5 bytes, over the limit of 4", limits);
  limits = {};
  limits.max_signature_bytes = 2;
  ExpectRefused(Valid(), "signature is 3 bytes, over the limit of 2", limits);
  limits = {};
  limits.max_certificate_bytes = 3;
  ExpectRefused(Valid(), "signer_certificate is 4 bytes", limits);
  auto r = Valid();
  for (int i = 0; i < 3; ++i) r.add_intermediate_certificates("c");
  limits = {};
  limits.max_intermediates = 2;
  ExpectRefused(r, "intermediate_certificates: 3 certificates, over the limit of 2", limits);
  limits = {};
  r = Valid();
  for (int i = 0; i < 3; ++i) r.add_ocsp_responses("ocsp");
  limits.max_ocsp_responses = 2;
  ExpectRefused(r, "ocsp_responses: 3 responses, over the limit of 2", limits);
  limits = {};
  limits.max_ocsp_response_bytes = 3;
  ExpectRefused(r, "ocsp_responses[0] is 4 bytes", limits);
  limits = {};
  r = Valid();
  r.set_record_id(std::string(300, 'x'));
  ExpectRefused(r, "record_id");
}

// The probe: a valid path of five CAs with a CRL each was refused (the
// limit was 4 CRLs). The defaults carry the longest path accepted: a
// complete and a delta CRL and an OCSP response for each certificate below
// the anchor, each CA and a CRL signer of its own as intermediates.
TEST(RequestCheckTest, DefaultLimitsCarryTheLongestPathAccepted) {
  const int below_anchor = crypto::kMaxPathLength - 1;
  auto r = Valid();
  for (int i = 0; i < 2 * below_anchor; ++i) r.add_crls("crl");
  for (int i = 0; i < below_anchor; ++i) r.add_ocsp_responses("ocsp");
  for (int i = 0; i < 2 * (crypto::kMaxPathLength - 2); ++i) r.add_intermediate_certificates("c");
  EXPECT_TRUE(CheckRequest(r, {}).ok()) << CheckRequest(r, {}).status();
  r.add_crls("crl");
  ExpectRefused(r, absl::StrCat("crls: ", 2 * below_anchor + 1, " CRLs, over the limit of ",
                                2 * below_anchor));
}

TEST(RequestCheckTest, DigestMustMatchTheAlgorithmsHashAndLength) {
  auto r = Valid();
  r.mutable_digest()->set_algorithm(v1::HASH_ALGORITHM_SHA384);
  r.mutable_digest()->set_value(std::string(48, 'x'));
  ExpectRefused(r, "does not match");
  r.mutable_digest()->set_algorithm(v1::HASH_ALGORITHM_SHA256);
  r.mutable_digest()->set_value(std::string(31, 'x'));
  ExpectRefused(r, "32 bytes, got 31");
  r.mutable_digest()->set_value(std::string(32, 'x'));
  EXPECT_TRUE(CheckRequest(r, {}).ok());
  r.set_algorithm(v1::SIGNATURE_ALGORITHM_ED25519);
  ExpectRefused(r, "Ed25519");
}

}  // namespace
}  // namespace sigverify::service
