#include "crypto/path_builder.h"

#include <openssl/asn1.h>
#include <openssl/x509v3.h>

#include <algorithm>

namespace sigverify::crypto {
namespace {

// RFC 4158, 5.2: a certificate whose subject and key already occur on the
// path would close a loop (a re-keyed or cross-certified CA keeps its name
// but not its key, so it may still appear).
bool SameSubjectAndKey(const Certificate& a, const Certificate& b) {
  return X509_NAME_cmp(X509_get_subject_name(a.x509()), X509_get_subject_name(b.x509())) == 0 &&
         ASN1_STRING_cmp(X509_get0_pubkey_bitstr(a.x509()), X509_get0_pubkey_bitstr(b.x509())) == 0;
}

class Builder {
 public:
  Builder(const TrustStore& store, absl::Span<const CertificatePtr> sent,
          const PathBuilderLimits& limits)
      : store_(store), limits_(limits) {
    // The caller's certificates first, then the pool; each once.
    for (const auto& set : {sent, absl::MakeConstSpan(store.intermediates())}) {
      for (const CertificatePtr& c : set) {
        const bool seen = std::any_of(pool_.begin(), pool_.end(), [&](const CertificatePtr& p) {
          return p->fingerprint() == c->fingerprint();
        });
        if (!seen) pool_.push_back(c);
      }
    }
  }

  PathCandidates Build(const CertificatePtr& target) {
    path_.push_back(target);
    // The target may itself be an anchor (a self-signed certificate that
    // the operator trusts): a path of one.
    for (const CertificatePtr& a : store_.anchors()) {
      if (a->fingerprint() == target->fingerprint()) Emit({});
    }
    Extend();
    std::stable_sort(out_.paths.begin(), out_.paths.end(),
                     [](const CandidatePath& a, const CandidatePath& b) {
                       return a.certs.size() < b.certs.size();
                     });
    return std::move(out_);
  }

 private:
  bool Full() {
    if (static_cast<int>(out_.paths.size()) >= limits_.max_paths ||
        checks_ >= limits_.max_issuer_checks) {
      out_.truncated = true;
      return true;
    }
    return false;
  }

  bool Issued(const Certificate& issuer, const Certificate& subject) {
    ++checks_;
    return MayHaveIssued(issuer, subject);
  }

  void Emit(const CertificatePtr& anchor) {
    CandidatePath p;
    p.certs = path_;
    if (anchor != nullptr) p.certs.push_back(anchor);
    out_.paths.push_back(std::move(p));
  }

  bool OnPath(const Certificate& c) const {
    return std::any_of(path_.begin(), path_.end(),
                       [&](const CertificatePtr& p) { return SameSubjectAndKey(*p, c); });
  }

  void Extend() {
    // A copy: path_ grows below, which would move what a reference names.
    const CertificatePtr current_ptr = path_.back();
    const Certificate& current = *current_ptr;
    bool issuer_known = false;
    for (const CertificatePtr& anchor : store_.anchors()) {
      if (Full()) return;
      if (anchor->fingerprint() != current.fingerprint() && Issued(*anchor, current)) {
        issuer_known = true;
        Emit(anchor);
      }
    }
    // Room for one more intermediate and an anchor above it.
    if (static_cast<int>(path_.size()) + 2 > limits_.max_path_length) return;
    for (const CertificatePtr& c : pool_) {
      if (Full()) return;
      if (!Issued(*c, current)) continue;
      issuer_known = true;
      if (OnPath(*c)) continue;
      path_.push_back(c);
      Extend();
      path_.pop_back();
    }
    if (!issuer_known && out_.dead_ends.size() < kMaxDeadEnds &&
        std::none_of(out_.dead_ends.begin(), out_.dead_ends.end(), [&](const CertificatePtr& d) {
          return d->fingerprint() == current.fingerprint();
        })) {
      out_.dead_ends.push_back(current_ptr);
    }
  }

  static constexpr size_t kMaxDeadEnds = 4;

  const TrustStore& store_;
  const PathBuilderLimits& limits_;
  std::vector<CertificatePtr> pool_;
  std::vector<CertificatePtr> path_;
  PathCandidates out_;
  int checks_ = 0;
};

}  // namespace

bool MayHaveIssued(const Certificate& issuer, const Certificate& subject) {
  if (X509_NAME_cmp(X509_get_subject_name(issuer.x509()), X509_get_issuer_name(subject.x509())) !=
      0) {
    return false;
  }
  // RFC 5280 4.2.1.1: the authority key identifier names the issuer's key.
  const ASN1_OCTET_STRING* akid = X509_get0_authority_key_id(subject.x509());
  const ASN1_OCTET_STRING* skid = X509_get0_subject_key_id(issuer.x509());
  return akid == nullptr || skid == nullptr || ASN1_OCTET_STRING_cmp(akid, skid) == 0;
}

PathCandidates BuildCandidatePaths(const CertificatePtr& target,
                                   absl::Span<const CertificatePtr> sent, const TrustStore& store,
                                   const PathBuilderLimits& limits) {
  return Builder(store, sent, limits).Build(target);
}

}  // namespace sigverify::crypto
