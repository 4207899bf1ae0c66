// Revocation of client certificates: the CRLs of --tls-client-crl, each
// verified against the client CA that issued it. Checked on every call (not
// only at the handshake), so a certificate revoked while its connection is
// open is refused from the next call on.
#ifndef SIGVERIFY_SERVICE_ACCESS_CLIENT_CRLS_H_
#define SIGVERIFY_SERVICE_ACCESS_CLIENT_CRLS_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "crypto/certificate.h"
#include "service/access/client_identity.h"

namespace sigverify::service::access {

class ClientCrls {
 public:
  // No CRLs: nothing is revoked.
  ClientCrls() = default;

  // `crls`: PEM (one or more "X509 CRL" blocks) or one DER CRL. Each must be
  // signed by one of `cas` (its issuer, with cRLSign), carry a nextUpdate,
  // and have no critical extension (no delta, partitioned or indirect CRLs);
  // INVALID_ARGUMENT naming the CRL otherwise. Of two CRLs of one CA the
  // later (thisUpdate) counts.
  static absl::StatusOr<ClientCrls> Load(absl::string_view crls,
                                         const std::vector<crypto::CertificatePtr>& cas);

  // UNAUTHENTICATED when the issuer's CRL lists `identity`'s serial, or when
  // that CRL is past its nextUpdate at `now` (fail closed: a stale CRL cannot
  // say a certificate is good). A certificate whose CA has no CRL here passes.
  absl::Status Check(const ClientIdentity& identity, absl::Time now) const;

  size_t size() const { return by_issuer_.size(); }

 private:
  struct Crl {
    std::string issuer;  // RFC 4514, for messages
    absl::Time this_update;
    absl::Time next_update;
    absl::flat_hash_set<std::string> revoked;  // serials, DER
  };
  absl::flat_hash_map<std::string, Crl> by_issuer_;  // issuer name DER
};

}  // namespace sigverify::service::access

#endif  // SIGVERIFY_SERVICE_ACCESS_CLIENT_CRLS_H_
