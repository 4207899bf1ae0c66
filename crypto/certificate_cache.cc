#include "crypto/certificate_cache.h"

namespace sigverify::crypto {

absl::StatusOr<CertificatePtr> CertificateCache::GetOrParse(std::string_view bytes) {
  if (bytes.size() > kMaxCertificateBytes) return Certificate::Parse(bytes);  // names the limit
  const Sha256Digest key = Sha256(bytes);
  if (CertificatePtr hit = cache_.Find(key)) return hit;
  auto parsed = Certificate::Parse(bytes);
  if (!parsed.ok()) return parsed.status();
  return cache_.Insert(key, *std::move(parsed));
}

}  // namespace sigverify::crypto
