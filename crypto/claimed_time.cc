#include "crypto/claimed_time.h"

namespace sigverify::crypto {

std::optional<Verdict> JudgeClaimedTime(const std::vector<CertificatePtr>& path,
                                        const std::vector<RevocationEvidence>& revocation,
                                        absl::Time claimed, absl::Time now) {
  if (claimed >= now) return std::nullopt;
  auto on = [&](FailureReason reason, size_t i) { return FailureAt(reason, path, i, claimed); };
  // Revoked since: the claim does not place the signature before it.
  for (size_t i = 0; i < revocation.size() && i < path.size(); ++i) {
    const RevocationEvidence& e = revocation[i];
    if (e.state != RevocationEvidence::State::kRevoked) continue;
    Failure f = on(FailureReason::kRevokedAfterClaimedTime, i);
    f.time = e.revocation_time;
    f.actual = e.revocation_reason;
    f.detail = e.source;
    return Verdict::Failed(i == 0 ? SubIndication::kRevokedNoPoe : SubIndication::kRevokedCaNoPoe,
                           std::move(f), revocation);
  }
  // Expired since: valid at the claimed time only.
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i]->not_after() >= now) continue;
    Failure f = on(FailureReason::kExpiredAfterClaimedTime, i);
    f.time = path[i]->not_after();
    return Verdict::Failed(SubIndication::kOutOfBoundsNoPoe, std::move(f), revocation);
  }
  return std::nullopt;
}

}  // namespace sigverify::crypto
