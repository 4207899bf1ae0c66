#include "service/trust_store_reloader.h"

#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"
#include "tests/testing/test_files.h"

namespace sigverify::service {
namespace {

using sigverify::testing::PkiFile;

class TrustStoreReloaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("sigverify-anchors-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    Write("root.pem", PkiFile("root.pem"));
    auto store = crypto::TrustStore::LoadDirectory(dir_.string());
    ASSERT_TRUE(store.ok());
    verifier_ = std::make_unique<Verifier>(std::make_shared<crypto::PathValidator>(*store, 16),
                                           Limits{}, 16);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void Write(const std::string& name, const std::string& bytes) {
    std::ofstream(dir_ / name, std::ios::binary) << bytes;
  }
  std::string Version() const { return verifier_->paths()->trust_store().version(); }

  std::filesystem::path dir_;
  std::unique_ptr<Verifier> verifier_;
};

TEST_F(TrustStoreReloaderTest, InstallsANewStoreAndKeepsTheOldOneForCallsInFlight) {
  TrustStoreReloader reloader(verifier_.get(), {{dir_.string()}, 16, absl::ZeroDuration()});
  const std::string before = Version();
  std::shared_ptr<const crypto::PathValidator> in_flight = verifier_->paths();
  Write("untrusted-root.pem", PkiFile("untrusted-root.pem"));
  ASSERT_TRUE(reloader.ReloadNow().ok());
  EXPECT_NE(Version(), before);
  EXPECT_EQ(verifier_->paths()->trust_store().anchors().size(), 2u);
  EXPECT_EQ(in_flight->trust_store().version(), before);  // untouched
  EXPECT_EQ(reloader.reloads(), 1u);
}

TEST_F(TrustStoreReloaderTest, RefusesABrokenStoreAndKeepsTheOldOne) {
  std::vector<std::string> logs;
  TrustStoreReloader::Options options{{dir_.string()}, 16, absl::ZeroDuration()};
  options.log = [&](const std::string& line) { logs.push_back(line); };
  TrustStoreReloader reloader(verifier_.get(), options);
  const std::string before = Version();
  Write("broken.pem", "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n");
  const absl::Status s = reloader.ReloadNow();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("broken.pem"), std::string::npos) << s;
  EXPECT_EQ(Version(), before);
  EXPECT_EQ(reloader.failures(), 1u);
  ASSERT_EQ(logs.size(), 1u);
  EXPECT_NE(logs[0].find("refused"), std::string::npos);
  // An emptied directory is refused too: no anchors would fail every request.
  std::filesystem::remove(dir_ / "broken.pem");
  std::filesystem::remove(dir_ / "root.pem");
  EXPECT_FALSE(reloader.ReloadNow().ok());
  EXPECT_EQ(Version(), before);
}

TEST_F(TrustStoreReloaderTest, NoticesAChangedDirectoryByItself) {
  TrustStoreReloader reloader(verifier_.get(), {{dir_.string()}, 16, absl::Milliseconds(20)});
  const std::string before = Version();
  Write("untrusted-root.pem", PkiFile("untrusted-root.pem"));
  for (int i = 0; i < 500 && Version() == before; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_NE(Version(), before);
}

}  // namespace
}  // namespace sigverify::service
