// The URLs a certificate names for its issuer and its revocation status:
// authorityInfoAccess caIssuers and OCSP (RFC 5280 4.2.2.1), the full names
// of its CRL distribution points (4.2.1.13) and of its freshest CRL (delta
// CRL) points (4.2.1.15). Read once when a certificate is parsed
// (Certificate::urls()); crypto/ only reads them, cache/ fetches.
#ifndef SIGVERIFY_CRYPTO_CERTIFICATE_URLS_H_
#define SIGVERIFY_CRYPTO_CERTIFICATE_URLS_H_

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace sigverify::crypto {

// One distribution point of a CRLDistributionPoints or FreshestCRL
// extension, decoded once for CRL scope checks (RFC 5280 6.3.3 (b)).
// ReasonFlags (RFC 5280 4.2.1.13) as a mask: bit n for the flag numbered
// n, keyCompromise (1) to aACompromise (8).
inline constexpr uint16_t kAllReasonFlags = 0x1FE;

struct DistributionPoint {
  std::vector<std::string> full_names;  // GeneralNameKey of each name of its fullName
  // Named relative to the CRL issuer: full_names holds the name it stands
  // for (relative to the cRLIssuer, or else the certificate's issuer).
  bool relative_name = false;
  bool named = false;  // has a distributionPoint name
  // The directoryNames of its cRLIssuer.
  std::vector<std::shared_ptr<const X509_NAME>> crl_issuers;
  bool has_crl_issuer = false;
  // Its reasons field: the reasons its CRL covers (all when absent).
  uint16_t reasons = kAllReasonFlags;
};

struct CertificateUrls {
  std::vector<std::string> ca_issuers;
  std::vector<std::string> ocsp;
  std::vector<std::string> crl;
  std::vector<std::string> delta_crl;
  // The CRL distribution points that name no URI, as the form they take
  // ("directoryName", "nameRelativeToCRLIssuer", "cRLIssuer only", ...):
  // declared sources all the same (RFC 5280 4.2.1.13), which no fetch
  // reaches.
  std::vector<std::string> crl_without_uri;
  // The points themselves (crl_points: CRLDistributionPoints; freshest_points:
  // FreshestCRL).
  std::vector<DistributionPoint> crl_points;
  std::vector<DistributionPoint> freshest_points;

  // Whether the certificate declares any CRL distribution point.
  bool declares_crl() const { return !crl.empty() || !crl_without_uri.empty(); }
};

CertificateUrls ReadCertificateUrls(X509* x509);

// How distribution point names are compared (the certificate's against a
// CRL's issuingDistributionPoint): a directoryName by its RFC 4514 text,
// lower-cased with runs of spaces collapsed (so that a PrintableString and
// a UTF8String of the same words, or two cases, are one name: RFC 5280 7.1,
// approximately); any other GeneralName by its DER.
std::string GeneralNameKey(const GENERAL_NAME* name);
std::string DirectoryNameKey(const X509_NAME* name);

// The key (as GeneralNameKey) of the full name a nameRelativeToCRLIssuer
// stands for (RFC 5280 4.2.1.13: `rdn` appended to the CRL issuer's name
// `issuer`); empty when it cannot be built.
std::string RelativeNameKey(const X509_NAME* issuer, const STACK_OF(X509_NAME_ENTRY) * rdn);

// The URIs among the fullNames of `points` (a CRLDistributionPoints or
// FreshestCRL extension, of a certificate or a CRL).
std::vector<std::string> DistributionPointUris(const CRL_DIST_POINTS* points);

}  // namespace sigverify::crypto

#endif  // SIGVERIFY_CRYPTO_CERTIFICATE_URLS_H_
