// VerifySignatures (the multi-buffer kernel where it applies) against
// VerifySignature (the crypto library) on the same inputs: every verdict,
// reason and fact must be the same. 100,000 (key, message, signature)
// triples: valid signatures, one bit flipped, s >= n, s = 0, 1, n - 1,
// signatures one byte short or long, over other data, random values below n,
// for PKCS#1 v1.5 and PSS with several hashes, MGF1 hashes and salt lengths.
#include "crypto/batch_verifier.h"

#include <openssl/rsa.h>

#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "crypto/cpu_features.h"
#include "crypto/openssl_ptr.h"
#include "gtest/gtest.h"

namespace sigverify::crypto {
namespace {

std::string Render(const SignatureCheck& c) {
  return absl::StrCat(static_cast<int>(c.status), "/", std::string(ReasonName(c.failure.reason)),
                      "/", absl::StrJoin(c.failure.names, ","), "/", c.failure.limit, "/",
                      c.failure.actual);
}

struct TestKey {
  EvpPkeyPtr pkey;
  std::shared_ptr<const PublicKey> key;
  std::string n;  // big-endian, as long as the modulus
};

// A fresh RSA key; `lane_key` is null unless the kernel takes its size.
TestKey GenerateKey(int bits) {
  TestKey k;
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, nullptr));
  EVP_PKEY* pkey = nullptr;
  EXPECT_TRUE(ctx && EVP_PKEY_keygen_init(ctx.get()) > 0 &&
              EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), bits) > 0 &&
              EVP_PKEY_keygen(ctx.get(), &pkey) > 0);
  k.pkey.reset(pkey);
  uint8_t* der = nullptr;
  const int len = i2d_PUBKEY(pkey, &der);
  auto key = PublicKey::FromSpki(std::string(reinterpret_cast<char*>(der), len));
  OPENSSL_free(der);
  EXPECT_TRUE(key.ok()) << key.status();
  k.key = *key;
  if (const RsaLaneKey* lane = k.key->lane_key()) {
    k.n.assign(reinterpret_cast<const char*>(lane->n_bytes()), lane->modulus_bytes());
  }
  return k;
}

std::string Sign(const TestKey& k, const SignatureParams& p, const std::string& digest) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(k.pkey.get(), nullptr));
  EXPECT_TRUE(ctx && EVP_PKEY_sign_init(ctx.get()) > 0 &&
              EVP_PKEY_CTX_set_signature_md(ctx.get(), EvpMd(p.hash)) > 0);
  if (p.scheme == SignatureScheme::kRsaPss) {
    EXPECT_TRUE(EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PSS_PADDING) > 0 &&
                EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), EvpMd(p.pss_mgf1_hash)) > 0 &&
                EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx.get(), p.pss_salt_length) > 0);
  } else {
    EXPECT_GT(EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING), 0);
  }
  size_t len = 0;
  EXPECT_GT(EVP_PKEY_sign(ctx.get(), nullptr, &len, reinterpret_cast<const uint8_t*>(digest.data()),
                          digest.size()),
            0);
  std::string sig(len, '\0');
  EXPECT_GT(EVP_PKEY_sign(ctx.get(), reinterpret_cast<uint8_t*>(sig.data()), &len,
                          reinterpret_cast<const uint8_t*>(digest.data()), digest.size()),
            0);
  sig.resize(len);
  return sig;
}

std::string Digest(HashAlgorithm hash, const std::string& data) {
  ContentDigest d;
  EXPECT_FALSE(DigestContent(hash, {SignedContent::kData, data}, &d).has_value());
  return std::string(d.view());
}

// The parameter sets signed with (salt lengths explicit, as signers use them).
std::vector<SignatureParams> ParamSets() {
  using H = HashAlgorithm;
  std::vector<SignatureParams> sets;
  for (H h : {H::kSha1, H::kSha256, H::kSha384, H::kSha512}) {
    sets.push_back({SignatureScheme::kRsaPkcs1, h});
  }
  sets.push_back({SignatureScheme::kRsaPss, H::kSha256, H::kSha256, 32});
  sets.push_back({SignatureScheme::kRsaPss, H::kSha256, H::kSha1, 20});
  sets.push_back({SignatureScheme::kRsaPss, H::kSha384, H::kSha384, 0});
  sets.push_back({SignatureScheme::kRsaPss, H::kSha512, H::kSha256, 64});
  return sets;
}

