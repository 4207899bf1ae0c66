#include "tests/pki/crl_factory.h"

#include <openssl/bn.h>
#include <openssl/x509v3.h>

#include "absl/strings/str_cat.h"

namespace sigverify::testing {
namespace {

using CrlPtr = std::unique_ptr<X509_CRL, Deleter<X509_CRL, X509_CRL_free>>;
using TimePtr = std::unique_ptr<ASN1_TIME, Deleter<ASN1_TIME, ASN1_TIME_free>>;

absl::Status AddEntry(X509_CRL* crl, const CrlEntrySpec& e) {
  X509_REVOKED* r = X509_REVOKED_new();
  BIGNUM* bn = nullptr;
  BN_hex2bn(&bn, e.serial_hex.c_str());
  ASN1_INTEGER* serial = BN_to_ASN1_INTEGER(bn, nullptr);
  BN_free(bn);
  X509_REVOKED_set_serialNumber(r, serial);
  ASN1_INTEGER_free(serial);
  TimePtr when(ASN1_TIME_set(nullptr, absl::ToTimeT(e.revoked)));
  X509_REVOKED_set_revocationDate(r, when.get());
  if (e.reason >= 0) {
    ASN1_ENUMERATED* reason = ASN1_ENUMERATED_new();
    ASN1_ENUMERATED_set(reason, e.reason);
    X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, reason, 0, 0);
    ASN1_ENUMERATED_free(reason);
  }
  if (!e.certificate_issuer.empty()) {
    X509_NAME* name = X509_NAME_new();
    for (const auto& [field, value] : e.certificate_issuer) {
      X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(value.data()),
                                 static_cast<int>(value.size()), -1, 0);
    }
    GENERAL_NAMES* names = sk_GENERAL_NAME_new_null();
    GENERAL_NAME* g = GENERAL_NAME_new();
    GENERAL_NAME_set0_value(g, GEN_DIRNAME, name);
    sk_GENERAL_NAME_push(names, g);
    X509_REVOKED_add1_ext_i2d(r, NID_certificate_issuer, names, 1, 0);
    GENERAL_NAMES_free(names);
  }
  X509V3_CTX v3;
  X509V3_set_ctx(&v3, nullptr, nullptr, nullptr, crl, 0);
  if (auto s = AddExtensions(e.extensions, "", &v3, "CRL entry",
                             [r](X509_EXTENSION* ext) { X509_REVOKED_add_ext(r, ext, -1); });
      !s.ok()) {
    X509_REVOKED_free(r);
    return s;
  }
  X509_CRL_add0_revoked(crl, r);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> IssueCrl(const CrlSpec& spec, const X509* issuer, EVP_PKEY* key) {
  CrlPtr crl(X509_CRL_new());
  X509_CRL* c = crl.get();
  X509_CRL_set_version(c, 1);  // v2
  X509_CRL_set_issuer_name(c, X509_get_subject_name(issuer));
  TimePtr this_update(ASN1_TIME_set(nullptr, absl::ToTimeT(spec.this_update)));
  X509_CRL_set1_lastUpdate(c, this_update.get());
  if (spec.next_update != absl::InfinitePast()) {
    TimePtr next_update(ASN1_TIME_set(nullptr, absl::ToTimeT(spec.next_update)));
    X509_CRL_set1_nextUpdate(c, next_update.get());
  }
  for (const CrlEntrySpec& e : spec.entries) {
    if (auto s = AddEntry(c, e); !s.ok()) return s;
  }
  X509_CRL_sort(c);
  if (spec.number >= 0) {
    ASN1_INTEGER* number = ASN1_INTEGER_new();
    ASN1_INTEGER_set(number, spec.number);
    X509_CRL_add1_ext_i2d(c, NID_crl_number, number, 0, 0);
    ASN1_INTEGER_free(number);
  }
  X509V3_CTX v3;
  X509V3_set_ctx(&v3, const_cast<X509*>(issuer), nullptr, nullptr, c, 0);
  std::vector<std::pair<std::string, std::string>> extensions = spec.extensions;
  extensions.insert(extensions.begin(), {"authorityKeyIdentifier", "keyid:always"});
  if (auto s = AddExtensions(extensions, spec.sections, &v3, "CRL",
                             [c](X509_EXTENSION* ext) { X509_CRL_add_ext(c, ext, -1); });
      !s.ok()) {
    return s;
  }
  if (X509_CRL_sign(c, key, EVP_get_digestbyname(spec.digest.c_str())) <= 0) {
    return OpenSslError("CRL: sign");
  }
  unsigned char* der = nullptr;
  const int n = i2d_X509_CRL(c, &der);
  if (n <= 0) return OpenSslError("CRL: encode");
  std::string out(reinterpret_cast<const char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  return out;
}

}  // namespace sigverify::testing
