// The gRPC VerificationService in-process over a real loopback channel,
// and requests of every kind for it (the test PKI's files).
#ifndef SIGVERIFY_TESTS_SERVICE_TEST_SERVICE_H_
#define SIGVERIFY_TESTS_SERVICE_TEST_SERVICE_H_

#include <grpcpp/grpcpp.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "service/verification_service.h"
#include "tests/testing/test_files.h"

namespace sigverify::service {

class TestService {
 public:
  explicit TestService(Limits limits, size_t workers = 2) {
    auto root = crypto::Certificate::Parse(sigverify::testing::PkiFile("root.pem"));
    auto store = crypto::TrustStore::FromCertificates({*root});
    auto paths = std::make_shared<crypto::PathValidator>(*store, 1024);
    verifier_ = std::make_shared<Verifier>(paths, limits, 1024);
    pool_ = std::make_unique<WorkerPool>(workers, limits.max_queued_items);
    metrics_ = std::make_unique<ServiceMetrics>(registry_);
    service_ =
        std::make_unique<VerificationService>(verifier_, pool_.get(), metrics_.get(), &drain_);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.SetMaxReceiveMessageSize(static_cast<int>(limits.max_message_bytes));
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    grpc::ChannelArguments args;
    args.SetMaxSendMessageSize(64 << 20);
    stub_ = v1::VerificationService::NewStub(grpc::CreateCustomChannel(
        absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials(), args));
  }
  ~TestService() { server_->Shutdown(); }
  v1::VerificationService::Stub& stub() { return *stub_; }
  prometheus::Registry& registry() { return registry_; }
  // What shutdown does to open VerifyStreams.
  void CloseStreams() { service_->CloseStreams(); }

 private:
  prometheus::Registry registry_;
  std::shared_ptr<Verifier> verifier_;
  std::unique_ptr<WorkerPool> pool_;
  std::unique_ptr<ServiceMetrics> metrics_;
  Drain drain_;
  std::unique_ptr<VerificationService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::VerificationService::Stub> stub_;
};

inline v1::VerifyRequest Request(const std::string& signer, v1::SignatureAlgorithm alg) {
  v1::VerifyRequest r;
  r.set_data(sigverify::testing::PkiFile("sample.txt"));
  r.set_signature(sigverify::testing::PkiFile("sample.txt." + signer + ".sig"));
  r.set_algorithm(alg);
  r.set_signer_certificate(sigverify::testing::PkiFile(signer + ".pem"));
  r.add_intermediate_certificates(sigverify::testing::PkiFile("ca.pem"));
  return r;
}

inline v1::VerifyRequest RsaRequest() {
  return Request("signer-rsa", v1::SIGNATURE_ALGORITHM_RSA_PKCS1_V15_SHA256);
}

// The sum of a counter family's samples.
inline double CounterSum(prometheus::Registry& registry, const std::string& name) {
  double sum = 0;
  for (const auto& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const auto& m : family.metric) sum += m.counter.value;
  }
  return sum;
}

// Request kinds with the verdict each must get (or an item error).
struct Kind {
  v1::VerifyRequest request;
  bool error;
  v1::Indication indication;
  v1::SubIndication sub;
};
inline std::vector<Kind> MixedKinds() {
  using sigverify::testing::PkiFile;
  std::vector<Kind> kinds;
  kinds.push_back({RsaRequest(), false, v1::INDICATION_TOTAL_PASSED, {}});
  kinds.push_back({Request("signer-ec", v1::SIGNATURE_ALGORITHM_ECDSA_SHA256),
                   false,
                   v1::INDICATION_TOTAL_PASSED,
                   {}});
  kinds.push_back({Request("signer-ed25519", v1::SIGNATURE_ALGORITHM_ED25519),
                   false,
                   v1::INDICATION_TOTAL_PASSED,
                   {}});
  auto tampered = RsaRequest();
  tampered.mutable_data()->append(" ");
  kinds.push_back({tampered, false, v1::INDICATION_TOTAL_FAILED, v1::SUB_INDICATION_HASH_FAILURE});
  auto wrong_key = RsaRequest();
  wrong_key.set_signature(PkiFile("sample.txt.signer-expired.sig"));
  kinds.push_back(
      {wrong_key, false, v1::INDICATION_TOTAL_FAILED, v1::SUB_INDICATION_SIG_CRYPTO_FAILURE});
  kinds.push_back({Request("signer-untrusted", v1::SIGNATURE_ALGORITHM_RSA_PKCS1_V15_SHA256), false,
                   v1::INDICATION_INDETERMINATE, v1::SUB_INDICATION_NO_CERTIFICATE_CHAIN_FOUND});
  kinds.push_back({Request("signer-expired", v1::SIGNATURE_ALGORITHM_RSA_PKCS1_V15_SHA256), false,
                   v1::INDICATION_INDETERMINATE, v1::SUB_INDICATION_EXPIRED});
  auto garbage = RsaRequest();
  garbage.set_signer_certificate("garbage");
  kinds.push_back({garbage, true, {}, {}});
  auto sha1 = RsaRequest();
  sha1.set_algorithm(v1::SIGNATURE_ALGORITHM_RSA_PKCS1_V15_SHA1);
  kinds.push_back(
      {sha1, false, v1::INDICATION_INDETERMINATE, v1::SUB_INDICATION_CRYPTO_CONSTRAINTS_FAILURE});

  return kinds;
}

}  // namespace sigverify::service

#endif  // SIGVERIFY_TESTS_SERVICE_TEST_SERVICE_H_
