// A CMS SignedData (RFC 5652 5), parsed once: its content type, its content
// when attached, the certificates and CRLs it carries and its SignerInfos.
// OpenSSL-only (the CMS API); the signatures are checked by signer_info.h.
#ifndef SIGVERIFY_CRYPTO_CMS_SIGNED_DATA_H_
#define SIGVERIFY_CRYPTO_CMS_SIGNED_DATA_H_

// pem.h before cms.h: cms.h declares PEM_read_bio_CMS only when pem.h is in.
// clang-format off
#include <openssl/pem.h>
#include <openssl/cms.h>
// clang-format on

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "crypto/certificate.h"
#include "crypto/openssl_ptr.h"

namespace sigverify::crypto::cms {

using CmsPtr = OpenSslPtr<CMS_ContentInfo, CMS_ContentInfo_free>;

// What one SignedData may hold; each refusal names its limit
// (format_error.h).
struct CmsLimits {
  size_t max_bytes = 64 << 20;  // the encoded ContentInfo, attached content included
  size_t max_certificates = 64;
  size_t max_crls = 32;
  size_t max_signers = 16;
};

class SignedData {
 public:
  // One ContentInfo of type signedData: DER or BER, or PEM ("CMS" or
  // "PKCS7"). Nothing may follow it but, when `zero_padding_allowed` (a
  // PDF's /Contents), zero bytes. Errors: format_error.h.
  static absl::StatusOr<SignedData> Parse(std::string_view bytes, const CmsLimits& limits,
                                          bool zero_padding_allowed = false);

  SignedData(SignedData&&) = default;
  SignedData& operator=(SignedData&&) = default;

  // eContentType: its NID (NID_undef when OpenSSL has none) and dotted OID.
  int content_type() const { return content_type_; }
  const std::string& content_type_oid() const { return content_type_oid_; }
  // The encapsulated content, when attached.
  bool attached() const { return attached_; }
  std::string_view content() const { return content_; }
  // The certificates it carries (those it cannot parse are skipped and
  // counted), and its CRLs, DER.
  const std::vector<CertificatePtr>& certificates() const { return certificates_; }
  int unparsable_certificates() const { return unparsable_certificates_; }
  const std::vector<std::string>& crls() const { return crls_; }
  int signer_count() const;
  CMS_SignerInfo* signer(int i) const;
  // The bytes of the ContentInfo alone (without padding).
  std::string_view encoded() const { return encoded_; }

 private:
  SignedData() = default;

  CmsPtr cms_;
  std::string_view encoded_;
  int content_type_ = 0;
  std::string content_type_oid_;
  bool attached_ = false;
  std::string_view content_;
  std::vector<CertificatePtr> certificates_;
  int unparsable_certificates_ = 0;
  std::vector<std::string> crls_;
};

}  // namespace sigverify::crypto::cms

#endif  // SIGVERIFY_CRYPTO_CMS_SIGNED_DATA_H_
