// PDF signatures (crypto/pdf) made by independent tools: poppler's `pdfsig
// -add-signature` (an NSS database made with certutil/pk12util), and, for
// the shapes pdfsig cannot make (certification, CAdES, document
// timestamps), tests/pki/pdf_factory.h placing signatures that `openssl
// cms` and `openssl ts` make. Each attack shape is built by the test with
// a second tool (qpdf) or by hand, and every verdict that pdfsig can give
// too is cross-checked with it; where sigverify is stricter (what changed
// after a signature, which pdfsig does not analyse) the test says so.
#include <stdlib.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "crypto/cms/format_error.h"
#include "crypto/cms/signer_info.h"
#include "crypto/message_catalog.h"
#include "crypto/pdf/pdf_date.h"
#include "crypto/pdf/pdf_validation.h"
#include "crypto/pdf/range_digests.h"
#include "crypto/pdf/revisions.h"
#include "crypto/trust_store.h"
#include "gtest/gtest.h"
#include "tests/pki/cert_factory.h"
#include "tests/pki/cms_factory.h"
#include "tests/pki/pdf_factory.h"
#include "tests/testing/test_files.h"

namespace sigverify::crypto::pdf {
namespace {

using sigverify::testing::AddPdfSignature;
using sigverify::testing::AppendRevision;
using sigverify::testing::MakePdf;
using sigverify::testing::PdfSignatureSpec;
using sigverify::testing::PkiFile;
using sigverify::testing::ReadFile;
using sigverify::testing::TestPkiDir;
using sigverify::testing::WriteFile;

CertificatePtr PkiCertificate(const std::string& name) {
  auto c = Certificate::Parse(PkiFile(name));
  EXPECT_TRUE(c.ok()) << c.status();
  return *c;
}

std::string Changes(const PdfSignatureVerdict& v) {
  std::vector<std::string> out;
  for (const Change& c : v.changes.changes) out.push_back(c.what);
  return absl::StrJoin(out, "; ");
}

TEST(PdfRevisionsTest, EndsAreWhereStartxrefAndEofMeet) {
  const std::string one = "%PDF-1.7\n...\nstartxref\n9\n%%EOF\n";
  const std::string two = one + "more\r\nstartxref\r\n123\r\n%%EOF\r\n";
  auto r = FindRevisions(two, 10);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].eof_end, one.size() - 1);
  EXPECT_EQ((*r)[0].line_end, one.size());
  EXPECT_EQ((*r)[1].line_end, two.size());
  EXPECT_EQ((*r)[1].eof_end, two.size() - 2);
  EXPECT_EQ(RevisionEndingAt(*r, one.size()), 0);
  EXPECT_EQ(RevisionEndingAt(*r, one.size() - 1), 0);
  EXPECT_EQ(RevisionEndingAt(*r, one.size() + 1), -1);

  // A %%EOF without "startxref <number>" before it (inside a stream, a
  // comment) ends nothing.
  for (const std::string& no :
       {std::string("stream %%EOF endstream"), std::string("startxref\n%%EOF"),
        std::string("startxrefx 9 %%EOF"), std::string("xstartxref 12345678901234567890 %%EOF")}) {
    auto none = FindRevisions(one + no, 10);
    ASSERT_TRUE(none.ok());
    EXPECT_EQ(none->size(), 1u) << no;
  }
  EXPECT_EQ(cms::FailureOf(FindRevisions("%PDF-1.7 no end", 10).status()).reason,
            FailureReason::kFormatInvalid);
  auto limited = FindRevisions(two, 1);
  ASSERT_FALSE(limited.ok());
  EXPECT_TRUE(absl::StrContains(limited.status().message(), "max_pdf_revisions"));
}

TEST(PdfDateTest, DatesAndTheirOffsets) {
  const absl::Time noon_utc =
      absl::FromCivil(absl::CivilSecond(2026, 12, 6, 12, 0, 0), absl::UTCTimeZone());
  EXPECT_EQ(ParsePdfDate("D:20261206190000+07'00'"), noon_utc);
  EXPECT_EQ(ParsePdfDate("D:20261206190000+07'00"), noon_utc);
  EXPECT_EQ(ParsePdfDate("D:20261206120000Z"), noon_utc);
  EXPECT_EQ(ParsePdfDate("D:20261206120000Z00'00'"), noon_utc);
  EXPECT_EQ(ParsePdfDate("D:20261206063000-05'30'"), noon_utc);
  EXPECT_EQ(ParsePdfDate("D:202612061200"), noon_utc);  // seconds and zone omitted: UTC
  EXPECT_EQ(ParsePdfDate("D:2026"),
            absl::FromCivil(absl::CivilSecond(2026, 1, 1, 0, 0, 0), absl::UTCTimeZone()));
  for (const char* bad : {"", "D:", "D:20261", "D:20261306", "D:20260231", "D:20261206250000",
                          "D:20261206120000+7", "D:20261206120000X", "D:20261206120000Z junk"}) {
    EXPECT_FALSE(ParsePdfDate(bad).has_value()) << bad;
  }
}

