// Request limits, enforced before any parsing or cryptography. Each refusal
// names the field and the limit so that a caller can fix the request.
#ifndef SIGVERIFY_SERVICE_LIMITS_H_
#define SIGVERIFY_SERVICE_LIMITS_H_

#include <cstddef>

#include "crypto/path_validator.h"

namespace sigverify::service {

// What a request may bring for one record follows from the longest path the
// validator accepts (crypto::kMaxPathLength certificates, the anchor's
// included): below the anchor, each certificate's issuer may sign its CRLs
// with a key of its own (a CRL-signing certificate, a key rolled over), so
// twice the path's CAs in intermediates; a complete CRL and a delta CRL for
// each certificate below the anchor; an OCSP response for each.
inline constexpr size_t kPathCertificatesBelowAnchor = crypto::kMaxPathLength - 1;
inline constexpr size_t kPathIntermediates = crypto::kMaxPathLength - 2;

struct Limits {
  size_t max_message_bytes = 32 << 20;                       // gRPC receive limit, whole request
  size_t max_batch_items = 10000;                            // VerifyBatch
  size_t max_data_bytes = 32 << 20;                          // one record's data
  size_t max_signature_bytes = 8 << 10;                      // RSA-8192 is 1 KiB
  size_t max_certificate_bytes = 64 << 10;                   // per certificate
  size_t max_intermediates = 2 * kPathIntermediates;         // per record
  size_t max_ocsp_responses = kPathCertificatesBelowAnchor;  // stapled, per record
  size_t max_ocsp_response_bytes = 64 << 10;
  size_t max_crls = 2 * kPathCertificatesBelowAnchor;  // in the request, per record
  size_t max_crl_bytes = 4 << 20;
  size_t max_record_id_bytes = 256;
  // VerifyDocument: what a request brings beside the document (which a
  // unary call bounds by max_message_bytes).
  size_t max_document_certificates = 64;
  size_t max_document_ocsp_responses = 64;
  size_t max_document_crls = 32;
  // VerifyDocumentStream: the document (and, apart, its detached content)
  // spooled to a temporary file, never held in memory.
  size_t max_document_stream_bytes = size_t{1} << 30;
  size_t max_queued_items = 100000;  // admission: items waiting for a worker
  size_t max_stream_window = 256;    // VerifyStream: records read and not answered
  // --max-inflight-bytes (byte_budget.h); 0: not bounded here (the server
  // always sets it).
  size_t max_inflight_bytes = 0;
};

}  // namespace sigverify::service

#endif  // SIGVERIFY_SERVICE_LIMITS_H_
