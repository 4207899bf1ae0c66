// The configured trust anchors, immutable once built. A reload builds a new
// TrustStore and swaps the pointer; verifications in flight keep the old one.
#ifndef SIGVERIFY_CRYPTO_TRUST_STORE_H_
#define SIGVERIFY_CRYPTO_TRUST_STORE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "crypto/certificate.h"
#include "crypto/openssl_ptr.h"

namespace sigverify::crypto {

class TrustStore {
 public:
  // `intermediates` is a pool of CA certificates that paths may use without
  // the caller sending them; they are not trusted by themselves.
  static absl::StatusOr<std::shared_ptr<const TrustStore>> FromCertificates(
      std::vector<CertificatePtr> anchors, std::vector<CertificatePtr> intermediates = {});
  // Every certificate of every *.pem, *.crt, *.cer and *.der file of `dir`
  // (PEM files may hold several). Any unreadable file fails the whole load,
  // so that a broken store is noticed at start, not at the first request.
  static absl::StatusOr<std::vector<CertificatePtr>> LoadCertificates(const std::string& dir);
  // FromCertificates(LoadCertificates(dir)).
  static absl::StatusOr<std::shared_ptr<const TrustStore>> LoadDirectory(const std::string& dir);

  X509_STORE* x509_store() const { return store_.get(); }
  const std::vector<CertificatePtr>& anchors() const { return anchors_; }
  const std::vector<CertificatePtr>& intermediates() const { return intermediates_; }
  // The anchor or pool certificate whose X509 object is `x509`, or null.
  CertificatePtr FindKnown(const X509* x509) const;
  // Hex SHA-256 over the sorted anchor fingerprints, then the pool's if there
  // is one: equal sets, equal version.
  const std::string& version() const { return version_; }

 private:
  TrustStore() = default;
  X509StorePtr store_;
  std::vector<CertificatePtr> anchors_;
  std::vector<CertificatePtr> intermediates_;
  std::string version_;
};

}  // namespace sigverify::crypto

#endif  // SIGVERIFY_CRYPTO_TRUST_STORE_H_