TEST(RangeDigestsTest, OnePassGivesWhatHashingEachRangeGives) {
  std::string file(200000, '\0');
  for (size_t i = 0; i < file.size(); ++i) file[i] = static_cast<char>((i * 2654435761u) >> 13);
  const std::string_view f = file;
  // Nested ranges in no particular order, two algorithms, a hole at the
  // very start of the tail and an empty tail.
  const size_t shapes[][3] = {
      {90000, 91000, 150000}, {1000, 2000, 5000}, {150500, 160000, 200000}, {40000, 40001, 40001}};
  std::vector<RangeDigest> ranges;
  for (HashAlgorithm hash : {HashAlgorithm::kSha256, HashAlgorithm::kSha384}) {
    for (const auto& [b, c, end] : shapes) {
      ranges.push_back({hash, f.substr(0, b), f.substr(c, end - c), ""});
    }
  }
  std::vector<RangeDigest*> pointers;
  for (RangeDigest& r : ranges) pointers.push_back(&r);
  std::reverse(pointers.begin(), pointers.end());
  DigestRanges(f, pointers);
  for (const RangeDigest& r : ranges) {
    const std::string_view pieces[] = {r.head, r.tail};
    EXPECT_EQ(r.digest, cms::DigestOf(r.hash, pieces)) << r.head.size();
    EXPECT_FALSE(r.digest.empty());
  }
}

class PdfTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = TrustStore::FromCertificates({PkiCertificate("root.pem")});
    ASSERT_TRUE(store.ok());
    paths_ = std::make_unique<PathValidator>(*store, 64);
    char tmpl[] = "/tmp/sigverify-pdf-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Pki(const std::string& file) const { return TestPkiDir() + "/" + file; }
  std::string Out(const std::string& file) const { return dir_ + "/" + file; }

  int Run(const std::string& command, std::string* output = nullptr) const {
    const int rc =
        std::system((command + " >" + Out("stdout.log") + " 2>" + Out("stderr.log")).c_str());
    if (output != nullptr) *output = ReadFile(Out("stdout.log"));
    if (rc != 0 && output == nullptr) {
      std::cerr << command << ":\n" << ReadFile(Out("stderr.log"));
    }
    return rc;
  }

  // An NSS database holding <signer>'s key and certificate as nickname
  // `signer` (and the CA), for pdfsig.
  void AddToNss(const std::string& signer) {
    if (!std::filesystem::exists(Out("nss"))) {
      std::filesystem::create_directory(Out("nss"));
      ASSERT_EQ(Run("certutil -N -d sql:" + Out("nss") + " --empty-password"), 0);
    }
    ASSERT_EQ(Run(absl::StrCat("openssl pkcs12 -export -inkey ", Pki(signer + ".key"), " -in ",
                               Pki(signer + ".pem"), " -certfile ", Pki("ca.pem"), " -name ",
                               signer, " -passout pass: -out ", Out(signer + ".p12"))),
              0);
    ASSERT_EQ(
        Run(absl::StrCat("pk12util -i ", Out(signer + ".p12"), " -d sql:", Out("nss"), " -W ''")),
        0);
  }

  // pdfsig -add-signature: `pdf` signed by `signer` in a new field.
  std::string PdfsigSign(const std::string& pdf, const std::string& signer,
                         const std::string& field) {
    EXPECT_TRUE(WriteFile(Out("in.pdf"), pdf).ok());
    EXPECT_EQ(Run(absl::StrCat("pdfsig -nssdir sql:", Out("nss"), " -add-signature -nick ", signer,
                               " -new-signature-field-name ", field, " -reason 'Phê duyệt' ",
                               Out("in.pdf"), " ", Out("out.pdf"))),
              0);
    return ReadFile(Out("out.pdf"));
  }

  // What pdfsig says of each signature's own validity ("Signature is
  // Valid.", "Digest Mismatch.", ...), in order.
  std::vector<std::string> PdfsigSays(const std::string& pdf) {
    EXPECT_TRUE(WriteFile(Out("check.pdf"), pdf).ok());
    std::string output;
    Run("pdfsig -nocert " + Out("check.pdf"), &output);
    std::vector<std::string> out;
    for (size_t at = output.find("Signature Validation: "); at != std::string::npos;
         at = output.find("Signature Validation: ", at + 1)) {
      const size_t start = at + 22;
      out.push_back(output.substr(start, output.find('\n', start) - start));
    }
    return out;
  }

  // `openssl cms -sign` (detached, CAdES signingCertificateV2) by <signer>,
  // with the CA's certificate in the CMS unless `with_ca` is false.
  sigverify::testing::PdfSigner Cms(const std::string& signer, bool with_ca = true) {
    return [this, signer, with_ca](std::string_view bytes) -> absl::StatusOr<std::string> {
      if (absl::Status s = WriteFile(Out("tbs.bin"), std::string(bytes)); !s.ok()) return s;
      if (Run(absl::StrCat("openssl cms -sign -binary -cades -in ", Out("tbs.bin"), " -signer ",
                           Pki(signer + ".pem"), " -inkey ", Pki(signer + ".key"),
                           with_ca ? " -certfile " + Pki("ca.pem") : "", " -outform DER -out ",
                           Out("sig.p7s"))) != 0) {
        return absl::InternalError("openssl cms -sign failed");
      }
      return ReadFile(Out("sig.p7s"));
    };
  }

  // A document timestamp by the test TSA at `at` (an hour ago by default).
  sigverify::testing::PdfSigner Tsa(absl::Time at = absl::Now() - absl::Hours(1)) {
    return [at](std::string_view bytes) {
      return sigverify::testing::MakeTimestampToken(bytes, TestPkiDir(), "tsa", at);
    };
  }

  std::string Signed(const std::string& pdf, PdfSignatureSpec spec,
                     const sigverify::testing::PdfSigner& signer) {
    auto out = AddPdfSignature(pdf, spec, signer);
    EXPECT_TRUE(out.ok()) << out.status();
    return out.ok() ? *out : "";
  }

  std::string Appended(const std::string& pdf, const std::map<int, std::string>& objects,
                       std::string_view trailer_extra = "") {
    auto out = AppendRevision(pdf, objects, trailer_extra);
    EXPECT_TRUE(out.ok()) << out.status();
    return out.ok() ? *out : "";
  }

  absl::StatusOr<PdfVerdict> Verify(const std::string& pdf, const PdfLimits& limits = {}) {
    cms::ValidationContext c;
    c.paths = paths_.get();
    c.policy = &policy_;
    c.now = absl::Now();
    c.certificates = extra_;
    return VerifyPdf(pdf, c, limits);
  }

  // The verdict of a file expected to be readable.
  PdfVerdict MustVerify(const std::string& pdf) {
    auto v = Verify(pdf);
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() ? *std::move(v) : PdfVerdict{};
  }

  std::unique_ptr<PathValidator> paths_;
  ValidationPolicy policy_;
  // The CA of the signers and the TSA, as a DSS or the request would bring it.
  std::vector<CertificatePtr> extra_ = {PkiCertificate("ca.pem")};
  std::string dir_;
};

