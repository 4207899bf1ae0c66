// The verification core behind the RPCs, free of gRPC: turns one
// VerifyRequest into a VerifyResponse using the certificate cache, the path
// validator and the signature code. Thread-safe; workers share one instance.
#ifndef SIGVERIFY_SERVICE_VERIFIER_H_
#define SIGVERIFY_SERVICE_VERIFIER_H_

#include <atomic>
#include <memory>
#include <string_view>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "crypto/certificate_cache.h"
#include "crypto/message_catalog.h"
#include "crypto/path_validator.h"
#include "crypto/record_verifier.h"
#include "crypto/stats_table.h"
#include "service/audit/audit_log.h"
#include "service/limits.h"
#include "sigverify/v1/verification.pb.h"

namespace sigverify::service {

// Certificates already resolved in this batch chunk. Items of one batch
// usually repeat the signer and chain bytes: comparing bytes with a handful
// of recent ones is cheaper than hashing them for the cache.
class RecentCertificates {
 public:
  explicit RecentCertificates(crypto::CertificateCache* cache) : cache_(cache) {}
  absl::StatusOr<crypto::CertificatePtr> Resolve(std::string_view bytes);

 private:
  static constexpr size_t kSlots = 8;
  crypto::CertificateCache* cache_;
  absl::InlinedVector<std::pair<std::string_view, crypto::CertificatePtr>, kSlots> recent_;
  size_t next_ = 0;
};

// What the items of one call share: the server's clock when the call
// arrived, one trust-store snapshot (every verdict of a call names the same
// trust-store version, even across a reload), and the certificates resolved
// so far. One per call, or per batch chunk; not shared between threads.
class CallScope {
 public:
  CallScope(std::shared_ptr<const crypto::PathValidator> paths, crypto::CertificateCache* cache,
            absl::Time now, crypto::Language language = crypto::Language::kVietnamese)
      : paths_(std::move(paths)), recent_(cache), now_(now), language_(language) {}

  const crypto::PathValidator& paths() const { return *paths_; }
  RecentCertificates& recent() { return recent_; }
  absl::Time now() const { return now_; }
  // The call's language (accept-language metadata), for requests that do
  // not name one.
  crypto::Language language() const { return language_; }
  // Whether a validation time the request sets is attested by a caller
  // trusted to (access control's may_set_validation_time): it then counts
  // as proof of existence instead of a claim judged again at `now`.
  bool time_attested() const { return time_attested_; }
  void set_time_attested(bool attested) { time_attested_ = attested; }

 private:
  std::shared_ptr<const crypto::PathValidator> paths_;
  RecentCertificates recent_;
  absl::Time now_;
  crypto::Language language_;
  bool time_attested_ = false;
};

// The language an accept-language header asks for: English when its first
// tag is English, Vietnamese otherwise (the default for this user base).
crypto::Language LanguageFromHeader(std::string_view accept_language);

// The request's named validation policy in the scope's trust store
// ("default" when empty), or INVALID_ARGUMENT listing the ones there are.
absl::StatusOr<const crypto::ValidationPolicy*> ResolvePolicy(const std::string& name,
                                                              const CallScope& scope);
// The request's language field, or the call's when empty; INVALID_ARGUMENT
// for one not supported.
absl::StatusOr<crypto::Language> ResolveLanguage(const std::string& field, const CallScope& scope);

class Verifier {
 public:
  // The validation policies come with the trust store (crypto::TrustConfig).
  Verifier(std::shared_ptr<const crypto::PathValidator> paths, Limits limits,
           size_t certificate_cache_size);

  // Fills `out` with the verdict; returns a non-OK status (and leaves `out`
  // to the caller) when the request itself is malformed. The scope's `now`
  // is used unless the request gives a validation time. `attachments`, when
  // given, receives the signer's certificate and the revocation responses
  // the verdict rests on (for the audit log).
  absl::Status Verify(const v1::VerifyRequest& request, CallScope& scope, v1::VerifyResponse* out,
                      audit::RecordAttachments* attachments = nullptr) const;

  // Verify for several requests at once, with the same results: the
  // signatures of all of them are checked together (crypto::VerifySignatures:
  // the multi-buffer RSA kernel where the processor has it). outs[i] and
  // attachments[i] (may be null) as for Verify, whose status is statuses[i].
  void VerifyMany(absl::Span<const v1::VerifyRequest* const> requests, CallScope& scope,
                  absl::Span<v1::VerifyResponse* const> outs,
                  absl::Span<audit::RecordAttachments* const> attachments,
                  absl::Span<absl::Status> statuses) const;
  // The same for requests of different calls: requests[i] in scopes[i].
  void VerifyMany(absl::Span<const v1::VerifyRequest* const> requests,
                  absl::Span<CallScope* const> scopes, absl::Span<v1::VerifyResponse* const> outs,
                  absl::Span<audit::RecordAttachments* const> attachments,
                  absl::Span<absl::Status> statuses) const;

  // The verdict on a certificate's path alone; errors as for Verify.
  absl::Status ValidateCertificate(const v1::ValidateCertificateRequest& request, CallScope& scope,
                                   v1::ValidateCertificateResponse* out,
                                   audit::RecordAttachments* attachments = nullptr) const;

  // A scope for a call arriving at `now`, on the current trust store.
  CallScope NewScope(absl::Time now,
                     crypto::Language language = crypto::Language::kVietnamese) const {
    return CallScope(paths(), &cert_cache_, now, language);
  }

  crypto::CertificateCache& certificate_cache() const { return cert_cache_; }
  // The current trust store's validator; a reload swaps it atomically while
  // calls in flight keep the one they started with.
  std::shared_ptr<const crypto::PathValidator> paths() const { return paths_.load(); }
  void SetPaths(std::shared_ptr<const crypto::PathValidator> paths) {
    paths_.store(std::move(paths));
  }
  const Limits& limits() const { return limits_; }
  // The certificate cache, the current store's path memo and anchors
  // (sigverify_certificate_cache_*, sigverify_path_cache_*,
  // sigverify_trust_store_anchors).
  StatsTable stats_table() const;

 private:
  std::atomic<std::shared_ptr<const crypto::PathValidator>> paths_;
  Limits limits_;
  mutable crypto::CertificateCache cert_cache_;
};

// Proto views of crypto values.
v1::Indication ToProto(crypto::Indication indication);
v1::SubIndication ToProto(crypto::SubIndication sub);
void ToProto(const crypto::Certificate& cert, v1::Certificate* out);
void ToProto(const crypto::Failure& failed, v1::FailedCheck* out);
void ToProto(const crypto::SourceProblem& problem, v1::SourceProblem* out);
void ToProto(const std::vector<crypto::RevocationEvidence>& evidence, crypto::Language language,
             google::protobuf::RepeatedPtrField<v1::RevocationEvidence>* out);

}  // namespace sigverify::service

#endif  // SIGVERIFY_SERVICE_VERIFIER_H_
