#include "crypto/cms/tst_info.h"

#include <openssl/err.h>
#include <openssl/ts.h>

#include "absl/strings/str_cat.h"
#include "crypto/certificate.h"
#include "crypto/cms/format_error.h"
#include "crypto/der.h"
#include "crypto/distinguished_name.h"
#include "crypto/openssl_ptr.h"

namespace sigverify::crypto::cms {
namespace {

using TstInfoPtr = OpenSslPtr<TS_TST_INFO, TS_TST_INFO_free>;

}  // namespace

absl::StatusOr<TstInfo> ParseTstInfo(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  const unsigned char* q = p;
  TstInfoPtr tst(d2i_TS_TST_INFO(nullptr, &q, static_cast<long>(der.size())));
  ERR_clear_error();
  if (tst == nullptr || static_cast<size_t>(q - p) != der.size()) return FormatError("TSTInfo");
  if (TS_TST_INFO_get_version(tst.get()) != 1) {
    return FormatError("TSTInfo version");
  }
  TstInfo out;
  auto gen = AsnTimeToAbsl(TS_TST_INFO_get_time(tst.get()));
  if (!gen.ok()) return FormatError("TSTInfo genTime");
  out.gen_time = *gen;
  TS_MSG_IMPRINT* imprint = TS_TST_INFO_get_msg_imprint(tst.get());
  const ASN1_OBJECT* alg = nullptr;
  X509_ALGOR_get0(&alg, nullptr, nullptr, TS_MSG_IMPRINT_get_algo(imprint));
  out.imprint_hash = HashFromNid(OBJ_obj2nid(alg));
  out.imprint_hash_name =
      out.imprint_hash != HashAlgorithm::kNone ? HashName(out.imprint_hash) : OidText(alg);
  const ASN1_OCTET_STRING* msg = TS_MSG_IMPRINT_get_msg(imprint);
  out.imprint.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(msg)),
                     static_cast<size_t>(ASN1_STRING_length(msg)));
  if (const TS_ACCURACY* acc = TS_TST_INFO_get_accuracy(tst.get())) {
    const ASN1_INTEGER* s = TS_ACCURACY_get_seconds(acc);
    const ASN1_INTEGER* ms = TS_ACCURACY_get_millis(acc);
    const ASN1_INTEGER* us = TS_ACCURACY_get_micros(acc);
    const long secs = s != nullptr ? ASN1_INTEGER_get(s) : 0;
    const long millis = ms != nullptr ? ASN1_INTEGER_get(ms) : 0;
    const long micros = us != nullptr ? ASN1_INTEGER_get(us) : 0;
    // RFC 3161: millis and micros 1..999; seconds at most a day is plenty.
    if (secs < 0 || secs > 86400 || millis < 0 || millis > 999 || micros < 0 || micros > 999) {
      return FormatError("TSTInfo accuracy");
    }
    out.accuracy_micros = int64_t{secs} * 1000000 + millis * 1000 + micros;
  }
  out.policy_oid = OidText(TS_TST_INFO_get_policy_id(tst.get()));
  BignumPtr serial(ASN1_INTEGER_to_BN(TS_TST_INFO_get_serial(tst.get()), nullptr));
  OpenSslString hex(serial != nullptr ? BN_bn2hex(serial.get()) : nullptr);
  if (hex != nullptr) out.serial_hex = hex.get();
  return out;
}

bool IsTimeStampResp(std::string_view der) {
  der::Tlv outer, first;
  std::string_view in = der;
  if (!der::ReadTagged(in, der::tags::kSequence, outer)) return false;
  std::string_view body = outer.contents;
  return der::ReadTlv(body, first) && first.tag == der::tags::kSequence;
}

absl::StatusOr<std::string_view> TokenOfResponse(std::string_view der) {
  der::Tlv outer, status_info, status, token;
  std::string_view in = der;
  if (!der::ReadTagged(in, der::tags::kSequence, outer) || !in.empty()) {
    return FormatError("TimeStampResp");
  }
  std::string_view body = outer.contents;
  if (!der::ReadTagged(body, der::tags::kSequence, status_info)) {
    return FormatError("TimeStampResp status");
  }
  std::string_view si = status_info.contents;
  if (!der::ReadTagged(si, der::tags::kInteger, status) || status.contents.size() != 1) {
    return FormatError("TimeStampResp status");
  }
  const int code = static_cast<unsigned char>(status.contents[0]);
  if (code != 0 && code != 1) {
    return FormatError(absl::StrCat("the TSA refused (PKIStatus ", code, ")"));
  }
  if (!der::ReadTagged(body, der::tags::kSequence, token) || !body.empty()) {
    return FormatError("TimeStampResp without a token");
  }
  return token.whole;
}

}  // namespace sigverify::crypto::cms