std::string Explain(const PdfSignatureVerdict& v) {
  return absl::StrCat(v.field.field_name, ": ", English(v.failed), " [", Changes(v), "]");
}

TEST_F(PdfTest, ThreeSignaturesByPdfsigPassWithTheChangesBetweenThemNamed) {
  AddToNss("signer-rsa");
  std::string pdf = MakePdf(2);
  for (const char* field : {"PheDuyet", "BanHanh", "SaoY"})
    pdf = PdfsigSign(pdf, "signer-rsa", field);
  const PdfVerdict v = MustVerify(pdf);
  EXPECT_EQ(v.revisions, 4);
  ASSERT_EQ(v.signatures.size(), 3u);
  for (const PdfSignatureVerdict& s : v.signatures) {
    EXPECT_TRUE(s.ok()) << Explain(s);
    // The audit log's hash of the signed bytes, from the one-pass digests.
    EXPECT_EQ(s.range_sha256, cms::DigestOf(HashAlgorithm::kSha256, s.range.pieces));
    EXPECT_EQ(s.field.sub_filter, "adbe.pkcs7.detached");
    EXPECT_EQ(s.field.docmdp_level, 0);
    EXPECT_TRUE(s.changes_known);
  }
  EXPECT_EQ(v.signatures[0].field.field_name, "PheDuyet");
  EXPECT_EQ(v.signatures[0].range.coverage, Coverage::kEntireRevision);
  EXPECT_EQ(v.signatures[0].range.revision, 1);
  EXPECT_EQ(v.signatures[0].changes.level, ModificationLevel::kFormFillingAndSignatures);
  EXPECT_TRUE(absl::StrContains(Changes(v.signatures[0]), "signature field BanHanh added"))
      << Changes(v.signatures[0]);
  EXPECT_TRUE(absl::StrContains(Changes(v.signatures[0]), "signature field SaoY added"));
  EXPECT_EQ(v.signatures[2].field.field_name, "SaoY");
  EXPECT_EQ(v.signatures[2].range.coverage, Coverage::kEntireFile);
  EXPECT_EQ(v.signatures[2].changes.level, ModificationLevel::kNone);
  EXPECT_EQ(v.signatures[0].field.reason, "Phê duyệt");
  // pdfsig agrees on every signature.
  EXPECT_EQ(PdfsigSays(pdf), std::vector<std::string>(3, "Signature is Valid."));
}

