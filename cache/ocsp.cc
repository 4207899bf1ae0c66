#include "cache/ocsp.h"

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "cache/crl.h"
#include "cache/source_error.h"
#include "crypto/distinguished_name.h"
#include "crypto/openssl_ptr.h"
#include "crypto/public_key.h"

namespace sigverify::cache {
namespace {

using ResponsePtr = crypto::OpenSslPtr<OCSP_RESPONSE, OCSP_RESPONSE_free>;
using BasicPtr = crypto::OpenSslPtr<OCSP_BASICRESP, OCSP_BASICRESP_free>;
using RequestPtr = crypto::OpenSslPtr<OCSP_REQUEST, OCSP_REQUEST_free>;
using CertIdPtr = crypto::OpenSslPtr<OCSP_CERTID, OCSP_CERTID_free>;

using CertStackPtr = crypto::X509StackPtr;

using R = crypto::FailureReason;

absl::Status Fail(R reason, std::string detail = {}, absl::Time time = absl::InfinitePast()) {
  ERR_clear_error();
  crypto::SourceProblem p;
  p.reason = reason;
  p.detail = std::move(detail);
  p.time = time;
  return SourceError(p);
}

bool SameCertificate(const X509* a, const X509* b) { return X509_cmp(a, b) == 0; }

// RFC 6960 4.2.2.2: the CA itself, or a responder certificate issued directly
// by the CA, carrying id-kp-OCSPSigning and valid at the time.
absl::Status CheckResponderAuthorised(X509* signer, const crypto::Certificate& issuer,
                                      absl::Time now, bool* delegated) {
  *delegated = false;
  if (SameCertificate(signer, issuer.x509())) return absl::OkStatus();
  // The same CA key under another certificate (re-issued CA certificate).
  if (X509_NAME_cmp(X509_get_subject_name(signer), X509_get_subject_name(issuer.x509())) == 0 &&
      EVP_PKEY_eq(X509_get0_pubkey(signer), issuer.public_key().pkey()) == 1) {
    return absl::OkStatus();
  }
  *delegated = true;
  if (X509_check_issued(issuer.x509(), signer) != X509_V_OK ||
      X509_verify(signer, issuer.public_key().pkey()) != 1) {
    return Fail(R::kResponderNotAuthorised);
  }
  if ((X509_get_extension_flags(signer) & EXFLAG_XKUSAGE) == 0 ||
      (X509_get_extended_key_usage(signer) & XKU_OCSP_SIGN) == 0) {
    return Fail(R::kResponderNotForOcsp);
  }
  auto not_before = crypto::AsnTimeToAbsl(X509_get0_notBefore(signer));
  auto not_after = crypto::AsnTimeToAbsl(X509_get0_notAfter(signer));
  if (!not_before.ok() || !not_after.ok() || now < *not_before || now > *not_after) {
    return Fail(R::kResponderCertificateExpired);
  }
  return absl::OkStatus();
}

// RFC 6960 4.2.2.2.1: a delegated responder's own status. With
// id-pkix-ocsp-nocheck it is not asked; without, a valid CRL of the CA at
// hand that covers and lists it refuses the response. (No CRL at hand: not
// asked either; fetching one per response is not done.)
absl::Status CheckResponderNotRevoked(X509* signer, const crypto::Certificate& issuer,
                                      const OcspCheck& check) {
  if (check.crls.empty() || X509_get_ext_by_NID(signer, NID_id_pkix_OCSP_noCheck, -1) >= 0) {
    return absl::OkStatus();
  }
  const std::string der = crypto::EncodeDer([&](unsigned char** p) { return i2d_X509(signer, p); });
  auto responder = crypto::Certificate::Parse(der);
  if (!responder.ok()) return Fail(R::kResponseMalformed, "responder certificate");
  CrlCheck crl_check;
  crl_check.now = check.now;
  crl_check.skew = check.skew;
  for (std::string_view crl_der : check.crls) {
    auto crl = Crl::Parse(crl_der, issuer, crl_check);
    if (!crl.ok() || !(*crl)->Covers(**responder).ok()) continue;
    if (std::optional<CrlEntry> e = (*crl)->Find(**responder);
        e && e->revocation_time <= check.now) {
      return Fail(R::kResponderRevoked, {}, e->revocation_time);
    }
  }
  return absl::OkStatus();
}

// RFC 6960 4.4: the only extensions understood here are the nonce (and the
// CRL references and archive cutoff, which are informational).
absl::Status CheckCriticalExtensions(OCSP_BASICRESP* bs, OCSP_SINGLERESP* single) {
  for (int i = 0; i < OCSP_BASICRESP_get_ext_count(bs); ++i) {
    X509_EXTENSION* ext = OCSP_BASICRESP_get_ext(bs, i);
    const int nid = OBJ_obj2nid(X509_EXTENSION_get_object(ext));
    if (X509_EXTENSION_get_critical(ext) && nid != NID_id_pkix_OCSP_Nonce) {
      return Fail(R::kResponseCriticalExtension, crypto::OidText(X509_EXTENSION_get_object(ext)));
    }
  }
  for (int i = 0; i < OCSP_SINGLERESP_get_ext_count(single); ++i) {
    X509_EXTENSION* ext = OCSP_SINGLERESP_get_ext(single, i);
    const int nid = OBJ_obj2nid(X509_EXTENSION_get_object(ext));
    if (X509_EXTENSION_get_critical(ext) && nid != NID_id_pkix_OCSP_CrlID &&
        nid != NID_id_pkix_OCSP_archiveCutoff) {
      return Fail(R::kResponseCriticalExtension, crypto::OidText(X509_EXTENSION_get_object(ext)));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckNonce(OCSP_BASICRESP* bs, const std::string& sent) {
  if (sent.empty()) return absl::OkStatus();
  const int idx = OCSP_BASICRESP_get_ext_by_NID(bs, NID_id_pkix_OCSP_Nonce, -1);
  // RFC 5019 2.1.1: responders may answer pre-produced responses without one.
  if (idx < 0) return absl::OkStatus();
  ASN1_OCTET_STRING* value = X509_EXTENSION_get_data(OCSP_BASICRESP_get_ext(bs, idx));
  // The extension value is itself a DER OCTET STRING holding the nonce.
  const unsigned char* p = ASN1_STRING_get0_data(value);
  crypto::OpenSslPtr<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free> inner(
      d2i_ASN1_OCTET_STRING(nullptr, &p, ASN1_STRING_length(value)));
  const bool same =
      inner && static_cast<size_t>(ASN1_STRING_length(inner.get())) == sent.size() &&
      std::string_view(reinterpret_cast<const char*>(ASN1_STRING_get0_data(inner.get())),
                       sent.size()) == sent;
  if (!same) {
    return Fail(R::kNonceMismatch);
  }
  return absl::OkStatus();
}

// The single response for `cert`, found by a CertID under SHA-1 or SHA-256.
OCSP_SINGLERESP* FindSingle(OCSP_BASICRESP* bs, const crypto::Certificate& cert,
                            const crypto::Certificate& issuer) {
  for (const EVP_MD* md : {EVP_sha1(), EVP_sha256()}) {
    CertIdPtr id(OCSP_cert_to_id(md, cert.x509(), issuer.x509()));
    if (!id) continue;
    const int idx = OCSP_resp_find(bs, id.get(), -1);
    if (idx >= 0) return OCSP_resp_get0(bs, idx);
  }
  return nullptr;
}

}  // namespace

absl::StatusOr<std::string> BuildOcspRequest(const crypto::Certificate& cert,
                                             const crypto::Certificate& issuer,
                                             std::string_view nonce) {
  RequestPtr req(OCSP_REQUEST_new());
  OCSP_CERTID* id = OCSP_cert_to_id(EVP_sha1(), cert.x509(), issuer.x509());
  if (!req || id == nullptr || OCSP_request_add0_id(req.get(), id) == nullptr) {
    OCSP_CERTID_free(id);
    return Fail(R::kSourceInternal, "OCSP_request_add0_id");
  }
  if (!nonce.empty() &&
      OCSP_request_add1_nonce(req.get(),
                              reinterpret_cast<unsigned char*>(const_cast<char*>(nonce.data())),
                              static_cast<int>(nonce.size())) != 1) {
    return Fail(R::kSourceInternal, "OCSP_request_add1_nonce");
  }
  std::string out =
      crypto::EncodeDer([&](unsigned char** der) { return i2d_OCSP_REQUEST(req.get(), der); });
  if (out.empty()) return Fail(R::kSourceInternal, "i2d_OCSP_REQUEST");
  return out;
}

absl::StatusOr<OcspStatus> ValidateOcspResponse(std::string_view der,
                                                const crypto::Certificate& cert,
                                                const crypto::Certificate& issuer,
                                                const OcspCheck& check) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ResponsePtr response(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der.size())));
  if (!response || p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {
    return Fail(R::kResponseMalformed, "OCSPResponse");
  }
  const int outer = OCSP_response_status(response.get());
  if (outer != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
    return Fail(R::kResponderError, OCSP_response_status_str(outer));
  }
  BasicPtr bs(OCSP_response_get1_basic(response.get()));
  if (!bs) return Fail(R::kResponseMalformed, "BasicOCSPResponse");

  // The signer: a certificate in the response, or the issuing CA itself.
  CertStackPtr extra(sk_X509_new_null());
  if (!extra || !sk_X509_push(extra.get(), issuer.x509())) {
    return Fail(R::kSourceInternal, "sk_X509_push");
  }
  X509* signer = nullptr;
  if (OCSP_resp_get0_signer(bs.get(), &signer, extra.get()) != 1 || signer == nullptr) {
    return Fail(R::kResponderNotAuthorised);
  }
  // Who may sign first (RFC 6960 4.2.2.2: the CA's own key, or a responder
  // the CA certified, checked with the CA's key), and the key within bounds,
  // so that no signature math is done with a key from the response alone.
  OcspStatus out;
  if (auto s = CheckResponderAuthorised(signer, issuer, check.now, &out.delegated); !s.ok()) {
    return s;
  }
  if (out.delegated) {
    if (auto s = CheckResponderNotRevoked(signer, issuer, check); !s.ok()) return s;
  }
  if (!crypto::CheckKeyBounds(X509_get0_pubkey(signer)).ok()) {
    return Fail(R::kResponseMalformed, "responder public key");
  }
  if (OCSP_basic_verify(bs.get(), extra.get(), nullptr, OCSP_NOVERIFY) != 1) {
    return Fail(R::kResponseSignatureInvalid);
  }
  out.responder = crypto::NameToString(X509_get_subject_name(signer));

  OCSP_SINGLERESP* single = FindSingle(bs.get(), cert, issuer);
  if (single == nullptr) {
    return Fail(R::kNoAnswerForCertificate, cert.serial_hex());
  }
  if (auto s = CheckCriticalExtensions(bs.get(), single); !s.ok()) return s;
  if (auto s = CheckNonce(bs.get(), check.nonce); !s.ok()) return s;

  int reason = -1;
  ASN1_GENERALIZEDTIME* revoked_at = nullptr;
  ASN1_GENERALIZEDTIME* this_update = nullptr;
  ASN1_GENERALIZEDTIME* next_update = nullptr;
  const int status =
      OCSP_single_get0_status(single, &reason, &revoked_at, &this_update, &next_update);
  auto this_time = crypto::AsnTimeToAbsl(this_update);
  if (!this_time.ok()) return Fail(R::kResponseMalformed, "thisUpdate");
  out.this_update = *this_time;
  if (next_update != nullptr) {
    auto next_time = crypto::AsnTimeToAbsl(next_update);
    if (!next_time.ok()) return Fail(R::kResponseMalformed, "nextUpdate");
    out.next_update = *next_time;
  } else {
    out.next_update = out.this_update + check.max_age_without_next_update;
  }
  if (out.this_update > check.now + check.skew) {
    return Fail(R::kResponseNotYetValid, {}, out.this_update);
  }
  if (out.next_update + check.skew < check.now) {
    return Fail(R::kResponseStale, {}, out.next_update);
  }
  switch (status) {
    case V_OCSP_CERTSTATUS_GOOD:
      out.status = CertStatus::kGood;
      break;
    case V_OCSP_CERTSTATUS_REVOKED: {
      out.status = CertStatus::kRevoked;
      auto when = crypto::AsnTimeToAbsl(revoked_at);
      if (!when.ok()) return Fail(R::kResponseMalformed, "revocationTime");
      out.revocation_time = *when;
      out.revocation_reason = reason;
      break;
    }
    default:
      out.status = CertStatus::kUnknown;
  }
  return out;
}

}  // namespace sigverify::cache
