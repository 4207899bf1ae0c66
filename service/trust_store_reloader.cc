#include "service/trust_store_reloader.h"

#include <algorithm>
#include <filesystem>
#include <vector>

#include "absl/strings/str_cat.h"
#include "crypto/trust_store.h"

namespace sigverify::service {

absl::StatusOr<std::shared_ptr<const crypto::TrustStore>> LoadTrustStore(
    const std::string& directory, const std::vector<crypto::CertificatePtr>& extra) {
  if (directory.empty()) return crypto::TrustStore::FromCertificates(extra);
  auto from_dir = crypto::TrustStore::LoadDirectory(directory);
  if (!from_dir.ok() || extra.empty()) return from_dir;
  std::vector<crypto::CertificatePtr> all = (*from_dir)->anchors();
  all.insert(all.end(), extra.begin(), extra.end());
  return crypto::TrustStore::FromCertificates(std::move(all));
}

TrustStoreReloader::TrustStoreReloader(Verifier* verifier, Options options)
    : verifier_(verifier), options_(std::move(options)) {
  {
    absl::MutexLock lock(&reload_mu_);
    last_state_ = DirectoryState();
  }
  if (options_.poll_interval > absl::ZeroDuration() && !options_.directory.empty()) {
    poller_ = std::thread([this] { Poll(); });
  }
}

TrustStoreReloader::~TrustStoreReloader() {
  stop_.Notify();
  if (poller_.joinable()) poller_.join();
}

std::string TrustStoreReloader::DirectoryState() const {
  if (options_.directory.empty()) return {};
  std::vector<std::string> entries;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(options_.directory, ec)) {
    std::error_code ignored;
    entries.push_back(absl::StrCat(e.path().filename().string(), ":", e.file_size(ignored), ":",
                                   e.last_write_time(ignored).time_since_epoch().count()));
  }
  if (ec) return absl::StrCat("error:", ec.message());
  std::sort(entries.begin(), entries.end());
  std::string state;
  for (const std::string& entry : entries) absl::StrAppend(&state, entry, "\n");
  return state;
}

absl::Status TrustStoreReloader::ReloadNow() {
  absl::MutexLock lock(&reload_mu_);
  last_state_ = DirectoryState();
  auto store = LoadTrustStore(options_.directory, options_.extra_anchors);
  if (!store.ok()) {
    failures_.fetch_add(1);
    options_.log(absl::StrCat("trust store reload refused, keeping version ",
                              verifier_->paths()->trust_store().version().substr(0, 16), ": ",
                              store.status().message()));
    return store.status();
  }
  const std::string old_version = verifier_->paths()->trust_store().version();
  if ((*store)->version() != old_version) {
    verifier_->SetPaths(std::make_shared<crypto::PathValidator>(*store, options_.path_cache_size));
  }
  reloads_.fetch_add(1);
  options_.log(absl::StrCat("trust store reloaded: version ", (*store)->version().substr(0, 16),
                            " (", (*store)->anchors().size(), " anchors)",
                            (*store)->version() == old_version ? ", unchanged" : ""));
  return absl::OkStatus();
}

void TrustStoreReloader::Poll() {
  while (!stop_.WaitForNotificationWithTimeout(options_.poll_interval)) {
    bool changed;
    {
      absl::MutexLock lock(&reload_mu_);
      changed = DirectoryState() != last_state_;
    }
    if (changed) (void)ReloadNow();
  }
}

}  // namespace sigverify::service
