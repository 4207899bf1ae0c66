#include "crypto/certificate_urls.h"

#include <openssl/x509v3.h>

#include <memory>

#include "absl/strings/ascii.h"
#include "crypto/distinguished_name.h"
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

std::string DirectoryNameKey(const X509_NAME* name) {
  std::string key = "dirName:";
  bool space = false;
  for (char ch : NameToString(name)) {
    if (ch == ' ') {
      space = true;
      continue;
    }
    if (space && key.back() != ',' && key.back() != '=') key.push_back(' ');
    space = false;
    key.push_back(absl::ascii_tolower(static_cast<unsigned char>(ch)));
  }
  return key;
}

std::string GeneralNameKey(const GENERAL_NAME* name) {
  if (name->type == GEN_DIRNAME) return DirectoryNameKey(name->d.directoryName);
  return EncodeDer(
      [&](unsigned char** out) { return i2d_GENERAL_NAME(const_cast<GENERAL_NAME*>(name), out); });
}

std::string RelativeNameKey(const X509_NAME* issuer, const STACK_OF(X509_NAME_ENTRY) * rdn) {
  // (const_cast: BoringSSL's X509_NAME_dup takes a mutable name.)
  OpenSslPtr<X509_NAME, X509_NAME_free> full(X509_NAME_dup(const_cast<X509_NAME*>(issuer)));
  if (full == nullptr || sk_X509_NAME_ENTRY_num(rdn) == 0) return {};
  for (size_t i = 0; i < static_cast<size_t>(sk_X509_NAME_ENTRY_num(rdn)); ++i) {
    // The first entry starts a new RDN; the others join it (one RDN).
    if (X509_NAME_add_entry(full.get(), sk_X509_NAME_ENTRY_value(rdn, i), -1, i == 0 ? 0 : -1) !=
        1) {
      return {};
    }
  }
  return DirectoryNameKey(full.get());
}

namespace {

using PointsPtr = OpenSslPtr<CRL_DIST_POINTS, CRL_DIST_POINTS_free>;

PointsPtr PointsOf(X509* x509, int nid) {
  return PointsPtr(static_cast<CRL_DIST_POINTS*>(X509_get_ext_d2i(x509, nid, nullptr, nullptr)));
}

std::vector<std::string> UrisOf(X509* x509, int nid) {
  PointsPtr points = PointsOf(x509, nid);
  return points == nullptr ? std::vector<std::string>{} : DistributionPointUris(points.get());
}

const char* FormOf(const GENERAL_NAME* name) {
  switch (name->type) {
    case GEN_DIRNAME:
      return "directoryName";
    case GEN_DNS:
      return "dNSName";
    case GEN_EMAIL:
      return "rfc822Name";
    case GEN_IPADD:
      return "iPAddress";
    default:
      return "otherName";
  }
}

std::vector<DistributionPoint> PointsIn(X509* x509, int nid) {
  std::vector<DistributionPoint> out;
  PointsPtr points = PointsOf(x509, nid);
  const size_t count = points == nullptr ? 0 : sk_DIST_POINT_num(points.get());
  for (size_t i = 0; i < count; ++i) {
    const DIST_POINT* dp = sk_DIST_POINT_value(points.get(), i);
    DistributionPoint p;
    p.named = dp->distpoint != nullptr;
    p.relative_name = p.named && dp->distpoint->type != 0;
    if (p.named && !p.relative_name) {
      const GENERAL_NAMES* names = dp->distpoint->name.fullname;
      for (size_t j = 0; j < static_cast<size_t>(sk_GENERAL_NAME_num(names)); ++j) {
        p.full_names.push_back(GeneralNameKey(sk_GENERAL_NAME_value(names, j)));
      }
    }
    p.has_crl_issuer = dp->CRLissuer != nullptr;
    if (dp->reasons != nullptr) {
      p.reasons = 0;
      for (int bit = 1; bit <= 8; ++bit) {
        if (ASN1_BIT_STRING_get_bit(dp->reasons, bit)) p.reasons |= 1u << bit;
      }
    }
    for (size_t j = 0;
         p.has_crl_issuer && j < static_cast<size_t>(sk_GENERAL_NAME_num(dp->CRLissuer)); ++j) {
      const GENERAL_NAME* n = sk_GENERAL_NAME_value(dp->CRLissuer, j);
      if (n->type != GEN_DIRNAME) continue;
      X509_NAME* copy = X509_NAME_dup(n->d.directoryName);
      if (copy != nullptr) p.crl_issuers.emplace_back(copy, X509_NAME_free);
      // The names a distribution point without a name is matched by.
      if (!p.named) p.full_names.push_back(GeneralNameKey(n));
    }
    if (p.relative_name) {
      const X509_NAME* base =
          p.crl_issuers.empty() ? X509_get_issuer_name(x509) : p.crl_issuers.front().get();
      std::string full = RelativeNameKey(base, dp->distpoint->name.relativename);
      if (!full.empty()) p.full_names.push_back(std::move(full));
    }
    out.push_back(std::move(p));
  }
  return out;
}

// How each distribution point without a URI is named.
std::vector<std::string> PointsWithoutUri(X509* x509) {
  std::vector<std::string> forms;
  PointsPtr points = PointsOf(x509, NID_crl_distribution_points);
  const size_t count = points == nullptr ? 0 : sk_DIST_POINT_num(points.get());
  for (size_t i = 0; i < count; ++i) {
    const DIST_POINT* dp = sk_DIST_POINT_value(points.get(), i);
    if (dp->distpoint == nullptr) {
      forms.emplace_back("cRLIssuer only");
      continue;
    }
    if (dp->distpoint->type != 0) {
      forms.emplace_back("nameRelativeToCRLIssuer");
      continue;
    }
    const GENERAL_NAMES* names = dp->distpoint->name.fullname;
    bool has_uri = false;
    for (size_t j = 0; j < static_cast<size_t>(sk_GENERAL_NAME_num(names)); ++j) {
      has_uri = has_uri || sk_GENERAL_NAME_value(names, j)->type == GEN_URI;
    }
    if (!has_uri) {
      forms.emplace_back(sk_GENERAL_NAME_num(names) != 0 ? FormOf(sk_GENERAL_NAME_value(names, 0))
                                                         : "no name");
    }
  }
  return forms;
}

}  // namespace

CertificateUrls ReadCertificateUrls(X509* x509) {
  CertificateUrls urls;
  urls.ca_issuers = AccessLocations(x509, NID_ad_ca_issuers);
  urls.ocsp = AccessLocations(x509, NID_ad_OCSP);
  urls.crl = UrisOf(x509, NID_crl_distribution_points);
  urls.crl_without_uri = PointsWithoutUri(x509);
  urls.delta_crl = UrisOf(x509, NID_freshest_crl);
  urls.crl_points = PointsIn(x509, NID_crl_distribution_points);
  urls.freshest_points = PointsIn(x509, NID_freshest_crl);
  return urls;
}

}  // namespace sigverify::crypto