// What a case checks with: the signing parameters, or a variant a verifier
// might be asked for (salt "as long as the hash", another salt length, a
// salt too long for the key, another MGF1 hash, another hash).
SignatureParams VerifyParams(SignatureParams p, uint64_t pick) {
  switch (pick % 16) {
    case 0:
      if (p.scheme == SignatureScheme::kRsaPss) p.pss_salt_length = -1;
      break;
    case 1:
      if (p.scheme == SignatureScheme::kRsaPss) p.pss_salt_length += 1;
      break;
    case 2:
      if (p.scheme == SignatureScheme::kRsaPss) p.pss_salt_length = 1000;
      break;
    case 3:
      if (p.scheme == SignatureScheme::kRsaPss) p.pss_mgf1_hash = HashAlgorithm::kSha512;
      break;
    case 4:
      p.hash = p.hash == HashAlgorithm::kSha256 ? HashAlgorithm::kSha384 : HashAlgorithm::kSha256;
      break;
    default:
      break;
  }
  return p;
}

TEST(BatchVerifierTest, AgreesWithTheLibraryOn100000Triples) {
  if (!HasAvx512Ifma()) GTEST_SKIP() << "no AVX-512 IFMA on this processor";
  std::vector<TestKey> keys;
  for (int bits : {2048, 2048, 2048, 3072, 3072, 4096}) {
    keys.push_back(GenerateKey(bits));
    ASSERT_NE(keys.back().key->lane_key(), nullptr) << bits;
  }
  const std::vector<SignatureParams> sets = ParamSets();
  std::mt19937_64 rng(20261207);
  const auto random_bytes = [&](size_t n) {
    std::string s(n, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    return s;
  };

  // A pool of real signatures: each key, each parameter set, 6 messages.
  struct Signed {
    size_t key;
    SignatureParams params;
    std::string data, sig;
  };
  std::vector<Signed> pool;
  for (size_t k = 0; k < keys.size(); ++k) {
    for (const SignatureParams& p : sets) {
      for (int m = 0; m < 6; ++m) {
        Signed s{k, p, random_bytes(1 + rng() % 300), ""};
        s.sig = Sign(keys[k], p, Digest(p.hash, s.data));
        pool.push_back(std::move(s));
      }
    }
  }

  // SIGVERIFY_DIFFERENTIAL_TRIPLES sets a longer run (make bench-rsa-differential).
  const char* env = std::getenv("SIGVERIFY_DIFFERENTIAL_TRIPLES");
  const int kTriples = env != nullptr ? std::atoi(env) : 100000;
  ASSERT_GE(kTriples, 1000);
  constexpr size_t kChunk = 997;  // odd sizes: partial lane groups every call
  struct Case {
    const PublicKey* key;
    SignatureParams params;
    std::string data, sig;
    bool as_digest;
  };
  std::map<std::string, int> verdicts;
  int through_kernel = 0, checked = 0;
  std::vector<Case> cases;
  const auto run = [&] {
    std::vector<SignatureJob> jobs;
    for (const Case& c : cases) {
      jobs.push_back({c.key,
                      c.params,
                      {c.as_digest ? SignedContent::kDigest : SignedContent::kData, c.data},
                      c.sig});
    }
    std::vector<SignatureCheck> out(jobs.size());
    VerifySignatures(jobs, absl::MakeSpan(out));
    for (size_t i = 0; i < jobs.size(); ++i) {
      const SignatureJob& j = jobs[i];
      const SignatureCheck want = VerifySignature(*j.key, j.params, j.content, j.signature);
      ASSERT_EQ(Render(out[i]), Render(want))
          << "case " << checked << ": " << SchemeName(j.params.scheme) << " "
          << HashName(j.params.hash) << " salt " << j.params.pss_salt_length << " on "
          << j.key->Describe() << ", signature of " << j.signature.size() << " bytes";
      through_kernel += TakesMultiBuffer(j) ? 1 : 0;
      ++verdicts[std::string(ReasonName(want.failure.reason))];
      ++checked;
    }
    cases.clear();
  };

  for (int t = 0; t < kTriples; ++t) {
    const Signed& s = pool[rng() % pool.size()];
    const TestKey& key = keys[s.key];
    Case c{key.key.get(), VerifyParams(s.params, rng()), s.data, s.sig, false};
    const size_t len = c.sig.size();
    switch (rng() % 12) {
      case 0:
      case 1:
      case 2:  // as signed
        break;
      case 3:
      case 4: {  // one bit flipped anywhere
        const uint64_t bit = rng() % (8 * len);
        c.sig[bit / 8] = static_cast<char>(c.sig[bit / 8] ^ (1 << (bit % 8)));
        break;
      }
      case 5:  // over other data (PKCS#1: the hash-mismatch verdict)
        c.data += "x";
        break;
      case 6: {  // s >= n: n, n + 1, or all ones
        const uint64_t which = rng() % 3;
        c.sig = which == 2 ? std::string(len, '\xff') : key.n;
        if (which == 1) c.sig.back() = static_cast<char>(c.sig.back() + 1);
        break;
      }
      case 7: {  // s = 0, 1, n - 1
        const uint64_t which = rng() % 3;
        c.sig = which == 2 ? key.n : std::string(len, '\0');
        if (which == 1) c.sig.back() = 1;
        if (which == 2) c.sig.back() = static_cast<char>(c.sig.back() - 1);  // n is odd
        break;
      }
      case 8:  // a byte short or long
        if (rng() % 2) {
          c.sig.pop_back();
        } else {
          c.sig.insert(c.sig.begin(), '\0');
        }
        break;
      case 9: {  // a random value below n
        c.sig = random_bytes(len);
        c.sig[0] =
            static_cast<char>(static_cast<uint8_t>(c.sig[0]) % static_cast<uint8_t>(key.n[0]));
        break;
      }
      case 10:  // the digest given instead of the data (right or wrong length)
        c.as_digest = true;
        c.data = rng() % 4 == 0 ? c.data.substr(0, 20) : Digest(c.params.hash, c.data);
        break;
      case 11:  // another key of the same size or another size
        c.key = keys[rng() % keys.size()].key.get();
        break;
    }
    cases.push_back(std::move(c));
    if (cases.size() == kChunk) run();
    if (::testing::Test::HasFatalFailure()) return;
  }
  run();
  ASSERT_EQ(checked, kTriples);
  std::string summary;
  for (const auto& [reason, count] : verdicts) absl::StrAppend(&summary, " ", reason, "=", count);
  std::printf("%d triples, %d through the kernel; verdicts:%s\n", checked, through_kernel,
              summary.c_str());
  // The kernel must have carried most of them, and every kind of verdict
  // must have come up, or this compared little.
  EXPECT_GT(through_kernel, kTriples / 2);
  EXPECT_GT(verdicts["UNSPECIFIED"], kTriples / 10);                 // valid
  EXPECT_GT(verdicts["SIGNATURE_INVALID"], kTriples / 10);           // invalid
  EXPECT_GT(verdicts["SIGNATURE_OVER_OTHER_DATA"], kTriples / 100);  // PKCS#1, other data
  EXPECT_GT(verdicts["DIGEST_LENGTH"], 0);
}

// s = em^d mod n: the raw private operation, so a test can hand the
// verifiers any encoded message it likes.
std::string RawSign(const TestKey& k, const std::string& em) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(k.pkey.get(), nullptr));
  EXPECT_TRUE(ctx && EVP_PKEY_decrypt_init(ctx.get()) > 0 &&
              EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_NO_PADDING) > 0);
  std::string out(em.size(), '\0');
  size_t len = out.size();
  EXPECT_GT(EVP_PKEY_decrypt(ctx.get(), reinterpret_cast<uint8_t*>(out.data()), &len,
                             reinterpret_cast<const uint8_t*>(em.data()), em.size()),
            0);
  EXPECT_EQ(len, em.size());
  return out;
}

