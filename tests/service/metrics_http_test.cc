// The /metrics endpoint over real loopback sockets: what it answers, and
// that slow, idle, oversized and surplus clients cannot hold it. TLS with
// client certificates is tested end to end (tests/e2e/access_test.py, with
// curl-like Python clients and a real Prometheus).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "service/metrics_http/file_descriptor.h"
#include "service/metrics_http/metrics_server.h"
#include "service/metrics_http/request_head.h"
#include "service/metrics_http/tls_context.h"
#include "tests/testing/test_files.h"

namespace sigverify::service::metrics_http {
namespace {

// --- the request head ---

TEST(RequestHeadTest, EndsAtTheFirstBlankLine) {
  EXPECT_FALSE(HeadEnd("GET /metrics HTTP/1.1\r\nHost: x\r\n").has_value());
  EXPECT_EQ(HeadEnd("GET / HTTP/1.1\r\n\r\nbody"), 18u);
}

TEST(RequestHeadTest, ParsesTheRequestLineAndDropsTheQuery) {
  const ParsedHead p = ParseRequestHead(
      "GET /metrics?name[]=up HTTP/1.1\r\nHost: 127.0.0.1:9464\r\nAccept: */*\r\n\r\n");
  ASSERT_TRUE(p.head.has_value()) << p.error->detail;
  EXPECT_EQ(p.head->method, "GET");
  EXPECT_EQ(p.head->path, "/metrics");
  EXPECT_TRUE(ParseRequestHead("HEAD /metrics HTTP/1.0\r\n\r\n").head.has_value());
}

struct BadHead {
  const char* head;
  int code;
};

class RequestHeadRejects : public ::testing::TestWithParam<BadHead> {};

TEST_P(RequestHeadRejects, WithTheStatusThatSaysWhy) {
  const ParsedHead p = ParseRequestHead(GetParam().head);
  ASSERT_TRUE(p.error.has_value()) << GetParam().head;
  EXPECT_EQ(p.error->code, GetParam().code) << GetParam().head;
  EXPECT_FALSE(p.head.has_value());
}

INSTANTIATE_TEST_SUITE_P(
    Values, RequestHeadRejects,
    ::testing::Values(BadHead{"GET /metrics HTTP/2.0\r\n\r\n", 505},
                      BadHead{"GET /metrics HTTP/1.1 extra\r\n\r\n", 400},
                      BadHead{"GET  /metrics HTTP/1.1\r\n\r\n", 400},
                      BadHead{"GET metrics HTTP/1.1\r\n\r\n", 400},
                      BadHead{"GET http://x/metrics HTTP/1.1\r\n\r\n", 400},
                      BadHead{"GET /metrics FTP/1.1\r\n\r\n", 400},
                      BadHead{"G(T /metrics HTTP/1.1\r\n\r\n", 400},
                      BadHead{"GET /met\x01rics HTTP/1.1\r\n\r\n", 400},
                      BadHead{"GET /metrics HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400},
                      BadHead{"GET /metrics HTTP/1.1\r\nno colon\r\n\r\n", 400},
                      BadHead{"GET /metrics HTTP/1.1\r\nBad Name: x\r\n\r\n", 400},
                      BadHead{"GET /metrics HTTP/1.1\r\nX: a\nb\r\n\r\n", 400},
                      BadHead{"GET /metrics HTTP/1.1\r\n\r\n\r\n", 400}));

TEST(RequestHeadTest, LongTargetsAndManyHeadersAreRefused) {
  EXPECT_EQ(ParseRequestHead(
                absl::StrCat("GET /", std::string(kMaxTargetBytes, 'a'), " HTTP/1.1\r\n\r\n"))
                .error->code,
            414);
  std::string head = "GET /metrics HTTP/1.1\r\n";
  for (int i = 0; i < 101; ++i) absl::StrAppend(&head, "X-", i, ": v\r\n");
  EXPECT_EQ(ParseRequestHead(head + "\r\n").error->code, 400);
}

// --- the server, plaintext ---

FileDescriptor Connect(const std::string& address) {
  const size_t colon = address.rfind(':');
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(std::stoi(address.substr(colon + 1))));
  inet_pton(AF_INET, address.substr(0, colon).c_str(), &addr.sin_addr);
  FileDescriptor fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  EXPECT_EQ(connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  return fd;
}

// Everything the peer sends until it closes, waiting at most 10 s for each
// read (a bound against hanging, not a latency assertion).
std::string ReadToEnd(int fd) {
  std::string out;
  char buffer[4096];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 10000) != 1) return out + "<timeout>";
    const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0) return out;
    out.append(buffer, static_cast<size_t>(n));
  }
}

std::string Exchange(const std::string& address, const std::string& request) {
  FileDescriptor fd = Connect(address);
  EXPECT_EQ(send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(request.size()));
  return ReadToEnd(fd.get());
}

