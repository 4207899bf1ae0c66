#include "cache/crl_der.h"

#include <openssl/asn1.h>
#include <openssl/objects.h>

#include <cstdint>

#include "cache/source_error.h"
#include "crypto/der.h"
#include "crypto/distinguished_name.h"
#include "crypto/openssl_ptr.h"

namespace sigverify::cache {
namespace {

using R = crypto::FailureReason;

using crypto::der::MinimalInteger;
using crypto::der::PeekTag;
using crypto::der::ReadTagged;
using crypto::der::ReadTime;
using crypto::der::ReadTlv;
using crypto::der::Tlv;
using crypto::der::tags::kBitString;
using crypto::der::tags::kBoolean;
using crypto::der::tags::kEnumerated;
using crypto::der::tags::kExtensionsTag;
using crypto::der::tags::kGeneralizedTime;
using crypto::der::tags::kInteger;
using crypto::der::tags::kOctetString;
using crypto::der::tags::kOid;
using crypto::der::tags::kSequence;
using crypto::der::tags::kUtcTime;

absl::Status Malformed(const char* field) { return SourceError(R::kResponseMalformed, field); }

constexpr std::string_view kReasonOid("\x55\x1D\x15", 3);
constexpr std::string_view kHoldInstructionOid("\x55\x1D\x17", 3);
constexpr std::string_view kInvalidityDateOid("\x55\x1D\x18", 3);
constexpr std::string_view kCertificateIssuerOid("\x55\x1D\x1D", 3);

std::string OidName(std::string_view oid_tlv) {
  const auto* p = reinterpret_cast<const unsigned char*>(oid_tlv.data());
  crypto::OpenSslPtr<ASN1_OBJECT, ASN1_OBJECT_free> obj(
      d2i_ASN1_OBJECT(nullptr, &p, static_cast<long>(oid_tlv.size())));
  return obj == nullptr ? std::string("entry extension") : crypto::OidText(obj.get());
}

// One entry extension (RFC 5280 4.1: extnID, critical DEFAULT FALSE,
// extnValue); `seen` holds a bit for each known one already read.
absl::Status ReadEntryExtension(const Tlv& ext, unsigned& seen, RevokedEntry& entry) {
  std::string_view in = ext.contents;
  Tlv oid, critical, value;
  if (!ReadTagged(in, kOid, oid) || oid.contents.empty()) return Malformed("crlEntryExtensions");
  bool is_critical = false;
  if (PeekTag(in, kBoolean)) {
    // DER: a DEFAULT value is absent, so a present one is TRUE (0xFF).
    if (!ReadTlv(in, critical) || critical.contents != std::string_view("\xFF", 1)) {
      return Malformed("crlEntryExtensions");
    }
    is_critical = true;
  }
  if (!ReadTagged(in, kOctetString, value) || !in.empty()) return Malformed("crlEntryExtensions");
  std::string_view v = value.contents;
  Tlv inner;
  unsigned bit = 0;
  if (oid.contents == kReasonOid) {
    bit = 1;
    // CRLReason: 0..10, 7 unused (5.3.1); one content byte.
    if (!ReadTagged(v, kEnumerated, inner) || !v.empty() || inner.contents.size() != 1) {
      return Malformed("reasonCode");
    }
    const int reason = static_cast<uint8_t>(inner.contents[0]);
    if (reason > 10 || reason == 7) return Malformed("reasonCode");
    entry.reason = reason;
  } else if (oid.contents == kInvalidityDateOid) {
    bit = 2;
    absl::Time ignored;
    if (!ReadTagged(v, kGeneralizedTime, inner) || !v.empty() || !ParseTime(inner, ignored)) {
      return Malformed("invalidityDate");
    }
  } else if (oid.contents == kCertificateIssuerOid) {
    bit = 4;
    if (!ReadTagged(v, kSequence, inner) || !v.empty() || inner.contents.empty()) {
      return Malformed("certificateIssuer");
    }
    entry.certificate_issuer = inner.whole;
  } else if (oid.contents == kHoldInstructionOid) {
    bit = 8;
    if (!ReadTagged(v, kOid, inner) || !v.empty() || inner.contents.empty()) {
      return Malformed("holdInstructionCode");
    }
  } else if (is_critical) {
    return SourceError(R::kResponseCriticalExtension, OidName(oid.whole));
  }
  if (seen & bit) return Malformed("crlEntryExtensions");  // twice (RFC 5280 4.2)
  seen |= bit;
  return absl::OkStatus();
}

// userCertificate and revocationDate; `in` is left at what follows.
absl::Status ReadEntryHead(std::string_view& in, RevokedEntry& entry) {
  Tlv serial;
  if (!ReadTagged(in, kInteger, serial) || !MinimalInteger(serial.contents)) {
    return Malformed("userCertificate");
  }
  entry.serial = serial.contents;
  entry.reason = -1;
  entry.certificate_issuer = {};
  if (!ReadTime(in, entry.revocation_time)) return Malformed("revocationDate");
  return absl::OkStatus();
}

absl::Status ReadEntry(const Tlv& seq, RevokedEntry& entry) {
  std::string_view in = seq.contents;
  if (auto s = ReadEntryHead(in, entry); !s.ok()) return s;
  if (in.empty()) return absl::OkStatus();
  Tlv extensions;
  if (!ReadTagged(in, kSequence, extensions) || !in.empty() || extensions.contents.empty()) {
    return Malformed("crlEntryExtensions");
  }
  unsigned seen = 0;
  for (std::string_view rest = extensions.contents; !rest.empty();) {
    Tlv ext;
    if (!ReadTagged(rest, kSequence, ext)) return Malformed("crlEntryExtensions");
    if (auto s = ReadEntryExtension(ext, seen, entry); !s.ok()) return s;
  }
  return absl::OkStatus();
}

void AppendLength(size_t n, std::string& out) {
  if (n < 0x80) {
    out.push_back(static_cast<char>(n));
    return;
  }
  int bytes = 0;
  for (size_t m = n; m != 0; m >>= 8) ++bytes;
  out.push_back(static_cast<char>(0x80 | bytes));
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xFF));
}

}  // namespace

