#include "crypto/record_verifier.h"

#include "absl/strings/str_cat.h"

namespace sigverify::crypto {
namespace {

SubIndication SubIndicationFor(SignatureStatus status) {
  switch (status) {
    case SignatureStatus::kValid:
      return SubIndication::kNone;
    case SignatureStatus::kInvalid:
      return SubIndication::kSigCryptoFailure;
    case SignatureStatus::kHashMismatch:
      return SubIndication::kHashFailure;
    case SignatureStatus::kMalformed:
    case SignatureStatus::kKeyMismatch:
      return SubIndication::kFormatFailure;
  }
  return SubIndication::kSigCryptoFailure;
}

}  // namespace

Verdict VerifyRecord(const Record& record, const PathValidator& paths,
                     const ValidationPolicy& policy) {
  const PublicKey& key = record.signer->public_key();
  // Cryptographic constraints first: nothing is computed with a key or hash
  // the policy refuses.
  if (record.params.hash == HashAlgorithm::kSha1 && !policy.allow_sha1 &&
      record.params.scheme != SignatureScheme::kEd25519) {
    return Verdict::Failed(SubIndication::kCryptoConstraintsFailure,
                           "SHA-1 signatures are refused by the validation policy");
  }
  if ((key.type() == KeyType::kRsa || key.type() == KeyType::kRsaPss) &&
      key.bits() < policy.min_rsa_bits) {
    return Verdict::Failed(
        SubIndication::kCryptoConstraintsFailure,
        absl::StrCat("the signer's ", key.Describe(), " key is below the policy minimum of ",
                     policy.min_rsa_bits, " bits"));
  }

  // The signature before the path: a wrong signature is TOTAL_FAILED however
  // the path turns out.
  SignatureCheck check = VerifySignature(key, record.params, record.content, record.signature);
  if (check.status != SignatureStatus::kValid) {
    return Verdict::Failed(SubIndicationFor(check.status), std::move(check.message));
  }

  PathResult path = paths.Validate(record.signer, record.intermediates, record.validation_time);
  if (!path.ok()) return Verdict::Failed(path.sub_indication, std::move(path.message));
  return Verdict::Passed(std::move(path.path));
}

}  // namespace sigverify::crypto
