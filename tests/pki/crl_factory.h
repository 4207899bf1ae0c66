// Issues CRLs for tests with OpenSSL: any entries (serial, time, reason,
// certificateIssuer), times, CRL number and extensions in OpenSSL's
// configuration syntax (issuingDistributionPoint, deltaCRL, freshestCRL,
// or an arbitrary OID), signed by any key. Test-only code.
#ifndef SIGVERIFY_TESTS_PKI_CRL_FACTORY_H_
#define SIGVERIFY_TESTS_PKI_CRL_FACTORY_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/pki/cert_factory.h"

namespace sigverify::testing {

struct CrlEntrySpec {
  std::string serial_hex;  // e.g. "3002"; any length up to 20 bytes
  absl::Time revoked;
  int reason = -1;          // CRLReason; -1: no reason extension
  Rdns certificate_issuer;  // non-empty: a certificateIssuer entry extension
  // {name, value} entry extensions, e.g. {"1.2.3.4", "critical,DER:05:00"}.
  std::vector<std::pair<std::string, std::string>> extensions;
};

struct CrlSpec {
  absl::Time this_update;
  absl::Time next_update;  // InfinitePast: none
  std::vector<CrlEntrySpec> entries;
  long number = 1;  // cRLNumber; negative: none
  // {name, value} in x509v3_config syntax, e.g.
  // {"issuingDistributionPoint", "critical,@idp"}, {"freshestCRL", "URI:..."};
  // deltaCRL has no text form: {"deltaCRL", "critical,DER:02:01:05"}.
  std::vector<std::pair<std::string, std::string>> extensions;
  std::string sections;
  std::string digest = "sha256";
};

// A DER CRL with `issuer`'s subject as its issuer, signed with `key`
// (normally the issuer's).
absl::StatusOr<std::string> IssueCrl(const CrlSpec& spec, const X509* issuer, EVP_PKEY* key);

}  // namespace sigverify::testing

#endif  // SIGVERIFY_TESTS_PKI_CRL_FACTORY_H_
