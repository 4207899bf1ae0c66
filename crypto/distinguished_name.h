// Distinguished names as text: RFC 4514 (most significant RDN last, as
// "CN=...,O=...,C=VN"), UTF-8 kept as UTF-8 (no \XX escapes of non-ASCII) so
// that Vietnamese names read as written. Every name in a verdict's evidence —
// signer, issuer, OCSP responder, CRL issuer — is written this way.
#ifndef SIGVERIFY_CRYPTO_DISTINGUISHED_NAME_H_
#define SIGVERIFY_CRYPTO_DISTINGUISHED_NAME_H_

#include <openssl/x509.h>

#include <string>

namespace sigverify::crypto {

std::string NameToString(const X509_NAME* name);

// The first commonName, UTF-8; empty when there is none.
std::string CommonName(const X509_NAME* name);

// An object identifier in dotted form ("2.5.29.37"), as evidence names OIDs;
// "?" when it cannot be written.
std::string OidText(const ASN1_OBJECT* oid);

}  // namespace sigverify::crypto

#endif  // SIGVERIFY_CRYPTO_DISTINGUISHED_NAME_H_
