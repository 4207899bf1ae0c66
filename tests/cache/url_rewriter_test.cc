#include "cache/url_rewriter.h"

#include "gtest/gtest.h"

namespace sigverify::cache {
namespace {

TEST(UrlRewriterTest, TheLongestMatchingPrefixWins) {
  auto r = UrlRewriter::FromRules({"http://ca.btc/=http://mirror.example/btc/",
                                   "http://ca.btc/pki/pub/crl/=http://crl.example/"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->Rewrite("http://ca.btc/pki/pub/cert/btc.crt"),
            "http://mirror.example/btc/pki/pub/cert/btc.crt");
  EXPECT_EQ(r->Rewrite("http://ca.btc/pki/pub/crl/btc.crl"), "http://crl.example/btc.crl");
  EXPECT_EQ(r->Rewrite("http://ca.gov.vn/pki/pub/crt/cpcag2.crt"),
            "http://ca.gov.vn/pki/pub/crt/cpcag2.crt");
}

TEST(UrlRewriterTest, RulesThatAreNotHttpPrefixesAreRefused) {
  EXPECT_FALSE(UrlRewriter::FromRules({"http://ca.btc/"}).ok());
  EXPECT_FALSE(UrlRewriter::FromRules({"ldap://ca.btc/=http://x/"}).ok());
  EXPECT_FALSE(UrlRewriter::FromRules({"http://ca.btc/=file:///etc/"}).ok());
  EXPECT_FALSE(UrlRewriter::FromRules({"http:///=http://x/"}).ok());
  EXPECT_FALSE(UrlRewriter::FromRules({"http://ca.btc/=http://a@mirror.example/"}).ok());
}

TEST(UrlRewriterTest, AFromMatchesOnlyUrlsUnderIt) {
  auto r = UrlRewriter::FromRules({"http://ca.btc=http://mirror.example/btc"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->Rewrite("http://ca.btc/x.crl"), "http://mirror.example/btc/x.crl");
  // The same text, another host: not rewritten.
  EXPECT_EQ(r->Rewrite("http://ca.btc.evil.example/x.crl"), "http://ca.btc.evil.example/x.crl");
}

}  // namespace
}  // namespace sigverify::cache
