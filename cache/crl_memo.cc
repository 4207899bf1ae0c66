#include "cache/crl_memo.h"

#include <cstring>

#include "absl/hash/hash.h"

namespace sigverify::cache {
namespace {

std::string Fingerprint(const crypto::Certificate& c) {
  return std::string(reinterpret_cast<const char*>(c.fingerprint().data()), c.fingerprint().size());
}

// Which entry to compare with: the size and both ends (a CRL ends with its
// signature), not every byte; a candidate is compared in full. So a CRL
// asked about for another CA of the path (not its issuer) costs no pass
// over a large CRL.
uint64_t LookupHash(std::string_view der) {
  constexpr size_t kEnd = 4096;
  if (der.size() <= 2 * kEnd) return absl::HashOf(der);
  return absl::HashOf(der.size(), der.substr(0, kEnd), der.substr(der.size() - kEnd));
}

}  // namespace

absl::StatusOr<std::shared_ptr<const Crl>> CrlMemo::Parse(std::string_view der,
                                                          const crypto::Certificate& issuer,
                                                          const CrlCheck& check,
                                                          OtherSigners others) {
  const uint64_t hash = LookupHash(der);
  if (std::shared_ptr<const Crl> kept = Find(hash, der, issuer)) {
    // What Parse checks of the time, again: the rest depends only on the
    // bytes and the CA. Out of its window, Parse says why.
    if (kept->this_update() <= check.now + check.skew &&
        kept->next_update() + check.skew >= check.now && kept->size() <= check.max_entries) {
      return kept;
    }
  }
  auto crl = Crl::Parse(der, issuer, check, others);
  if (crl.ok() && (*crl)->signer().certificate == nullptr) Keep(hash, issuer, *crl);
  return crl;
}

std::shared_ptr<const Crl> CrlMemo::Find(uint64_t hash, std::string_view der,
                                         const crypto::Certificate& issuer) {
  const std::string fingerprint = Fingerprint(issuer);
  std::shared_ptr<const Crl> found;
  {
    absl::MutexLock lock(&mu_);
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->hash != hash || it->issuer_fingerprint != fingerprint ||
          it->crl->der().size() != der.size()) {
        continue;
      }
      found = it->crl;
      entries_.splice(entries_.begin(), entries_, it);
      break;
    }
  }
  // The full comparison outside the lock: the kept CRL is immutable.
  const bool same =
      found != nullptr && std::memcmp(found->der().data(), der.data(), der.size()) == 0;
  absl::MutexLock lock(&mu_);
  ++(same ? hits_ : misses_);
  return same ? found : nullptr;
}

void CrlMemo::Keep(uint64_t hash, const crypto::Certificate& issuer,
                   std::shared_ptr<const Crl> crl) {
  const size_t bytes = crl->der().size() + crl->index_bytes();
  if (bytes > limits_.max_bytes || limits_.max_crls == 0) return;
  std::string fingerprint = Fingerprint(issuer);
  absl::MutexLock lock(&mu_);
  for (const Entry& e : entries_) {
    if (e.hash == hash && e.issuer_fingerprint == fingerprint && e.crl->der() == crl->der()) return;
  }
  entries_.push_front(Entry{hash, std::move(fingerprint), std::move(crl), bytes});
  bytes_ += bytes;
  while (entries_.size() > limits_.max_crls || bytes_ > limits_.max_bytes) {
    bytes_ -= entries_.back().bytes;
    entries_.pop_back();
  }
}

CrlMemo::Stats CrlMemo::stats() const {
  absl::MutexLock lock(&mu_);
  return {hits_, misses_, entries_.size(), bytes_};
}

}  // namespace sigverify::cache
