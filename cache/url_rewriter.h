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

namespace sigverify::cache {

class UrlRewriter {
 public:
  UrlRewriter() = default;
  // (FROM, TO) prefix pairs, already checked (IsHttpUrl on both sides).
  explicit UrlRewriter(std::vector<std::pair<std::string, std::string>> rules);
  // Rules "FROM=TO"; both sides are http:// or https:// URL prefixes.
  static absl::StatusOr<UrlRewriter> FromRules(const std::vector<std::string>& rules);

  // `url` with the longest matching FROM replaced by its TO, or unchanged.
  std::string Rewrite(std::string_view url) const;

 private:
  std::vector<std::pair<std::string, std::string>> rules_;  // longest FROM first
};

// True for an http:// or https:// URL with a host.
bool IsHttpUrl(std::string_view url);

}  // namespace sigverify::cache

#endif  // SIGVERIFY_CACHE_URL_REWRITER_H_
