// Verifies one signature with one public key. Pure: no I/O, no clock, no
// shared mutable state, so it runs on any number of threads at once.
#ifndef SIGVERIFY_CRYPTO_SIGNATURE_VERIFIER_H_
#define SIGVERIFY_CRYPTO_SIGNATURE_VERIFIER_H_

#include <openssl/evp.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/algorithm.h"
#include "crypto/failure.h"
#include "crypto/public_key.h"
#include "crypto/verdict.h"

namespace sigverify::crypto {

enum class SignatureStatus {
  kValid,
  // The signature is well-formed but does not verify.
  kInvalid,
  // RSA PKCS#1 v1.5 only: the signature verifies under the key, but over a
  // different digest, i.e. the signed data was changed.
  kHashMismatch,
  // The signature or content cannot be decoded for this algorithm/key.
  kMalformed,
  // The algorithm does not fit the key (e.g. ECDSA with an RSA key).
  kKeyMismatch,
};

struct SignatureCheck {
  SignatureStatus status;
  // Why not valid (reason and facts; position and certificate are the
  // caller's); kUnspecified when valid.
  Failure failure;
};

// What was signed: the data itself, or its digest under params.hash.
struct SignedContent {
  enum Kind { kData, kDigest } kind;
  std::string_view bytes;
};

// The sub-indication a signature's status gives (kNone when valid).
SubIndication SubIndicationFor(SignatureStatus status);

SignatureCheck VerifySignature(const PublicKey& key, const SignatureParams& params,
                               SignedContent content, std::string_view signature);

// The digest a signature over some content is checked against.
struct ContentDigest {
  uint8_t bytes[EVP_MAX_MD_SIZE];
  size_t size = 0;
  std::string_view view() const { return {reinterpret_cast<const char*>(bytes), size}; }
};

// `content` itself when it is a digest (its length checked against `hash`),
// else its hash. When it cannot be had, the (never valid) check that
// VerifySignature answers.
std::optional<SignatureCheck> DigestContent(HashAlgorithm hash, SignedContent content,
                                            ContentDigest* out);

// The verdict on an RSA PKCS#1 v1.5 or PSS signature from the result of its
// public operation, `em` = s^e mod n as long as the modulus; for backends that
// compute that operation themselves (the multi-buffer kernel). It is what
// VerifySignature answers for the same kRsa key, parameters and digest and a
// signature as long as the modulus and below it.
SignatureCheck CheckRsaEncodedMessage(const PublicKey& key, const SignatureParams& params,
                                      std::string_view digest, std::string_view em);

}  // namespace sigverify::crypto

#endif  // SIGVERIFY_CRYPTO_SIGNATURE_VERIFIER_H_
