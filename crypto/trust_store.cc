#include "crypto/trust_store.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace sigverify::crypto {
namespace {

constexpr uintmax_t kMaxAnchorFileBytes = uintmax_t{4} << 20;

bool IsCertificateFile(const std::filesystem::path& p) {
  const std::string ext = p.extension().string();
  return ext == ".pem" || ext == ".crt" || ext == ".cer" || ext == ".der";
}

// Sorted by fingerprint, duplicates dropped: the order of files and flags
// does not change a store or its version.
void SortUnique(std::vector<CertificatePtr>& certs) {
  std::sort(certs.begin(), certs.end(), [](const CertificatePtr& a, const CertificatePtr& b) {
    return a->fingerprint() < b->fingerprint();
  });
  certs.erase(std::unique(certs.begin(), certs.end(),
                          [](const CertificatePtr& a, const CertificatePtr& b) {
                            return a->fingerprint() == b->fingerprint();
                          }),
              certs.end());
}

}  // namespace

absl::StatusOr<std::shared_ptr<const TrustStore>> TrustStore::FromCertificates(
    std::vector<CertificatePtr> anchors, std::vector<CertificatePtr> intermediates) {
  if (anchors.empty()) return absl::FailedPreconditionError("trust store has no anchors");
  SortUnique(anchors);
  SortUnique(intermediates);
  std::shared_ptr<TrustStore> ts(new TrustStore());
  ts->store_.reset(X509_STORE_new());
  if (!ts->store_) return absl::ResourceExhaustedError("out of memory");
  std::string fingerprints;
  for (const CertificatePtr& a : anchors) {
    if (X509_STORE_add_cert(ts->store_.get(), a->x509()) != 1) {
      return absl::InternalError(absl::StrCat("cannot add trust anchor ", a->subject()));
    }
    fingerprints.append(reinterpret_cast<const char*>(a->fingerprint().data()), 32);
  }
  if (!intermediates.empty()) {
    fingerprints.append("|intermediates|");
    for (const CertificatePtr& c : intermediates) {
      fingerprints.append(reinterpret_cast<const char*>(c->fingerprint().data()), 32);
    }
  }
  ts->version_ = ToHex(Sha256(fingerprints));
  ts->anchors_ = std::move(anchors);
  ts->intermediates_ = std::move(intermediates);
  return std::shared_ptr<const TrustStore>(std::move(ts));
}

absl::StatusOr<std::shared_ptr<const TrustStore>> TrustStore::LoadDirectory(
    const std::string& dir) {
  auto certs = LoadCertificates(dir);
  if (!certs.ok()) return certs.status();
  return FromCertificates(*std::move(certs));
}

absl::StatusOr<std::vector<CertificatePtr>> TrustStore::LoadCertificates(const std::string& dir) {
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.is_regular_file() && IsCertificateFile(entry.path()) &&
        !absl::StartsWith(entry.path().filename().string(), ".")) {
      files.push_back(entry.path());
    }
  }
  if (ec) {
    return absl::NotFoundError(absl::StrCat("directory ", dir, ": ", ec.message()));
  }
  std::sort(files.begin(), files.end());
  std::vector<CertificatePtr> certs;
  for (const auto& path : files) {
    if (std::filesystem::file_size(path, ec) > kMaxAnchorFileBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat(path.string(), ": larger than ", kMaxAnchorFileBytes, " bytes"));
    }
    std::ifstream in(path, std::ios::binary);
    std::stringstream buf;
    buf << in.rdbuf();
    if (!in) return absl::NotFoundError(absl::StrCat(path.string(), ": cannot read"));
    auto parsed = Certificate::ParseAll(buf.str());
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path.string(), ": ", parsed.status().message()));
    }
    for (auto& c : *parsed) certs.push_back(std::move(c));
  }
  if (certs.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("directory ", dir, " holds no .pem/.crt/.cer/.der certificate"));
  }
  return certs;
}

CertificatePtr TrustStore::FindKnown(const X509* x509) const {
  for (const auto* set : {&anchors_, &intermediates_}) {
    for (const CertificatePtr& c : *set) {
      if (c->x509() == x509) return c;
    }
  }
  return nullptr;
}

}  // namespace sigverify::crypto
