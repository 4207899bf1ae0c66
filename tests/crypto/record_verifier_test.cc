#include "crypto/record_verifier.h"

#include "absl/time/clock.h"
#include "crypto/message_catalog.h"
#include "gtest/gtest.h"
#include "tests/testing/test_files.h"

namespace sigverify::crypto {
namespace {

using sigverify::testing::PkiFile;

CertificatePtr Pki(const std::string& name) {
  auto c = Certificate::Parse(PkiFile(name));
  EXPECT_TRUE(c.ok()) << c.status();
  return *c;
}

class RecordVerifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = TrustStore::FromCertificates({Pki("root.pem")});
    ASSERT_TRUE(store.ok());
    paths_ = std::make_unique<PathValidator>(*store, 64);
    chain_ = {Pki("ca.pem")};
    data_ = PkiFile("sample.txt");
  }

  Verdict Verify(const std::string& signer, SignatureParams params, std::string_view data,
                 const std::string& sig) {
    Record r;
    r.params = params;
    r.content = {SignedContent::kData, data};
    r.signature = sig;
    r.signer = Pki(signer + ".pem");
    r.intermediates = chain_;
    r.validation_time = absl::Now();
    return VerifyRecord(r, *paths_, policy_);
  }
  std::string Sig(const std::string& signer) { return PkiFile("sample.txt." + signer + ".sig"); }

  static SignatureParams Params(SignatureScheme scheme, HashAlgorithm hash) {
    SignatureParams p;
    p.scheme = scheme;
    p.hash = hash;
    return p;
  }

  std::unique_ptr<PathValidator> paths_;
  std::vector<CertificatePtr> chain_;
  std::string data_;
  ValidationPolicy policy_;
};

const SignatureParams kRsa256{SignatureScheme::kRsaPkcs1, HashAlgorithm::kSha256};
const SignatureParams kEcdsa256{SignatureScheme::kEcdsaDer, HashAlgorithm::kSha256};
const SignatureParams kEd25519{SignatureScheme::kEd25519, HashAlgorithm::kNone};

TEST_F(RecordVerifierTest, GoodSignaturesPassWithTheirPath) {
  Verdict v = Verify("signer-rsa", kRsa256, data_, Sig("signer-rsa"));
  EXPECT_EQ(v.indication, Indication::kTotalPassed) << English(v.failed);
  EXPECT_EQ(v.path.size(), 3u);
  EXPECT_EQ(Verify("signer-ec", kEcdsa256, data_, Sig("signer-ec")).indication,
            Indication::kTotalPassed);
  EXPECT_EQ(Verify("signer-ed25519", kEd25519, data_, Sig("signer-ed25519")).indication,
            Indication::kTotalPassed);
}

TEST_F(RecordVerifierTest, DigestGivenByTheCallerVerifiesLikeTheData) {
  const Sha256Digest digest = Sha256(data_);
  Record r;
  r.params = kRsa256;
  r.content = {SignedContent::kDigest,
               std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size())};
  const std::string sig = Sig("signer-rsa");
  r.signature = sig;
  r.signer = Pki("signer-rsa.pem");
  r.intermediates = chain_;
  r.validation_time = absl::Now();
  EXPECT_EQ(VerifyRecord(r, *paths_, policy_).indication, Indication::kTotalPassed);
}

// A signer no trust anchor vouches for is answered before any signature math
// (cheap checks first): a forged signature over it is not even looked at, so
// a key shaped to be expensive buys nothing. Before this rule the same input
// was TOTAL_FAILED / SIG_CRYPTO_FAILURE, after a full verification.
TEST_F(RecordVerifierTest, AnUntrustedSignerIsAnsweredBeforeItsSignatureIsVerified) {
  Record r;
  r.params = kRsa256;
  r.content = {SignedContent::kData, data_};
  const std::string forged(256, '\x42');
  r.signature = forged;
  r.signer = Pki("signer-untrusted.pem");
  const std::vector<CertificatePtr> chain = {Pki("untrusted-root.pem")};
  r.intermediates = chain;
  r.validation_time = absl::Now();
  Verdict v = VerifyRecord(r, *paths_, policy_);
  EXPECT_EQ(v.indication, Indication::kIndeterminate);
  EXPECT_EQ(v.sub_indication, SubIndication::kNoCertificateChainFound) << English(v.failed);
  // A trusted signer's forged signature is still TOTAL_FAILED.
  r.signer = Pki("signer-rsa.pem");
  r.intermediates = chain_;
  EXPECT_EQ(VerifyRecord(r, *paths_, policy_).sub_indication, SubIndication::kSigCryptoFailure);
}

TEST_F(RecordVerifierTest, ChangedDataIsAHashFailureForPkcs1) {
  std::string tampered = data_;
  tampered[5] ^= 1;
  Verdict v = Verify("signer-rsa", kRsa256, tampered, Sig("signer-rsa"));
  EXPECT_EQ(v.indication, Indication::kTotalFailed);
  EXPECT_EQ(v.sub_indication, SubIndication::kHashFailure) << English(v.failed);
}

TEST_F(RecordVerifierTest, ChangedDataIsASigCryptoFailureForEcdsa) {
  std::string tampered = data_ + " ";
  Verdict v = Verify("signer-ec", kEcdsa256, tampered, Sig("signer-ec"));
  EXPECT_EQ(v.indication, Indication::kTotalFailed);
  EXPECT_EQ(v.sub_indication, SubIndication::kSigCryptoFailure);
}

