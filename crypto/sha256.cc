// SHA256_Init and friends are deprecated in OpenSSL 3 in favour of EVP, but
// kept (and BoringSSL's own); see Sha256 below for why they are used.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "crypto/sha256.h"

#include <openssl/sha.h>

#include "absl/strings/escaping.h"

namespace sigverify::crypto {

Sha256Digest Sha256(std::string_view bytes) { return Sha256(std::string_view(), bytes); }

Sha256Digest Sha256(std::string_view prefix, std::string_view bytes) {
  // The low-level calls both libraries keep. OpenSSL 3's one-shot SHA256()
  // and EVP_Digest with an implicit EVP_MD fetch the algorithm by name on
  // every call (a string compare and a shared lock), which cost more than
  // hashing a short record key; these go straight to the compression
  // function.
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, prefix.data(), prefix.size());
  SHA256_Update(&ctx, bytes.data(), bytes.size());
  Sha256Digest out;
  SHA256_Final(out.data(), &ctx);
  return out;
}

std::string ToHex(std::string_view bytes) {
  return absl::BytesToHexString(absl::string_view(bytes.data(), bytes.size()));
}

}  // namespace sigverify::crypto
