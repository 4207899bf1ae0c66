// Signature algorithms and hashes, independent of the wire format.
#ifndef SIGVERIFY_CRYPTO_ALGORITHM_H_
#define SIGVERIFY_CRYPTO_ALGORITHM_H_

#include <openssl/evp.h>

#include <cstddef>
#include <string_view>

namespace sigverify::crypto {

enum class HashAlgorithm { kNone, kSha1, kSha256, kSha384, kSha512 };

enum class SignatureScheme {
  kRsaPkcs1,    // RSASSA-PKCS1-v1_5 (RFC 8017, 8.2)
  kRsaPss,      // RSASSA-PSS (RFC 8017, 8.1)
  kEcdsaDer,    // ECDSA, DER Ecdsa-Sig-Value (RFC 3279, 2.2.3)
  kEcdsaP1363,  // ECDSA, fixed-width r||s (IEEE P1363)
  kEd25519,     // pure EdDSA (RFC 8032)
};

// How a signature is checked. For RSA-PSS the MGF1 hash and salt length are
// explicit so that every parameter set (e.g. Wycheproof's) can be expressed;
// the service uses MGF1 over the message hash and a salt as long as the hash.
struct SignatureParams {
  SignatureScheme scheme = SignatureScheme::kRsaPkcs1;
  HashAlgorithm hash = HashAlgorithm::kSha256;
  HashAlgorithm pss_mgf1_hash = HashAlgorithm::kNone;  // kNone: same as hash
  int pss_salt_length = -1;                            // -1: hash length
};

// The EVP_MD for a hash, fetched once per process (OpenSSL 3 takes a global
// lock to fetch implicitly, so the hot path must not call EVP_sha256()).
const EVP_MD* EvpMd(HashAlgorithm hash);

// The hash an OpenSSL NID names; kNone for any other (MD5, SHA-224, ...).
HashAlgorithm HashFromNid(int nid);

// Output length in bytes; 0 for kNone.
size_t HashLength(HashAlgorithm hash);

const char* HashName(HashAlgorithm hash);
const char* SchemeName(SignatureScheme scheme);

}  // namespace sigverify::crypto

#endif  // SIGVERIFY_CRYPTO_ALGORITHM_H_
