#include "crypto/batch_verifier.h"

#include <array>
#include <optional>

#include "crypto/cpu_features.h"
#include "crypto/rsa_multibuffer.h"

namespace sigverify::crypto {
namespace {

// The kernel costs the same for 1 lane as for 8: below 3 jobs the library
// is cheaper (RSA-2048: a kernel call ~41 us of CPU, a library verify ~14.5
// us; RSA-3072 84 / 32; RSA-4096 143 / 55, bench/rsa_multibuffer_bench.cc).
constexpr size_t kMinKernelLanes = 3;

// Jobs waiting for a full set of lanes, per key size.
class LaneGroup {
 public:
  // Adds job `index`; runs the kernel when the lanes are full.
  void Add(size_t index, const SignatureJob& job, const ContentDigest& digest,
           absl::Span<SignatureCheck> out) {
    Pending& p = pending_[count_++];
    p.index = index;
    p.job = &job;
    p.digest = digest;
    if (count_ == kRsaLanes) Flush(out);
  }

  void Flush(absl::Span<SignatureCheck> out) {
    if (count_ == 0) return;
    std::array<RsaLaneJob, kRsaLanes> lanes;
    for (size_t k = 0; k < count_; ++k) {
      const SignatureJob& job = *pending_[k].job;
      lanes[k] = {job.key->lane_key(), job.signature, pending_[k].em};
    }
    const bool done = count_ >= kMinKernelLanes &&
                      RsaPublicMultiBuffer(absl::MakeConstSpan(lanes.data(), count_));
    for (size_t k = 0; k < count_; ++k) {
      const Pending& p = pending_[k];
      const SignatureJob& job = *p.job;
      out[p.index] =
          done ? CheckRsaEncodedMessage(*job.key, job.params, p.digest.view(),
                                        {reinterpret_cast<const char*>(p.em), job.signature.size()})
               : VerifySignature(*job.key, job.params, job.content, job.signature);
    }
    count_ = 0;
  }

 private:
  struct Pending {
    size_t index;
    const SignatureJob* job;
    ContentDigest digest;
    uint8_t em[RsaLaneKey::kMaxLimbs * 52 / 8];
  };
  std::array<Pending, kRsaLanes> pending_;
  size_t count_ = 0;
};

}  // namespace

bool TakesMultiBuffer(const SignatureJob& job) {
  if (!HasAvx512Ifma() || job.key == nullptr || job.key->type() != KeyType::kRsa) return false;
  if (job.params.scheme != SignatureScheme::kRsaPkcs1 &&
      job.params.scheme != SignatureScheme::kRsaPss) {
    return false;
  }
  // Signatures of another length, or not below the modulus, take the
  // library's path, which answers them (kInvalid) as it always has.
  const RsaLaneKey* lane_key = job.key->lane_key();
  return lane_key != nullptr && BelowModulus(*lane_key, job.signature);
}

void VerifySignatures(absl::Span<const SignatureJob> jobs, absl::Span<SignatureCheck> out) {
  // One group per kernel size: 40, 60 and 79 limbs.
  std::array<LaneGroup, 3> groups;
  const auto group_for = [&](const RsaLaneKey& key) -> LaneGroup& {
    return groups[key.limbs() == 40 ? 0 : key.limbs() == 60 ? 1 : 2];
  };
  for (size_t i = 0; i < jobs.size(); ++i) {
    const SignatureJob& job = jobs[i];
    if (!TakesMultiBuffer(job)) {
      out[i] = VerifySignature(*job.key, job.params, job.content, job.signature);
      continue;
    }
    ContentDigest digest;
    if (std::optional<SignatureCheck> failed =
            DigestContent(job.params.hash, job.content, &digest)) {
      out[i] = *std::move(failed);
      continue;
    }
    group_for(*job.key->lane_key()).Add(i, job, digest, out);
  }
  for (LaneGroup& group : groups) group.Flush(out);
}

}  // namespace sigverify::crypto
