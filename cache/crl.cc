#include "cache/crl.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <algorithm>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "cache/source_error.h"
#include "crypto/certificate_urls.h"
#include "crypto/distinguished_name.h"
#include "crypto/sha256.h"

namespace sigverify::cache {
namespace {

using R = crypto::FailureReason;

absl::Status Fail(R reason, std::string detail = {}, absl::Time time = absl::InfinitePast(),
                  int64_t limit = 0, int64_t actual = 0) {
  ERR_clear_error();
  crypto::SourceProblem p;
  p.reason = reason;
  p.detail = std::move(detail);
  p.time = time;
  p.limit = limit;
  p.actual = actual;
  return SourceError(p);
}

using crypto::OpenSslPtr;
using CrlPtr = OpenSslPtr<X509_CRL, X509_CRL_free>;
using IdpPtr = OpenSslPtr<ISSUING_DIST_POINT, ISSUING_DIST_POINT_free>;
using IntegerPtr = OpenSslPtr<ASN1_INTEGER, ASN1_INTEGER_free>;
using NamesPtr = OpenSslPtr<GENERAL_NAMES, GENERAL_NAMES_free>;
using PointsPtr = OpenSslPtr<CRL_DIST_POINTS, CRL_DIST_POINTS_free>;

uint64_t SerialHash(const SerialKey& key) { return absl::HashOf(key.magnitude, key.negative); }

std::string_view SerialOf(const ASN1_INTEGER* serial) {
  return {reinterpret_cast<const char*>(ASN1_STRING_get0_data(serial)),
          static_cast<size_t>(ASN1_STRING_length(serial))};
}

// Whether `tbs` (the TBSCertList as received) is signed with `key` under
// the CRL's signatureAlgorithm. ASN1_item_verify verifies the encoding of
// the item it is given; an ANY holding a SEQUENCE encodes as the bytes it
// holds, so the bytes verified are the ones received, not a re-encoding.
bool SignedBy(const CrlLayout& layout, const X509_CRL* crl, EVP_PKEY* key) {
  const X509_ALGOR* algorithm = nullptr;
  const ASN1_BIT_STRING* signature = nullptr;
  X509_CRL_get0_signature(crl, &signature, &algorithm);
  struct Borrowed {
    ASN1_TYPE any{};
    ASN1_STRING bytes{};
  } tbs;
  tbs.bytes.type = V_ASN1_SEQUENCE;
  tbs.bytes.length = static_cast<int>(layout.tbs.size());
  tbs.bytes.data = reinterpret_cast<unsigned char*>(const_cast<char*>(layout.tbs.data()));
  tbs.any.type = V_ASN1_SEQUENCE;
  tbs.any.value.sequence = &tbs.bytes;
  const bool ok =
      ASN1_item_verify(ASN1_ITEM_rptr(ASN1_ANY), algorithm, signature, &tbs.any, key) == 1;
  ERR_clear_error();
  return ok;
}

// An INTEGER's magnitude, big-endian without leading zeros.
std::string Magnitude(const ASN1_INTEGER* n) {
  std::string_view bytes = SerialOf(n);
  while (!bytes.empty() && bytes.front() == '\0') bytes.remove_prefix(1);
  return std::string(bytes);
}

// RFC 5280 5.2: the extensions a CRL may carry that
// this implementation processes (or may ignore because they are
// informational); any other critical one makes the CRL unusable.
bool KnownCrlExtension(int nid) {
  switch (nid) {
    case NID_authority_key_identifier:
    case NID_issuer_alt_name:
    case NID_crl_number:
    case NID_delta_crl:
    case NID_issuing_distribution_point:
    case NID_freshest_crl:
    case NID_info_access:
      return true;
    default:
      return false;
  }
}

absl::Status CheckCritical(const X509_CRL* crl) {
  for (int i = 0; i < X509_CRL_get_ext_count(crl); ++i) {
    X509_EXTENSION* e = X509_CRL_get_ext(crl, i);
    if (X509_EXTENSION_get_critical(e) &&
        !KnownCrlExtension(OBJ_obj2nid(X509_EXTENSION_get_object(e)))) {
      return Fail(R::kResponseCriticalExtension, crypto::OidText(X509_EXTENSION_get_object(e)));
    }
  }
  return absl::OkStatus();
}

bool AnyIssuerIs(const crypto::DistributionPoint& dp, const X509_NAME* name) {
  return std::any_of(dp.crl_issuers.begin(), dp.crl_issuers.end(),
                     [&](const auto& n) { return X509_NAME_cmp(n.get(), name) == 0; });
}

// Whether a CRL issued by `name` may speak for `cert` at all (6.3.3 (b)(1)):
// `name` is its issuer's, or a cRLIssuer of one of its distribution points.
bool MaySpeakFor(const X509_NAME* name, const crypto::Certificate& cert) {
  if (X509_NAME_cmp(name, X509_get_issuer_name(cert.x509())) == 0) return true;
  for (const auto* points : {&cert.urls().crl_points, &cert.urls().freshest_points}) {
    for (const crypto::DistributionPoint& dp : *points) {
      if (AnyIssuerIs(dp, name)) return true;
    }
  }
  return false;
}

bool IsCa(const crypto::Certificate& cert) {
  return (X509_get_extension_flags(cert.x509()) & EXFLAG_CA) != 0;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const Crl>> Crl::Parse(std::string_view der,
                                                      const crypto::Certificate& issuer,
                                                      const CrlCheck& check, OtherSigners others) {
  if (der.size() > UINT32_MAX) {
    return Fail(R::kCrlTooLarge, "CertificateList", absl::InfinitePast(), UINT32_MAX,
                static_cast<int64_t>(der.size()));
  }
  // The entries are read in place (cache/crl_der.h); OpenSSL decodes the
  // rest, the CRL without its entries, and verifies the signature over the
  // TBS as received.
  auto layout = SplitCertificateList(der);
  if (!layout.ok()) return layout.status();
  const auto* p = reinterpret_cast<const unsigned char*>(layout->shell.data());
  CrlPtr crl(d2i_X509_CRL(nullptr, &p, static_cast<long>(layout->shell.size())));
  if (crl == nullptr ||
      p != reinterpret_cast<const unsigned char*>(layout->shell.data()) + layout->shell.size()) {
    return Fail(R::kResponseMalformed, "CertificateList");
  }
  X509_CRL* c = crl.get();
  const X509_NAME* crl_issuer = X509_CRL_get_issuer(c);
  absl::Status by_ca = absl::OkStatus();
  if (X509_NAME_cmp(crl_issuer, X509_get_subject_name(issuer.x509())) != 0) {
    by_ca = Fail(R::kCrlWrongIssuer, crypto::NameToString(crl_issuer));
  } else if (issuer.has_key_usage() && (issuer.key_usage() & KU_CRL_SIGN) == 0) {
    by_ca = Fail(R::kCrlIssuerCannotSign);
  } else if (!SignedBy(*layout, c, issuer.public_key().pkey())) {
    by_ca = Fail(R::kResponseSignatureInvalid);
  }
  crypto::CrlSigner signer;
  if (!by_ca.ok()) {
    // 6.3.3 (f): another key may have signed it; the CA's failure stands
    // when none did.
    if (others.signers == nullptr || !MaySpeakFor(crl_issuer, *others.cert)) return by_ca;
    for (crypto::CrlSigner& candidate : others.signers->Named(crl_issuer)) {
      if (candidate.certificate->fingerprint() == issuer.fingerprint()) continue;
      if (SignedBy(*layout, c, candidate.certificate->public_key().pkey())) {
        signer = std::move(candidate);
        break;
      }
    }
    ERR_clear_error();
    if (signer.certificate == nullptr) return by_ca;
  }
  if (auto s = CheckCritical(c); !s.ok()) return s;
  auto this_update = crypto::AsnTimeToAbsl(X509_CRL_get0_lastUpdate(c));
  if (!this_update.ok()) return Fail(R::kResponseMalformed, "thisUpdate");
  if (X509_CRL_get0_nextUpdate(c) == nullptr) {
    return Fail(R::kCrlNoNextUpdate);
  }
  auto next_update = crypto::AsnTimeToAbsl(X509_CRL_get0_nextUpdate(c));
  if (!next_update.ok()) return Fail(R::kResponseMalformed, "nextUpdate");
  if (*this_update > check.now + check.skew) {
    return Fail(R::kResponseNotYetValid, {}, *this_update);
  }
  if (*next_update + check.skew < check.now) {
    return Fail(R::kResponseStale, {}, *next_update);
  }

  std::shared_ptr<Crl> out(new Crl());
  out->der_ = std::string(der);
  out->der_sha256_ = crypto::ToHex(crypto::Sha256(der));
  out->issuer_ = crypto::NameToString(X509_CRL_get_issuer(c));
  out->signer_ = std::move(signer);
  out->this_update_ = *this_update;
  out->next_update_ = *next_update;
  int crit = 0;
  if (IntegerPtr n(
          static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(c, NID_crl_number, &crit, nullptr)));
      n != nullptr) {
    out->number_ = Magnitude(n.get());
  }
  if (IntegerPtr base(
          static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(c, NID_delta_crl, &crit, nullptr)));
      base != nullptr) {
    out->is_delta_ = true;
    out->base_number_ = Magnitude(base.get());
  } else if (crit == -2) {
    return Fail(R::kResponseMalformed, "deltaCRLIndicator");
  }
  if (out->is_delta_ && out->number_.empty()) {
    return Fail(R::kResponseMalformed, "cRLNumber");
  }
  if (IdpPtr idp(static_cast<ISSUING_DIST_POINT*>(
          X509_CRL_get_ext_d2i(c, NID_issuing_distribution_point, &crit, nullptr)));
      idp != nullptr) {
    out->only_user_ = idp->onlyuser > 0;
    out->only_ca_ = idp->onlyCA > 0;
    out->only_attribute_ = idp->onlyattr > 0;
    if (idp->onlysomereasons != nullptr) {
      out->reasons_ = 0;
      for (int bit = 1; bit <= 8; ++bit) {
        if (ASN1_BIT_STRING_get_bit(idp->onlysomereasons, bit)) out->reasons_ |= 1u << bit;
      }
    }
    out->indirect_ = idp->indirectCRL > 0;
    if (idp->distpoint != nullptr) {
      if (idp->distpoint->type == 0) {
        const GENERAL_NAMES* names = idp->distpoint->name.fullname;
        for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
          out->dp_names_.push_back(crypto::GeneralNameKey(sk_GENERAL_NAME_value(names, i)));
        }
      } else {
        std::string full =
            crypto::RelativeNameKey(X509_CRL_get_issuer(c), idp->distpoint->name.relativename);
        if (full.empty()) return Fail(R::kResponseMalformed, "issuingDistributionPoint");
        out->dp_names_.push_back(std::move(full));
      }
    }
  } else if (crit == -2) {
    return Fail(R::kResponseMalformed, "issuingDistributionPoint");
  }
  if (PointsPtr freshest(
          static_cast<CRL_DIST_POINTS*>(X509_CRL_get_ext_d2i(c, NID_freshest_crl, &crit, nullptr)));
      freshest != nullptr) {
    out->delta_urls_ = crypto::DistributionPointUris(freshest.get());
  }
  out->issuers_.emplace_back(X509_NAME_dup(X509_CRL_get_issuer(c)));
  if (auto s = out->Index(*layout, check); !s.ok()) return s;
  ERR_clear_error();
  return std::shared_ptr<const Crl>(std::move(out));
}

