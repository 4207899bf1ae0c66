// The message catalogue: every reason, fragment and outcome has a text in
// every language; each text is in its own language; every parameter a text
// names is filled in.
#include "crypto/message_catalog.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/testing/test_files.h"

namespace sigverify::crypto {
namespace {

FailureReason ReasonAt(int i) { return static_cast<FailureReason>(i); }

// A certificate of the test PKI, for {who}.
CertificatePtr Signer() {
  auto cert = Certificate::Parse(testing::PkiFile("signer-rsa.pem"));
  EXPECT_TRUE(cert.ok()) << cert.status();
  return cert.ok() ? *cert : nullptr;
}

std::string LanguageName(Language language) { return language == Language::kEnglish ? "en" : "vi"; }

// Every text of a language: reasons, fragments, outcomes.
std::vector<std::string> AllTexts(Language language) {
  std::vector<std::string> out;
  for (int i = 0; i < kFailureReasonCount; ++i) out.emplace_back(TextOf(ReasonAt(i), language));
  for (int i = 0; i < kFragmentCount; ++i) {
    out.emplace_back(TextOf(static_cast<Fragment>(i), language));
  }
  for (int i = 0; i < kOutcomeCount; ++i) {
    out.emplace_back(Render(static_cast<Outcome>(i), language));
  }
  return out;
}

// The text with its {placeholders} taken out: what a reader sees of it.
std::string WithoutPlaceholders(std::string_view text) {
  std::string out;
  bool inside = false;
  for (char c : text) {
    if (c == '{') inside = true;
    if (!inside) out.push_back(c);
    if (c == '}') inside = false;
  }
  return out;
}

bool IsAscii(std::string_view s) {
  for (unsigned char c : s) {
    if (c >= 0x80) return false;
  }
  return true;
}

TEST(MessageCatalogTest, EveryReasonFragmentAndOutcomeHasATextInEveryLanguage) {
  for (Language language : kLanguages) {
    for (int i = 0; i < kFailureReasonCount; ++i) {
      EXPECT_FALSE(TextOf(ReasonAt(i), language).empty())
          << ReasonName(ReasonAt(i)) << " has no " << LanguageName(language) << " text";
    }
    for (int i = 0; i < kFragmentCount; ++i) {
      EXPECT_FALSE(TextOf(static_cast<Fragment>(i), language).empty())
          << "fragment " << i << " has no " << LanguageName(language) << " text";
    }
    for (int i = 0; i < kOutcomeCount; ++i) {
      EXPECT_FALSE(Render(static_cast<Outcome>(i), language).empty())
          << "outcome " << i << " has no " << LanguageName(language) << " text";
    }
  }
}

TEST(MessageCatalogTest, EnglishTextsHoldNoVietnamese) {
  for (const std::string& text : AllTexts(Language::kEnglish)) {
    EXPECT_TRUE(IsAscii(text)) << text;
  }
}

TEST(MessageCatalogTest, VietnameseTextsHoldNoEnglish) {
  // Words of English prose; the technical names the Vietnamese texts keep
  // (keyUsage, notAfter, OCSP, nonce...) are none of these.
  const std::set<std::string> english = {"the", "is",   "are",  "was",  "of",   "and",   "not",
                                         "no",  "has",  "by",   "with", "from", "to",    "for",
                                         "its", "this", "that", "been", "does", "cannot"};
  for (const std::string& text : AllTexts(Language::kVietnamese)) {
    for (absl::string_view word :
         absl::StrSplit(WithoutPlaceholders(text), absl::ByAnyChar(" ,:;()\"?/"))) {
      EXPECT_EQ(english.count(absl::AsciiStrToLower(word)), 0u)
          << "\"" << word << "\" in: " << text;
    }
  }
  // Each reason says something in Vietnamese, not only names.
  for (int i = 0; i < kFailureReasonCount; ++i) {
    EXPECT_FALSE(IsAscii(TextOf(ReasonAt(i), Language::kVietnamese)))
        << ReasonName(ReasonAt(i)) << ": " << TextOf(ReasonAt(i), Language::kVietnamese);
  }
}

TEST(MessageCatalogTest, ReasonsHaveUniqueNamesAndChecksBelongToVerdictReasonsOnly) {
  std::set<std::string_view> names;
  for (int i = 0; i < kFailureReasonCount; ++i) {
    const FailureReason reason = ReasonAt(i);
    EXPECT_TRUE(names.insert(ReasonName(reason)).second) << ReasonName(reason);
    const bool source_problem = (i >= static_cast<int>(FailureReason::kResponseMalformed) &&
                                 i <= static_cast<int>(FailureReason::kSourceInternal)) ||
                                reason == FailureReason::kCrlNotFetchable ||
                                reason == FailureReason::kCrlSignerUntrusted ||
                                reason == FailureReason::kResponderRevoked;
    EXPECT_EQ(CheckName(reason).empty(), source_problem || i == 0) << ReasonName(reason);
  }
}

TEST(MessageCatalogTest, EveryParameterATextNamesIsFilledIn) {
  const CertificatePtr cert = Signer();
  ASSERT_NE(cert, nullptr);
  SourceProblem problem{FailureReason::kFetchFailed, "ocsp", "http://ocsp.example/"};
  problem.detail = "HTTP 503";
  for (Language language : kLanguages) {
    for (int i = 1; i < kFailureReasonCount; ++i) {
      Failure f;
      f.reason = ReasonAt(i);
      f.position = 2;
      f.certificate = cert;
      f.time = absl::FromUnixSeconds(1700000000);
      f.validation_time = absl::FromUnixSeconds(1800000000);
      f.limit = 2048;
      f.actual = 1;
      f.names = {"RSA-1024", "RSA-PSS", "SHA-256"};
      f.detail = "ocsp";
      f.candidates_tried = 3;
      f.problems = {problem};
      const std::string text = Render(f, language);
      EXPECT_EQ(text.find('{'), std::string::npos) << ReasonName(f.reason) << ": " << text;
      EXPECT_EQ(text.find('}'), std::string::npos) << ReasonName(f.reason) << ": " << text;
      EXPECT_NE(text.find("http://ocsp.example/"), std::string::npos) << text;
    }
  }
}

TEST(MessageCatalogTest, RendersTheFactsOfAFailure) {
  Failure expired;
  expired.reason = FailureReason::kCertificateExpired;
  expired.position = 1;
  expired.certificate = Signer();
  ASSERT_NE(expired.certificate, nullptr);
  const std::string name = expired.certificate->display_name();
  expired.time = absl::FromUnixSeconds(1700000000);             // 2023-11-14 22:13:20 UTC
  expired.validation_time = absl::FromUnixSeconds(1800000000);  // 2027-01-15 08:00:00 UTC
  EXPECT_EQ(English(expired),
            "certificate 1 of the path (" + name +
                "): certificate has expired: notAfter "
                "2023-11-14 22:13:20 UTC is before the validation time 2027-01-15 08:00:00 UTC");
  EXPECT_EQ(Vietnamese(expired),
            "chứng thư số thứ 1 của đường dẫn (" + name +
                "): đã hết hạn: notAfter "
                "2023-11-14 22:13:20 UTC trước thời điểm xác thực 2027-01-15 08:00:00 UTC");

  Failure unavailable;
  unavailable.reason = FailureReason::kRevocationUnavailable;
  unavailable.problems = {{FailureReason::kResponseStale, "crl", "http://crl.example/ca.crl",
                           absl::FromUnixSeconds(1700000000)},
                          {FailureReason::kResponderDoesNotKnow, "stapled"}};
  EXPECT_EQ(English(unavailable),
            "the path: no fresh revocation status: http://crl.example/ca.crl: the response is "
            "stale: nextUpdate 2023-11-14 22:13:20 UTC has passed; the OCSP response sent with the "
            "request: the OCSP responder does not know this certificate");
}

}  // namespace
}  // namespace sigverify::crypto
