// The URLs a certificate names for its issuer and its revocation status:
// authorityInfoAccess caIssuers and OCSP (RFC 5280 4.2.2.1), and the full
// names of its CRL distribution points (4.2.1.13) and of its freshest CRL
// (delta CRL) points (4.2.1.15).
#ifndef SIGVERIFY_CACHE_CERTIFICATE_URLS_H_
#define SIGVERIFY_CACHE_CERTIFICATE_URLS_H_

#include <openssl/x509v3.h>

#include <string>
#include <vector>

#include "crypto/certificate.h"

namespace sigverify::cache {

std::vector<std::string> CaIssuersUrls(const crypto::Certificate& cert);
std::vector<std::string> OcspUrls(const crypto::Certificate& cert);
std::vector<std::string> CrlUrls(const crypto::Certificate& cert);
std::vector<std::string> DeltaCrlUrls(const crypto::Certificate& cert);
// The URIs among the fullNames of `points` (a CRLDistributionPoints or
// FreshestCRL extension, of a certificate or a CRL).
std::vector<std::string> DistributionPointUris(const CRL_DIST_POINTS* points);

}  // namespace sigverify::cache

#endif  // SIGVERIFY_CACHE_CERTIFICATE_URLS_H_