absl::Status Crl::Index(const CrlLayout& layout, const CrlCheck& check) {
  auto n = CountRevoked(layout.revoked);
  if (!n.ok()) return n.status();
  if (*n > check.max_entries) {
    return Fail(R::kCrlTooLarge, {}, absl::InfinitePast(), static_cast<int64_t>(check.max_entries),
                static_cast<int64_t>(*n));
  }
  records_.reserve(*n);
  uint16_t current_issuer = 0;
  RevokedReader reader(layout.revoked);
  RevokedEntry entry;
  std::string scratch;
  while (!reader.done()) {
    size_t offset = 0;
    if (auto s = reader.Next(entry, offset); !s.ok()) return s;
    // RFC 5280 5.3.3: in an indirect CRL an entry's issuer is the one its
    // certificateIssuer names, or the previous entry's.
    if (!entry.certificate_issuer.empty()) {
      if (!indirect_) return Fail(R::kResponseMalformed, "certificateIssuer");
      auto issuer = CertificateIssuer(entry.certificate_issuer, current_issuer);
      if (!issuer.ok()) return issuer.status();
      current_issuer = *issuer;
    }
    const SerialKey key = SerialKeyOf(entry.serial, scratch);
    records_.push_back(Record{SerialHash(key),
                              static_cast<uint32_t>(layout.revoked_offset + offset), current_issuer,
                              static_cast<int8_t>(entry.reason), 0});
  }
  std::sort(records_.begin(), records_.end(),
            [](const Record& a, const Record& b) { return a.hash < b.hash; });
  // The directory: for each value of the hash's top `directory_bits_` bits,
  // where its records start (about 8 records per bucket).
  directory_bits_ = 1;
  while (directory_bits_ < 24 && (size_t{1} << directory_bits_) * 8 < records_.size()) {
    ++directory_bits_;
  }
  directory_.assign((size_t{1} << directory_bits_) + 1, 0);
  size_t r = 0;
  for (size_t bucket = 0; bucket < (size_t{1} << directory_bits_); ++bucket) {
    directory_[bucket] = static_cast<uint32_t>(r);
    while (r < records_.size() && (records_[r].hash >> (64 - directory_bits_)) == bucket) ++r;
  }
  directory_.back() = static_cast<uint32_t>(records_.size());
  return absl::OkStatus();
}

