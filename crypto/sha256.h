// SHA-256 as a value type: certificate fingerprints and cache keys.
#ifndef SIGVERIFY_CRYPTO_SHA256_H_
#define SIGVERIFY_CRYPTO_SHA256_H_

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace sigverify::crypto {

using Sha256Digest = std::array<uint8_t, 32>;

Sha256Digest Sha256(std::string_view bytes);
// SHA-256 of `prefix` then `bytes`, without joining them first.
Sha256Digest Sha256(std::string_view prefix, std::string_view bytes);

// The digest as a byte string (proto bytes fields).
inline std::string AsBytes(const Sha256Digest& d) {
  return std::string(reinterpret_cast<const char*>(d.data()), d.size());
}

// Lower-case hex, as fingerprints are usually printed.
std::string ToHex(std::string_view bytes);
inline std::string ToHex(const Sha256Digest& d) {
  return ToHex(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

// A digest is already uniformly distributed: its first word is a good hash,
// so the caches do not hash it a second time.
struct Sha256DigestHash {
  size_t operator()(const Sha256Digest& d) const {
    size_t h;
    std::memcpy(&h, d.data(), sizeof(h));
    return h;
  }
};

}  // namespace sigverify::crypto

#endif  // SIGVERIFY_CRYPTO_SHA256_H_
