#include "crypto/cms/signed_data.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "crypto/cms/format_error.h"
#include "crypto/distinguished_name.h"

namespace sigverify::crypto::cms {
namespace {

void FreeCrls(STACK_OF(X509_CRL) * s) { sk_X509_CRL_pop_free(s, X509_CRL_free); }
void FreeCerts(STACK_OF(X509) * s) { sk_X509_pop_free(s, X509_free); }
using CrlStackPtr = OpenSslPtr<STACK_OF(X509_CRL), FreeCrls>;
using CertStackPtr = OpenSslPtr<STACK_OF(X509), FreeCerts>;

}  // namespace

absl::StatusOr<SignedData> SignedData::Parse(std::string_view bytes, const CmsLimits& limits,
                                             bool zero_padding_allowed) {
  if (bytes.size() > limits.max_bytes) {
    return LimitError("cms_bytes", static_cast<int64_t>(limits.max_bytes),
                      static_cast<int64_t>(bytes.size()));
  }
  SignedData out;
  std::string_view trimmed = bytes;
  while (!trimmed.empty() && (trimmed.front() == ' ' || trimmed.front() == '\n' ||
                              trimmed.front() == '\r' || trimmed.front() == '\t')) {
    trimmed.remove_prefix(1);
  }
  if (trimmed.starts_with("-----BEGIN ")) {
    BioPtr bio(BIO_new_mem_buf(trimmed.data(), static_cast<int>(trimmed.size())));
    out.cms_.reset(PEM_read_bio_CMS(bio.get(), nullptr, nullptr, nullptr));
    ERR_clear_error();
    if (out.cms_ == nullptr) return FormatError("not a PEM CMS or PKCS7 block");
    out.encoded_ = bytes;
  } else {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    const unsigned char* q = p;
    out.cms_.reset(d2i_CMS_ContentInfo(nullptr, &q, static_cast<long>(bytes.size())));
    ERR_clear_error();
    if (out.cms_ == nullptr) return FormatError("not a DER or BER CMS ContentInfo");
    const size_t used = static_cast<size_t>(q - p);
    std::string_view rest = bytes.substr(used);
    if (!zero_padding_allowed && !rest.empty()) {
      return FormatError(absl::StrCat(rest.size(), " bytes after the CMS ContentInfo"));
    }
    if (std::any_of(rest.begin(), rest.end(), [](char c) { return c != '\0'; })) {
      return FormatError("bytes other than zero padding after the CMS ContentInfo");
    }
    out.encoded_ = bytes.substr(0, used);
  }
  if (OBJ_obj2nid(CMS_get0_type(out.cms_.get())) != NID_pkcs7_signed) {
    return UnsupportedFormat(
        absl::StrCat("CMS content type ", OidText(CMS_get0_type(out.cms_.get()))));
  }
  const ASN1_OBJECT* econtent_type = CMS_get0_eContentType(out.cms_.get());
  if (econtent_type == nullptr) return FormatError("SignedData without eContentType");
  out.content_type_ = OBJ_obj2nid(econtent_type);
  out.content_type_oid_ = OidText(econtent_type);
  ASN1_OCTET_STRING** content = CMS_get0_content(out.cms_.get());
  if (content != nullptr && *content != nullptr) {
    out.attached_ = true;
    out.content_ = std::string_view(reinterpret_cast<const char*>(ASN1_STRING_get0_data(*content)),
                                    static_cast<size_t>(ASN1_STRING_length(*content)));
  }

  const int signers = out.signer_count();
  if (signers <= 0) return FormatError("SignedData without a SignerInfo");
  if (static_cast<size_t>(signers) > limits.max_signers) {
    return LimitError("cms_signers", static_cast<int64_t>(limits.max_signers), signers);
  }

  CertStackPtr certs(CMS_get1_certs(out.cms_.get()));
  const int cert_count = certs == nullptr ? 0 : sk_X509_num(certs.get());
  if (static_cast<size_t>(cert_count) > limits.max_certificates) {
    return LimitError("cms_certificates", static_cast<int64_t>(limits.max_certificates),
                      cert_count);
  }
  for (int i = 0; i < cert_count; ++i) {
    const std::string der =
        EncodeDer([&](unsigned char** p) { return i2d_X509(sk_X509_value(certs.get(), i), p); });
    auto cert = der.empty() ? absl::InvalidArgumentError("encoding") : Certificate::Parse(der);
    if (cert.ok()) {
      out.certificates_.push_back(*std::move(cert));
    } else {
      ++out.unparsable_certificates_;
    }
  }
  CrlStackPtr crls(CMS_get1_crls(out.cms_.get()));
  const int crl_count = crls == nullptr ? 0 : sk_X509_CRL_num(crls.get());
  if (static_cast<size_t>(crl_count) > limits.max_crls) {
    return LimitError("cms_crls", static_cast<int64_t>(limits.max_crls), crl_count);
  }
  for (int i = 0; i < crl_count; ++i) {
    std::string der = EncodeDer(
        [&](unsigned char** p) { return i2d_X509_CRL(sk_X509_CRL_value(crls.get(), i), p); });
    if (!der.empty()) out.crls_.push_back(std::move(der));
  }
  ERR_clear_error();
  return out;
}

int SignedData::signer_count() const {
  STACK_OF(CMS_SignerInfo)* infos = CMS_get0_SignerInfos(cms_.get());
  return infos == nullptr ? 0 : sk_CMS_SignerInfo_num(infos);
}

CMS_SignerInfo* SignedData::signer(int i) const {
  return sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms_.get()), i);
}

}  // namespace sigverify::crypto::cms
