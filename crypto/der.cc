#include "crypto/der.h"

namespace sigverify::crypto::der {
namespace {

bool Digits(std::string_view s, size_t at, size_t n, int& value) {
  value = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    value = value * 10 + (s[i] - '0');
  }
  return true;
}

int DaysIn(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

// Days from 1970-01-01 to a proleptic Gregorian date: whole 400-year eras
// of 146097 days from 0000-03-01, then the day within the era counted from
// March (so that a leap day is the era year's last).
int64_t DaysSinceEpoch(int year, int month, int day) {
  const int64_t y = month <= 2 ? year - 1 : year;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t year_of_era = y - era * 400;
  const int64_t day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

}  // namespace

// Reads one TLV off the front of `in`: a low tag number, a definite length
// in the fewest bytes (up to 4 of them), contents within `in`.
bool ReadTlv(std::string_view& in, Tlv& out) {
  if (in.size() < 2) return false;
  const auto* p = reinterpret_cast<const uint8_t*>(in.data());
  if ((p[0] & 0x1F) == 0x1F) return false;
  size_t length = p[1];
  size_t header = 2;
  if (length & 0x80) {
    const size_t n = length & 0x7F;
    if (n == 0 || n > 4 || in.size() < 2 + n || p[2] == 0) return false;
    length = 0;
    for (size_t i = 0; i < n; ++i) length = (length << 8) | p[2 + i];
    if (length < 0x80) return false;
    header += n;
  }
  if (in.size() - header < length) return false;
  out.tag = p[0];
  out.contents = in.substr(header, length);
  out.whole = in.substr(0, header + length);
  in.remove_prefix(header + length);
  return true;
}

// The same, when the next TLV must carry `tag`.
bool ReadTagged(std::string_view& in, uint8_t tag, Tlv& out) {
  std::string_view copy = in;
  if (!ReadTlv(copy, out) || out.tag != tag) return false;
  in = copy;
  return true;
}

bool PeekTag(std::string_view in, uint8_t tag) {
  return !in.empty() && static_cast<uint8_t>(in.front()) == tag;
}

bool MinimalInteger(std::string_view c) {
  if (c.empty()) return false;
  if (c.size() == 1) return true;
  const auto first = static_cast<uint8_t>(c[0]);
  const auto second = static_cast<uint8_t>(c[1]);
  return !(first == 0x00 && (second & 0x80) == 0) && !(first == 0xFF && (second & 0x80) != 0);
}

// RFC 5280 4.1.2.5: UTCTime YYMMDDHHMMSSZ (YY below 50: 20YY), or
// GeneralizedTime YYYYMMDDHHMMSSZ; no fractions, no offsets.
bool ParseTime(const Tlv& t, absl::Time& out) {
  const std::string_view s = t.contents;
  size_t at = 0;
  int year = 0;
  if (t.tag == tags::kUtcTime && s.size() == 13) {
    if (!Digits(s, 0, 2, year)) return false;
    year += year < 50 ? 2000 : 1900;
    at = 2;
  } else if (t.tag == tags::kGeneralizedTime && s.size() == 15) {
    if (!Digits(s, 0, 4, year)) return false;
    at = 4;
  } else {
    return false;
  }
  int month, day, hour, minute, second;
  if (!Digits(s, at, 2, month) || !Digits(s, at + 2, 2, day) || !Digits(s, at + 4, 2, hour) ||
      !Digits(s, at + 6, 2, minute) || !Digits(s, at + 8, 2, second) || s[at + 10] != 'Z') {
    return false;
  }
  if (month < 1 || month > 12 || day < 1 || day > DaysIn(year, month) || hour > 23 || minute > 59 ||
      second > 59) {
    return false;
  }
  out = absl::FromUnixSeconds(DaysSinceEpoch(year, month, day) * 86400 + hour * 3600 + minute * 60 +
                              second);
  return true;
}

bool ReadTime(std::string_view& in, absl::Time& out) {
  Tlv t;
  std::string_view copy = in;
  if (!ReadTlv(copy, t) || !ParseTime(t, out)) return false;
  in = copy;
  return true;
}

// The DER OIDs (contents) of the entry extensions RFC 5280 5.3 defines.

}  // namespace sigverify::crypto::der
