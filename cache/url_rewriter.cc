#include "cache/url_rewriter.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace sigverify::cache {

UrlRewriter::UrlRewriter(const std::vector<std::pair<std::string, std::string>>& rules) {
  for (const auto& [from, to] : rules) {
    auto from_url = ParseHttpUrl(from);
    if (!from_url.ok()) continue;  // FromRules and the configuration check refuse these
    rules_.push_back({from, *std::move(from_url), to});
  }
  std::stable_sort(rules_.begin(), rules_.end(),
                   [](const Rule& a, const Rule& b) { return a.from.size() > b.from.size(); });
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
    for (const std::string* side : {&from, &to}) {
      if (auto url = ParseHttpUrl(*side); !url.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("URL rewrite '", rule, "': ", url.status().message()));
      }
    }
    pairs.emplace_back(std::move(from), std::move(to));
  }
  return UrlRewriter(pairs);
}

std::string UrlRewriter::Rewrite(std::string_view url) const {
  if (rules_.empty()) return std::string(url);
  auto parsed = ParseHttpUrl(url);
  if (!parsed.ok()) return std::string(url);  // the fetcher refuses it
  for (const Rule& rule : rules_) {
    if (url.substr(0, rule.from.size()) == rule.from && IsUnder(*parsed, rule.from_url)) {
      std::string out = rule.to;
      out.append(url.substr(rule.from.size()));
      return out;
    }
  }
  return std::string(url);
}

}  // namespace sigverify::cache
