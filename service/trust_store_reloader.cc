#include "service/trust_store_reloader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "crypto/trust_store.h"
#include "service/trust_config.h"

namespace sigverify::service {

namespace {

absl::Status AddDirectory(const std::string& directory, std::vector<crypto::CertificatePtr>* out) {
  if (directory.empty()) return absl::OkStatus();
  auto certs = crypto::TrustStore::LoadCertificates(directory);
  if (!certs.ok()) return certs.status();
  out->insert(out->end(), certs->begin(), certs->end());
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<const crypto::TrustStore>> LoadTrustStore(
    const TrustSources& sources) {
  std::vector<crypto::CertificatePtr> anchors = sources.anchors;
  std::vector<crypto::CertificatePtr> intermediates = sources.intermediates;
  if (auto s = AddDirectory(sources.anchors_directory, &anchors); !s.ok()) return s;
  if (auto s = AddDirectory(sources.intermediates_directory, &intermediates); !s.ok()) return s;
  crypto::TrustConfig config = sources.config;
  if (!sources.config_file.empty()) {
    std::ifstream in(sources.config_file, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) return absl::NotFoundError(absl::StrCat(sources.config_file, ": cannot read"));
    auto parsed = ParseTrustConfig(text.str());
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(sources.config_file, ": ", parsed.status().message()));
    }
    config = MergeTrustConfig(std::move(config), *parsed);
  }
  auto store = crypto::TrustStore::FromCertificates(std::move(anchors), std::move(intermediates),
                                                    std::move(config));
  if (!store.ok() && !sources.config_file.empty()) {
    return absl::Status(store.status().code(),
                        absl::StrCat(sources.config_file, ": ", store.status().message()));
  }
  return store;
}

TrustStoreReloader::TrustStoreReloader(Verifier* verifier, Options options)
    : verifier_(verifier), options_(std::move(options)) {
  {
    absl::MutexLock lock(&reload_mu_);
    last_state_ = DirectoryState();
  }
  if (options_.poll_interval > absl::ZeroDuration() &&
      !(options_.sources.anchors_directory.empty() &&
        options_.sources.intermediates_directory.empty() && options_.sources.config_file.empty())) {
    poller_ = std::thread([this] { Poll(); });
  }
}

TrustStoreReloader::~TrustStoreReloader() {
  stop_.Notify();
  if (poller_.joinable()) poller_.join();
}

std::string TrustStoreReloader::DirectoryState() const {
  std::vector<std::string> entries;
  for (const std::string& dir :
       {options_.sources.anchors_directory, options_.sources.intermediates_directory}) {
    if (dir.empty()) continue;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
      std::error_code ignored;
      entries.push_back(absl::StrCat(e.path().string(), ":", e.file_size(ignored), ":",
                                     e.last_write_time(ignored).time_since_epoch().count()));
    }
    if (ec) entries.push_back(absl::StrCat(dir, ": error ", ec.message()));
  }
  if (const std::string& file = options_.sources.config_file; !file.empty()) {
    std::error_code ec;
    entries.push_back(
        absl::StrCat(file, ":", std::filesystem::file_size(file, ec), ":",
                     std::filesystem::last_write_time(file, ec).time_since_epoch().count()));
  }
  std::sort(entries.begin(), entries.end());
  std::string state;
  for (const std::string& entry : entries) absl::StrAppend(&state, entry, "\n");
  return state;
}

absl::Status TrustStoreReloader::ReloadNow() {
  absl::MutexLock lock(&reload_mu_);
  last_state_ = DirectoryState();
  auto store = LoadTrustStore(options_.sources);
  if (!store.ok()) {
    failures_.fetch_add(1);
    options_.log(absl::StrCat("trust store reload refused, keeping version ",
                              verifier_->paths()->trust_store().version().substr(0, 16), ": ",
                              store.status().message()));
    return store.status();
  }
  const std::string old_version = verifier_->paths()->trust_store().version();
  if ((*store)->version() != old_version) {
    verifier_->SetPaths(std::make_shared<crypto::PathValidator>(
        *store, options_.path_cache_size, options_.issuer_source, options_.revocation));
  }
  reloads_.fetch_add(1);
  options_.log(absl::StrCat("trust store reloaded: version ", (*store)->version().substr(0, 16),
                            " (", (*store)->anchors().size(), " anchors, ",
                            (*store)->intermediates().size(), " intermediates)",
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

StatsTable TrustStoreReloader::stats_table() const {
  return {
      {"sigverify_trust_store_reloads_total", "Trust store reloads installed", StatKind::kCounter,
       [this] { return double(reloads()); }},
      {"sigverify_trust_store_reload_failures_total",
       "Trust store reloads refused (the old store was kept)", StatKind::kCounter,
       [this] { return double(failures()); }},
  };
}

}  // namespace sigverify::service
