// Up to eight RSA public operations (s^e mod n) at once on the AVX-512 IFMA
// kernel, from and to big-endian bytes. Each job has its own key; all keys in
// one call have the same size.
#ifndef SIGVERIFY_CRYPTO_RSA_MULTIBUFFER_H_
#define SIGVERIFY_CRYPTO_RSA_MULTIBUFFER_H_

#include <cstdint>
#include <string_view>

#include "absl/types/span.h"
#include "crypto/rsa_ifma.h"  // kRsaLanes
#include "crypto/rsa_lane_key.h"

namespace sigverify::crypto {

struct RsaLaneJob {
  const RsaLaneKey* key;
  // Exactly key->modulus_bytes() long and below the modulus (BelowModulus).
  std::string_view signature;
  // key->modulus_bytes() of room for s^e mod n, big-endian.
  uint8_t* out;
};

// True when the big-endian `signature`, as long as the modulus, is below it.
bool BelowModulus(const RsaLaneKey& key, std::string_view signature);

// Computes every job's s^e mod n. Requires HasAvx512Ifma() and 1 to 8 jobs
// whose keys have the same limbs(); false (nothing written) otherwise.
bool RsaPublicMultiBuffer(absl::Span<const RsaLaneJob> jobs);

}  // namespace sigverify::crypto

#endif  // SIGVERIFY_CRYPTO_RSA_MULTIBUFFER_H_
