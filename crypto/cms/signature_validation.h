// The validation of one CMS signature as ETSI EN 319 102-1 describes it for
// a signature with its timestamps: each signature timestamp is verified
// (its token's signature, its messageImprint over the signature value, the
// TSA's path at the validation time with a timeStamping-only EKU); the
// earliest valid one is the best signature time (5.6.2.4, proof of
// existence); the signature, its algorithm constraints, the signer's path and
// its revocation are then judged at that time, so that a signer revoked or
// expired after it, or an algorithm retired after it, still passes. Without
// a valid timestamp the best signature time is the validation time (now).
#ifndef SIGVERIFY_CRYPTO_CMS_SIGNATURE_VALIDATION_H_
#define SIGVERIFY_CRYPTO_CMS_SIGNATURE_VALIDATION_H_

#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "absl/types/span.h"
#include "crypto/certificate.h"
#include "crypto/cms/signed_data.h"
#include "crypto/cms/signer_info.h"
#include "crypto/cms/tst_info.h"
#include "crypto/path_validator.h"
#include "crypto/revocation.h"
#include "crypto/validation_policy.h"

namespace sigverify::crypto::cms {

// A timestamp's genTime may lead the validation time by this much.
inline constexpr absl::Duration kTimestampSkew = absl::Minutes(5);

struct ValidationContext {
  const PathValidator* paths = nullptr;
  const ValidationPolicy* policy = nullptr;
  absl::Time now;
  // Certificates, OCSP responses and CRLs from outside the SignedData (the
  // request, a PDF's DSS).
  absl::Span<const CertificatePtr> certificates;
  absl::Span<const std::string_view> ocsp_responses;
  absl::Span<const std::string_view> crls;
  CmsLimits limits;
  // When something outside the signature already proves it existed (a
  // later PDF document timestamp over the revision holding it): that time.
  absl::Time proven_existing_at = absl::InfiniteFuture();
};

// Facts that do not change a verdict but that a reader should see.
enum class Note {
  kNoSigningCertificateAttribute,  // no ESS signingCertificate(V2) (allowed by the default policy)
  kSigningTimeSevenHoursAhead,     // claimed time = timestamp + 7 h: local time written as UTC
  kSigningTimeAfterTimestamp,      // claimed later than the timestamp proves
  kCounterSignatures,              // present, not validated
  kTimestampFailed,                // a signature timestamp did not verify: no proof from it
  kUnreadableCertificates,         // certificates in the CMS that could not be parsed
};

struct TimestampVerdict {
  SubIndication sub_indication = SubIndication::kNone;
  Failure failed;
  TstInfo info;  // when the token could be read
  bool info_read = false;
  CertificatePtr tsa;
  std::vector<CertificatePtr> path;
  std::vector<RevocationEvidence> revocation;
  bool ok() const { return sub_indication == SubIndication::kNone; }
};

struct SignatureVerdict {
  SubIndication sub_indication = SubIndication::kNone;
  Failure failed;
  SignerInfoFacts facts;
  bool facts_read = false;
  std::vector<TimestampVerdict> timestamps;  // one per signature timestamp, in order
  absl::Time best_signature_time;
  bool best_from_timestamp = false;
  std::vector<CertificatePtr> path;
  std::vector<RevocationEvidence> revocation;
  std::vector<Note> notes;
  bool ok() const { return sub_indication == SubIndication::kNone; }
};

// A timestamp token (a ContentInfo) over `imprinted` (the bytes its
// messageImprint must be the hash of, or their digest).
TimestampVerdict VerifyTimestampToken(std::string_view token, const ContentToCheck& imprinted,
                                      const ValidationContext& context);

// SignerInfo `index` of `signed_data`, over `content`. The best signature
// time is the earliest of its valid signature timestamps and
// `context.proven_existing_at`.
SignatureVerdict VerifyCmsSignature(const SignedData& signed_data, int index,
                                    const ContentToCheck& content,
                                    const ValidationContext& context);

}  // namespace sigverify::crypto::cms

#endif  // SIGVERIFY_CRYPTO_CMS_SIGNATURE_VALIDATION_H_