TEST_F(PdfTest, CertificationLevelsAreEnforced) {
  const std::string p2 = Signed(MakePdf(), {.field_name = "Cert", .docmdp = 2}, Cms("signer-rsa"));
  PdfVerdict v = MustVerify(p2);
  ASSERT_EQ(v.signatures.size(), 1u);
  EXPECT_TRUE(v.signatures[0].ok()) << Explain(v.signatures[0]);
  EXPECT_EQ(v.signatures[0].field.docmdp_level, 2);
  EXPECT_EQ(v.signatures[0].field.sub_filter, "ETSI.CAdES.detached");
  // The verdict's facts stay readable after VerifyPdf (the audit log hashes
  // the signature value then).
  auto value = sigverify::testing::SignatureValueOf(v.signatures[0].field.contents);
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_EQ(v.signatures[0].signature.facts.signature_value, *value);
  EXPECT_TRUE(v.signatures[0].signature.facts.has_signing_certificate_attribute);
  EXPECT_EQ(PdfsigSays(p2), std::vector<std::string>{"Signature is Valid."});

  // P2 allows a later approval signature...
  const std::string approved = Signed(p2, {.field_name = "Approve"}, Cms("signer-ec"));
  v = MustVerify(approved);
  ASSERT_EQ(v.signatures.size(), 2u);
  EXPECT_TRUE(v.signatures[0].ok()) << Explain(v.signatures[0]);
  EXPECT_TRUE(v.signatures[1].ok()) << Explain(v.signatures[1]);

  // ... but not an annotation (P3 would).
  auto annotated_or = sigverify::testing::WithAnnotation(
      approved, 1, "<< /Type /Annot /Subtype /Text /Rect [10 10 30 30] /Contents (Da xem) >>");
  ASSERT_TRUE(annotated_or.ok()) << annotated_or.status();
  const std::string annotated = *annotated_or;
  v = MustVerify(annotated);
  ASSERT_EQ(v.signatures.size(), 2u);
  EXPECT_EQ(v.signatures[0].failed.reason, FailureReason::kDocMdpViolation)
      << Explain(v.signatures[0]);
  EXPECT_EQ(IndicationFor(v.signatures[0].sub_indication), Indication::kTotalFailed);
  // The approval signature allows annotations.
  EXPECT_TRUE(v.signatures[1].ok()) << Explain(v.signatures[1]);
  EXPECT_EQ(v.signatures[1].changes.level, ModificationLevel::kAnnotations)
      << Explain(v.signatures[1]);
  // pdfsig checks only the bytes: every signature still "valid".
  EXPECT_EQ(PdfsigSays(annotated), std::vector<std::string>(2, "Signature is Valid."));

  // A certification after an approval signature certifies nothing, and
  // the /Perms it adds to the catalog is a change the approval forbids.
  v = MustVerify(Signed(Signed(MakePdf(), {.field_name = "Approve"}, Cms("signer-ec")),
                        {.field_name = "Cert", .docmdp = 2}, Cms("signer-rsa")));
  ASSERT_EQ(v.signatures.size(), 2u);
  EXPECT_EQ(v.signatures[0].failed.reason, FailureReason::kDocumentModified);
  EXPECT_TRUE(absl::StrContains(Changes(v.signatures[0]), "document catalog: /Perms changed"))
      << Changes(v.signatures[0]);
  EXPECT_EQ(v.signatures[1].failed.reason, FailureReason::kFormatInvalid);
  EXPECT_TRUE(absl::StrContains(v.signatures[1].failed.detail, "first signature"));

  // P1: no signature after it, but a document timestamp is an LTA update.
  const std::string p1 = Signed(MakePdf(), {.field_name = "Cert", .docmdp = 1}, Cms("signer-rsa"));
  v = MustVerify(Signed(p1, {.field_name = "Approve"}, Cms("signer-ec")));
  ASSERT_EQ(v.signatures.size(), 2u);
  EXPECT_EQ(v.signatures[0].failed.reason, FailureReason::kDocMdpViolation)
      << Explain(v.signatures[0]);
  EXPECT_EQ(v.signatures[0].failed.actual, 1);
  v = MustVerify(
      Signed(p1, {.field_name = "Stamp", .sub_filter = "ETSI.RFC3161", .document_timestamp = true},
             Tsa()));
  ASSERT_EQ(v.signatures.size(), 2u);
  EXPECT_TRUE(v.signatures[0].ok()) << Explain(v.signatures[0]);
  EXPECT_EQ(v.signatures[0].changes.level, ModificationLevel::kLtaUpdates)
      << Explain(v.signatures[0]);
  EXPECT_TRUE(v.signatures[1].document_timestamp);
  EXPECT_TRUE(v.signatures[1].ok()) << Explain(v.signatures[1]);
  EXPECT_TRUE(v.signatures[1].timestamp.info_read);
}

TEST_F(PdfTest, ContentChangedInALaterRevisionFails) {
  AddToNss("signer-rsa");
  const std::string pdf = PdfsigSign(MakePdf(), "signer-rsa", "Sig");
  // The "shadow" shape: an incremental update replaces page 1's content
  // stream (object 4).
  const std::string text = "BT /F1 18 Tf 72 760 Td (Quyet dinh so 9/2026/QD-UBND) Tj ET";
  const std::string replaced = Appended(
      pdf, {{4, absl::StrCat("<< /Length ", text.size(), " >>\nstream\n", text, "\nendstream")}});
  PdfVerdict v = MustVerify(replaced);
  ASSERT_EQ(v.signatures.size(), 1u);
  EXPECT_EQ(v.signatures[0].failed.reason, FailureReason::kDocumentModified);
  EXPECT_EQ(IndicationFor(v.signatures[0].sub_indication), Indication::kTotalFailed);
  EXPECT_EQ(v.signatures[0].changes.level, ModificationLevel::kOther);
  EXPECT_TRUE(absl::StrContains(Changes(v.signatures[0]), "the content of page 1 changed"))
      << Changes(v.signatures[0]);
  EXPECT_EQ(v.signatures[0].range.coverage, Coverage::kEntireRevision);
  // Stricter than pdfsig, which checks the signed bytes only.
  EXPECT_EQ(PdfsigSays(replaced), std::vector<std::string>{"Signature is Valid."});

  // The same object rewritten unchanged is no change.
  const std::string same = MakePdf();
  const size_t at = same.find("4 0 obj\n") + 8;
  const std::string body = same.substr(at, same.find("\nendobj", at) - at);
  v = MustVerify(Appended(pdf, {{4, body}}));
  EXPECT_TRUE(v.signatures[0].ok()) << Explain(v.signatures[0]);
  EXPECT_EQ(v.signatures[0].changes.level, ModificationLevel::kNone);

  // Freeing the content stream.
  v = MustVerify(Appended(pdf, {{4, ""}}));
  EXPECT_EQ(v.signatures[0].failed.reason, FailureReason::kDocumentModified);
  EXPECT_TRUE(absl::StrContains(Changes(v.signatures[0]), "object 4 0 freed"))
      << Changes(v.signatures[0]);
}

