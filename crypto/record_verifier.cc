#include "crypto/record_verifier.h"

namespace sigverify::crypto {
namespace {

// A failure of the document signature or the signer's key: certificate 1.
Failure OnSigner(Failure failure, const Record& record) {
  failure.position = 1;
  failure.certificate = record.signer;
  failure.validation_time = record.validation_time;
  return failure;
}

}  // namespace

RecordProgress BeginRecord(const Record& record, const PathValidator& paths,
                           const ValidationPolicy& policy) {
  const PublicKey& key = record.signer->public_key();
  const AlgorithmPolicy& algorithms = policy.AlgorithmsAt(record.validation_time);
  // Cryptographic constraints first: nothing is computed with a key or hash
  // the policy refuses.
  if (record.params.scheme != SignatureScheme::kEd25519) {
    if (auto refused = CheckSignatureHash(algorithms, record.params.hash,
                                          FailureReason::kDocumentHashRefused)) {
      return {Verdict::Failed(SubIndication::kCryptoConstraintsFailure,
                              OnSigner(*std::move(refused), record)),
              {}};
    }
  }
  if (auto refused = CheckKeyStrength(algorithms, key)) {
    return {Verdict::Failed(SubIndication::kCryptoConstraintsFailure,
                            OnSigner(*std::move(refused), record)),
            {}};
  }

  // Cheap before expensive: a signer no trust anchor vouches for is answered
  // before any signature math, so an untrusted key (whatever its size) costs
  // a lookup, not an exponentiation. The path is memoised per signer.
  PathResult path =
      paths.ValidatePath(record.signer, record.intermediates, record.validation_time, policy);
  if (!path.ok() && path.sub_indication == SubIndication::kNoCertificateChainFound) {
    return {Verdict::Failed(path.sub_indication, std::move(path.failed)), {}};
  }
  return {std::nullopt, std::move(path)};
}

Verdict FinishRecord(const Record& record, RecordProgress progress, SignatureCheck check,
                     const PathValidator& paths) {
  if (progress.verdict.has_value()) return *std::move(progress.verdict);
  // For a signer a trust anchor vouches for, the signature before the rest of
  // the path and before revocation: a wrong signature is TOTAL_FAILED however
  // the path turns out, and costs no revocation lookup.
  if (check.status != SignatureStatus::kValid) {
    return Verdict::Failed(SubIndicationFor(check.status),
                           OnSigner(std::move(check.failure), record));
  }
  PathResult& path = progress.path;
  if (!path.ok()) return Verdict::Failed(path.sub_indication, std::move(path.failed));

  PathResult revocation =
      paths.CheckRevocation(std::move(path.path), record.validation_time, record.revocation);
  if (!revocation.ok()) {
    return Verdict::Failed(revocation.sub_indication, std::move(revocation.failed),
                           std::move(revocation.revocation));
  }
  return Verdict::Passed(std::move(revocation.path), std::move(revocation.revocation));
}

Verdict VerifyRecord(const Record& record, const PathValidator& paths,
                     const ValidationPolicy& policy) {
  RecordProgress progress = BeginRecord(record, paths, policy);
  if (progress.verdict.has_value()) return *std::move(progress.verdict);
  SignatureCheck check =
      VerifySignature(record.signer->public_key(), record.params, record.content, record.signature);
  return FinishRecord(record, std::move(progress), std::move(check), paths);
}

}  // namespace sigverify::crypto