std::string Sha256Of(const std::string& data) { return Digest(HashAlgorithm::kSha256, data); }

std::string Mgf1Sha256(const std::string& seed, size_t len) {
  std::string out;
  for (uint32_t counter = 0; out.size() < len; ++counter) {
    std::string block = seed;
    for (int shift = 24; shift >= 0; shift -= 8)
      block.push_back(static_cast<char>(counter >> shift));
    out += Sha256Of(block);
  }
  out.resize(len);
  return out;
}

// EMSA-PSS-ENCODE (RFC 8017, 9.1.1) with SHA-256 and MGF1-SHA-256 for a
// modulus of 8 * em_len bits, with one of the defects below applied.
std::string PssEncode(const std::string& m_hash, const std::string& salt, size_t em_len,
                      int defect) {
  const size_t h_len = 32;
  std::string m_prime(8, '\0');
  m_prime += m_hash + salt;
  std::string h = Sha256Of(m_prime);
  // H differs from Hash(M') in its last byte only; DB still unmasks with it.
  if (defect == 3) h.back() = static_cast<char>(h.back() ^ 1);
  std::string db(em_len - salt.size() - h_len - 2, '\0');
  if (defect == 5) db[db.size() / 2] = 1;  // a nonzero byte in PS
  db.push_back(defect == 4 ? '\x02' : '\x01');
  db += salt;
  const std::string mask = Mgf1Sha256(h, db.size());
  for (size_t i = 0; i < db.size(); ++i) db[i] = static_cast<char>(db[i] ^ mask[i]);
  db[0] = static_cast<char>(static_cast<uint8_t>(db[0]) & 0x7f);
  if (defect == 2) db[0] = static_cast<char>(static_cast<uint8_t>(db[0]) | 0x80);  // top bit
  return db + h + (defect == 1 ? "\xbd" : "\xbc");
}