absl::StatusOr<uint16_t> Crl::CertificateIssuer(std::string_view general_names, uint16_t current) {
  const auto* p = reinterpret_cast<const unsigned char*>(general_names.data());
  NamesPtr names(d2i_GENERAL_NAMES(nullptr, &p, static_cast<long>(general_names.size())));
  if (names == nullptr ||
      p != reinterpret_cast<const unsigned char*>(general_names.data()) + general_names.size()) {
    return Fail(R::kResponseMalformed, "certificateIssuer");
  }
  const X509_NAME* dir = nullptr;
  for (int k = 0; k < sk_GENERAL_NAME_num(names.get()) && dir == nullptr; ++k) {
    const GENERAL_NAME* g = sk_GENERAL_NAME_value(names.get(), k);
    if (g->type == GEN_DIRNAME) dir = g->d.directoryName;
  }
  if (dir == nullptr) return Fail(R::kResponseMalformed, "certificateIssuer");
  if (X509_NAME_cmp(issuers_[current].get(), dir) == 0) return current;
  auto same = std::find_if(issuers_.begin(), issuers_.end(),
                           [&](const auto& known) { return X509_NAME_cmp(known.get(), dir) == 0; });
  if (same != issuers_.end()) return static_cast<uint16_t>(same - issuers_.begin());
  if (issuers_.size() >= 65535) {
    return Fail(R::kCrlTooLarge, "certificateIssuer", absl::InfinitePast(), 65535,
                static_cast<int64_t>(issuers_.size()) + 1);
  }
  issuers_.emplace_back(X509_NAME_dup(dir));
  return static_cast<uint16_t>(issuers_.size() - 1);
}

