#include "cache/url_rewriter.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace sigverify::cache {

bool IsHttpUrl(std::string_view url) {
  for (std::string_view scheme : {"http://", "https://"}) {
    if (url.size() > scheme.size() && url.substr(0, scheme.size()) == scheme &&
        url[scheme.size()] != '/') {
      return true;
    }
  }
  return false;
}

UrlRewriter::UrlRewriter(std::vector<std::pair<std::string, std::string>> rules)
    : rules_(std::move(rules)) {
  std::stable_sort(rules_.begin(), rules_.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
}

absl::StatusOr<UrlRewriter> UrlRewriter::FromRules(const std::vector<std::string>& rules) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const std::string& rule : rules) {
    const size_t eq = rule.find('=');
    if (eq == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("URL rewrite '", rule, "': FROM=TO expected"));
    }
    std::string from = rule.substr(0, eq);
    std::string to = rule.substr(eq + 1);
    if (!IsHttpUrl(from) || !IsHttpUrl(to)) {
      return absl::InvalidArgumentError(
          absl::StrCat("URL rewrite '", rule, "': both sides must be http(s):// URL prefixes"));
    }
    pairs.emplace_back(std::move(from), std::move(to));
  }
  return UrlRewriter(std::move(pairs));
}

std::string UrlRewriter::Rewrite(std::string_view url) const {
  for (const auto& [from, to] : rules_) {
    if (url.substr(0, from.size()) == from) {
      std::string out = to;
      out.append(url.substr(from.size()));
      return out;
    }
  }
  return std::string(url);
}

}  // namespace sigverify::cache
