// The URLs a certificate names for its issuer and its revocation status:
// authorityInfoAccess caIssuers and OCSP (RFC 5280 4.2.2.1), the full names
// of its CRL distribution points (4.2.1.13) and of its freshest CRL (delta
// CRL) points (4.2.1.15). Read once when a certificate is parsed
// (Certificate::urls()); crypto/ only reads them, cache/ fetches.
#ifndef SIGVERIFY_CRYPTO_CERTIFICATE_URLS_H_
#define SIGVERIFY_CRYPTO_CERTIFICATE_URLS_H_

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <vector>

namespace sigverify::crypto {

// One distribution point of a CRLDistributionPoints or FreshestCRL
// extension, decoded once for CRL scope checks (RFC 5280 6.3.3 (b)).
struct DistributionPoint {
  std::vector<std::string> full_names;  // DER GeneralNames of its fullName
  bool relative_name = false;           // named relative to the CRL issuer
  bool named = false;                   // has a distributionPoint name
  // The directoryNames of its cRLIssuer.
  std::vector<std::shared_ptr<const X509_NAME>> crl_issuers;
  bool has_crl_issuer = false;
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

// A GeneralName's DER: how distribution point names are compared (the
// certificate's against a CRL's issuingDistributionPoint).
std::string GeneralNameDer(const GENERAL_NAME* name);

// The URIs among the fullNames of `points` (a CRLDistributionPoints or
// FreshestCRL extension, of a certificate or a CRL).
std::vector<std::string> DistributionPointUris(const CRL_DIST_POINTS* points);

}  // namespace sigverify::crypto

#endif  // SIGVERIFY_CRYPTO_CERTIFICATE_URLS_H_
