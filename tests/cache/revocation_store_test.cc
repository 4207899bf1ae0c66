// The on-disk format of kept revocation data: what is written reads back;
// damage of any kind is found before anything is validated.
#include "cache/revocation_store.h"

#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"

namespace sigverify::cache {
namespace {

PersistedRecord Sample() {
  PersistedRecord r;
  r.kind = PersistedRecord::Kind::kCrl;
  r.url = "http://crl.example/ca.crl";
  r.issuer_der = std::string("\x30\x82issuer", 8);
  r.data = std::string(100000, '\x5a');
  r.delta = "delta";
  return r;
}

TEST(RevocationStoreTest, ARecordReadsBackFieldForField) {
  auto back = DecodeRecord(EncodeRecord(Sample()));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->kind, PersistedRecord::Kind::kCrl);
  EXPECT_EQ(back->url, Sample().url);
  EXPECT_EQ(back->issuer_der, Sample().issuer_der);
  EXPECT_EQ(back->cert_der, "");
  EXPECT_EQ(back->data, Sample().data);
  EXPECT_EQ(back->delta, "delta");
}

TEST(RevocationStoreTest, EveryKindOfDamageIsDataLoss) {
  const std::string good = EncodeRecord(Sample());
  std::string flipped = good;
  flipped[good.size() / 2] ^= 1;
  EXPECT_EQ(DecodeRecord(flipped).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeRecord(good.substr(0, good.size() - 1)).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeRecord("").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeRecord("sigverify-revocation 2\n" + good.substr(23)).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(RevocationStoreTest, LoadGivesEachFileToItsKindAndDropsWhatIsRefused) {
  const std::string dir = ::testing::TempDir() + "/revocation-store-test";
  std::filesystem::remove_all(dir);
  std::vector<std::string> log;
  auto store = RevocationStore::Open(dir, [&](absl::string_view line) { log.emplace_back(line); });
  ASSERT_TRUE(store.ok()) << store.status();
  PersistedRecord ocsp = Sample();
  ocsp.kind = PersistedRecord::Kind::kOcsp;
  ASSERT_TRUE((*store)->Save(std::string(32, 'a'), ocsp).ok());
  ASSERT_TRUE((*store)->Save(std::string(32, 'b'), Sample()).ok());
  ASSERT_TRUE((*store)->Save(std::string(32, 'c'), Sample()).ok());
  // What a crash mid-write leaves, and a stranger.
  std::ofstream(dir + "/" + std::string(64, 'd') + ".rev.tmp.1.2") << "half";
  std::ofstream(dir + "/not-ours.rev") << "x";

  int ocsp_seen = 0, crl_seen = 0;
  auto stats = (*store)->Load(
      [&](const std::string& key, const PersistedRecord& r) {
        ++ocsp_seen;
        EXPECT_EQ(key, RevocationStore::FileKey(std::string(32, 'a')));
        EXPECT_EQ(r.kind, PersistedRecord::Kind::kOcsp);
        return absl::OkStatus();
      },
      [&](const std::string& key, const PersistedRecord&) {
        ++crl_seen;
        return key == RevocationStore::FileKey(std::string(32, 'b'))
                   ? absl::OkStatus()
                   : absl::FailedPreconditionError("the CRL is stale");
      });
  EXPECT_EQ(ocsp_seen, 1);
  EXPECT_EQ(crl_seen, 2);
  EXPECT_EQ(stats.loaded, 2);
  EXPECT_EQ(stats.dropped, 2);  // the refused CRL and the stranger
  size_t files = 0;
  for ([[maybe_unused]] const auto& f : std::filesystem::directory_iterator(dir)) ++files;
  EXPECT_EQ(files, 2u);  // the temporary file is gone too
  ASSERT_EQ(log.size(), 2u);
  EXPECT_NE((log[0] + log[1]).find("the CRL is stale"), std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sigverify::cache
