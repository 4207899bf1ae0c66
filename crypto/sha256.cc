#include "crypto/sha256.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <cstdlib>

#include "absl/strings/escaping.h"
#include "crypto/openssl_ptr.h"

namespace sigverify::crypto {

Sha256Digest Sha256(std::string_view bytes) {
  Sha256Digest out;
  // SHA256() is the one-shot both libraries share; it does no algorithm
  // fetch, unlike EVP_Digest with an implicit EVP_MD under OpenSSL 3.
  SHA256(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), out.data());
  return out;
}

Sha256Digest Sha256(const std::string_view* pieces, size_t count) {
  // EVP_sha256() is the static method in both libraries: no fetch.
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  Sha256Digest out{};
  if (ctx == nullptr || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) std::abort();
  for (size_t i = 0; i < count; ++i) {
    if (EVP_DigestUpdate(ctx.get(), pieces[i].data(), pieces[i].size()) != 1) std::abort();
  }
  if (EVP_DigestFinal_ex(ctx.get(), out.data(), nullptr) != 1) std::abort();
  return out;
}

Sha256Digest Sha256(std::initializer_list<std::string_view> pieces) {
  return Sha256(pieces.begin(), pieces.size());
}

std::string ToHex(std::string_view bytes) {
  return absl::BytesToHexString(absl::string_view(bytes.data(), bytes.size()));
}

}  // namespace sigverify::crypto
