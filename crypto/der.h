// Strict DER, read in place: the primitives the CRL reader and the CMS
// code share. Nothing is decoded into objects; every view points into the
// caller's bytes. Pure: no crypto library.
#ifndef SIGVERIFY_CRYPTO_DER_H_
#define SIGVERIFY_CRYPTO_DER_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "absl/time/time.h"

namespace sigverify::crypto::der {

namespace tags {
inline constexpr uint8_t kBoolean = 0x01;
inline constexpr uint8_t kInteger = 0x02;
inline constexpr uint8_t kBitString = 0x03;
inline constexpr uint8_t kOctetString = 0x04;
inline constexpr uint8_t kNull = 0x05;
inline constexpr uint8_t kOid = 0x06;
inline constexpr uint8_t kEnumerated = 0x0A;
inline constexpr uint8_t kUtcTime = 0x17;
inline constexpr uint8_t kGeneralizedTime = 0x18;
inline constexpr uint8_t kSequence = 0x30;
inline constexpr uint8_t kSet = 0x31;
inline constexpr uint8_t kExtensionsTag = 0xA0;  // [0] EXPLICIT (also: context [0] constructed)
}  // namespace tags

struct Tlv {
  uint8_t tag = 0;
  std::string_view contents;
  std::string_view whole;  // tag and length included
};

// Reads one TLV off the front of `in`: a low tag number, a definite length
// in the fewest bytes (up to 4 of them), contents within `in`.
bool ReadTlv(std::string_view& in, Tlv& out);
// The same, when the next TLV must carry `tag`; `in` is unchanged otherwise.
bool ReadTagged(std::string_view& in, uint8_t tag, Tlv& out);
bool PeekTag(std::string_view in, uint8_t tag);
// An INTEGER's contents in the fewest bytes.
bool MinimalInteger(std::string_view contents);
// RFC 5280 4.1.2.5: UTCTime YYMMDDHHMMSSZ (YY below 50: 20YY), or
// GeneralizedTime YYYYMMDDHHMMSSZ; no fractions, no offsets.
bool ParseTime(const Tlv& t, absl::Time& out);
bool ReadTime(std::string_view& in, absl::Time& out);

}  // namespace sigverify::crypto::der

#endif  // SIGVERIFY_CRYPTO_DER_H_
