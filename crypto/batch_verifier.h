// Many signatures at once. RSA PKCS#1 v1.5 and PSS signatures whose key the
// multi-buffer kernel takes go through it eight at a time (at least three),
// on processors with AVX-512 IFMA; the rest, and everything elsewhere,
// through VerifySignature. The verdicts are VerifySignature's in every case.
#ifndef SIGVERIFY_CRYPTO_BATCH_VERIFIER_H_
#define SIGVERIFY_CRYPTO_BATCH_VERIFIER_H_

#include <string_view>

#include "absl/types/span.h"
#include "crypto/algorithm.h"
#include "crypto/public_key.h"
#include "crypto/signature_verifier.h"

namespace sigverify::crypto {

struct SignatureJob {
  const PublicKey* key;
  SignatureParams params;
  SignedContent content;
  std::string_view signature;
};

// Whether VerifySignatures takes `job` to the multi-buffer kernel (false on
// processors without AVX-512 IFMA).
bool TakesMultiBuffer(const SignatureJob& job);

// out[i] = VerifySignature(jobs[i]...); `out` is as long as `jobs`.
void VerifySignatures(absl::Span<const SignatureJob> jobs, absl::Span<SignatureCheck> out);

}  // namespace sigverify::crypto

#endif  // SIGVERIFY_CRYPTO_BATCH_VERIFIER_H_