namespace {

bool AnyNameIn(const std::vector<std::string>& names, const std::vector<std::string>& ders) {
  return std::any_of(names.begin(), names.end(), [&](const std::string& n) {
    return std::find(ders.begin(), ders.end(), n) != ders.end();
  });
}

}  // namespace

absl::StatusOr<uint16_t> Crl::Scope(const crypto::Certificate& cert) const {
  const X509_NAME* cert_issuer = X509_get_issuer_name(cert.x509());
  if (only_attribute_) {
    return Fail(R::kCrlOutOfScope, "onlyContainsAttributeCerts");
  }
  if (only_user_ && IsCa(cert)) {
    return Fail(R::kCrlOutOfScope, "onlyContainsUserCerts");
  }
  if (only_ca_ && !IsCa(cert)) {
    return Fail(R::kCrlOutOfScope, "onlyContainsCACerts");
  }
  // RFC 5280 6.3.3 (b): the CRL must speak for one of the certificate's
  // distribution points (a delta CRL: also its freshest CRL points),
  // decoded when the certificate was parsed.
  const crypto::CertificateUrls& urls = cert.urls();
  if (urls.crl_points.empty() && (!is_delta_ || urls.freshest_points.empty())) {
    // No distribution point: the CRL of the certificate's issuer, for all
    // it issued (not one partitioned by distribution point).
    if (X509_NAME_cmp(issuers_[0].get(), cert_issuer) != 0)
      return Fail(R::kCrlOutOfScope, "issuer");
    if (!dp_names_.empty()) return Fail(R::kCrlOutOfScope, "distributionPoint");
    return reasons_;
  }
  const char* why = "issuer";
  bool served = false;
  uint16_t reasons = 0;
  for (const auto* points : {&urls.crl_points, is_delta_ ? &urls.freshest_points : nullptr}) {
    for (size_t i = 0; points != nullptr && i < points->size(); ++i) {
      const crypto::DistributionPoint& dp = (*points)[i];
      // (b)(1): a point naming a cRLIssuer is served by that issuer's
      // indirect CRL only; any other by the certificate's issuer.
      if (dp.has_crl_issuer) {
        if (!indirect_ || !AnyIssuerIs(dp, issuers_[0].get())) {
          why = "cRLIssuer";
          continue;
        }
      } else if (X509_NAME_cmp(issuers_[0].get(), cert_issuer) != 0) {
        continue;
      }
      // (b)(2)(i): a CRL for one distribution point names it: one of its
      // names is one of the point's (a point without a name: one of its
      // cRLIssuer's).
      if (!dp_names_.empty() && !AnyNameIn(dp.full_names, dp_names_)) {
        why = "distributionPoint";
        continue;
      }
      served = true;
      reasons |= dp.reasons;
    }
  }
  if (!served) return Fail(R::kCrlOutOfScope, why);
  return static_cast<uint16_t>(reasons & reasons_);
}

