#include "crypto/path_validator.h"

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace sigverify::crypto {
namespace {

using StackPtr = std::unique_ptr<STACK_OF(X509), void (*)(STACK_OF(X509)*)>;

void FreeStackOnly(STACK_OF(X509) * s) { sk_X509_free(s); }

SubIndication SubIndicationForX509Error(int error) {
  switch (error) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return SubIndication::kExpired;
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return SubIndication::kNotYetValid;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_UNTRUSTED:
    case X509_V_ERR_CERT_REJECTED:
      return SubIndication::kNoCertificateChainFound;
    case X509_V_ERR_INVALID_CA:
    case X509_V_ERR_PATH_LENGTH_EXCEEDED:
    case X509_V_ERR_INVALID_PURPOSE:
    case X509_V_ERR_KEYUSAGE_NO_CERTSIGN:
    case X509_V_ERR_INVALID_EXTENSION:
    case X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION:
    case X509_V_ERR_INVALID_POLICY_EXTENSION:
    case X509_V_ERR_NO_EXPLICIT_POLICY:
    case X509_V_ERR_PERMITTED_VIOLATION:
    case X509_V_ERR_EXCLUDED_VIOLATION:
    case X509_V_ERR_SUBTREE_MINMAX:
    case X509_V_ERR_UNSUPPORTED_CONSTRAINT_TYPE:
    case X509_V_ERR_UNSUPPORTED_NAME_SYNTAX:
    case X509_V_ERR_UNSUPPORTED_CONSTRAINT_SYNTAX:
      return SubIndication::kChainConstraintsFailure;
    default:
      return SubIndication::kCertificateChainGeneralFailure;
  }
}

CertificatePtr FindByX509(const X509* x509, const CertificatePtr& signer,
                          absl::Span<const CertificatePtr> intermediates, const TrustStore& store) {
  if (signer->x509() == x509) return signer;
  for (const CertificatePtr& c : intermediates) {
    if (c->x509() == x509) return c;
  }
  if (CertificatePtr known = store.FindKnown(x509)) return known;
  // Fall back to content equality (a library may hand back a copy).
  auto all = std::vector<CertificatePtr>(intermediates.begin(), intermediates.end());
  all.push_back(signer);
  all.insert(all.end(), store.anchors().begin(), store.anchors().end());
  all.insert(all.end(), store.intermediates().begin(), store.intermediates().end());
  for (const CertificatePtr& c : all) {
    if (X509_cmp(c->x509(), x509) == 0) return c;
  }
  return nullptr;
}

// Why a certificate's validity failed, with both times, for the message.
std::string ValidityDetail(SubIndication sub, const CertificatePtr& cert, absl::Time at) {
  if (cert == nullptr) return {};
  if (sub == SubIndication::kExpired) {
    return absl::StrCat(": notAfter ", FormatUtc(cert->not_after()),
                        " is before the validation time ", FormatUtc(at));
  }
  if (sub == SubIndication::kNotYetValid) {
    return absl::StrCat(": notBefore ", FormatUtc(cert->not_before()),
                        " is after the validation time ", FormatUtc(at));
  }
  return {};
}

Sha256Digest MemoKey(const CertificatePtr& signer, absl::Span<const CertificatePtr> intermediates) {
  // Order-independent: the same set of intermediates is the same question.
  std::vector<const Sha256Digest*> fps;
  fps.reserve(intermediates.size());
  for (const CertificatePtr& c : intermediates) fps.push_back(&c->fingerprint());
  std::sort(fps.begin(), fps.end(), [](auto* a, auto* b) { return *a < *b; });
  std::string buf;
  buf.reserve(32 * (fps.size() + 1));
  buf.append(reinterpret_cast<const char*>(signer->fingerprint().data()), 32);
  for (const Sha256Digest* fp : fps) buf.append(reinterpret_cast<const char*>(fp->data()), 32);
  return Sha256(buf);
}

}  // namespace

