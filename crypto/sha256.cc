#include "crypto/sha256.h"

#include <openssl/sha.h>

namespace sigverify::crypto {

Sha256Digest Sha256(std::string_view bytes) {
  Sha256Digest out;
  // SHA256() is the one-shot both libraries share; it does no algorithm
  // fetch, unlike EVP_Digest with an implicit EVP_MD under OpenSSL 3.
  SHA256(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), out.data());
  return out;
}

std::string ToHex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(bytes.size() * 2, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    out[2 * i] = kDigits[c >> 4];
    out[2 * i + 1] = kDigits[c & 0xf];
  }
  return out;
}

}  // namespace sigverify::crypto
