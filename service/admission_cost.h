// What an item costs the workers, in units of a typical item (an RSA-2048
// verification of a few KiB with its certificates), estimated from sizes
// alone before anything is parsed. The worker pool's budget
// (--max-queued-items) counts these units, so a batch of large documents or
// of large certificates and CRLs is admitted as what it costs, not as one
// item each. Keys: an untrusted signer costs no signature math at all
// (crypto/record_verifier.cc), and RSA keys are bounded at decode (modulus
// <= 8192 bits, exponent < 2^33), so a trusted signer's key costs at most a
// bounded multiple of a typical one.
#ifndef SIGVERIFY_SERVICE_ADMISSION_COST_H_
#define SIGVERIFY_SERVICE_ADMISSION_COST_H_

#include <cstddef>

#include "sigverify/v1/verification.pb.h"

namespace sigverify::service {

// Hashing: one unit per this many bytes of signed data.
inline constexpr size_t kDataBytesPerUnit = 16 * 1024;
// Parsing and validating: one unit per this many bytes of certificates,
// stapled OCSP responses and CRLs.
inline constexpr size_t kDerBytesPerUnit = 4 * 1024;

size_t AdmissionCost(const v1::VerifyRequest& request);
size_t AdmissionCost(const v1::ValidateCertificateRequest& request);
// A document: hashing all of it, and parsing it, as data bytes.
size_t AdmissionCost(const v1::VerifyDocumentRequest& request);

}  // namespace sigverify::service

#endif  // SIGVERIFY_SERVICE_ADMISSION_COST_H_