double StatValue(const StatsTable& stats, const std::string& name, const std::string& reason = "") {
  for (const Stat& s : stats) {
    if (s.name != name) continue;
    if (!reason.empty() && (s.labels.empty() || s.labels[0].second != reason)) continue;
    return s.read();
  }
  return -1;
}

class MetricsServerTest : public ::testing::Test {
 protected:
  void StartServer(MetricsServer::Options options) {
    options.address = "127.0.0.1:0";
    if (!options.render) options.render = [] { return std::string("up 1\n"); };
    auto server = MetricsServer::Bind(std::move(options));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    server_->Serve();
  }
  std::unique_ptr<MetricsServer> server_;
};

TEST_F(MetricsServerTest, ServesTheBodyWithItsLengthAndCloses) {
  StartServer({});
  const std::string got = Exchange(server_->address(), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(absl::StartsWith(got, "HTTP/1.1 200 OK\r\n")) << got;
  EXPECT_TRUE(absl::StrContains(got, "Content-Type: text/plain; version=0.0.4")) << got;
  EXPECT_TRUE(absl::StrContains(got, "Content-Length: 5\r\n")) << got;
  EXPECT_TRUE(absl::StrContains(got, "Connection: close\r\n")) << got;
  EXPECT_TRUE(absl::EndsWith(got, "\r\n\r\nup 1\n")) << got;

  const std::string head = Exchange(server_->address(), "HEAD /metrics HTTP/1.1\r\n\r\n");
  EXPECT_TRUE(absl::StrContains(head, "Content-Length: 5\r\n")) << head;
  EXPECT_TRUE(absl::EndsWith(head, "\r\n\r\n")) << head;
  EXPECT_EQ(StatValue(server_->stats_table(), "sigverify_metrics_http_scrapes_total"), 2);
}

TEST_F(MetricsServerTest, AnswersWhatItCannotServeWithAStatus) {
  StartServer({});
  const std::string& a = server_->address();
  EXPECT_TRUE(absl::StartsWith(Exchange(a, "GET /other HTTP/1.1\r\n\r\n"), "HTTP/1.1 404 "));
  const std::string post = Exchange(a, "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
  EXPECT_TRUE(absl::StartsWith(post, "HTTP/1.1 405 ")) << post;
  EXPECT_TRUE(absl::StrContains(post, "Allow: GET, HEAD\r\n")) << post;
  EXPECT_TRUE(absl::StartsWith(Exchange(a, "get /metrics HTTP/1.1\r\n\r\n"), "HTTP/1.1 405 "));
  EXPECT_TRUE(absl::StartsWith(Exchange(a, "GET /metrics HTTP/3.0\r\n\r\n"), "HTTP/1.1 505 "));
  // A head that never ends within the limit: 431 once the limit is passed.
  const std::string big = Exchange(
      a, absl::StrCat("GET /metrics HTTP/1.1\r\nX: ", std::string(kMaxRequestHeadBytes, 'a')));
  EXPECT_TRUE(absl::StartsWith(big, "HTTP/1.1 431 ")) << big.substr(0, 100);
  EXPECT_EQ(
      StatValue(server_->stats_table(), "sigverify_metrics_http_refused_total", "bad_request"), 5);
  EXPECT_EQ(StatValue(server_->stats_table(), "sigverify_metrics_http_scrapes_total"), 0);
}

// Bytes the client sends after its head (a body nobody asked for) do not
// turn the close into a reset that would lose the answer.
TEST_F(MetricsServerTest, TheAnswerSurvivesBytesAfterTheHead) {
  StartServer({.render = [] { return std::string(300000, '#') + "\n"; }});
  const std::string got = Exchange(
      server_->address(), absl::StrCat("GET /metrics HTTP/1.1\r\n\r\n", std::string(200000, 'x')));
  EXPECT_TRUE(absl::StartsWith(got, "HTTP/1.1 200 OK\r\n")) << got.substr(0, 100);
  EXPECT_TRUE(absl::EndsWith(got, std::string(1000, '#') + "\n"));
}

TEST_F(MetricsServerTest, RefusesWhomAuthorizeRefuses) {
  StartServer({.authorize = [](absl::string_view pem, absl::Time) {
    return pem.empty() ? absl::PermissionDeniedError("GET /metrics needs ROLE_MONITOR")
                       : absl::OkStatus();
  }});
  const std::string got = Exchange(server_->address(), "GET /metrics HTTP/1.1\r\n\r\n");
  EXPECT_TRUE(absl::StartsWith(got, "HTTP/1.1 403 Forbidden\r\n")) << got;
  EXPECT_TRUE(absl::EndsWith(got, "GET /metrics needs ROLE_MONITOR\n")) << got;
  EXPECT_FALSE(absl::StrContains(got, "up 1"));
  EXPECT_EQ(StatValue(server_->stats_table(), "sigverify_metrics_http_refused_total", "forbidden"),
            1);
}

// A client that connects and says nothing is closed at its deadline.
TEST_F(MetricsServerTest, ClosesASilentClientAtItsDeadline) {
  StartServer({.deadline = absl::Milliseconds(200)});
  FileDescriptor idle = Connect(server_->address());
  const std::string half = "GET /metrics HTTP/1.1\r\n";  // and never the blank line
  send(idle.get(), half.data(), half.size(), MSG_NOSIGNAL);
  EXPECT_EQ(ReadToEnd(idle.get()), "");
  EXPECT_EQ(StatValue(server_->stats_table(), "sigverify_metrics_http_refused_total", "deadline"),
            1);
}

// Over the connection limit the oldest connection makes room: idle
// connections cannot keep a scrape out.
TEST_F(MetricsServerTest, TheOldestConnectionMakesRoomOverTheLimit) {
  StartServer({.max_connections = 3});
  std::vector<FileDescriptor> idle;
  for (int i = 0; i < 3; ++i) idle.push_back(Connect(server_->address()));
  // The fourth evicts the first (closed without an answer), and is served.
  const std::string got = Exchange(server_->address(), "GET /metrics HTTP/1.1\r\n\r\n");
  EXPECT_TRUE(absl::StartsWith(got, "HTTP/1.1 200 OK\r\n")) << got;
  EXPECT_EQ(ReadToEnd(idle[0].get()), "");
  EXPECT_GE(StatValue(server_->stats_table(), "sigverify_metrics_http_refused_total", "evicted"),
            1);
}

TEST_F(MetricsServerTest, StopsWithConnectionsOpen) {
  StartServer({});
  FileDescriptor idle = Connect(server_->address());
  server_.reset();  // returns; the connection is closed
  EXPECT_EQ(ReadToEnd(idle.get()), "");
}

TEST(MetricsServerBindTest, NamesTheAddressItCannotBind) {
  auto first = MetricsServer::Bind({.address = "127.0.0.1:0"});
  ASSERT_TRUE(first.ok());
  auto second = MetricsServer::Bind({.address = (*first)->address()});
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(second.status().message(), (*first)->address())) << second.status();
}

// --- TLS context ---

TEST(TlsContextTest, NamesTheFileThatDoesNotLoad) {
  const std::string pki = sigverify::testing::TestPkiDir();
  auto missing = BuildTlsContext({pki + "/nonexistent.pem", pki + "/tls-server.key", ""});
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(missing.status().message(), "nonexistent.pem")) << missing.status();
  auto mismatch = BuildTlsContext({pki + "/tls-server.pem", pki + "/client-admin.key", ""});
  EXPECT_FALSE(mismatch.ok());
  auto ca = BuildTlsContext({pki + "/tls-server.pem", pki + "/tls-server.key", pki + "/ca.key"});
  EXPECT_TRUE(absl::StrContains(ca.status().message(), "client CA")) << ca.status();
  auto good =
      BuildTlsContext({pki + "/tls-server.pem", pki + "/tls-server.key", pki + "/client-ca.pem"});
  ASSERT_TRUE(good.ok()) << good.status();
  EXPECT_EQ(SSL_CTX_get_verify_mode(good->get()),
            SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT);
  EXPECT_EQ(SSL_CTX_get_min_proto_version(good->get()), TLS1_2_VERSION);
}

