// Request limits, enforced before any parsing or cryptography. Each refusal
// names the field and the limit so that a caller can fix the request.
#ifndef SIGVERIFY_SERVICE_LIMITS_H_
#define SIGVERIFY_SERVICE_LIMITS_H_

#include <cstddef>

namespace sigverify::service {

struct Limits {
  size_t max_message_bytes = 32 << 20;      // gRPC receive limit, whole request
  size_t max_batch_items = 10000;           // VerifyBatch
  size_t max_data_bytes = 32 << 20;         // one record's data
  size_t max_signature_bytes = 8 << 10;     // RSA-8192 is 1 KiB
  size_t max_certificate_bytes = 64 << 10;  // per certificate
  size_t max_intermediates = 8;             // per record
  size_t max_ocsp_responses = 8;            // stapled, per record
  size_t max_ocsp_response_bytes = 64 << 10;
  size_t max_crls = 4;  // in the request, per record
  size_t max_crl_bytes = 4 << 20;
  size_t max_record_id_bytes = 256;
  size_t max_queued_items = 100000;  // admission: items waiting for a worker
  // Admission: bytes of calls in flight, x3 (message, request, answer); 0:
  // not bounded here (the server always sets it).
  size_t max_inflight_bytes = 0;
};

}  // namespace sigverify::service

#endif  // SIGVERIFY_SERVICE_LIMITS_H_
