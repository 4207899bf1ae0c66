#include "service/access/client_identity.h"

#include <openssl/x509v3.h>

#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "crypto/openssl_ptr.h"
#include "service/access/distinguished_name.h"

namespace sigverify::service::access {
namespace {

void FreeGeneralNames(GENERAL_NAMES* names) { GENERAL_NAMES_free(names); }
using GeneralNamesPtr = crypto::OpenSslPtr<GENERAL_NAMES, FreeGeneralNames>;
void FreeEku(EXTENDED_KEY_USAGE* eku) { EXTENDED_KEY_USAGE_free(eku); }
using EkuPtr = crypto::OpenSslPtr<EXTENDED_KEY_USAGE, FreeEku>;

std::vector<std::string> SanUris(X509* x509) {
  std::vector<std::string> uris;
  GeneralNamesPtr names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x509, NID_subject_alt_name, nullptr, nullptr)));
  if (names == nullptr) return uris;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type != GEN_URI) continue;
    const ASN1_IA5STRING* uri = name->d.uniformResourceIdentifier;
    uris.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                      static_cast<size_t>(ASN1_STRING_length(uri)));
  }
  return uris;
}

bool AllowsClientAuth(X509* x509) {
  int critical = 0;
  EkuPtr eku(static_cast<EXTENDED_KEY_USAGE*>(
      X509_get_ext_d2i(x509, NID_ext_key_usage, &critical, nullptr)));
  if (eku == nullptr) return critical == -1;  // absent: no restriction; -2/>=0: malformed
  for (int i = 0; i < sk_ASN1_OBJECT_num(eku.get()); ++i) {
    const int nid = OBJ_obj2nid(sk_ASN1_OBJECT_value(eku.get(), i));
    if (nid == NID_client_auth || nid == NID_anyExtendedKeyUsage) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<ClientIdentityPtr> IdentityFromPem(absl::string_view pem) {
  auto certificate = crypto::Certificate::Parse(std::string_view(pem.data(), pem.size()));
  if (!certificate.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("client certificate: ", certificate.status().message()));
  }
  auto identity = std::make_shared<ClientIdentity>();
  identity->certificate = *std::move(certificate);
  X509* x509 = identity->certificate->x509();
  auto subject = CanonicalName(X509_get_subject_name(x509));
  if (!subject.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("client certificate subject: ", subject.status().message()));
  }
  identity->canonical_subject = *std::move(subject);
  identity->san_uris = SanUris(x509);
  identity->issuer_der = crypto::EncodeDer(
      [&](unsigned char** out) { return i2d_X509_NAME(X509_get_issuer_name(x509), out); });
  identity->serial_der = crypto::EncodeDer(
      [&](unsigned char** out) { return i2d_ASN1_INTEGER(X509_get0_serialNumber(x509), out); });
  identity->client_auth = AllowsClientAuth(x509);
  return identity;
}

}  // namespace sigverify::service::access
