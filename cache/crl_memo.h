// CRLs that came with requests, kept parsed so that the same bytes sent
// again (every document of a batch carrying its signer's CA CRL, as signed
// PDFs and CMS do) cost a hash and a comparison instead of a parse: a
// million-entry CRL parses in about 0.4 s and is found again in a few ms.
//
// Only a CRL the CA's own key signed is kept: its parse depends on nothing
// but its bytes, the CA and the time, so a hit is what Parse would return,
// once the time is checked again (thisUpdate not in the future, nextUpdate
// not past, with skew). Keyed by a hash of the size and both ends of the
// bytes and the CA's fingerprint; a hit compares the bytes in full. Bounded by count and by
// bytes (the DER and the index); the least recently used goes first.
// Thread-safe.
#ifndef SIGVERIFY_CACHE_CRL_MEMO_H_
#define SIGVERIFY_CACHE_CRL_MEMO_H_

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "cache/crl.h"

namespace sigverify::cache {

class CrlMemo {
 public:
  struct Limits {
    size_t max_crls = 64;
    size_t max_bytes = size_t{256} << 20;
  };
  explicit CrlMemo(Limits limits) : limits_(limits) {}

  // Crl::Parse(der, issuer, check, others), from the memo when the same
  // bytes were parsed for the same CA before.
  absl::StatusOr<std::shared_ptr<const Crl>> Parse(std::string_view der,
                                                   const crypto::Certificate& issuer,
                                                   const CrlCheck& check, OtherSigners others);

  struct Stats {
    uint64_t hits = 0;
    uint64_t misses = 0;
    size_t crls = 0;
    size_t bytes = 0;
  };
  Stats stats() const;

 private:
  struct Entry {
    uint64_t hash;
    std::string issuer_fingerprint;
    std::shared_ptr<const Crl> crl;
    size_t bytes;
  };

  std::shared_ptr<const Crl> Find(uint64_t hash, std::string_view der,
                                  const crypto::Certificate& issuer);
  void Keep(uint64_t hash, const crypto::Certificate& issuer, std::shared_ptr<const Crl> crl);

  const Limits limits_;
  mutable absl::Mutex mu_;
  std::list<Entry> entries_ ABSL_GUARDED_BY(mu_);  // most recently used first
  size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t hits_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t misses_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace sigverify::cache

#endif  // SIGVERIFY_CACHE_CRL_MEMO_H_
