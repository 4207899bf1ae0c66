// A validation time the caller claims is not proof that the signature
// existed then (ETSI EN 319 102-1: only a proof of existence, such as a
// time-stamp, moves the validation time back). A verdict reached at a
// claimed past time must therefore still hold with what is known now:
//   - a certificate of the path revoked after the claimed time gives
//     REVOKED_NO_POE (REVOKED_CA_NO_POE for a CA), whatever the claim;
//   - a certificate that has expired since gives OUT_OF_BOUNDS_NO_POE.
// A caller trusted to attest times will be exempt (the access-control
// work); until then no caller is.
#ifndef SIGVERIFY_CRYPTO_CLAIMED_TIME_H_
#define SIGVERIFY_CRYPTO_CLAIMED_TIME_H_

#include <optional>
#include <vector>

#include "absl/time/time.h"
#include "crypto/certificate.h"
#include "crypto/revocation.h"
#include "crypto/verdict.h"

namespace sigverify::crypto {

// How far ahead of the server's clock a claimed time may be (clock skew).
inline constexpr absl::Duration kClaimedTimeSkew = absl::Minutes(5);

// The verdict on `path` (signer first, validated at `claimed`, with its
// revocation evidence) once what is known at `now` is counted; nothing when
// it stands. Only for a path that validated at `claimed`.
std::optional<Verdict> JudgeClaimedTime(const std::vector<CertificatePtr>& path,
                                        const std::vector<RevocationEvidence>& revocation,
                                        absl::Time claimed, absl::Time now);

}  // namespace sigverify::crypto

#endif  // SIGVERIFY_CRYPTO_CLAIMED_TIME_H_
