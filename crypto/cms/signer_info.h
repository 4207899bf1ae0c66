// One SignerInfo of a SignedData (RFC 5652 5.3): what it says, read without
// checking anything (ReadSignerInfo), and the check of its signature over
// the content (VerifySignerInfo): the algorithm policy, the messageDigest,
// the signed attributes' rules (exactly one content-type equal to the
// eContentType and one messageDigest, RFC 5652 11; CMSAlgorithmProtection,
// RFC 6211; ESS signingCertificate / signingCertificateV2, RFC 5035, when
// present) and the signature over the DER of the signed attributes, or over
// the content when there are none.
#ifndef SIGVERIFY_CRYPTO_CMS_SIGNER_INFO_H_
#define SIGVERIFY_CRYPTO_CMS_SIGNER_INFO_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "crypto/algorithm.h"
#include "crypto/certificate.h"
#include "crypto/cms/signed_data.h"
#include "crypto/failure.h"
#include "crypto/validation_policy.h"
#include "crypto/verdict.h"

namespace sigverify::crypto::cms {

struct SignerInfoFacts {
  // The certificate the sid names, from the SignedData's certificates or
  // the caller's; null when none matches.
  CertificatePtr signer;
  // The sid in words: "issuer <DN>, serial <hex>" or "subjectKeyIdentifier <hex>".
  std::string signer_id;
  // digestAlgorithm; kNone when it is none of SHA-1/-256/-384/-512 (see
  // digest_name).
  HashAlgorithm digest = HashAlgorithm::kNone;
  std::string digest_name;
  // The signature scheme, when the signatureAlgorithm is understood (with
  // its hash equal to digestAlgorithm's); else why not.
  SignatureParams params;
  absl::Status params_status;
  std::string signature_name;        // "RSA PKCS#1 v1.5", "RSA-PSS", "ECDSA", "Ed25519", or the OID
  std::string_view signature_value;  // into the SignedData
  bool has_signed_attributes = false;
  // The signingTime attribute; InfinitePast when absent.
  absl::Time claimed_signing_time = absl::InfinitePast();
  // id-aa-signatureTimeStampToken attribute values (RFC 3161 appendix A),
  // each a DER ContentInfo.
  std::vector<std::string> timestamp_tokens;
  int counter_signatures = 0;
  bool has_signing_certificate_attribute = false;
};

// `more_certificates`: the caller's (request, PDF DSS), searched after the
// SignedData's own. Errors: format_error.h (a signed attribute that cannot
// be read, a signingTime twice).
absl::StatusOr<SignerInfoFacts> ReadSignerInfo(const SignedData& signed_data, int index,
                                               absl::Span<const CertificatePtr> more_certificates);

// What the signature covers: the bytes, in pieces (a PDF's ByteRange is
// two), or a digest of them the caller computed.
struct ContentToCheck {
  absl::Span<const std::string_view> pieces;
  HashAlgorithm digest_algorithm = HashAlgorithm::kNone;  // not kNone: `digest` is given
  std::string_view digest;
};

struct SignerCheck {
  SubIndication sub_indication = SubIndication::kNone;
  Failure failed;  // set unless sub_indication is kNone
  bool ok() const { return sub_indication == SubIndication::kNone; }
};

// `algorithms`: the policy's constraints at the best signature time.
SignerCheck VerifySignerInfo(const SignedData& signed_data, int index, const SignerInfoFacts& facts,
                             const ContentToCheck& content, const AlgorithmPolicy& algorithms);

// The digest of `pieces` under `hash`.
std::string DigestOf(HashAlgorithm hash, absl::Span<const std::string_view> pieces);

}  // namespace sigverify::crypto::cms

#endif  // SIGVERIFY_CRYPTO_CMS_SIGNER_INFO_H_