// EMSA-PKCS1-v1_5 with SHA-256, with one of the defects below applied.
std::string Pkcs1Encode(const std::string& digest, size_t k, int defect) {
  std::string prefix("\x30\x31\x30\x0d\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x01\x05\x00\x04\x20",
                     19);
  if (defect == 5) {  // the AlgorithmIdentifier without its NULL parameters
    prefix =
        std::string("\x30\x2f\x30\x0b\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x01\x04\x20", 17);
  }
  std::string t = prefix + digest;
  if (defect == 6) t.push_back('\0');  // a byte after the digest
  if (defect == 7) t.back() = static_cast<char>(t.back() ^ 1);
  std::string em("\x00\x01", 2);
  em += std::string(k - t.size() - 3, '\xff');
  em.push_back('\0');
  em += t;
  if (defect == 1) em[1] = 2;
  if (defect == 2) em[0] = 1;
  if (defect == 3) em[5] = '\xfe';
  if (defect == 4) em[k - t.size() - 1] = 1;
  return em;
}

TEST(BatchVerifierTest, CraftedEncodingsGetTheLibrarysVerdicts) {
  if (!HasAvx512Ifma()) GTEST_SKIP() << "no AVX-512 IFMA on this processor";
  const std::string data = "a record";
  const std::string digest = Sha256Of(data);
  int compared = 0, valid = 0;
  for (int bits : {2048, 3072, 4096}) {
    const TestKey key = GenerateKey(bits);
    ASSERT_NE(key.key->lane_key(), nullptr) << bits;
    const size_t k = static_cast<size_t>(bits / 8);
    struct Crafted {
      SignatureParams params;
      std::string em;
      bool want_valid;
    };
    std::vector<Crafted> crafted;
    for (int defect = 0; defect <= 7; ++defect) {
      crafted.push_back({{SignatureScheme::kRsaPkcs1, HashAlgorithm::kSha256},
                         Pkcs1Encode(digest, k, defect),
                         defect == 0});
    }
    for (int defect = 0; defect <= 5; ++defect) {
      const std::string salt(32, '\x5a');
      crafted.push_back(
          {{SignatureScheme::kRsaPss, HashAlgorithm::kSha256, HashAlgorithm::kSha256, 32},
           PssEncode(digest, salt, k, defect),
           defect == 0});
    }
    // Salt of 31 and 33 bytes checked as 32, and an empty salt as 0 and 32.
    crafted.push_back(
        {{SignatureScheme::kRsaPss, HashAlgorithm::kSha256, HashAlgorithm::kSha256, 32},
         PssEncode(digest, std::string(31, 's'), k, 0),
         false});
    crafted.push_back(
        {{SignatureScheme::kRsaPss, HashAlgorithm::kSha256, HashAlgorithm::kSha256, 32},
         PssEncode(digest, std::string(33, 's'), k, 0),
         false});
    crafted.push_back(
        {{SignatureScheme::kRsaPss, HashAlgorithm::kSha256, HashAlgorithm::kSha256, 0},
         PssEncode(digest, "", k, 0),
         true});
    crafted.push_back(
        {{SignatureScheme::kRsaPss, HashAlgorithm::kSha256, HashAlgorithm::kSha256, 32},
         PssEncode(digest, "", k, 0),
         false});
    // The longest salt the key allows.
    crafted.push_back({{SignatureScheme::kRsaPss, HashAlgorithm::kSha256, HashAlgorithm::kSha256,
                        static_cast<int>(k - 32 - 2)},
                       PssEncode(digest, std::string(k - 32 - 2, 'L'), k, 0),
                       true});

    std::vector<std::string> sigs;
    std::vector<SignatureJob> jobs;
    for (const Crafted& c : crafted) {
      // An encoding with its top bit set may be above n: it cannot be
      // signed raw, and both paths refuse it before any padding check.
      if (c.em.compare(key.n) >= 0) continue;
      sigs.push_back(RawSign(key, c.em));
    }
    size_t s = 0;
    std::vector<bool> want;
    for (const Crafted& c : crafted) {
      if (c.em.compare(key.n) >= 0) continue;
      jobs.push_back({key.key.get(), c.params, {SignedContent::kData, data}, sigs[s++]});
      want.push_back(c.want_valid);
    }
    std::vector<SignatureCheck> out(jobs.size());
    VerifySignatures(jobs, absl::MakeSpan(out));
    for (size_t i = 0; i < jobs.size(); ++i) {
      const SignatureJob& j = jobs[i];
      const SignatureCheck lib = VerifySignature(*j.key, j.params, j.content, j.signature);
      EXPECT_TRUE(TakesMultiBuffer(j));
      EXPECT_EQ(Render(out[i]), Render(lib)) << bits << " crafted case " << i;
      EXPECT_EQ(lib.status == SignatureStatus::kValid, want[i]) << bits << " crafted case " << i;
      ++compared;
      valid += want[i] ? 1 : 0;
    }
  }
  EXPECT_GE(compared, 3 * 18);
  EXPECT_EQ(valid, 3 * 4);
}

TEST(BatchVerifierTest, WithoutTheKernelEveryJobTakesTheLibrarysPath) {
  // Keys the kernel does not take: their jobs never reach it.
  for (int bits : {1024, 1536}) {  // BoringSSL rounds key sizes to 128 bits
    const TestKey k = GenerateKey(bits);
    EXPECT_EQ(k.key->lane_key(), nullptr) << bits;
    const std::string sig(static_cast<size_t>(bits / 8), '\x01');
    SignatureJob job{k.key.get(), {}, {SignedContent::kData, "data"}, sig};
    EXPECT_FALSE(TakesMultiBuffer(job));
    SignatureCheck out;
    VerifySignatures({&job, 1}, {&out, 1});
    EXPECT_EQ(out.status, SignatureStatus::kInvalid);
  }
}

}  // namespace
}  // namespace sigverify::crypto