// A changed file is read again; one that does not load keeps the context in
// force, and is tried again once it changes.
TEST(TlsContextTest, ReadsChangedFilesAgainAndKeepsTheLastGoodOne) {
  const std::string pki = sigverify::testing::TestPkiDir();
  const std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) / "tls_context";
  std::filesystem::create_directories(dir);
  const std::string chain = (dir / "chain.pem").string();
  std::filesystem::copy_file(pki + "/tls-server.pem", chain,
                             std::filesystem::copy_options::overwrite_existing);
  std::vector<std::string> log;
  auto tls = TlsContext::Create({chain, pki + "/tls-server.key", ""}, absl::ZeroDuration(),
                                [&](const std::string& line) { log.push_back(line); });
  ASSERT_TRUE(tls.ok()) << tls.status();
  absl::Time now = absl::Now();
  const SslContextPtr first = (*tls)->Get(now);
  EXPECT_EQ((*tls)->Get(now += absl::Seconds(1)), first);  // unchanged

  std::ofstream(chain, std::ios::trunc) << "not a certificate\n";
  EXPECT_EQ((*tls)->Get(now += absl::Seconds(1)), first);
  ASSERT_EQ(log.size(), 1u);
  EXPECT_TRUE(absl::StrContains(log[0], "keeping the certificates in force")) << log[0];

  std::ofstream(chain, std::ios::trunc)
      << sigverify::testing::PkiFile("tls-server.pem") << sigverify::testing::PkiFile("ca.pem");
  const SslContextPtr second = (*tls)->Get(now += absl::Seconds(1));
  EXPECT_NE(second, first);
  EXPECT_TRUE(absl::StrContains(log.back(), "read again")) << log.back();
}

}  // namespace
}  // namespace sigverify::service::metrics_http
