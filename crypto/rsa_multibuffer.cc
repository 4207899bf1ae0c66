#include "crypto/rsa_multibuffer.h"

#include <cstring>

#include "crypto/cpu_features.h"
#include "crypto/rsa_ifma.h"

namespace sigverify::crypto {
namespace {

constexpr int kMaxWords = RsaLaneKey::kMaxLimbs * kRsaLanes;

// Lane k's limbs into column k of the interleaved array.
void Scatter(const uint64_t* limbs, int count, int lane, uint64_t* lanes) {
  for (int j = 0; j < count; ++j) lanes[j * kRsaLanes + lane] = limbs[j];
}

}  // namespace

bool BelowModulus(const RsaLaneKey& key, std::string_view signature) {
  return signature.size() == static_cast<size_t>(key.modulus_bytes()) &&
         std::memcmp(signature.data(), key.n_bytes(), signature.size()) < 0;
}

bool RsaPublicMultiBuffer(absl::Span<const RsaLaneJob> jobs) {
  if (jobs.empty() || jobs.size() > kRsaLanes || !HasAvx512Ifma()) return false;
  const int limbs = jobs[0].key->limbs();
  for (const RsaLaneJob& job : jobs) {
    if (job.key->limbs() != limbs ||
        job.signature.size() != static_cast<size_t>(job.key->modulus_bytes())) {
      return false;
    }
  }
  alignas(64) uint64_t n[kMaxWords];
  alignas(64) uint64_t rr[kMaxWords];
  alignas(64) uint64_t s[kMaxWords];
  alignas(64) uint64_t out[kMaxWords];
  uint64_t k0[kRsaLanes];
  uint64_t e[kRsaLanes];
  uint64_t limb_buf[RsaLaneKey::kMaxLimbs];
  for (int lane = 0; lane < kRsaLanes; ++lane) {
    // Idle lanes repeat the first job; their results are dropped.
    const RsaLaneJob& job = jobs[static_cast<size_t>(lane) < jobs.size() ? lane : 0];
    Scatter(job.key->n(), limbs, lane, n);
    Scatter(job.key->rr(), limbs, lane, rr);
    BytesToLimbs52(reinterpret_cast<const uint8_t*>(job.signature.data()),
                   static_cast<int>(job.signature.size()), limb_buf, limbs);
    Scatter(limb_buf, limbs, lane, s);
    k0[lane] = job.key->k0();
    e[lane] = job.key->e();
  }
  if (!IfmaRsaPublic({limbs, n, rr, k0, e, s, out})) return false;
  for (size_t lane = 0; lane < jobs.size(); ++lane) {
    const RsaLaneJob& job = jobs[lane];
    for (int j = 0; j < limbs; ++j) limb_buf[j] = out[j * kRsaLanes + lane];
    const int len = job.key->modulus_bytes();
    Limbs52ToBytes(limb_buf, limbs, job.out, len);
    // The kernel's result is at most n; n itself stands for 0.
    if (std::memcmp(job.out, job.key->n_bytes(), static_cast<size_t>(len)) == 0) {
      std::memset(job.out, 0, static_cast<size_t>(len));
    }
  }
  return true;
}

}  // namespace sigverify::crypto
