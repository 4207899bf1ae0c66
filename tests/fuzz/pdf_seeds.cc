// Writes the starting corpus of pdf_fuzzer into a directory: PDFs from
// tests/pki/pdf_factory.h with one and several pages, incremental updates
// (content replaced, an object freed, an annotation added, a page added),
// and signature fields with well-formed ByteRanges around a stand-in CMS,
// approval, certification and document timestamp.
// Usage: pdf_seeds OUT_DIR
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "tests/pki/pdf_factory.h"

namespace t = sigverify::testing;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  // A syntactically valid, empty SignedData stand-in: parsing goes deep,
  // no key is needed.
  const t::PdfSigner fake = [](std::string_view) -> absl::StatusOr<std::string> {
    return std::string("\x30\x0b\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02", 13);
  };
  std::vector<std::string> seeds = {t::MakePdf(1), t::MakePdf(3)};
  const std::string one = t::MakePdf(1);
  auto signed_once = t::AddPdfSignature(one, {.field_name = "A", .contents_capacity = 64}, fake);
  if (!signed_once.ok()) return 1;
  seeds.push_back(*signed_once);
  auto certified =
      t::AddPdfSignature(one, {.field_name = "C", .docmdp = 1, .contents_capacity = 64}, fake);
  if (certified.ok()) seeds.push_back(*certified);
  auto twice = t::AddPdfSignature(*signed_once,
                                  {.field_name = "T",
                                   .sub_filter = "ETSI.RFC3161",
                                   .document_timestamp = true,
                                   .contents_capacity = 64},
                                  fake);
  if (twice.ok()) seeds.push_back(*twice);
  auto changed = t::AppendRevision(*signed_once, {{4, "<< /Length 0 >>\nstream\n\nendstream"}});
  if (changed.ok()) seeds.push_back(*changed);
  auto freed = t::AppendRevision(*signed_once, {{4, ""}});
  if (freed.ok()) seeds.push_back(*freed);
  auto annotated = t::WithAnnotation(*signed_once, 1, "<< /Type /Annot /Subtype /Text >>");
  if (annotated.ok()) seeds.push_back(*annotated);
  for (size_t i = 0; i < seeds.size(); ++i) {
    std::ofstream(std::string(argv[1]) + "/seed-" + std::to_string(i) + ".pdf", std::ios::binary)
        << seeds[i];
  }
  return 0;
}
