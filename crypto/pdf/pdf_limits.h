// Bounds on what a PDF may make the verifier do; each refusal names its
// limit (LIMIT_EXCEEDED).
#ifndef SIGVERIFY_CRYPTO_PDF_PDF_LIMITS_H_
#define SIGVERIFY_CRYPTO_PDF_PDF_LIMITS_H_

#include <cstddef>

namespace sigverify::crypto::pdf {

struct PdfLimits {
  int max_revisions = 256;                    // incremental updates in one file
  int max_signatures = 64;                    // signature fields holding a signature
  size_t max_objects = 2'000'000;             // entries in the cross-reference table
  int max_fields = 10'000;                    // AcroForm fields visited
  int max_field_depth = 32;                   // /Kids nesting of the field tree
  size_t max_walk_objects = 4'000'000;        // objects a change analysis may visit
  size_t max_dss_stream_bytes = 16 << 20;     // one decoded DSS certificate/OCSP/CRL stream
  size_t max_object_stream_bytes = 64 << 20;  // one object stream, inflated
  size_t max_xref_stream_bytes = 64 << 20;    // one cross-reference stream, inflated
  int max_dss_entries = 256;                  // certificates, OCSP responses and CRLs in the DSS
};

}  // namespace sigverify::crypto::pdf

#endif  // SIGVERIFY_CRYPTO_PDF_PDF_LIMITS_H_
