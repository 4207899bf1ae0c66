// The outcome of validating one signed record (ETSI EN 319 102-1, 5.1.3).
#ifndef SIGVERIFY_CRYPTO_VERDICT_H_
#define SIGVERIFY_CRYPTO_VERDICT_H_

#include <string>
#include <string_view>
#include <vector>

#include "crypto/certificate.h"
#include "crypto/failure.h"
#include "crypto/revocation.h"

namespace sigverify::crypto {

enum class Indication { kTotalPassed, kTotalFailed, kIndeterminate };

enum class SubIndication {
  kNone,
  kHashFailure,
  kSigCryptoFailure,
  kNoCertificateChainFound,
  kExpired,
  kNotYetValid,
  kCryptoConstraintsFailure,
  kFormatFailure,
  kChainConstraintsFailure,
  kCertificateChainGeneralFailure,
  kRevokedNoPoe,      // the signer's certificate was revoked at the validation time
  kRevokedCaNoPoe,    // a CA certificate of the path was
  kTryLater,          // no fresh revocation status could be had
  kOutOfBoundsNoPoe,  // valid at a claimed time nothing proves, expired since
};

// TOTAL_FAILED is reserved for what no later evidence can change (the
// signature itself is wrong); every failure of the path or of a policy
// constraint is INDETERMINATE, because the validation time is not yet proven
// and a trust store or policy change can rescue it. See docs/adr/0003.
Indication IndicationFor(SubIndication sub);

struct Verdict {
  Indication indication = Indication::kIndeterminate;
  SubIndication sub_indication = SubIndication::kNone;
  // Signer first, trust anchor last; empty unless the path validated.
  std::vector<CertificatePtr> path;
  // What failed and the facts behind it; the words are the catalogue's
  // (crypto/message_catalog.h).
  Failure failed;
  // Per certificate of the path except the anchor, signer first; empty when
  // no revocation checker is configured.
  std::vector<RevocationEvidence> revocation;

  static Verdict Passed(std::vector<CertificatePtr> path,
                        std::vector<RevocationEvidence> revocation = {}) {
    return {
        Indication::kTotalPassed, SubIndication::kNone, std::move(path), {}, std::move(revocation)};
  }
  static Verdict Failed(SubIndication sub, Failure failed,
                        std::vector<RevocationEvidence> revocation = {}) {
    return {IndicationFor(sub), sub, {}, std::move(failed), std::move(revocation)};
  }
};

}  // namespace sigverify::crypto

#endif  // SIGVERIFY_CRYPTO_VERDICT_H_
