// The fetcher against a real HTTP server (Python's http.server) and a
// socket that accepts connections but never answers.
#include "cache/http_fetcher.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "cache/source_error.h"
#include "gtest/gtest.h"
#include "tests/testing/http_server.h"
#include "tests/testing/test_files.h"

namespace sigverify::cache {
namespace {

class HttpFetcherTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(std::filesystem::temp_directory_path() /
                           ("sigverify-http-" + std::to_string(getpid())));
    std::filesystem::create_directories(*dir_);
    std::ofstream(*dir_ + "/small.bin") << "0123456789";
    std::ofstream(*dir_ + "/large.bin") << std::string(300 * 1024, 'x');
    server_ = new sigverify::testing::HttpServer(*dir_);
  }
  static void TearDownTestSuite() {
    delete server_;
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }
  static std::string* dir_;
  static sigverify::testing::HttpServer* server_;
};
std::string* HttpFetcherTest::dir_ = nullptr;
sigverify::testing::HttpServer* HttpFetcherTest::server_ = nullptr;

TEST_F(HttpFetcherTest, GetsTheBody) {
  auto body = HttpGet(server_->url() + "small.bin", {});
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(*body, "0123456789");
}

TEST_F(HttpFetcherTest, AMissingFileIsUnavailableWithItsStatus) {
  auto body = HttpGet(server_->url() + "missing.crt", {});
  EXPECT_EQ(body.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ProblemOf(body.status()).reason, crypto::FailureReason::kFetchFailed);
  EXPECT_EQ(ProblemOf(body.status()).detail, "HTTP 404") << body.status();
  EXPECT_EQ(ProblemOf(body.status()).location, server_->url() + "missing.crt");
}

// The environment's proxy settings do not redirect revocation and issuer
// traffic: a fetch goes where its URL says.
TEST_F(HttpFetcherTest, TheEnvironmentsProxyIsNotUsed) {
  setenv("http_proxy", "http://127.0.0.1:9", 1);
  setenv("ALL_PROXY", "http://127.0.0.1:9", 1);
  auto body = HttpGet(server_->url() + "small.bin", {});
  unsetenv("http_proxy");
  unsetenv("ALL_PROXY");
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(*body, "0123456789");
}

TEST_F(HttpFetcherTest, AUrlWithUserInfoIsNotFetched) {
  const std::string url = "http://127.0.0.1:9@" + server_->url().substr(7) + "small.bin";
  const int before = server_->Requests();
  auto body = HttpGet(url, {});
  EXPECT_EQ(ProblemOf(body.status()).reason, crypto::FailureReason::kUrlNotAllowed)
      << body.status();
  EXPECT_EQ(server_->Requests(), before);
}

TEST_F(HttpFetcherTest, AnAnswerOverTheSizeLimitIsRefused) {
  FetchLimits limits;
  limits.max_bytes = 64 * 1024;
  auto body = HttpGet(server_->url() + "large.bin", limits);
  EXPECT_EQ(body.status().code(), absl::StatusCode::kResourceExhausted) << body.status();
}

TEST_F(HttpFetcherTest, OnlyPlainHttpIsFetched) {
  EXPECT_EQ(HttpGet("https://127.0.0.1:1/x.crt", {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(HttpGet("file:///etc/passwd", {}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(HttpGet("ldap://127.0.0.1/x", {}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(HttpFetcherHangTest, AServerThatNeverAnswersTimesOut) {
  // Accepted by the kernel (listen backlog) but never read or answered.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 4), 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  FetchLimits limits;
  limits.total_timeout = absl::Milliseconds(300);
  auto body =
      HttpGet("http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/ca.crt", limits);
  EXPECT_EQ(body.status().code(), absl::StatusCode::kDeadlineExceeded) << body.status();
  close(fd);
}

TEST(HttpFetcherRefusedTest, NothingListeningIsUnavailable) {
  // Port 9 (discard) is not served on this loopback.
  auto body = HttpGet("http://127.0.0.1:9/ca.crt", {});
  EXPECT_EQ(body.status().code(), absl::StatusCode::kUnavailable) << body.status();
}

}  // namespace
}  // namespace sigverify::cache
