// Parsed certificates by SHA-256 of the bytes a caller sent (DER or PEM), so
// a repeat signer costs one hash and one lookup instead of a d2i_X509 and a
// key decode (together about one RSA-2048 verify under OpenSSL 3).
#ifndef SIGVERIFY_CRYPTO_CERTIFICATE_CACHE_H_
#define SIGVERIFY_CRYPTO_CERTIFICATE_CACHE_H_

#include <string_view>

#include "absl/status/statusor.h"
#include "crypto/certificate.h"
#include "crypto/sharded_cache.h"

namespace sigverify::crypto {

class CertificateCache {
 public:
  explicit CertificateCache(size_t capacity) : cache_(capacity) {}

  // The parsed certificate for these bytes, parsing on a miss. Bytes that do
  // not parse are not cached: a flood of garbage cannot evict good entries.
  absl::StatusOr<CertificatePtr> GetOrParse(std::string_view bytes);

  CacheStats Stats() const { return cache_.Stats(); }

 private:
  ShardedCache<Certificate> cache_;
};

}  // namespace sigverify::crypto

#endif  // SIGVERIFY_CRYPTO_CERTIFICATE_CACHE_H_
