// The configured trust anchors, immutable once built. A reload builds a new
// TrustStore and swaps the pointer; verifications in flight keep the old one.
#ifndef SIGVERIFY_CRYPTO_TRUST_STORE_H_
#define SIGVERIFY_CRYPTO_TRUST_STORE_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "crypto/certificate.h"
#include "crypto/openssl_ptr.h"
#include "crypto/validation_policy.h"

namespace sigverify::crypto {

// Validation policies and per-anchor settings, as the operator configured
// them (service/ reads them from the trust configuration file).
struct TrustConfig {
  // Named policies besides the built-in "default" (which one may redefine).
  std::vector<ValidationPolicy> policies;
  // Keyed by the anchor's SHA-256 fingerprint, lower-case hex.
  std::vector<std::pair<std::string, AnchorConfig>> anchors;
};

class TrustStore {
 public:
  // `intermediates` is a pool of CA certificates that paths may use without
  // the caller sending them; they are not trusted by themselves. `config`
  // may only name anchors the store has, and policies the anchors name must
  // exist: a mistake fails the load, never a request.
  static absl::StatusOr<std::shared_ptr<const TrustStore>> FromCertificates(
      std::vector<CertificatePtr> anchors, std::vector<CertificatePtr> intermediates = {},
      TrustConfig config = {});
  // Every certificate of every *.pem, *.crt, *.cer and *.der file of `dir`
  // (PEM files may hold several). Any unreadable file fails the whole load,
  // so that a broken store is noticed at start, not at the first request.
  static absl::StatusOr<std::vector<CertificatePtr>> LoadCertificates(const std::string& dir);
  // FromCertificates(LoadCertificates(dir)).
  static absl::StatusOr<std::shared_ptr<const TrustStore>> LoadDirectory(const std::string& dir);

  const std::vector<CertificatePtr>& anchors() const { return anchors_; }
  // A store holding `anchor` alone (one of anchors()): a candidate path is
  // validated against its own anchor only.
  X509_STORE* StoreFor(const Certificate& anchor) const;
  // The anchor's configuration (an empty one when none was given).
  const AnchorConfig& ConfigFor(const Certificate& anchor) const;
  // A validation policy by name ("default" always exists), or null.
  const ValidationPolicy* FindPolicy(const std::string& name) const;
  const std::vector<ValidationPolicy>& policies() const { return policies_; }
  const std::vector<CertificatePtr>& intermediates() const { return intermediates_; }
  // The anchor or pool certificate whose X509 object is `x509`, or null.
  CertificatePtr FindKnown(const X509* x509) const;
  // Hex SHA-256 over the sorted anchor fingerprints, then the pool's and the
  // configuration if there are any: equal contents, equal version.
  const std::string& version() const { return version_; }

 private:
  TrustStore() = default;
  struct Anchor {
    X509StorePtr store;
    AnchorConfig config;
  };
  absl::flat_hash_map<const Certificate*, Anchor> anchor_index_;
  std::vector<ValidationPolicy> policies_;
  std::vector<CertificatePtr> anchors_;
  std::vector<CertificatePtr> intermediates_;
  std::string version_;
};

}  // namespace sigverify::crypto

#endif  // SIGVERIFY_CRYPTO_TRUST_STORE_H_
