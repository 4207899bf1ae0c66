// Revocation data kept on disk across restarts: one file per cached OCSP
// status or CRL, holding the raw DER as it was fetched and what is needed
// to validate it again (the certificate, its issuer, the URL). A file is
// written whole or not at all (write to a temporary name, fsync, rename,
// fsync the directory). At start every file is read back and validated
// again by the checker it belongs to, exactly like a fetched response; a
// file that is corrupt (its checksum), tampered with (its signature or its
// name no longer match), or expired is deleted with a log line. Nothing in
// a file is believed without the CA's signature: the checksum only tells
// damage from forgery in the log.
#ifndef SIGVERIFY_CACHE_REVOCATION_STORE_H_
#define SIGVERIFY_CACHE_REVOCATION_STORE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sigverify::cache {

struct PersistedRecord {
  enum class Kind : uint8_t { kOcsp = 1, kCrl = 2 };
  Kind kind = Kind::kOcsp;
  std::string url;         // as the certificate names it
  std::string issuer_der;  // the issuing CA's certificate
  std::string cert_der;    // OCSP: the certificate the status is for
  std::string data;        // the OCSP response, or the (base) CRL
  std::string delta;       // CRL: its delta CRL, or empty
};

// The file format: "sigverify-revocation 1\n", the kind byte, five
// length-prefixed (u32, big-endian) fields in the order above, then the
// SHA-256 of everything before it.
std::string EncodeRecord(const PersistedRecord& record);
absl::StatusOr<PersistedRecord> DecodeRecord(std::string_view bytes);

class RevocationStore {
 public:
  struct LoadStats {
    int loaded = 0;
    int dropped = 0;
  };
  using Log = std::function<void(absl::string_view)>;
  // Validates `record`, found in the file named by `file_key` (see
  // FileKey), and installs it in a cache.
  using Restore = std::function<absl::Status(const std::string& file_key, const PersistedRecord&)>;

  // `dir` must exist and be writable (checked by Open).
  static absl::StatusOr<std::shared_ptr<const RevocationStore>> Open(std::string dir, Log log);

  // The file a cache key is kept in is named by its SHA-256 (hex): a
  // restore checks that the record it reads belongs under that name.
  static std::string FileKey(std::string_view cache_key);

  // Replaces the file for `cache_key` (any bytes) atomically.
  absl::Status Save(const std::string& cache_key, const PersistedRecord& record) const;
  // Reads every file back, giving each to `restore_ocsp` or `restore_crl`;
  // deletes (and logs) the ones that cannot be read or are refused.
  LoadStats Load(const Restore& restore_ocsp, const Restore& restore_crl) const;

  const std::string& dir() const { return dir_; }

 private:
  RevocationStore(std::string dir, Log log) : dir_(std::move(dir)), log_(std::move(log)) {}
  std::string PathOf(const std::string& cache_key) const;

  std::string dir_;
  Log log_;
};

}  // namespace sigverify::cache

#endif  // SIGVERIFY_CACHE_REVOCATION_STORE_H_
