#include "crypto/pdf/pdf_date.h"

#include "absl/strings/ascii.h"

namespace sigverify::crypto::pdf {
namespace {

// Reads `width` digits off the front of `in` into `out`.
bool Digits(std::string_view& in, int width, int& out) {
  if (in.size() < static_cast<size_t>(width)) return false;
  int value = 0;
  for (int i = 0; i < width; ++i) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(in[i]))) return false;
    value = value * 10 + (in[i] - '0');
  }
  in.remove_prefix(width);
  out = value;
  return true;
}

}  // namespace

std::optional<absl::Time> ParsePdfDate(std::string_view text) {
  if (text.substr(0, 2) == "D:") text.remove_prefix(2);
  int year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0;
  if (!Digits(text, 4, year)) return std::nullopt;
  // Each later part only when the one before it is there.
  int* const parts[] = {&month, &day, &hour, &minute, &second};
  for (int* part : parts) {
    if (text.empty() || !absl::ascii_isdigit(static_cast<unsigned char>(text[0]))) break;
    if (!Digits(text, 2, *part)) return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) {
    return std::nullopt;
  }
  int offset_minutes = 0;
  if (!text.empty()) {
    const char sign = text[0];
    text.remove_prefix(1);
    if (sign == '+' || sign == '-') {
      int oh = 0, om = 0;
      if (!Digits(text, 2, oh)) return std::nullopt;
      if (!text.empty() && text[0] == '\'') text.remove_prefix(1);
      if (!text.empty() && !Digits(text, 2, om)) return std::nullopt;
      if (!text.empty() && text[0] == '\'') text.remove_prefix(1);
      if (oh > 23 || om > 59) return std::nullopt;
      offset_minutes = (sign == '+' ? 1 : -1) * (oh * 60 + om);
    } else if (sign != 'Z') {
      return std::nullopt;
    } else if (!text.empty() && text.substr(0, 3) == "00'") {
      text.remove_prefix(3);  // "Z00'00'", as some writers put it
      if (text.substr(0, 3) == "00'") text.remove_prefix(3);
    }
  }
  if (!text.empty()) return std::nullopt;
  const absl::CivilSecond civil(year, month, day, hour, minute, second);
  if (civil.day() != day) return std::nullopt;  // 31 February normalised away
  return absl::FromCivil(civil, absl::UTCTimeZone()) - absl::Minutes(offset_minutes);
}

}  // namespace sigverify::crypto::pdf
