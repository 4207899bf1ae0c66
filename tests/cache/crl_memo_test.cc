// The request CRLs' memo (cache/crl_memo.h): the same bytes for the same CA
// come back parsed, and are checked again for the time; other bytes,
// another CA or a CRL out of its window are parsed (and refused) as ever;
// the bounds hold.
#include "cache/crl_memo.h"

#include "absl/strings/str_format.h"
#include "cache/source_error.h"
#include "gtest/gtest.h"
#include "tests/pki/cert_factory.h"
#include "tests/pki/crl_factory.h"
#include "tests/testing/issued_certificate.h"

namespace sigverify::cache {
namespace {

using R = crypto::FailureReason;
using sigverify::testing::AsCertificate;

const absl::Time kNow = absl::FromUnixSeconds(1'790'000'000);  // 2026-09-22

sigverify::testing::Issued MakeCa(const std::string& cn) {
  sigverify::testing::CertSpec spec;
  spec.subject = {{"C", "VN"}, {"CN", cn}};
  spec.not_before = kNow - absl::Hours(24 * 365);
  spec.not_after = kNow + absl::Hours(24 * 365);
  spec.extensions = {{"basicConstraints", "critical,CA:TRUE"},
                     {"keyUsage", "critical,keyCertSign,cRLSign"}};
  return *sigverify::testing::Issue(spec, nullptr);
}

std::string MakeCrl(const sigverify::testing::Issued& ca, long number) {
  sigverify::testing::CrlSpec spec;
  spec.this_update = kNow - absl::Hours(1);
  spec.next_update = kNow + absl::Hours(23);
  spec.number = number;
  spec.entries = {{"3001", kNow - absl::Hours(2), 1}};
  return *sigverify::testing::IssueCrl(spec, ca.cert.get(), ca.key.get());
}

TEST(CrlMemoTest, TheSameBytesForTheSameCaComeBackParsed) {
  const auto ca = MakeCa("Memo CA");
  const auto ca_cert = AsCertificate(ca);
  CrlMemo memo({});
  const std::string der = MakeCrl(ca, 1);
  auto first = memo.Parse(der, *ca_cert, {kNow}, {});
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string copy = der;  // other memory, same bytes
  auto again = memo.Parse(copy, *ca_cert, {kNow + absl::Hours(1)}, {});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->get(), first->get());
  EXPECT_EQ(memo.stats().hits, 1u);
  EXPECT_EQ(memo.stats().crls, 1u);

  // Past nextUpdate: refused as Parse refuses it, kept or not.
  auto stale = memo.Parse(der, *ca_cert, {kNow + absl::Hours(48)}, {});
  EXPECT_EQ(ProblemOf(stale.status()).reason, R::kResponseStale) << stale.status();
  // Another CA of another name: not this CA's CRL.
  const auto other = AsCertificate(MakeCa("Other Memo CA"));
  auto wrong = memo.Parse(der, *other, {kNow}, {});
  EXPECT_EQ(ProblemOf(wrong.status()).reason, R::kCrlWrongIssuer) << wrong.status();
  // One byte of the signature changed: other bytes, parsed and refused.
  std::string forged = der;
  forged[forged.size() - 5] ^= 1;
  auto bad = memo.Parse(forged, *ca_cert, {kNow}, {});
  EXPECT_EQ(ProblemOf(bad.status()).reason, R::kResponseSignatureInvalid) << bad.status();
  // Fewer entries allowed than it has: refused, as Parse would.
  CrlCheck strict{kNow};
  strict.max_entries = 0;
  auto large = memo.Parse(der, *ca_cert, strict, {});
  EXPECT_EQ(ProblemOf(large.status()).reason, R::kCrlTooLarge) << large.status();
}

// Entries are chosen by the size and both ends of the bytes; a candidate
// is compared in full: a large CRL changed in the middle (its ends, and so
// its signature, the same) is other bytes, parsed and refused.
TEST(CrlMemoTest, ACrlChangedOnlyInTheMiddleIsNotTheKeptOne) {
  const auto ca = MakeCa("Memo CA");
  const auto ca_cert = AsCertificate(ca);
  sigverify::testing::CrlSpec spec;
  spec.this_update = kNow - absl::Hours(1);
  spec.next_update = kNow + absl::Hours(23);
  for (int i = 0; i < 1000; ++i) {
    spec.entries.push_back({absl::StrFormat("%08x", 0x10000 + i), kNow - absl::Hours(2), 1});
  }
  const std::string der = *sigverify::testing::IssueCrl(spec, ca.cert.get(), ca.key.get());
  ASSERT_GT(der.size(), 3u * 4096);
  CrlMemo memo({});
  ASSERT_TRUE(memo.Parse(der, *ca_cert, {kNow}, {}).ok());
  std::string changed = der;
  const size_t at = changed.find(std::string("\x02\x03\x01\x01\xf4", 5));  // serial 101f4
  ASSERT_NE(at, std::string::npos);
  ASSERT_GT(at, 4096u);
  ASSERT_LT(at, der.size() - 4096);
  changed[at + 4] = '\xf5';
  auto forged = memo.Parse(changed, *ca_cert, {kNow}, {});
  EXPECT_EQ(ProblemOf(forged.status()).reason, R::kResponseSignatureInvalid) << forged.status();
  EXPECT_EQ(memo.stats().hits, 0u);
  EXPECT_EQ(memo.stats().misses, 2u);  // the first parse and this one
}

TEST(CrlMemoTest, KeepsAtMostItsBoundsDroppingTheLeastRecentlyUsed) {
  const auto ca = MakeCa("Memo CA");
  const auto ca_cert = AsCertificate(ca);
  CrlMemo memo({/*max_crls=*/2, /*max_bytes=*/size_t{1} << 20});
  const std::string one = MakeCrl(ca, 1), two = MakeCrl(ca, 2), three = MakeCrl(ca, 3);
  auto first = *memo.Parse(one, *ca_cert, {kNow}, {});
  ASSERT_TRUE(memo.Parse(two, *ca_cert, {kNow}, {}).ok());
  EXPECT_EQ(memo.Parse(one, *ca_cert, {kNow}, {})->get(), first.get());  // one: most recent
  ASSERT_TRUE(memo.Parse(three, *ca_cert, {kNow}, {}).ok());             // two goes
  EXPECT_EQ(memo.stats().crls, 2u);
  EXPECT_EQ(memo.Parse(one, *ca_cert, {kNow}, {})->get(), first.get());
  const uint64_t hits = memo.stats().hits;
  ASSERT_TRUE(memo.Parse(two, *ca_cert, {kNow}, {}).ok());
  EXPECT_EQ(memo.stats().hits, hits);  // parsed again

  CrlMemo tiny({/*max_crls=*/8, /*max_bytes=*/16});
  auto a = *tiny.Parse(one, *ca_cert, {kNow}, {});
  auto b = *tiny.Parse(one, *ca_cert, {kNow}, {});
  EXPECT_NE(a.get(), b.get());
  EXPECT_EQ(tiny.stats().crls, 0u);
  EXPECT_EQ(tiny.stats().bytes, 0u);
}

}  // namespace
}  // namespace sigverify::cache
