#include "crypto/record_verifier.h"

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
  const AlgorithmPolicy& algorithms = policy.AlgorithmsAt(record.validation_time);
  // Cryptographic constraints first: nothing is computed with a key or hash
  // the policy refuses.
  if (record.params.scheme != SignatureScheme::kEd25519) {
    if (auto refused = CheckSignatureHash(algorithms, record.params.hash, "chữ ký trên tài liệu",
                                          "the document signature")) {
      return Verdict::Failed(SubIndication::kCryptoConstraintsFailure, *std::move(refused),
                             {"documentSignatureAlgorithm", 1, record.signer});
    }
  }
  if (auto refused = CheckKeyStrength(algorithms, key, "người ký", "the signer's")) {
    return Verdict::Failed(SubIndication::kCryptoConstraintsFailure, *std::move(refused),
                           {"keySize", 1, record.signer});
  }

  // The signature before the path: a wrong signature is TOTAL_FAILED however
  // the path turns out.
  SignatureCheck check = VerifySignature(key, record.params, record.content, record.signature);
  if (check.status != SignatureStatus::kValid) {
    return Verdict::Failed(SubIndicationFor(check.status), std::move(check.message),
                           {"signature", 1, record.signer});
  }

  PathResult path = paths.Validate(record.signer, record.intermediates, record.validation_time,
                                   policy, record.revocation);
  if (!path.ok()) {
    return Verdict::Failed(path.sub_indication, std::move(path.message), std::move(path.failed),
                           std::move(path.revocation));
  }
  return Verdict::Passed(std::move(path.path), std::move(path.revocation));
}

}  // namespace sigverify::crypto
