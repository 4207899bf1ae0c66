// Shapes of CMS signatures and RFC 3161 timestamps that the openssl tool
// cannot make, for tests: a timestamp at a time of the test's choosing
// (OpenSSL's TS responder with a time callback), and a signature timestamp
// added to a SignedData made by `openssl cms -sign`.
#ifndef SIGVERIFY_TESTS_PKI_CMS_FACTORY_H_
#define SIGVERIFY_TESTS_PKI_CMS_FACTORY_H_

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace sigverify::testing {

// A TimeStampToken (DER ContentInfo) over SHA-256(`data`), signed by the
// TSA whose certificate and key are <dir>/<tsa>.pem and .key, with genTime
// `at`, an ESS signingCertificateV2 and the TSA's certificate embedded.
absl::StatusOr<std::string> MakeTimestampToken(std::string_view data, const std::string& dir,
                                               const std::string& tsa, absl::Time at);

// A detached CMS SignedData (DER) over `data` by `cert` and `key`, with
// signed attributes and the signer's certificate.
absl::StatusOr<std::string> SignDetached(std::string_view data, X509* cert, EVP_PKEY* key);

// The signature value of the first SignerInfo of a DER SignedData.
absl::StatusOr<std::string> SignatureValueOf(std::string_view cms_der);

// The SignedData with `token` added to its first SignerInfo as an
// id-aa-signatureTimeStampToken unsigned attribute (DER out).
absl::StatusOr<std::string> AddSignatureTimestamp(std::string_view cms_der, std::string_view token);

}  // namespace sigverify::testing

#endif  // SIGVERIFY_TESTS_PKI_CMS_FACTORY_H_
