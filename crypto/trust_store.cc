#include "crypto/trust_store.h"

#include <openssl/err.h>
#include <openssl/objects.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

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
    std::vector<CertificatePtr> anchors, std::vector<CertificatePtr> intermediates,
    TrustConfig config) {
  if (anchors.empty()) return absl::FailedPreconditionError("trust store has no anchors");
  SortUnique(anchors);
  SortUnique(intermediates);
  std::shared_ptr<TrustStore> ts(new TrustStore());

  // The built-in default first; the configuration may redefine it.
  ts->policies_.push_back(ValidationPolicy{});
  for (ValidationPolicy& p : config.policies) {
    if (auto s = p.Validate(); !s.ok()) return s;
    auto same = std::find_if(ts->policies_.begin(), ts->policies_.end(),
                             [&](const ValidationPolicy& q) { return q.name == p.name; });
    if (same != ts->policies_.begin() && same != ts->policies_.end()) {
      return absl::InvalidArgumentError(absl::StrCat("validation policy ", p.name, " twice"));
    }
    if (same == ts->policies_.begin()) {
      *same = std::move(p);
    } else {
      ts->policies_.push_back(std::move(p));
    }
  }

  std::string content;
  for (const CertificatePtr& a : anchors) {
    Anchor anchor;
    anchor.store.reset(X509_STORE_new());
    if (!anchor.store || X509_STORE_add_cert(anchor.store.get(), a->x509()) != 1) {
      return absl::InternalError(absl::StrCat("cannot add trust anchor ", a->subject()));
    }
    ts->anchor_index_.emplace(a.get(), std::move(anchor));
    content.append(reinterpret_cast<const char*>(a->fingerprint().data()), 32);
  }
  for (auto& [fingerprint, anchor_config] : config.anchors) {
    const std::string hex = absl::AsciiStrToLower(fingerprint);
    auto it = std::find_if(anchors.begin(), anchors.end(),
                           [&](const CertificatePtr& a) { return a->fingerprint_hex() == hex; });
    if (it == anchors.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("anchor configuration names sha256 ", hex, ", which is not an anchor"));
    }
    for (const std::string& name : anchor_config.validation_policies) {
      if (ts->FindPolicy(name) == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat("anchor ", (*it)->display_name(),
                                                       " names validation policy ", name,
                                                       ", which is not defined"));
      }
    }
    for (const std::string& oid : anchor_config.required_certificate_policies) {
      if (ASN1_OBJECT* obj = OBJ_txt2obj(oid.c_str(), /*dont_search_for_name=*/1)) {
        ASN1_OBJECT_free(obj);
      } else {
        ERR_clear_error();
        return absl::InvalidArgumentError(absl::StrCat(
            "anchor ", (*it)->display_name(), ": required policy '", oid, "' is not an OID"));
      }
    }
    ts->anchor_index_[it->get()].config = anchor_config;
  }
  if (!intermediates.empty()) {
    content.append("|intermediates|");
    for (const CertificatePtr& c : intermediates) {
      content.append(reinterpret_cast<const char*>(c->fingerprint().data()), 32);
    }
  }
  if (!config.policies.empty() || !config.anchors.empty()) {
    // The configuration changes verdicts, so it is part of the version.
    content.append("|config|");
    for (const ValidationPolicy& p : ts->policies_) {
      for (const AlgorithmPolicy* a : {&p.algorithms, p.legacy ? &*p.legacy : nullptr}) {
        if (a == nullptr) continue;
        absl::StrAppend(&content, p.name, ":", a->min_rsa_bits, ":", a->allow_sha1, ";");
      }
      absl::StrAppend(&content, absl::ToUnixSeconds(p.legacy_until), "\n");
    }
    for (const CertificatePtr& a : anchors) {
      const AnchorConfig& c = ts->ConfigFor(*a);
      absl::StrAppend(&content, a->fingerprint_hex(), "=",
                      absl::StrJoin(c.required_certificate_policies, ","), "/",
                      absl::StrJoin(c.validation_policies, ","), "/",
                      static_cast<int>(c.revocation), static_cast<int>(c.revocation_order), "\n");
    }
  }
  ts->version_ = ToHex(Sha256(content));
  ts->anchors_ = std::move(anchors);
  ts->intermediates_ = std::move(intermediates);
  return std::shared_ptr<const TrustStore>(std::move(ts));
}

X509_STORE* TrustStore::StoreFor(const Certificate& anchor) const {
  auto it = anchor_index_.find(&anchor);
  return it == anchor_index_.end() ? nullptr : it->second.store.get();
}

const AnchorConfig& TrustStore::ConfigFor(const Certificate& anchor) const {
  static const AnchorConfig* const kNone = new AnchorConfig();
  auto it = anchor_index_.find(&anchor);
  return it == anchor_index_.end() ? *kNone : it->second.config;
}

const ValidationPolicy* TrustStore::FindPolicy(const std::string& name) const {
  for (const ValidationPolicy& p : policies_) {
    if (p.name == name) return &p;
  }
  return nullptr;
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
