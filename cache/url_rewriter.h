// Rewrites certificate URLs that only resolve inside ministry networks (the
// G1 hierarchy names hosts like http://ca.btc/) to reachable mirrors: a
// prefix map, longest prefix first, applied to every fetch.
#ifndef SIGVERIFY_CACHE_URL_REWRITER_H_
#define SIGVERIFY_CACHE_URL_REWRITER_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "cache/http_url.h"

namespace sigverify::cache {

class UrlRewriter {
 public:
  UrlRewriter() = default;
  // (FROM, TO) prefix pairs, already checked (IsHttpUrl on both sides).
  explicit UrlRewriter(const std::vector<std::pair<std::string, std::string>>& rules);
  // Rules "FROM=TO"; both sides are http:// or https:// URL prefixes.
  static absl::StatusOr<UrlRewriter> FromRules(const std::vector<std::string>& rules);

  // `url` with the longest matching FROM replaced by its TO, or unchanged. A
  // FROM matches only a URL under it (cache/http_url.h: same host and port,
  // whole path segments), never one that merely starts with the same text.
  std::string Rewrite(std::string_view url) const;

 private:
  struct Rule {
    std::string from;
    HttpUrl from_url;
    std::string to;
  };
  std::vector<Rule> rules_;  // longest FROM first
};

}  // namespace sigverify::cache

#endif  // SIGVERIFY_CACHE_URL_REWRITER_H_
