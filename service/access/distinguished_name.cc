#include "service/access/distinguished_name.h"

#include <openssl/asn1.h>
#include <openssl/objects.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace sigverify::service::access {
namespace {

using Attribute = std::pair<std::string, std::string>;  // type, value
using Rdn = std::vector<Attribute>;

// OpenSSL's short name of a known attribute, upper case; the dotted OID of
// an unknown one.
std::string TypeName(int nid, const ASN1_OBJECT* object) {
  if (nid != NID_undef) {
    if (const char* sn = OBJ_nid2sn(nid); sn != nullptr) return absl::AsciiStrToUpper(sn);
  }
  char buf[128];
  const int n = OBJ_obj2txt(buf, sizeof(buf), object, /*no_name=*/1);
  return n > 0 && static_cast<size_t>(n) < sizeof(buf) ? std::string(buf, n) : std::string("?");
}

// A type as written in a grant: a short or long name in any case, or a
// dotted OID.
std::string TypeNameOf(const std::string& written) {
  int nid = OBJ_txt2nid(written.c_str());
  if (nid == NID_undef) return absl::AsciiStrToUpper(written);
  ASN1_OBJECT* object = OBJ_nid2obj(nid);
  return TypeName(nid, object);
}

std::string Escape(const std::string& value) {
  std::string out;
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    const bool special = c == '"' || c == '+' || c == ',' || c == ';' || c == '<' || c == '>' ||
                         c == '\\' || (i == 0 && (c == '#' || c == ' ')) ||
                         (i + 1 == value.size() && c == ' ');
    if (c == '\0') {
      out += "\\00";
      continue;
    }
    if (special) out += '\\';
    out += c;
  }
  return out;
}

std::string Render(std::vector<Rdn> rdns) {
  std::vector<std::string> parts;
  for (Rdn& rdn : rdns) {
    std::sort(rdn.begin(), rdn.end());
    std::vector<std::string> attributes;
    for (const auto& [type, value] : rdn)
      attributes.push_back(absl::StrCat(type, "=", Escape(value)));
    parts.push_back(absl::StrJoin(attributes, "+"));
  }
  return absl::StrJoin(parts, ",");
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

absl::Status Bad(size_t at, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("distinguished name, at character ", at + 1, ": ", what));
}

}  // namespace

absl::StatusOr<std::string> CanonicalName(absl::string_view text) {
  std::vector<Rdn> rdns(1);
  size_t i = 0;
  const size_t n = text.size();
  if (n == 0) return absl::InvalidArgumentError("distinguished name: empty");
  while (true) {
    while (i < n && text[i] == ' ') ++i;
    const size_t type_start = i;
    while (i < n && text[i] != '=' && text[i] != ',' && text[i] != '+') ++i;
    if (i >= n || text[i] != '=') return Bad(type_start, "an attribute type without '='");
    std::string type(absl::StripTrailingAsciiWhitespace(text.substr(type_start, i - type_start)));
    if (type.empty()) return Bad(type_start, "an empty attribute type");
    for (char c : type) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') {
        return Bad(type_start, "an attribute type is a name or a dotted OID");
      }
    }
    ++i;  // '='
    while (i < n && text[i] == ' ') ++i;
    if (i < n && text[i] == '#') return Bad(i, "hex-encoded (#...) values are not supported");
    std::string value;
    size_t kept = 0;  // value's length up to its last escaped or non-space character
    while (i < n && text[i] != ',' && text[i] != '+') {
      if (text[i] == '\\') {
        if (i + 1 >= n) return Bad(i, "'\\' at the end");
        const int hi = HexDigit(text[i + 1]);
        const int lo = i + 2 < n ? HexDigit(text[i + 2]) : -1;
        if (hi >= 0 && lo >= 0) {
          value += static_cast<char>(hi * 16 + lo);
          i += 3;
        } else if (absl::string_view("\"+,;<>\\#= ").find(text[i + 1]) != absl::string_view::npos) {
          value += text[i + 1];
          i += 2;
        } else {
          return Bad(i, "an escape is '\\' and a special character or two hex digits");
        }
        kept = value.size();
        continue;
      }
      if (text[i] == '"' || text[i] == ';' || text[i] == '<' || text[i] == '>' || text[i] == '\0') {
        return Bad(i, "a special character in a value must be escaped with '\\'");
      }
      value += text[i];
      if (text[i] != ' ') kept = value.size();
      ++i;
    }
    value.resize(kept);  // unescaped trailing spaces are not part of it
    rdns.back().emplace_back(TypeNameOf(type), std::move(value));
    if (i >= n) break;
    if (text[i] == ',') rdns.emplace_back();
    ++i;
    if (i >= n) return Bad(i - 1, "ends with a separator");
  }
  return Render(std::move(rdns));
}

absl::StatusOr<std::string> CanonicalName(const X509_NAME* name) {
  std::vector<Rdn> rdns;
  int last_set = -1;
  for (int i = 0; i < X509_NAME_entry_count(name); ++i) {
    const X509_NAME_ENTRY* entry = X509_NAME_get_entry(name, i);
    const ASN1_OBJECT* object = X509_NAME_ENTRY_get_object(entry);
    unsigned char* utf8 = nullptr;
    const int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(entry));
    if (len < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("distinguished name: attribute ", i + 1, " is not a string"));
    }
    std::string value(reinterpret_cast<const char*>(utf8), static_cast<size_t>(len));
    OPENSSL_free(utf8);
    const int set = X509_NAME_ENTRY_set(entry);
    if (rdns.empty() || set != last_set) rdns.emplace_back();
    last_set = set;
    rdns.back().emplace_back(TypeName(OBJ_obj2nid(object), object), std::move(value));
  }
  if (rdns.empty()) return absl::InvalidArgumentError("distinguished name: empty");
  std::reverse(rdns.begin(), rdns.end());  // RFC 4514: the last RDN first
  return Render(std::move(rdns));
}

}  // namespace sigverify::service::access
