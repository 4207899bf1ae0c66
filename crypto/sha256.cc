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
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xf]);
  }
  return out;
}

}  // namespace sigverify::crypto
