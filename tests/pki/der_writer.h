// DER written by hand for tests that need bytes no ASN.1 library would
// produce (non-minimal lengths, a FALSE that should be absent, an entry out
// of shape) and, signed with a test key, a CertificateList around them.
// Test-only code.
#ifndef SIGVERIFY_TESTS_PKI_DER_WRITER_H_
#define SIGVERIFY_TESTS_PKI_DER_WRITER_H_

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace sigverify::testing {

// tag, a definite length in the fewest bytes, contents.
std::string Tlv(uint8_t tag, std::string_view contents);
// A SEQUENCE of the given encodings, concatenated.
std::string Seq(std::initializer_list<std::string_view> parts);
// An INTEGER of the given contents, in hex ("00ff", "ff85"), as written.
std::string IntegerHex(std::string_view hex);
// UTCTime / GeneralizedTime of the given text ("260922000000Z").
std::string UtcTime(std::string_view text);
std::string GeneralizedTime(std::string_view text);

// A CertificateList (version 2, sha256WithRSAEncryption or ecdsa-with-SHA256
// after `key`'s type) of `issuer`'s name, thisUpdate/nextUpdate as given
// (encoded TLVs), `revoked` as the contents of revokedCertificates (absent
// when empty) and `extensions` as the contents of crlExtensions (absent
// when empty), signed with `key`.
absl::StatusOr<std::string> SignedCertificateList(const X509_NAME* issuer,
                                                  std::string_view this_update,
                                                  std::string_view next_update,
                                                  std::string_view revoked,
                                                  std::string_view extensions, EVP_PKEY* key);

}  // namespace sigverify::testing

#endif  // SIGVERIFY_TESTS_PKI_DER_WRITER_H_
