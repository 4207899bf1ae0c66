// Issues X.509 certificates for tests with OpenSSL: any subject, issuer name,
// validity, digest and extensions (in OpenSSL's configuration syntax, so a
// test reads like the RFC clause it exercises). Test-only code; the service
// never issues certificates.
#ifndef SIGVERIFY_TESTS_PKI_CERT_FACTORY_H_
#define SIGVERIFY_TESTS_PKI_CERT_FACTORY_H_

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace sigverify::testing {

template <typename T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using Key = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using Cert = std::unique_ptr<X509, Deleter<X509, X509_free>>;

using Rdns = std::vector<std::pair<const char*, std::string>>;

struct KeySpec {
  std::string type = "ec";  // "rsa", "ec" (P-256) or "ed25519"
  int bits = 256;
};

struct CertSpec {
  Rdns subject;
  Rdns issuer_name;  // empty: the issuer's subject (or the subject, self-signed)
  absl::Time not_before;
  absl::Time not_after;
  long serial = 1;
  // {name, value} in OpenSSL's x509v3_config syntax, e.g.
  // {"basicConstraints", "critical,CA:TRUE,pathlen:0"}; a dotted OID as the
  // name with "critical,DER:05:00" makes an arbitrary extension.
  std::vector<std::pair<std::string, std::string>> extensions;
  // Configuration sections the values refer to with @name (e.g. the dirName
  // of a nameConstraints subtree), in openssl.cnf syntax.
  std::string sections;
  std::string digest = "sha256";  // "sha1" for legacy-shaped certificates
  bool key_identifiers = true;    // subjectKeyIdentifier, authorityKeyIdentifier
};

struct Issued {
  Key key;
  Cert cert;
};

Key MakeKey(const KeySpec& spec);

// `what` and the first error on OpenSSL's queue, which it clears.
absl::Status OpenSslError(const std::string& what);

// Issues `spec` for `key` (a new key of `key_spec` when null), signed by
// `issuer` (self-signed when null).
absl::StatusOr<Issued> Issue(const CertSpec& spec, const Issued* issuer,
                             const KeySpec& key_spec = {}, EVP_PKEY* key = nullptr);

// Makes each of `extensions` ({name, value} as in CertSpec, with `sections`)
// in `ctx` and passes it to `add` (which copies it).
absl::Status AddExtensions(const std::vector<std::pair<std::string, std::string>>& extensions,
                           const std::string& sections, X509V3_CTX* ctx, const std::string& what,
                           const std::function<void(X509_EXTENSION*)>& add);

absl::Status WriteFile(const std::filesystem::path& path, std::string_view bytes);
// <name>.pem and <name>.key.
absl::Status WritePem(const std::filesystem::path& dir, const std::string& name,
                      const Issued& issued);
// The certificates of `certs`, PEM, one after another.
absl::Status WriteCertificates(const std::filesystem::path& path,
                               const std::vector<const X509*>& certs);

}  // namespace sigverify::testing

#endif  // SIGVERIFY_TESTS_PKI_CERT_FACTORY_H_
