// URLs are parsed, not prefix-matched: the probe's allow-list bypass
// (http://ALLOWED@ELSEWHERE/) and its relatives.
#include "cache/http_url.h"

#include "gtest/gtest.h"

namespace sigverify::cache {
namespace {

bool Under(const std::string& url, const std::string& prefix) {
  auto u = ParseHttpUrl(url);
  auto p = ParseHttpUrl(prefix);
  return u.ok() && p.ok() && IsUnder(*u, *p);
}

TEST(HttpUrlTest, PartsAreWhatTheFetchWillUse) {
  auto u = ParseHttpUrl("http://CA.Gov.VN/pki/pub/crt/cpcag2.crt");
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->scheme, "http");
  EXPECT_EQ(u->host, "ca.gov.vn");
  EXPECT_EQ(u->port, 80);
  EXPECT_EQ(u->path, "/pki/pub/crt/cpcag2.crt");
  auto bare = ParseHttpUrl("http://127.0.0.1:8080");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->port, 8080);
  EXPECT_EQ(bare->path, "/");
}

TEST(HttpUrlTest, UserInfoNonHttpAndHostlessUrlsAreRefused) {
  // The probe: "allowed" text before '@' is user-info; the host is after it.
  EXPECT_FALSE(ParseHttpUrl("http://127.0.0.1:9@127.0.0.1:8080/x.crt").ok());
  EXPECT_FALSE(ParseHttpUrl("http://user:pw@ca.gov.vn/x").ok());
  EXPECT_FALSE(ParseHttpUrl("ldap://ca.gov.vn/x").ok());
  EXPECT_FALSE(ParseHttpUrl("file:///etc/passwd").ok());
  EXPECT_FALSE(ParseHttpUrl("http:///x").ok());
  EXPECT_FALSE(ParseHttpUrl("http://ca.gov.vn /x").ok());
  EXPECT_FALSE(ParseHttpUrl("not a url").ok());
}

TEST(HttpUrlTest, UnderComparesHostPortAndWholePathSegments) {
  EXPECT_TRUE(Under("http://ca.gov.vn/pki/a.crt", "http://ca.gov.vn/pki"));
  EXPECT_TRUE(Under("http://ca.gov.vn/pki/a.crt", "http://ca.gov.vn/pki/"));
  EXPECT_TRUE(Under("http://ca.gov.vn/pki", "http://ca.gov.vn/pki"));
  EXPECT_TRUE(Under("http://CA.GOV.VN:80/x", "http://ca.gov.vn"));
  EXPECT_FALSE(Under("http://ca.gov.vn/pkix/a.crt", "http://ca.gov.vn/pki"));
  // A prefix without a slash named a port: a longer port is another port.
  EXPECT_FALSE(Under("http://127.0.0.1:90/x", "http://127.0.0.1:9"));
  EXPECT_FALSE(Under("http://ca.gov.vn.evil.example/x", "http://ca.gov.vn"));
  EXPECT_FALSE(Under("https://ca.gov.vn/x", "http://ca.gov.vn"));
  EXPECT_FALSE(Under("http://127.0.0.1:9@127.0.0.1:8080/x", "http://127.0.0.1:9"));
}

}  // namespace
}  // namespace sigverify::cache
