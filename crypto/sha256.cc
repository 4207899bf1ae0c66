#include "crypto/sha256.h"

#include <openssl/sha.h>

#include "absl/strings/escaping.h"

namespace sigverify::crypto {

Sha256Digest Sha256(std::string_view bytes) {
  Sha256Digest out;
  // SHA256() is the one-shot both libraries share; it does no algorithm
  // fetch, unlike EVP_Digest with an implicit EVP_MD under OpenSSL 3.
  SHA256(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), out.data());
  return out;
}

std::string ToHex(std::string_view bytes) {
  return absl::BytesToHexString(absl::string_view(bytes.data(), bytes.size()));
}

}  // namespace sigverify::crypto