absl::StatusOr<CrlLayout> SplitCertificateList(std::string_view der) {
  std::string_view in = der;
  Tlv list, tbs, algorithm, signature;
  if (!ReadTagged(in, kSequence, list) || !in.empty()) return Malformed("CertificateList");
  std::string_view fields = list.contents;
  if (!ReadTagged(fields, kSequence, tbs) || !ReadTagged(fields, kSequence, algorithm) ||
      !ReadTagged(fields, kBitString, signature) || !fields.empty()) {
    return Malformed("CertificateList");
  }
  CrlLayout out;
  out.tbs = tbs.whole;
  out.signature_algorithm = algorithm.whole;
  // TBSCertList: version OPTIONAL, signature, issuer, thisUpdate,
  // nextUpdate OPTIONAL, revokedCertificates OPTIONAL, [0] crlExtensions
  // OPTIONAL. The header fields are decoded (from the shell) by the caller;
  // here only their framing and the algorithm's agreement.
  std::string_view t = tbs.contents;
  Tlv field;
  if (PeekTag(t, kInteger) && !ReadTlv(t, field)) return Malformed("version");
  if (!ReadTagged(t, kSequence, field)) return Malformed("signature");
  if (field.whole != algorithm.whole) return Malformed("signature");
  if (!ReadTagged(t, kSequence, field)) return Malformed("issuer");
  absl::Time ignored;
  if (!ReadTime(t, ignored)) return Malformed("thisUpdate");
  if ((PeekTag(t, kUtcTime) || PeekTag(t, kGeneralizedTime)) && !ReadTime(t, ignored)) {
    return Malformed("nextUpdate");
  }
  const std::string_view before_revoked = tbs.contents.substr(0, t.data() - tbs.contents.data());
  std::string_view after_revoked = t;
  if (PeekTag(t, kSequence)) {
    if (!ReadTlv(t, field)) return Malformed("revokedCertificates");
    out.revoked = field.contents;
    out.revoked_offset = static_cast<size_t>(field.contents.data() - der.data());
    after_revoked = t;
  }
  if (!t.empty() && (!ReadTagged(t, kExtensionsTag, field) || !t.empty())) {
    return Malformed("crlExtensions");
  }
  std::string shell_tbs;
  shell_tbs.push_back(static_cast<char>(kSequence));
  AppendLength(before_revoked.size() + after_revoked.size(), shell_tbs);
  shell_tbs.append(before_revoked).append(after_revoked);
  const size_t body = shell_tbs.size() + algorithm.whole.size() + signature.whole.size();
  out.shell.push_back(static_cast<char>(kSequence));
  AppendLength(body, out.shell);
  out.shell.append(shell_tbs).append(algorithm.whole).append(signature.whole);
  return out;
}

absl::Status RevokedReader::Next(RevokedEntry& entry, size_t& offset) {
  offset = static_cast<size_t>(rest_.data() - list_.data());
  Tlv seq;
  if (!ReadTagged(rest_, kSequence, seq)) return Malformed("revokedCertificates");
  return ReadEntry(seq, entry);
}

absl::StatusOr<size_t> CountRevoked(std::string_view list) {
  size_t n = 0;
  for (Tlv seq; !list.empty(); ++n) {
    if (!ReadTagged(list, kSequence, seq)) return Malformed("revokedCertificates");
  }
  return n;
}

absl::StatusOr<RevokedEntry> ReadRevoked(std::string_view at, bool head_only) {
  Tlv seq;
  RevokedEntry entry;
  if (!ReadTagged(at, kSequence, seq)) return Malformed("revokedCertificates");
  if (head_only) {
    std::string_view in = seq.contents;
    if (auto s = ReadEntryHead(in, entry); !s.ok()) return s;
  } else if (auto s = ReadEntry(seq, entry); !s.ok()) {
    return s;
  }
  return entry;
}

SerialKey SerialKeyOf(std::string_view c, std::string& scratch) {
  if (c.empty() || (static_cast<uint8_t>(c[0]) & 0x80) == 0) {
    while (!c.empty() && c.front() == '\0') c.remove_prefix(1);
    return {c, false};
  }
  // Negative: the magnitude is the two's complement of the bytes.
  scratch.assign(c);
  bool carry = true;
  for (size_t i = scratch.size(); i-- > 0;) {
    auto b = static_cast<uint8_t>(~static_cast<uint8_t>(scratch[i]));
    if (carry) carry = ++b == 0;
    scratch[i] = static_cast<char>(b);
  }
  std::string_view m = scratch;
  while (!m.empty() && m.front() == '\0') m.remove_prefix(1);
  return {m, true};
}

}  // namespace sigverify::cache