TEST_F(RecordVerifierTest, SignatureOfAnotherKeyIsASigCryptoFailure) {
  // signer-expired signed the same data with a different RSA key.
  Verdict v = Verify("signer-rsa", kRsa256, data_, Sig("signer-expired"));
  EXPECT_EQ(v.indication, Indication::kTotalFailed);
  EXPECT_EQ(v.sub_indication, SubIndication::kSigCryptoFailure) << English(v.failed);
}

TEST_F(RecordVerifierTest, AlgorithmThatDoesNotFitTheKeyIsAFormatFailure) {
  Verdict v = Verify("signer-rsa", kEcdsa256, data_, Sig("signer-rsa"));
  EXPECT_EQ(v.sub_indication, SubIndication::kFormatFailure);
  EXPECT_NE(English(v.failed).find("RSA-2048"), std::string::npos) << English(v.failed);
}

TEST_F(RecordVerifierTest, Sha1IsRefusedByDefaultBeforeAnyMath) {
  Verdict v = Verify("signer-rsa", Params(SignatureScheme::kRsaPkcs1, HashAlgorithm::kSha1), data_,
                     Sig("signer-rsa"));
  EXPECT_EQ(v.indication, Indication::kIndeterminate);
  EXPECT_EQ(v.sub_indication, SubIndication::kCryptoConstraintsFailure);
}

TEST_F(RecordVerifierTest, Rsa1024SignerIsRefusedByPolicy) {
  Verdict v = Verify("signer-rsa1024", kRsa256, data_, Sig("signer-rsa1024"));
  EXPECT_EQ(v.sub_indication, SubIndication::kCryptoConstraintsFailure);
  EXPECT_NE(English(v.failed).find("RSA-1024"), std::string::npos) << English(v.failed);
  policy_.algorithms.min_rsa_bits = 1024;
  EXPECT_EQ(Verify("signer-rsa1024", kRsa256, data_, Sig("signer-rsa1024")).indication,
            Indication::kTotalPassed);
}

TEST_F(RecordVerifierTest, GoodSignatureButBadPathIsIndeterminate) {
  Verdict v = Verify("signer-expired", kRsa256, data_, Sig("signer-expired"));
  EXPECT_EQ(v.indication, Indication::kIndeterminate);
  EXPECT_EQ(v.sub_indication, SubIndication::kExpired);
  chain_.clear();
  v = Verify("signer-rsa", kRsa256, data_, Sig("signer-rsa"));
  EXPECT_EQ(v.sub_indication, SubIndication::kNoCertificateChainFound);
}

TEST_F(RecordVerifierTest, MalformedP1363SignatureIsAFormatFailure) {
  Verdict v = Verify("signer-ec", Params(SignatureScheme::kEcdsaP1363, HashAlgorithm::kSha256),
                     data_, std::string(63, '\1'));
  EXPECT_EQ(v.sub_indication, SubIndication::kFormatFailure);
  EXPECT_NE(English(v.failed).find("64 bytes"), std::string::npos) << English(v.failed);
}

TEST_F(RecordVerifierTest, Ed25519RefusesADigest) {
  Record r;
  r.params = kEd25519;
  r.content = {SignedContent::kDigest, std::string(32, 'x')};
  const std::string sig = Sig("signer-ed25519");
  r.signature = sig;
  r.signer = Pki("signer-ed25519.pem");
  r.intermediates = chain_;
  r.validation_time = absl::Now();
  EXPECT_EQ(VerifyRecord(r, *paths_, policy_).sub_indication, SubIndication::kFormatFailure);
}

TEST(LegacyRecordTest, G1DocumentSignedWithSha1PassesOnlyUnderLegacyBeforeTheCutOff) {
  const ValidationPolicy legacy = LegacySha1Policy("legacy", absl::Now() + absl::Hours(24));
  const CertificatePtr g1_root = Pki("g1-root.pem");
  auto store = TrustStore::FromCertificates(
      {g1_root}, {}, TrustConfig{{legacy}, {{g1_root->fingerprint_hex(), {{}, {"legacy"}}}}});
  ASSERT_TRUE(store.ok()) << store.status();
  PathValidator paths(*store, 16);
  const std::vector<CertificatePtr> chain = {Pki("g1-ca.pem")};
  const std::string data = PkiFile("sample.txt");
  const std::string sig = PkiFile("sample.txt.g1-signer.sig");
  Record r;
  r.params = {SignatureScheme::kRsaPkcs1, HashAlgorithm::kSha1};
  r.content = {SignedContent::kData, data};
  r.signature = sig;
  r.signer = Pki("g1-signer.pem");
  r.intermediates = chain;
  r.validation_time = absl::Now();
  Verdict v = VerifyRecord(r, paths, *(*store)->FindPolicy("legacy"));
  EXPECT_EQ(v.indication, Indication::kTotalPassed) << English(v.failed);
  v = VerifyRecord(r, paths, *(*store)->FindPolicy("default"));
  EXPECT_EQ(v.sub_indication, SubIndication::kCryptoConstraintsFailure) << English(v.failed);
  EXPECT_NE(English(v.failed).find("the document signature uses SHA-1"), std::string::npos)
      << English(v.failed);
  // Past the cut-off the same record is refused under legacy too.
  r.validation_time = absl::Now() + absl::Hours(48);
  v = VerifyRecord(r, paths, *(*store)->FindPolicy("legacy"));
  EXPECT_EQ(v.sub_indication, SubIndication::kCryptoConstraintsFailure) << English(v.failed);
}

}  // namespace
}  // namespace sigverify::crypto