TEST_F(PdfTest, PagesAddedAndCatalogReplacedFail) {
  const std::string pdf = Signed(MakePdf(), {.field_name = "Sig"}, Cms("signer-rsa"));
  // A page appended: a new page and content, the page tree redefined.
  const std::string added = Appended(
      pdf, {{2, "<< /Type /Pages /Kids [3 0 R 40 0 R] /Count 2 >>"},
            {40, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 41 0 R >>"},
            {41, "<< /Length 0 >>\nstream\n\nendstream"}});
  PdfVerdict v = MustVerify(added);
  ASSERT_EQ(v.signatures.size(), 1u);
  EXPECT_EQ(v.signatures[0].failed.reason, FailureReason::kDocumentModified);
  EXPECT_TRUE(absl::StrContains(Changes(v.signatures[0]), "pages added, removed or reordered"))
      << Changes(v.signatures[0]);

  // A second catalog, named by the new trailer.
  auto catalog = sigverify::testing::WithKey(pdf, 1, "/Type", "/Catalog");
  ASSERT_TRUE(catalog.ok());
  std::string replaced = Appended(pdf, {{50, *catalog}});
  const size_t root = replaced.rfind("/Root 1 0 R");
  ASSERT_NE(root, std::string::npos);
  replaced.replace(root, 11, "/Root 50 0 R");
  // The update's own xref section is still right: the trailer follows it.
  v = MustVerify(replaced);
  ASSERT_EQ(v.signatures.size(), 1u);
  EXPECT_EQ(v.signatures[0].failed.reason, FailureReason::kDocumentModified);
  EXPECT_TRUE(absl::StrContains(Changes(v.signatures[0]), "catalog was replaced"))
      << Changes(v.signatures[0]);
}

TEST_F(PdfTest, ARewrittenFileAndAMovedByteRangeFail) {
  const std::string pdf = Signed(MakePdf(), {.field_name = "Sig"}, Cms("signer-rsa"));
  ASSERT_TRUE(MustVerify(pdf).signatures.at(0).ok());

  // qpdf rewrites the file (objects renumbered into new offsets).
  ASSERT_TRUE(WriteFile(Out("signed.pdf"), pdf).ok());
  ASSERT_EQ(Run("qpdf " + Out("signed.pdf") + " " + Out("rewritten.pdf")), 0);
  PdfVerdict v = MustVerify(ReadFile(Out("rewritten.pdf")));
  ASSERT_EQ(v.signatures.size(), 1u);
  EXPECT_EQ(v.signatures[0].failed.reason, FailureReason::kByteRangeInvalid)
      << Explain(v.signatures[0]);
  EXPECT_NE(PdfsigSays(ReadFile(Out("rewritten.pdf"))),
            std::vector<std::string>{"Signature is Valid."});

  // The ByteRange edited in place: the hole one byte wider, then the
  // signed bytes ending short of the revision, then three numbers.
  const size_t at = pdf.rfind("/ByteRange [0 ") + 14;
  const size_t end = pdf.find(']', at);
  auto edit = [&](const std::string& numbers) {
    std::string out = pdf;
    std::string padded = numbers;
    padded.resize(end - at, ' ');
    out.replace(at, end - at, padded);
    return out;
  };
  auto parsed = MustVerify(pdf).signatures.at(0).field.byte_range;
  ASSERT_EQ(parsed.size(), 4u);
  for (const auto& [numbers, rule] : std::vector<std::pair<std::string, std::string>>{
           {absl::StrCat(parsed[1] - 1, " ", parsed[2], " ", parsed[3]),
            "not exactly the /Contents"},
           // (one byte short would end at "%%EOF" without its newline: a revision end)
           {absl::StrCat(parsed[1], " ", parsed[2], " ", parsed[3] - 3), "where a revision ends"},
           {absl::StrCat(parsed[1], " ", parsed[2]), "four integers"},
           {absl::StrCat(parsed[1], " ", parsed[2], " -1"), "negative"},
       }) {
    v = MustVerify(edit(numbers));
    ASSERT_EQ(v.signatures.size(), 1u) << numbers;
    EXPECT_EQ(v.signatures[0].failed.reason, FailureReason::kByteRangeInvalid) << numbers;
    EXPECT_TRUE(absl::StrContains(v.signatures[0].failed.detail, rule))
        << numbers << ": " << v.signatures[0].failed.detail;
  }
}

TEST_F(PdfTest, UniversalSignatureForgeryShapesFail) {
  // The shapes of "universal signature forgery": the signature dictionary
  // without a ByteRange, without /Contents, with a ByteRange of zeros. The
  // keys are renamed in place (same length), so nothing else moves.
  const std::string pdf = Signed(MakePdf(), {.field_name = "Sig"}, Cms("signer-rsa"));
  auto renamed = [&](const std::string& from, const std::string& to) {
    std::string out = pdf;
    const size_t at = out.rfind(from);
    EXPECT_NE(at, std::string::npos);
    out.replace(at, from.size(), to);
    return out;
  };
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"/ByteRange", "/ByteRangX"}, {"/Contents <", "/Contentx <"}}) {
    const PdfVerdict v = MustVerify(renamed(from, to));
    ASSERT_EQ(v.signatures.size(), 1u) << to;
    EXPECT_EQ(v.signatures[0].failed.reason, FailureReason::kByteRangeInvalid) << to;
    EXPECT_EQ(IndicationFor(v.signatures[0].sub_indication), Indication::kTotalFailed) << to;
  }
  const size_t at = pdf.rfind("/ByteRange [0 ") + 14;
  const size_t end = pdf.find(']', at);
  std::string zeros = pdf;
  std::string numbers = "0 0 0";
  numbers.resize(end - at, ' ');
  zeros.replace(at, end - at, numbers);
  const PdfVerdict v = MustVerify(zeros);
  EXPECT_EQ(v.signatures.at(0).failed.reason, FailureReason::kByteRangeInvalid);
  EXPECT_EQ(v.signatures[0].failed.detail, "no hole after the first range");
}

