// The memory flood an outside probe sent (30 concurrent 30 MB Verify calls
// took sigverifyd from 25 MB to 1.88 GB of RSS), sent harder at the real
// binary: 40 connections, one 24 MiB call each, all at once. With
// --max-inflight-bytes the process's peak RSS stays under the budget plus
// kSlack; with a budget too large to bind, the same flood goes past that
// line (so the bound is what holds it). Each call is answered with the
// right verdict or refused with a status saying so, and the server serves
// normally afterwards.
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "sigverify/v1/verification.grpc.pb.h"
#include "tests/testing/server_process.h"
#include "tests/testing/test_files.h"

namespace sigverify {
namespace {

using testing::PkiFile;

constexpr int kCalls = 40;
constexpr size_t kDataBytes = size_t{24} << 20;
constexpr size_t kBudget = size_t{128} << 20;
// The process without calls (~25 MB), gRPC's buffers past its quota before
// it resets streams, allocator slack. Measured peaks with this flood:
// 149-205 MiB for a 128 MiB budget, 513-553 MiB unbounded.
constexpr size_t kSlack = size_t{128} << 20;

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

// Peak resident set of `pid`, bytes.
size_t PeakRss(pid_t pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    size_t kb = 0;
    if (std::sscanf(line.c_str(), "VmHWM: %zu kB", &kb) == 1) return kb << 10;
  }
  return 0;
}

// A real RSA signature over `data` with the test signer's key.
std::string Sign(const std::string& data) {
  const std::string pem = PkiFile("signer-rsa.key");
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t len = 0;
  std::string sig;
  if (key != nullptr && EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
      EVP_DigestSign(ctx, nullptr, &len, nullptr, 0) == 1) {
    sig.resize(len);
    if (EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                       reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
      sig.clear();
    }
    sig.resize(len);
  }
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  return sig;
}

struct Outcome {
  size_t peak_rss = 0;
  int passed = 0;
  std::map<std::string, int> refused;  // "CODE: message" -> calls
  int wrong = 0;                       // answered, but not TOTAL_PASSED
  std::string after;                   // a normal call once the flood is over: "OK" or why not
};

std::unique_ptr<v1::VerificationService::Stub> Stub(const std::string& target, int connection) {
  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(64 << 20);
  // A connection of its own per channel, as separate clients would have.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt("sigverify.test.connection", connection);
  return v1::VerificationService::NewStub(
      grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args));
}

Outcome Flood(size_t budget, const v1::VerifyRequest& request) {
  const std::string target = absl::StrCat("127.0.0.1:", FreePort());
  const std::string log = ::testing::TempDir() + "/memory-flood-sigverifyd.log";
  testing::ServerProcess server(
      {SIGVERIFYD_PATH, "--listen=" + target,
       "--metrics-listen=", "--trust-anchors=" + testing::TestPkiDir() + "/anchors",
       "--check-revocation=false", absl::StrCat("--max-inflight-bytes=", budget)},
      log, "listening on");
  std::vector<std::unique_ptr<v1::VerificationService::Stub>> stubs;
  for (int i = 0; i < kCalls; ++i) stubs.push_back(Stub(target, i));

  Outcome out;
  std::mutex mu;
  std::condition_variable cv;
  int done = 0;
  std::vector<grpc::ClientContext> contexts(kCalls);
  std::vector<v1::VerifyResponse> responses(kCalls);
  for (int i = 0; i < kCalls; ++i) {
    contexts[i].set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(2));
    stubs[i]->async()->Verify(&contexts[i], &request, &responses[i], [&, i](grpc::Status s) {
      std::lock_guard<std::mutex> lock(mu);
      if (!s.ok()) {
        ++out.refused[absl::StrCat(s.error_code(), ": ", s.error_message().substr(0, 40))];
      } else if (responses[i].indication() == v1::INDICATION_TOTAL_PASSED) {
        ++out.passed;
      } else {
        ++out.wrong;
      }
      ++done;
      cv.notify_all();
    });
  }
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return done == kCalls; });
  }
  out.peak_rss = PeakRss(server.pid());
  v1::VerifyRequest normal;
  normal.set_data(PkiFile("sample.txt"));
  normal.set_signature(PkiFile("sample.txt.signer-rsa.sig"));
  normal.set_algorithm(v1::SIGNATURE_ALGORITHM_RSA_PKCS1_V15_SHA256);
  normal.set_signer_certificate(PkiFile("signer-rsa.pem"));
  normal.add_intermediate_certificates(PkiFile("ca.pem"));
  grpc::ClientContext after;
  after.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(1));
  v1::VerifyResponse response;
  const grpc::Status s = Stub(target, kCalls)->Verify(&after, normal, &response);
  out.after = !s.ok() ? absl::StrCat(s.error_code(), ": ", s.error_message())
              : response.indication() != v1::INDICATION_TOTAL_PASSED ? response.message()
                                                                     : "OK";
  return out;
}

std::string Describe(const Outcome& o) {
  std::string s = absl::StrCat("peak RSS ", o.peak_rss >> 20, " MiB; ", o.passed, " passed");
  for (const auto& [why, n] : o.refused) absl::StrAppend(&s, "; ", n, " x ", why);
  return s;
}

TEST(MemoryFloodTest, PeakRssStaysUnderTheInflightBudgetPlusAConstant) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "under AddressSanitizer RSS measures the sanitizer's shadow and quarantine";
#endif
  v1::VerifyRequest request;
  request.set_data(std::string(kDataBytes, 'x'));
  request.set_signature(Sign(request.data()));
  ASSERT_FALSE(request.signature().empty());
  request.set_algorithm(v1::SIGNATURE_ALGORITHM_RSA_PKCS1_V15_SHA256);
  request.set_signer_certificate(PkiFile("signer-rsa.pem"));
  request.add_intermediate_certificates(PkiFile("ca.pem"));

  const Outcome bounded = Flood(kBudget, request);
  std::printf("bounded:   %s\n", Describe(bounded).c_str());
  SCOPED_TRACE(Describe(bounded));
  EXPECT_LT(bounded.peak_rss, kBudget + kSlack);
  EXPECT_EQ(bounded.wrong, 0);
  EXPECT_GT(bounded.passed, 0);
  EXPECT_EQ(
      bounded.passed +
          [&] {
            int n = 0;
            for (const auto& [why, count] : bounded.refused) n += count;
            return n;
          }(),
      kCalls);
  // Refused by the budget, by gRPC's quota (a reset stream) or by gRPC
  // closing a connection under memory pressure: each says it was a limit.
  for (const auto& [why, n] : bounded.refused) {
    EXPECT_TRUE(why.rfind("8: ", 0) == 0 || why.rfind("14: ", 0) == 0) << why;
  }
  EXPECT_EQ(bounded.after, "OK");

  const Outcome unbounded = Flood(size_t{16} << 30, request);
  std::printf("unbounded: %s\n", Describe(unbounded).c_str());
  SCOPED_TRACE(Describe(unbounded));
  EXPECT_GT(unbounded.peak_rss, kBudget + kSlack) << "the flood no longer tests the bound";
  EXPECT_EQ(unbounded.wrong, 0);
}

}  // namespace
}  // namespace sigverify
