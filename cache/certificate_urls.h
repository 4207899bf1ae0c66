// The URLs a certificate names for its issuer and its revocation status:
// authorityInfoAccess caIssuers and OCSP (RFC 5280 4.2.2.1), and the full
// names of its CRL distribution points (4.2.1.13).
#ifndef SIGVERIFY_CACHE_CERTIFICATE_URLS_H_
#define SIGVERIFY_CACHE_CERTIFICATE_URLS_H_

#include <string>
#include <vector>

#include "crypto/certificate.h"

namespace sigverify::cache {

std::vector<std::string> CaIssuersUrls(const crypto::Certificate& cert);
std::vector<std::string> OcspUrls(const crypto::Certificate& cert);
std::vector<std::string> CrlUrls(const crypto::Certificate& cert);

}  // namespace sigverify::cache

#endif  // SIGVERIFY_CACHE_CERTIFICATE_URLS_H_
