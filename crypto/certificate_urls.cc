#include "crypto/certificate_urls.h"

#include <openssl/x509v3.h>

#include <memory>

#include "crypto/openssl_ptr.h"

namespace sigverify::crypto {
namespace {

std::vector<std::string> AccessLocations(X509* x509, int method_nid) {
  std::vector<std::string> urls;
  auto* aia = static_cast<AUTHORITY_INFO_ACCESS*>(
      X509_get_ext_d2i(x509, NID_info_access, nullptr, nullptr));
  if (aia == nullptr) return urls;
  const OpenSslPtr<AUTHORITY_INFO_ACCESS, AUTHORITY_INFO_ACCESS_free> owned(aia);
  for (size_t i = 0; i < static_cast<size_t>(sk_ACCESS_DESCRIPTION_num(aia)); ++i) {
    const ACCESS_DESCRIPTION* ad = sk_ACCESS_DESCRIPTION_value(aia, i);
    if (OBJ_obj2nid(ad->method) != method_nid || ad->location->type != GEN_URI) continue;
    const ASN1_IA5STRING* uri = ad->location->d.uniformResourceIdentifier;
    urls.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                      static_cast<size_t>(ASN1_STRING_length(uri)));
  }
  return urls;
}

}  // namespace

std::vector<std::string> DistributionPointUris(const CRL_DIST_POINTS* points) {
  std::vector<std::string> urls;
  for (size_t i = 0; i < static_cast<size_t>(sk_DIST_POINT_num(points)); ++i) {
    const DIST_POINT* dp = sk_DIST_POINT_value(points, i);
    if (dp->distpoint == nullptr || dp->distpoint->type != 0) continue;  // fullName only
    const GENERAL_NAMES* names = dp->distpoint->name.fullname;
    for (size_t j = 0; j < static_cast<size_t>(sk_GENERAL_NAME_num(names)); ++j) {
      const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, j);
      if (name->type != GEN_URI) continue;
      const ASN1_IA5STRING* uri = name->d.uniformResourceIdentifier;
      urls.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                        static_cast<size_t>(ASN1_STRING_length(uri)));
    }
  }
  return urls;
}

namespace {

std::vector<std::string> PointsOf(X509* x509, int nid) {
  auto* points = static_cast<CRL_DIST_POINTS*>(X509_get_ext_d2i(x509, nid, nullptr, nullptr));
  if (points == nullptr) return {};
  const OpenSslPtr<CRL_DIST_POINTS, CRL_DIST_POINTS_free> owned(points);
  return DistributionPointUris(points);
}

}  // namespace

CertificateUrls ReadCertificateUrls(X509* x509) {
  CertificateUrls urls;
  urls.ca_issuers = AccessLocations(x509, NID_ad_ca_issuers);
  urls.ocsp = AccessLocations(x509, NID_ad_OCSP);
  urls.crl = PointsOf(x509, NID_crl_distribution_points);
  urls.delta_crl = PointsOf(x509, NID_freshest_crl);
  return urls;
}

}  // namespace sigverify::crypto
