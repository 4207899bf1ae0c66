#include "crypto/algorithm.h"

#include <openssl/crypto.h>

namespace sigverify::crypto {

namespace {

// Under OpenSSL 3 the EVP_sha256()-style objects are legacy shims: every
// EVP_DigestInit with one fetches the provider implementation again (a
// locked name lookup). An explicitly fetched EVP_MD skips that. BoringSSL has
// no providers; its static objects are already the implementation.
const EVP_MD* Fetch(const char* name, const EVP_MD* fallback) {
#if !defined(OPENSSL_IS_BORINGSSL) && OPENSSL_VERSION_MAJOR >= 3
  if (EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr)) return md;  // kept for the process
#endif
  return fallback;
}

}  // namespace

const EVP_MD* EvpMd(HashAlgorithm hash) {
  // Function-local statics: fetched once, thread-safe initialisation.
  static const EVP_MD* const sha1 = Fetch("SHA1", EVP_sha1());
  static const EVP_MD* const sha256 = Fetch("SHA256", EVP_sha256());
  static const EVP_MD* const sha384 = Fetch("SHA384", EVP_sha384());
  static const EVP_MD* const sha512 = Fetch("SHA512", EVP_sha512());
  switch (hash) {
    case HashAlgorithm::kSha1:
      return sha1;
    case HashAlgorithm::kSha256:
      return sha256;
    case HashAlgorithm::kSha384:
      return sha384;
    case HashAlgorithm::kSha512:
      return sha512;
    case HashAlgorithm::kNone:
      break;
  }
  return nullptr;
}

size_t HashLength(HashAlgorithm hash) {
  switch (hash) {
    case HashAlgorithm::kSha1:
      return 20;
    case HashAlgorithm::kSha256:
      return 32;
    case HashAlgorithm::kSha384:
      return 48;
    case HashAlgorithm::kSha512:
      return 64;
    case HashAlgorithm::kNone:
      break;
  }
  return 0;
}

HashAlgorithm HashFromNid(int nid) {
  switch (nid) {
    case NID_sha1:
      return HashAlgorithm::kSha1;
    case NID_sha256:
      return HashAlgorithm::kSha256;
    case NID_sha384:
      return HashAlgorithm::kSha384;
    case NID_sha512:
      return HashAlgorithm::kSha512;
    default:
      return HashAlgorithm::kNone;
  }
}

const char* HashName(HashAlgorithm hash) {
  switch (hash) {
    case HashAlgorithm::kSha1:
      return "SHA-1";
    case HashAlgorithm::kSha256:
      return "SHA-256";
    case HashAlgorithm::kSha384:
      return "SHA-384";
    case HashAlgorithm::kSha512:
      return "SHA-512";
    case HashAlgorithm::kNone:
      break;
  }
  return "none";
}

const char* SchemeName(SignatureScheme scheme) {
  switch (scheme) {
    case SignatureScheme::kRsaPkcs1:
      return "RSA PKCS#1 v1.5";
    case SignatureScheme::kRsaPss:
      return "RSA-PSS";
    case SignatureScheme::kEcdsaDer:
      return "ECDSA";
    case SignatureScheme::kEcdsaP1363:
      return "ECDSA (r||s)";
    case SignatureScheme::kEd25519:
      return "Ed25519";
  }
  return "unknown";
}

}  // namespace sigverify::crypto
