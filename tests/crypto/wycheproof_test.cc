// Runs Google's Wycheproof signature vectors through VerifySignature: every
// `valid` vector must verify, every `invalid` one must not. `acceptable`
// vectors are counted and their decision is documented in
// tests/testdata/wycheproof/ACCEPTABLE.md. Every vector then goes through
// VerifySignatures too (the multi-buffer RSA kernel where the processor has
// it), which must answer each exactly as VerifySignature did.
#include <cstdio>
#include <deque>
#include <string>
#include <vector>

#include "crypto/batch_verifier.h"
#include "crypto/cpu_features.h"
#include "crypto/message_catalog.h"
#include "crypto/public_key.h"
#include "crypto/signature_verifier.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/test_files.h"

namespace sigverify::crypto {
namespace {

using sigverify::testing::HexDecode;
using sigverify::testing::ReadFile;
using sigverify::testing::TestDataDir;

#ifdef SIGVERIFY_BORINGSSL
constexpr const char* kLibrary = "BoringSSL";
#else
constexpr const char* kLibrary = "OpenSSL";
#endif

HashAlgorithm HashFromName(const std::string& name) {
  if (name == "SHA-1") return HashAlgorithm::kSha1;
  if (name == "SHA-256") return HashAlgorithm::kSha256;
  if (name == "SHA-384") return HashAlgorithm::kSha384;
  if (name == "SHA-512") return HashAlgorithm::kSha512;
  return HashAlgorithm::kNone;
}

struct Counts {
  int valid_accepted = 0, valid_rejected = 0;
  int invalid_accepted = 0, invalid_rejected = 0;
  int acceptable_accepted = 0, acceptable_rejected = 0;
  int skipped = 0;
};

class WycheproofTest : public ::testing::TestWithParam<const char*> {};

TEST_P(WycheproofTest, ValidAcceptedInvalidRejected) {
  const std::string file = GetParam();
  const auto doc = nlohmann::json::parse(ReadFile(TestDataDir() + "/wycheproof/" + file));
  Counts n;
  // Kept for the batch pass: the jobs point into these.
  std::vector<std::shared_ptr<const PublicKey>> keys;
  std::deque<std::string> bytes;
  std::vector<SignatureJob> jobs;
  std::vector<SignatureCheck> singles;
  for (const auto& group : doc["testGroups"]) {
    const std::string type = group["type"];
    SignatureParams params;
    if (type == "EcdsaVerify") {
      params.scheme = SignatureScheme::kEcdsaDer;
    } else if (type == "EcdsaP1363Verify") {
      params.scheme = SignatureScheme::kEcdsaP1363;
    } else if (type == "RsassaPkcs1Verify") {
      params.scheme = SignatureScheme::kRsaPkcs1;
    } else if (type == "RsassaPssVerify" || type == "RsassaPssWithParametersVerify") {
      params.scheme = SignatureScheme::kRsaPss;
      params.pss_mgf1_hash = HashFromName(group["mgfSha"]);
      params.pss_salt_length = group["sLen"];
    } else if (type == "EddsaVerify") {
      params.scheme = SignatureScheme::kEd25519;
    } else {
      FAIL() << file << ": unknown group type " << type;
    }
    if (group.contains("sha")) params.hash = HashFromName(group["sha"]);
    // SHA-224 and SHA-512/t are outside the service's algorithm set (the API
    // has no value for them); those groups are counted as skipped.
    if ((group.contains("sha") && params.hash == HashAlgorithm::kNone) ||
        (group.contains("mgfSha") && params.pss_mgf1_hash == HashAlgorithm::kNone)) {
      n.skipped += static_cast<int>(group["tests"].size());
      continue;
    }

    auto key = PublicKey::FromSpki(HexDecode(group["publicKeyDer"]));
    if (!key.ok()) {
#ifdef SIGVERIFY_BORINGSSL
      // BoringSSL does not decode id-RSASSA-PSS SubjectPublicKeyInfo (RFC 4055
      // keys with parameters); see ACCEPTABLE.md. Nothing else may fail here.
      if (type == "RsassaPssWithParametersVerify") {
        n.skipped += static_cast<int>(group["tests"].size());
        continue;
      }
#endif
      ADD_FAILURE() << file << ": key does not parse: " << key.status();
      continue;
    }
    for (const auto& t : group["tests"]) {
      const std::string msg = HexDecode(t["msg"]);
      const std::string sig = HexDecode(t["sig"]);
      const SignatureCheck check = VerifySignature(**key, params, {SignedContent::kData, msg}, sig);
      keys.push_back(*key);
      const std::string& kept_msg = bytes.emplace_back(msg);
      const std::string& kept_sig = bytes.emplace_back(sig);
      jobs.push_back({key->get(), params, {SignedContent::kData, kept_msg}, kept_sig});
      singles.push_back(check);
      const bool accepted = check.status == SignatureStatus::kValid;
      const std::string result = t["result"];
      if (result == "valid") {
        (accepted ? n.valid_accepted : n.valid_rejected)++;
        EXPECT_TRUE(accepted) << file << " tcId " << t["tcId"] << " (" << t["comment"]
                              << "): " << English(check.failure);
      } else if (result == "invalid") {
        (accepted ? n.invalid_accepted : n.invalid_rejected)++;
        EXPECT_FALSE(accepted) << file << " tcId " << t["tcId"] << " (" << t["comment"] << ")";
      } else {
        (accepted ? n.acceptable_accepted : n.acceptable_rejected)++;
      }
    }
  }
  std::vector<SignatureCheck> batched(jobs.size());
  VerifySignatures(jobs, absl::MakeSpan(batched));
  int through_kernel = 0;
  for (size_t i = 0; i < jobs.size(); ++i) {
    through_kernel += TakesMultiBuffer(jobs[i]) ? 1 : 0;
    EXPECT_EQ(batched[i].status, singles[i].status) << file << " vector " << i;
    EXPECT_EQ(batched[i].failure.reason, singles[i].failure.reason) << file << " vector " << i;
    EXPECT_EQ(batched[i].failure.names, singles[i].failure.names) << file << " vector " << i;
  }
  // The RSA files must have reached it, except those of id-RSASSA-PSS keys
  // (RFC 4055 parameters restrict them; the library's path enforces that).
  const bool kernel_sizes = file.find("rsa_") == 0 && file.find("_params") == std::string::npos;
  if (HasAvx512Ifma() && kernel_sizes) {
    EXPECT_GT(through_kernel, 0) << file;
  }
  std::printf("[%s] %-48s %d of %zu through the multi-buffer kernel\n", kLibrary, file.c_str(),
              through_kernel, jobs.size());
  std::printf(
      "[%s] %-48s valid %d/%d accepted, invalid %d/%d rejected, acceptable %d accepted %d "
      "rejected, skipped %d\n",
      kLibrary, file.c_str(), n.valid_accepted, n.valid_accepted + n.valid_rejected,
      n.invalid_rejected, n.invalid_accepted + n.invalid_rejected, n.acceptable_accepted,
      n.acceptable_rejected, n.skipped);
  // A file whose every vector was skipped checks nothing: it fails, except
  // where the skip is the documented one (BoringSSL and RFC 4055 PSS keys
  // with parameters, ACCEPTABLE.md), and then it must be skipped whole.
  const int ran = n.valid_accepted + n.valid_rejected + n.invalid_accepted + n.invalid_rejected +
                  n.acceptable_accepted + n.acceptable_rejected;
#ifdef SIGVERIFY_BORINGSSL
  const bool skipped_whole = file.find("_params_test.json") != std::string::npos;
#else
  const bool skipped_whole = false;
#endif
  if (skipped_whole) {
    EXPECT_EQ(ran, 0) << file << ": expected to be skipped whole under " << kLibrary;
    EXPECT_GT(n.skipped, 0) << file << ": no vector loaded";
  } else {
    EXPECT_GT(ran, 0) << file << ": no vector ran (" << n.skipped << " skipped)";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Vectors, WycheproofTest,
    ::testing::Values(
        "ecdsa_secp256r1_sha256_test.json", "ecdsa_secp256r1_sha512_test.json",
        "ecdsa_secp384r1_sha256_test.json", "ecdsa_secp384r1_sha384_test.json",
        "ecdsa_secp384r1_sha512_test.json", "ecdsa_secp521r1_sha512_test.json",
        "ecdsa_secp256r1_sha256_p1363_test.json", "ecdsa_secp384r1_sha384_p1363_test.json",
        "ecdsa_secp521r1_sha512_p1363_test.json", "rsa_signature_2048_sha256_test.json",
        "rsa_signature_2048_sha384_test.json", "rsa_signature_2048_sha512_test.json",
        "rsa_signature_3072_sha256_test.json", "rsa_signature_3072_sha384_test.json",
        "rsa_signature_3072_sha512_test.json", "rsa_signature_4096_sha256_test.json",
        "rsa_signature_4096_sha384_test.json", "rsa_signature_4096_sha512_test.json",
        "rsa_pss_2048_sha256_mgf1_0_test.json", "rsa_pss_2048_sha256_mgf1_32_test.json",
        "rsa_pss_2048_sha256_mgf1_32_params_test.json", "rsa_pss_2048_sha384_mgf1_48_test.json",
        "rsa_pss_3072_sha256_mgf1_32_test.json", "rsa_pss_3072_sha256_mgf1_32_params_test.json",
        "rsa_pss_4096_sha256_mgf1_32_test.json", "rsa_pss_4096_sha384_mgf1_48_test.json",
        "rsa_pss_4096_sha512_mgf1_64_test.json", "rsa_pss_4096_sha512_mgf1_64_params_test.json",
        "rsa_pss_misc_test.json", "rsa_pss_misc_params_test.json", "ed25519_test.json"),
    [](const auto& info) {
      std::string name = info.param;
      name = name.substr(0, name.find(".json"));
      for (char& c : name) {
        if (!isalnum(static_cast<unsigned char>(c))) c = '_';
      }
      return name;
    });

}  // namespace
}  // namespace sigverify::crypto
