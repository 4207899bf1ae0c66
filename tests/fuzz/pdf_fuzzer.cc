// libFuzzer target for everything in crypto/pdf that reads untrusted bytes
// without a key: the revision scan, qpdf's parse as PdfFile::Open drives it,
// the signature field walk, the ByteRange rules and the change analysis of
// every signed revision against the whole file; the /Contents goes to the
// CMS parser. Nothing may crash, leak or throw; every outcome is a status.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "crypto/cms/signed_data.h"
#include "crypto/pdf/byte_range.h"
#include "crypto/pdf/changes.h"
#include "crypto/pdf/pdf_file.h"
#include "crypto/pdf/revisions.h"
#include "crypto/pdf/signature_fields.h"
#include "crypto/pdf/xref_streams.h"

namespace pdf = sigverify::crypto::pdf;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view file(reinterpret_cast<const char*>(data), size);
  pdf::PdfLimits limits;
  limits.max_revisions = 16;
  limits.max_signatures = 8;
  limits.max_walk_objects = 20'000;
  auto revisions = pdf::FindRevisions(file, limits.max_revisions);
  if (!revisions.ok()) return 0;
  if (!pdf::CheckXrefStreams(file, *revisions, 1 << 20).ok()) return 0;
  auto whole = pdf::PdfFile::Open(file, "file", limits);
  if (!whole.ok()) return 0;
  auto fields = pdf::FindSignatureFields(**whole, limits);
  if (!fields.ok()) return 0;
  for (const pdf::SignatureField& field : *fields) {
    (void)sigverify::crypto::cms::SignedData::Parse(field.contents, {}, true);
    pdf::SignedRange range = pdf::CheckByteRange(file, *revisions, field, *fields);
    if (!range.ok()) continue;
    auto before = pdf::PdfFile::Open(file.substr(0, range.signed_end), "revision", limits);
    if (!before.ok()) continue;
    (void)pdf::ClassifyChanges(**before, **whole, limits);
  }
  // A prefix at each revision end, signed or not, against the whole file.
  for (const pdf::RevisionEnd& end : *revisions) {
    auto before = pdf::PdfFile::Open(file.substr(0, end.line_end), "revision", limits);
    if (before.ok()) (void)pdf::ClassifyChanges(**before, **whole, limits);
  }
  return 0;
}