TEST_F(PdfTest, ForeignContentsAndChangedBytesFail) {
  const std::string pdf = Signed(MakePdf(), {.field_name = "Sig"}, Cms("signer-rsa"));
  // A byte of the signed content flipped: the digest no longer matches.
  std::string flipped = pdf;
  const size_t text = flipped.find("Quyet dinh so 1");
  flipped[text] = 'X';
  PdfVerdict v = MustVerify(flipped);
  EXPECT_EQ(v.signatures.at(0).failed.reason, FailureReason::kMessageDigestMismatch);
  EXPECT_EQ(PdfsigSays(flipped), std::vector<std::string>{"Digest Mismatch."});

  // Another document's signature put into the hole.
  const std::string other = Signed(MakePdf(3), {.field_name = "Sig"}, Cms("signer-rsa"));
  const size_t hole = pdf.rfind("/Contents <") + 11;
  const size_t other_hole = other.rfind("/Contents <") + 11;
  std::string swapped = pdf;
  swapped.replace(hole, pdf.find('>', hole) - hole,
                  other.substr(other_hole, other.find('>', other_hole) - other_hole));
  v = MustVerify(swapped);
  EXPECT_EQ(v.signatures.at(0).failed.reason, FailureReason::kMessageDigestMismatch)
      << Explain(v.signatures.at(0));

  // The signature dictionary redefined by a later revision (its /Reason
  // changed, ByteRange and /Contents copied): the hole is no longer where
  // the dictionary's /Contents is.
  const PdfVerdict ok = MustVerify(pdf);
  const int sig = static_cast<int>(ok.signatures.at(0).field.value.getObj());
  auto redefined = sigverify::testing::WithKey(pdf, sig, "/Reason", "(Sua doi)");
  ASSERT_TRUE(redefined.ok());
  v = MustVerify(Appended(pdf, {{sig, *redefined}}));
  EXPECT_EQ(v.signatures.at(0).failed.reason, FailureReason::kByteRangeInvalid)
      << Explain(v.signatures.at(0));
}

TEST_F(PdfTest, AnnotationsAfterAnApprovalSignatureAreReportedNotFailed) {
  const std::string pdf = Signed(MakePdf(), {.field_name = "Sig"}, Cms("signer-rsa"));
  auto annotated = sigverify::testing::WithAnnotation(
      pdf, 1, "<< /Type /Annot /Subtype /Square /Rect [10 10 300 300] /IC [1 1 1] >>");
  ASSERT_TRUE(annotated.ok()) << annotated.status();
  PdfVerdict v = MustVerify(*annotated);
  ASSERT_EQ(v.signatures.size(), 1u);
  EXPECT_TRUE(v.signatures[0].ok()) << Explain(v.signatures[0]);
  EXPECT_EQ(v.signatures[0].changes.level, ModificationLevel::kAnnotations);
  EXPECT_TRUE(absl::StrContains(Changes(v.signatures[0]), "/Square annotation added on page 1"))
      << Changes(v.signatures[0]);

  // Taking the signed signature's widget off the page is no annotation
  // change: the signature would no longer be shown.
  const int page = *sigverify::testing::PageObject(pdf, 1);
  auto page_dict = sigverify::testing::WithKey(pdf, page, "/Annots", "[ ]");
  ASSERT_TRUE(page_dict.ok());
  v = MustVerify(Appended(pdf, {{page, *page_dict}}));
  EXPECT_EQ(v.signatures.at(0).failed.reason, FailureReason::kDocumentModified);
  EXPECT_TRUE(absl::StrContains(Changes(v.signatures[0]), "signed signature field Sig removed"))
      << Changes(v.signatures[0]);
}

TEST_F(PdfTest, UnsupportedSubFilterAndLimitsAreNamed) {
  const std::string sha1 =
      Signed(MakePdf(), {.field_name = "Old", .sub_filter = "adbe.pkcs7.sha1"}, Cms("signer-rsa"));
  PdfVerdict v = MustVerify(sha1);
  ASSERT_EQ(v.signatures.size(), 1u);
  EXPECT_EQ(v.signatures[0].failed.reason, FailureReason::kUnsupportedSignatureFormat);
  EXPECT_TRUE(absl::StrContains(English(v.signatures[0].failed), "adbe.pkcs7.sha1"));

  const std::string two = Signed(Signed(MakePdf(), {.field_name = "A"}, Cms("signer-rsa")),
                                 {.field_name = "B"}, Cms("signer-rsa"));
  auto limited = Verify(two, PdfLimits{.max_signatures = 1});
  ASSERT_FALSE(limited.ok());
  EXPECT_EQ(cms::FailureOf(limited.status()).reason, FailureReason::kLimitExceeded);
  EXPECT_TRUE(absl::StrContains(limited.status().message(), "max_pdf_signatures"));

  auto garbage = Verify("%PDF-1.7\nnot a pdf at all\n");
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(cms::FailureOf(garbage.status()).reason, FailureReason::kFormatInvalid);
  auto truncated = Verify(two.substr(0, two.size() / 2));
  ASSERT_FALSE(truncated.ok());
}