PathValidator::PathValidator(std::shared_ptr<const TrustStore> store, size_t memo_capacity)
    : store_(std::move(store)), memo_(memo_capacity) {}

PathResult PathValidator::Validate(const CertificatePtr& signer,
                                   absl::Span<const CertificatePtr> intermediates,
                                   absl::Time at) const {
  const Sha256Digest key = MemoKey(signer, intermediates);
  if (auto hit = memo_.Find(key); hit && at >= hit->valid_from && at <= hit->valid_until) {
    return {SubIndication::kNone, {}, hit->path};
  }
  PathResult result = ValidateUncached(signer, intermediates, at);
  if (result.ok()) {
    auto validated = std::make_shared<ValidatedPath>();
    validated->path = result.path;
    validated->valid_from = absl::InfinitePast();
    validated->valid_until = absl::InfiniteFuture();
    for (const CertificatePtr& c : result.path) {
      validated->valid_from = std::max(validated->valid_from, c->not_before());
      validated->valid_until = std::min(validated->valid_until, c->not_after());
    }
    memo_.Insert(key, std::move(validated));
  }
  return result;
}

PathResult PathValidator::ValidateUncached(const CertificatePtr& signer,
                                           absl::Span<const CertificatePtr> intermediates,
                                           absl::Time at) const {
  // RFC 5280 4.2.1.3 / ETSI: the signer's key must be meant for signatures.
  if (signer->has_key_usage() &&
      (signer->key_usage() & (kKeyUsageDigitalSignature | kKeyUsageNonRepudiation)) == 0) {
    return {SubIndication::kChainConstraintsFailure,
            absl::StrCat("signer certificate (", signer->display_name(),
                         "): keyUsage allows neither digitalSignature nor nonRepudiation"),
            {}};
  }

  StackPtr untrusted(sk_X509_new_null(), FreeStackOnly);
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!untrusted || !ctx)
    return {SubIndication::kCertificateChainGeneralFailure, "out of memory", {}};
  // The caller's certificates first, then the configured pool.
  for (const auto& set : {intermediates, absl::MakeConstSpan(store_->intermediates())}) {
    for (const CertificatePtr& c : set) {
      if (!sk_X509_push(untrusted.get(), c->x509())) {
        return {SubIndication::kCertificateChainGeneralFailure, "out of memory", {}};
      }
    }
  }
  if (X509_STORE_CTX_init(ctx.get(), store_->x509_store(), signer->x509(), untrusted.get()) != 1) {
    ERR_clear_error();
    return {SubIndication::kCertificateChainGeneralFailure, "cannot start path validation", {}};
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_time(param, absl::ToTimeT(at));
  // Depth counts the certificates after the signer.
  X509_VERIFY_PARAM_set_depth(param, kMaxPathLength - 1);

  const int rc = X509_verify_cert(ctx.get());
  if (rc != 1) {
    const int error = X509_STORE_CTX_get_error(ctx.get());
    const int depth = X509_STORE_CTX_get_error_depth(ctx.get());
    CertificatePtr failed =
        FindByX509(X509_STORE_CTX_get_current_cert(ctx.get()), signer, intermediates, *store_);
    ERR_clear_error();
    const SubIndication sub = SubIndicationForX509Error(error);
    std::string who = failed ? absl::StrCat(" (", failed->display_name(), ")") : std::string();
    return {sub,
            absl::StrCat("certificate ", depth + 1, " of the path", who, ": ",
                         X509_verify_cert_error_string(error), ValidityDetail(sub, failed, at)),
            {}};
  }

  PathResult result;
  STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx.get());
  for (int i = 0; i < static_cast<int>(sk_X509_num(chain)); ++i) {
    CertificatePtr c = FindByX509(sk_X509_value(chain, i), signer, intermediates, *store_);
    if (c == nullptr) {
      return {SubIndication::kCertificateChainGeneralFailure,
              "validated path holds a certificate that was neither sent nor trusted",
              {}};
    }
    result.path.push_back(std::move(c));
  }
  return result;
}

}  // namespace sigverify::crypto
