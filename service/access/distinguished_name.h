// Distinguished names as access grants name them: RFC 4514 strings
// ("CN=Kiểm toán viên,O=Thanh tra Thành phố,C=VN", most specific RDN first),
// and the same form read off a certificate, so that the two compare
// attribute by attribute: attribute names in any case (CN, cn, 2.5.4.3),
// values exactly after unescaping.
#ifndef SIGVERIFY_SERVICE_ACCESS_DISTINGUISHED_NAME_H_
#define SIGVERIFY_SERVICE_ACCESS_DISTINGUISHED_NAME_H_

#include <openssl/x509.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sigverify::service::access {

// `rfc4514` in canonical form: each attribute as its OpenSSL short name
// (or dotted OID when it has none), values with exactly the escapes RFC 4514
// requires, RDNs joined by ',' and multi-valued RDNs' attributes by '+'.
// INVALID_ARGUMENT naming the position of what does not parse; hex-encoded
// values ("CN=#04...") are refused.
absl::StatusOr<std::string> CanonicalName(absl::string_view rfc4514);

// `name` in the same canonical form; INVALID_ARGUMENT for a value that is
// not a string.
absl::StatusOr<std::string> CanonicalName(const X509_NAME* name);

}  // namespace sigverify::service::access

#endif  // SIGVERIFY_SERVICE_ACCESS_DISTINGUISHED_NAME_H_
