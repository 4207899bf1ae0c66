// The URIs of a certificate's authorityInfoAccess extension (RFC 5280
// 4.2.2.1) for one access method: caIssuers or OCSP.
#ifndef SIGVERIFY_CACHE_AUTHORITY_INFO_ACCESS_H_
#define SIGVERIFY_CACHE_AUTHORITY_INFO_ACCESS_H_

#include <string>
#include <vector>

#include "crypto/certificate.h"

namespace sigverify::cache {

std::vector<std::string> CaIssuersUrls(const crypto::Certificate& cert);
std::vector<std::string> OcspUrls(const crypto::Certificate& cert);

}  // namespace sigverify::cache

#endif  // SIGVERIFY_CACHE_AUTHORITY_INFO_ACCESS_H_
