#include "service/access/client_crls.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "crypto/distinguished_name.h"
#include "crypto/openssl_ptr.h"

namespace sigverify::service::access {
namespace {

using CrlPtr = crypto::OpenSslPtr<X509_CRL, X509_CRL_free>;

// Every CRL of `bytes`: PEM blocks, or one DER CRL.
absl::StatusOr<std::vector<CrlPtr>> ParseCrls(absl::string_view bytes) {
  std::vector<CrlPtr> crls;
  if (absl::StrContains(bytes, "-----BEGIN X509 CRL-----")) {
    crypto::BioPtr bio(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
    while (true) {
      CrlPtr crl(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr));
      if (crl == nullptr) break;
      crls.push_back(std::move(crl));
    }
    ERR_clear_error();  // the end of the blocks
    if (crls.empty()) return absl::InvalidArgumentError("client CRLs: no CRL parses");
    return crls;
  }
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  CrlPtr crl(d2i_X509_CRL(nullptr, &p, static_cast<long>(bytes.size())));
  if (crl == nullptr || p != reinterpret_cast<const unsigned char*>(bytes.data()) + bytes.size()) {
    ERR_clear_error();
    return absl::InvalidArgumentError("client CRLs: neither PEM CRLs nor one DER CRL");
  }
  crls.push_back(std::move(crl));
  return crls;
}

bool HasCriticalExtension(const STACK_OF(X509_EXTENSION) * extensions) {
  for (int i = 0; i < sk_X509_EXTENSION_num(extensions); ++i) {
    if (X509_EXTENSION_get_critical(sk_X509_EXTENSION_value(extensions, i))) return true;
  }
  return false;
}

// The client CA that signed `crl`, or null.
const crypto::Certificate* SignerOf(X509_CRL* crl, const std::vector<crypto::CertificatePtr>& cas) {
  for (const crypto::CertificatePtr& ca : cas) {
    if (X509_NAME_cmp(X509_get_subject_name(ca->x509()), X509_CRL_get_issuer(crl)) != 0) continue;
    if ((X509_get_key_usage(ca->x509()) & KU_CRL_SIGN) == 0) continue;
    EVP_PKEY* key = X509_get0_pubkey(ca->x509());
    if (key != nullptr && X509_CRL_verify(crl, key) == 1) return ca.get();
    ERR_clear_error();
  }
  return nullptr;
}

}  // namespace

absl::StatusOr<ClientCrls> ClientCrls::Load(absl::string_view bytes,
                                            const std::vector<crypto::CertificatePtr>& cas) {
  auto parsed = ParseCrls(bytes);
  if (!parsed.ok()) return parsed.status();
  ClientCrls out;
  int index = 0;
  for (CrlPtr& crl : *parsed) {
    ++index;
    const std::string issuer = crypto::NameToString(X509_CRL_get_issuer(crl.get()));
    auto bad = [&](absl::string_view what) {
      return absl::InvalidArgumentError(
          absl::StrCat("client CRL ", index, " (", issuer, "): ", what));
    };
    if (SignerOf(crl.get(), cas) == nullptr) {
      return bad("not signed by a client CA of that name (--tls-client-ca) with cRLSign");
    }
    if (HasCriticalExtension(X509_CRL_get0_extensions(crl.get()))) {
      return bad(
          "has a critical extension (delta, partitioned and indirect CRLs are not "
          "supported for client certificates)");
    }
    const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl.get());
    if (next == nullptr) return bad("has no nextUpdate");
    auto next_update = crypto::AsnTimeToAbsl(next);
    auto this_update = crypto::AsnTimeToAbsl(X509_CRL_get0_lastUpdate(crl.get()));
    if (!next_update.ok() || !this_update.ok()) return bad("has a malformed time");
    Crl entry;
    entry.issuer = issuer;
    entry.this_update = *this_update;
    entry.next_update = *next_update;
    STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl.get());
    for (int i = 0; i < sk_X509_REVOKED_num(revoked); ++i) {
      const X509_REVOKED* r = sk_X509_REVOKED_value(revoked, i);
      if (HasCriticalExtension(X509_REVOKED_get0_extensions(r))) {
        return bad("an entry has a critical extension (indirect CRLs are not supported)");
      }
      entry.revoked.insert(crypto::EncodeDer([&](unsigned char** p) {
        return i2d_ASN1_INTEGER(X509_REVOKED_get0_serialNumber(r), p);
      }));
    }
    const std::string key = crypto::EncodeDer(
        [&](unsigned char** p) { return i2d_X509_NAME(X509_CRL_get_issuer(crl.get()), p); });
    auto [it, inserted] = out.by_issuer_.try_emplace(key, std::move(entry));
    if (!inserted && it->second.this_update < entry.this_update) it->second = std::move(entry);
  }
  return out;
}

absl::Status ClientCrls::Check(const ClientIdentity& identity, absl::Time now) const {
  auto it = by_issuer_.find(identity.issuer_der);
  if (it == by_issuer_.end()) return absl::OkStatus();
  const Crl& crl = it->second;
  if (now > crl.next_update) {
    return absl::UnauthenticatedError(
        absl::StrCat("the client CRL of ", crl.issuer, " was due for renewal at ",
                     absl::FormatTime(absl::RFC3339_sec, crl.next_update, absl::UTCTimeZone()),
                     ": certificates of that CA are refused until --tls-client-crl is renewed"));
  }
  if (crl.revoked.contains(identity.serial_der)) {
    return absl::UnauthenticatedError(absl::StrCat(
        "client certificate ", identity.subject(), " (serial ", identity.certificate->serial_hex(),
        ") is revoked by the client CRL of ", crl.issuer));
  }
  return absl::OkStatus();
}

}  // namespace sigverify::service::access