std::optional<CrlEntry> Crl::Find(const crypto::Certificate& cert) const {
  const ASN1_INTEGER* serial = X509_get0_serialNumber(cert.x509());
  return FindSerial(SerialOf(serial), X509_get_issuer_name(cert.x509()),
                    ASN1_STRING_type(serial) == V_ASN1_NEG_INTEGER);
}

std::optional<CrlEntry> Crl::FindSerial(std::string_view serial, const X509_NAME* cert_issuer,
                                        bool negative) const {
  while (!serial.empty() && serial.front() == '\0') serial.remove_prefix(1);
  const SerialKey key{serial, negative};
  const uint64_t hash = SerialHash(key);
  const size_t bucket = hash >> (64 - directory_bits_);
  const auto end = records_.begin() + directory_[bucket + 1];
  auto it = std::lower_bound(records_.begin() + directory_[bucket], end, hash,
                             [](const Record& r, uint64_t h) { return r.hash < h; });
  std::string scratch;
  for (; it != end && it->hash == hash; ++it) {
    if (indirect_ && X509_NAME_cmp(issuers_[it->issuer].get(), cert_issuer) != 0) {
      continue;
    }
    // The entry was read once at parse time; reading it again cannot fail.
    auto entry = ReadRevoked(std::string_view(der_).substr(it->entry), /*head_only=*/true);
    if (!entry.ok()) continue;
    const SerialKey listed = SerialKeyOf(entry->serial, scratch);
    if (listed.magnitude != key.magnitude || listed.negative != key.negative) continue;
    return CrlEntry{entry->revocation_time, it->reason};
  }
  return std::nullopt;
}

size_t Crl::index_bytes() const {
  return records_.capacity() * sizeof(Record) + directory_.capacity() * sizeof(uint32_t);
}

bool CrlNumberGreater(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return a.size() > b.size();
  return a > b;
}

absl::Status CheckDeltaFor(const Crl& delta, const Crl& base) {
  if (!delta.is_delta()) return Fail(R::kDeltaCrlMismatch, "deltaCRLIndicator");
  if (base.is_delta()) return Fail(R::kCrlIsDelta);
  if (delta.issuer() != base.issuer()) {
    return Fail(R::kDeltaCrlMismatch, "issuer");
  }
  if (CrlNumberGreater(delta.base_number(), base.number())) {
    return Fail(R::kDeltaCrlMismatch, "BaseCRLNumber");
  }
  if (!CrlNumberGreater(delta.number(), base.number())) {
    return Fail(R::kDeltaCrlMismatch, "cRLNumber");
  }
  if (delta.only_user_ != base.only_user_ || delta.only_ca_ != base.only_ca_ ||
      delta.only_attribute_ != base.only_attribute_ || delta.indirect_ != base.indirect_ ||
      delta.reasons_ != base.reasons_ || delta.dp_names_ != base.dp_names_) {
    return Fail(R::kDeltaCrlMismatch, "issuingDistributionPoint");
  }
  return absl::OkStatus();
}

std::optional<CrlEntry> RevokedBy(const Crl& base, const Crl* delta,
                                  const crypto::Certificate& cert) {
  if (delta != nullptr) {
    if (std::optional<CrlEntry> e = delta->Find(cert)) {
      if (e->reason == kRemoveFromCrl) return std::nullopt;
      return e;
    }
  }
  return base.Find(cert);
}

}  // namespace sigverify::cache
