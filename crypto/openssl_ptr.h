// RAII owners for the OpenSSL / BoringSSL objects crypto/ uses. Only API that
// both libraries share appears here: crypto/ is built against each.
#ifndef SIGVERIFY_CRYPTO_OPENSSL_PTR_H_
#define SIGVERIFY_CRYPTO_OPENSSL_PTR_H_

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#if __has_include(<openssl/mem.h>)
#include <openssl/mem.h>  // BoringSSL declares OPENSSL_free here
#endif

#include <memory>
#include <string>

namespace sigverify::crypto {

template <typename T, void (*Free)(T*)>
struct OpenSslDeleter {
  void operator()(T* p) const { Free(p); }
};

template <typename T, void (*Free)(T*)>
using OpenSslPtr = std::unique_ptr<T, OpenSslDeleter<T, Free>>;

using BioPtr = OpenSslPtr<BIO, BIO_free_all>;
using BignumPtr = OpenSslPtr<BIGNUM, BN_free>;
using EcdsaSigPtr = OpenSslPtr<ECDSA_SIG, ECDSA_SIG_free>;
using EvpMdCtxPtr = OpenSslPtr<EVP_MD_CTX, EVP_MD_CTX_free>;
using EvpPkeyCtxPtr = OpenSslPtr<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using EvpPkeyPtr = OpenSslPtr<EVP_PKEY, EVP_PKEY_free>;
using X509Ptr = OpenSslPtr<X509, X509_free>;
using X509StoreCtxPtr = OpenSslPtr<X509_STORE_CTX, X509_STORE_CTX_free>;
using X509StorePtr = OpenSslPtr<X509_STORE, X509_STORE_free>;

// A stack whose certificates belong to someone else (sk_X509_free is a
// macro in OpenSSL, hence the function).
inline void FreeX509StackOnly(STACK_OF(X509) * s) { sk_X509_free(s); }
using X509StackPtr = OpenSslPtr<STACK_OF(X509), FreeX509StackOnly>;
inline void FreeAsn1Objects(STACK_OF(ASN1_OBJECT) * s) {
  sk_ASN1_OBJECT_pop_free(s, ASN1_OBJECT_free);
}
using Asn1ObjectStackPtr = OpenSslPtr<STACK_OF(ASN1_OBJECT), FreeAsn1Objects>;

// OPENSSL_free is a macro in OpenSSL and a function in BoringSSL.
struct OpenSslFree {
  void operator()(void* p) const { OPENSSL_free(p); }
};
using OpenSslString = std::unique_ptr<char, OpenSslFree>;
using OpenSslBytes = std::unique_ptr<unsigned char, OpenSslFree>;

// What an i2d_* function writes, as a string: `encode(&out)` is called with a
// null *out and OpenSSL allocates (freed here). Empty when it fails.
template <typename Encode>
std::string EncodeDer(Encode encode) {
  unsigned char* der = nullptr;
  const int len = encode(&der);
  const OpenSslBytes owner(der);
  return len > 0 ? std::string(reinterpret_cast<const char*>(der), static_cast<size_t>(len))
                 : std::string();
}

}  // namespace sigverify::crypto

#endif  // SIGVERIFY_CRYPTO_OPENSSL_PTR_H_