TEST_F(PdfTest, ADocumentTimestampProvesTheSignaturesBeforeIt) {
  // signer-expired's certificate expired some weeks ago; a document
  // timestamp from before that proves the signature existed while it was
  // valid (PAdES-LTA), one from after it does not.
  const std::string pdf = Signed(MakePdf(), {.field_name = "Sig"}, Cms("signer-expired"));
  PdfVerdict v = MustVerify(pdf);
  EXPECT_FALSE(v.signatures.at(0).ok());
  EXPECT_EQ(IndicationFor(v.signatures[0].sub_indication), Indication::kIndeterminate);

  const absl::Time valid_then =
      PkiCertificate("signer-expired.pem")->not_after() - absl::Hours(24 * 30);
  const PdfSignatureSpec stamp = {
      .field_name = "Stamp", .sub_filter = "ETSI.RFC3161", .document_timestamp = true};
  v = MustVerify(Signed(pdf, stamp, Tsa(valid_then)));
  ASSERT_EQ(v.signatures.size(), 2u);
  EXPECT_TRUE(v.signatures[1].ok()) << Explain(v.signatures[1]);
  EXPECT_TRUE(v.signatures[0].ok()) << Explain(v.signatures[0]);
  EXPECT_TRUE(v.signatures[0].signature.best_from_timestamp);
  EXPECT_EQ(v.signatures[0].signature.best_signature_time, valid_then);
  EXPECT_EQ(v.signatures[0].changes.level, ModificationLevel::kLtaUpdates);

  v = MustVerify(Signed(pdf, stamp, Tsa()));
  ASSERT_EQ(v.signatures.size(), 2u);
  EXPECT_TRUE(v.signatures[1].ok()) << Explain(v.signatures[1]);
  EXPECT_FALSE(v.signatures[0].ok());
}

TEST_F(PdfTest, FieldMdpLocksTheFieldsItNames) {
  // A form with a text field, then signatures locking it or not, then the
  // field filled in.
  const int page = 3;
  auto with_field = AppendRevision(
      MakePdf(), {{1, "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [90 0 R] >> >>"},
                  {3,
                   "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
                   "/Resources << /Font << /F1 5 0 R >> >> /Annots [90 0 R] >>"},
                  {90,
                   "<< /Type /Annot /Subtype /Widget /FT /Tx /T (SoVanBan) /V (1) /Rect "
                   "[72 700 200 720] /P 3 0 R >>"}});
  ASSERT_TRUE(with_field.ok()) << with_field.status();
  ASSERT_EQ(*sigverify::testing::PageObject(*with_field, 1), page);
  auto filled = [&](const std::string& pdf) {
    auto field = sigverify::testing::WithKey(pdf, 90, "/V", "(2)");
    EXPECT_TRUE(field.ok());
    return Appended(pdf, {{90, *field}});
  };

  const std::string locked =
      Signed(*with_field,
             {.field_name = "Sig", .fieldmdp_action = "Include", .fieldmdp_fields = {"SoVanBan"}},
             Cms("signer-rsa"));
  PdfVerdict v = MustVerify(filled(locked));
  ASSERT_EQ(v.signatures.size(), 1u);
  EXPECT_EQ(v.signatures[0].failed.reason, FailureReason::kFieldLocked) << Explain(v.signatures[0]);
  EXPECT_EQ(v.signatures[0].failed.names, std::vector<std::string>{"SoVanBan"});

  const std::string open =
      Signed(*with_field,
             {.field_name = "Sig", .fieldmdp_action = "Exclude", .fieldmdp_fields = {"SoVanBan"}},
             Cms("signer-rsa"));
  v = MustVerify(filled(open));
  ASSERT_EQ(v.signatures.size(), 1u);
  EXPECT_TRUE(v.signatures[0].ok()) << Explain(v.signatures[0]);
  EXPECT_EQ(v.signatures[0].changes.level, ModificationLevel::kFormFillingAndSignatures);
  EXPECT_TRUE(absl::StrContains(Changes(v.signatures[0]), "field SoVanBan filled in"))
      << Changes(v.signatures[0]);
}

