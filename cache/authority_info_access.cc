#include "cache/authority_info_access.h"

#include <openssl/x509v3.h>

#include <memory>

namespace sigverify::cache {
namespace {

std::vector<std::string> AccessLocations(const crypto::Certificate& cert, int method_nid) {
  std::vector<std::string> urls;
  auto* aia = static_cast<AUTHORITY_INFO_ACCESS*>(
      X509_get_ext_d2i(cert.x509(), NID_info_access, nullptr, nullptr));
  if (aia == nullptr) return urls;
  std::unique_ptr<AUTHORITY_INFO_ACCESS, void (*)(AUTHORITY_INFO_ACCESS*)> owned(
      aia, AUTHORITY_INFO_ACCESS_free);
  for (int i = 0; i < sk_ACCESS_DESCRIPTION_num(aia); ++i) {
    const ACCESS_DESCRIPTION* ad = sk_ACCESS_DESCRIPTION_value(aia, i);
    if (OBJ_obj2nid(ad->method) != method_nid || ad->location->type != GEN_URI) continue;
    const ASN1_IA5STRING* uri = ad->location->d.uniformResourceIdentifier;
    urls.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                      static_cast<size_t>(ASN1_STRING_length(uri)));
  }
  return urls;
}

}  // namespace

std::vector<std::string> CaIssuersUrls(const crypto::Certificate& cert) {
  return AccessLocations(cert, NID_ad_ca_issuers);
}

std::vector<std::string> OcspUrls(const crypto::Certificate& cert) {
  return AccessLocations(cert, NID_ad_OCSP);
}

}  // namespace sigverify::cache
