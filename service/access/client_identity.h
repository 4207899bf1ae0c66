// Who a caller is: the client certificate of its mutual-TLS connection
// (gRPC has validated its path to a client CA at the handshake), with what
// access grants and client CRLs match on.
#ifndef SIGVERIFY_SERVICE_ACCESS_CLIENT_IDENTITY_H_
#define SIGVERIFY_SERVICE_ACCESS_CLIENT_IDENTITY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/certificate.h"

namespace sigverify::service::access {

struct ClientIdentity {
  crypto::CertificatePtr certificate;
  // The subject in canonical RFC 4514 form (distinguished_name.h), as
  // grants are compared with it.
  std::string canonical_subject;
  std::vector<std::string> san_uris;
  // The issuer's name and the serial, DER, as a CRL names revoked ones.
  std::string issuer_der;
  std::string serial_der;
  // No extendedKeyUsage, or one with clientAuth or anyExtendedKeyUsage.
  bool client_auth = true;

  const std::string& sha256_hex() const { return certificate->fingerprint_hex(); }
  const std::string& subject() const { return certificate->subject(); }
};

using ClientIdentityPtr = std::shared_ptr<const ClientIdentity>;

// The identity of a PEM certificate as gRPC reports the peer's
// (x509_pem_cert); INVALID_ARGUMENT when it does not parse.
absl::StatusOr<ClientIdentityPtr> IdentityFromPem(absl::string_view pem);

}  // namespace sigverify::service::access

#endif  // SIGVERIFY_SERVICE_ACCESS_CLIENT_IDENTITY_H_