TEST_F(PdfTest, ApprovedIssuedCopyWithOverlappingImagesPasses) {
  // The leader's signature (a blue image), the organisation's seal (red,
  // overlapping it), then the "copy" stamp: three visible signatures, each
  // adding its field, widget, appearance stream and image.
  std::string pdf = MakePdf();
  pdf = Signed(pdf,
               {.field_name = "PheDuyet", .image_rgb = "\x20\x40\xc0", .rect = {400, 100, 120, 60}},
               Cms("signer-rsa"));
  pdf =
      Signed(pdf, {.field_name = "DongDau", .image_rgb = "\xd0\x10\x10", .rect = {440, 80, 80, 80}},
             Cms("signer-ec"));
  pdf = Signed(pdf, {.field_name = "SaoY", .image_rgb = "\x10\x10\x10", .rect = {60, 100, 100, 30}},
               Cms("signer-rsa"));
  const PdfVerdict v = MustVerify(pdf);
  ASSERT_EQ(v.signatures.size(), 3u);
  for (const PdfSignatureVerdict& s : v.signatures) EXPECT_TRUE(s.ok()) << Explain(s);
  EXPECT_EQ(v.signatures[0].changes.level, ModificationLevel::kFormFillingAndSignatures);
  EXPECT_TRUE(absl::StrContains(Changes(v.signatures[0]), "signature field DongDau added"))
      << Changes(v.signatures[0]);
  EXPECT_EQ(v.signatures[2].changes.level, ModificationLevel::kNone);
  EXPECT_EQ(PdfsigSays(pdf), std::vector<std::string>(3, "Signature is Valid."));

  // Repainting the first signature's image afterwards is not allowed.
  const PdfVerdict first = MustVerify(pdf);
  QPDFObjGen field = first.signatures[0].field.field;
  auto widget = sigverify::testing::WithKey(pdf, field.getObj(), "/Rect", "[0 0 595 842]");
  ASSERT_TRUE(widget.ok());
  const PdfVerdict moved = MustVerify(Appended(pdf, {{field.getObj(), *widget}}));
  EXPECT_EQ(moved.signatures[0].failed.reason, FailureReason::kDocumentModified)
      << Explain(moved.signatures[0]);
  EXPECT_TRUE(absl::StrContains(Changes(moved.signatures[0]),
                                "signed signature field PheDuyet: /Rect changed"))
      << Changes(moved.signatures[0]);
}

TEST_F(PdfTest, CertificatesInTheDssAreUsed) {
  // The CMS carries the signer's certificate only; the CA comes from the
  // DSS the file gains afterwards (an LTA update).
  extra_.clear();
  const std::string pdf = Signed(MakePdf(), {.field_name = "Sig"}, Cms("signer-rsa", false));
  PdfVerdict v = MustVerify(pdf);
  EXPECT_EQ(v.signatures.at(0).sub_indication, SubIndication::kNoCertificateChainFound)
      << Explain(v.signatures[0]);
  auto ca = Certificate::Parse(PkiFile("ca.pem"));
  ASSERT_TRUE(ca.ok());
  auto with_dss = sigverify::testing::WithDss(pdf, {(*ca)->der()});
  ASSERT_TRUE(with_dss.ok()) << with_dss.status();
  v = MustVerify(*with_dss);
  EXPECT_TRUE(v.signatures.at(0).ok()) << Explain(v.signatures[0]);
  EXPECT_EQ(v.signatures[0].changes.level, ModificationLevel::kLtaUpdates);
  EXPECT_EQ(v.signatures[0].signature.path.size(), 3u);
}

TEST_F(PdfTest, ObjectStreamsAndCrossReferenceStreamsAreRead) {
  // qpdf writes the plain file with object streams and a cross-reference
  // stream; pdfsig signs it twice (its updates are classic sections over a
  // stream: a hybrid chain). The objects an update redefines are compared
  // through the object stream that held them.
  ASSERT_TRUE(WriteFile(Out("plain.pdf"), MakePdf(2)).ok());
  ASSERT_EQ(Run("qpdf --object-streams=generate " + Out("plain.pdf") + " " + Out("objstm.pdf")), 0);
  const std::string packed = ReadFile(Out("objstm.pdf"));
  ASSERT_TRUE(absl::StrContains(packed, "/ObjStm"));
  ASSERT_TRUE(absl::StrContains(packed, "/XRef"));
  AddToNss("signer-rsa");
  const std::string pdf =
      PdfsigSign(PdfsigSign(packed, "signer-rsa", "PheDuyet"), "signer-rsa", "BanHanh");
  PdfVerdict v = MustVerify(pdf);
  ASSERT_EQ(v.signatures.size(), 2u);
  for (const PdfSignatureVerdict& s : v.signatures) EXPECT_TRUE(s.ok()) << Explain(s);
  EXPECT_EQ(v.signatures[0].changes.level, ModificationLevel::kFormFillingAndSignatures)
      << Changes(v.signatures[0]);

  // So is the cross-reference stream, before qpdf opens the file.
  auto xref_limited = Verify(packed, PdfLimits{.max_xref_stream_bytes = 8});
  ASSERT_FALSE(xref_limited.ok());
  EXPECT_TRUE(absl::StrContains(xref_limited.status().message(), "max_pdf_xref_stream_bytes"))
      << xref_limited.status();

  // Object streams are inflated within a bound before qpdf inflates them.
  auto limited = Verify(pdf, PdfLimits{.max_object_stream_bytes = 64});
  ASSERT_FALSE(limited.ok());
  EXPECT_EQ(cms::FailureOf(limited.status()).reason, FailureReason::kLimitExceeded);
  EXPECT_TRUE(absl::StrContains(limited.status().message(), "max_pdf_object_stream_bytes"))
      << limited.status();

  // Page 2's content replaced by an update: found although the page lives
  // in an object stream.
  const int page = *sigverify::testing::PageObject(pdf, 2);
  auto page_dict = sigverify::testing::WithKey(pdf, page, "/Contents", "99 0 R");
  ASSERT_TRUE(page_dict.ok());
  v = MustVerify(
      Appended(pdf, {{page, *page_dict}, {99, "<< /Length 10 >>\nstream\nBT ET q Q\nendstream"}}));
  EXPECT_EQ(v.signatures.at(0).failed.reason, FailureReason::kDocumentModified);
  EXPECT_TRUE(absl::StrContains(Changes(v.signatures[0]), "page 2: /Contents changed"))
      << Changes(v.signatures[0]);
}

}  // namespace
}  // namespace sigverify::crypto::pdf
