// Encoding a verdict's response with each certificate encoded once.
//
// Every verdict names its signer and its path, signer first: four
// `v1::Certificate` messages per item whose subject and issuer are long
// UTF-8 strings (Vietnamese names), the same few certificates again and again.
// Encoding them is most of the cost of encoding a response: protobuf checks
// every `string` field for valid UTF-8 as it writes it, byte by byte once a
// character is not ASCII (9.5 % of all server CPU under a batch load;
// docs/adr/0025-certificates-encoded-once.md).
//
// So the response's `signer` and `path` are taken out of the message while
// it is encoded, and written after the rest as the bytes a thread remembers
// for that certificate. Fields may come in any order on the wire (every
// protobuf parser merges them), so the bytes decode to the same message. The
// message is whole again when encoding returns.
#ifndef SIGVERIFY_SERVICE_RESPONSE_ENCODING_H_
#define SIGVERIFY_SERVICE_RESPONSE_ENCODING_H_

#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/proto_buffer_writer.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/types/span.h"
#include "crypto/certificate.h"
#include "sigverify/v1/verification.pb.h"

namespace sigverify::service {

// The encodings of the certificates a thread has seen lately: a table of
// slots addressed by fingerprint, a new certificate taking the place of the
// one in its slot (bounded memory, no eviction bookkeeping).
class CertificateEncodings {
 public:
  struct Entry {
    v1::Certificate certificate;  // what `encoding` encodes
    std::string encoding;
    bool from_certificate = false;  // built from a crypto::Certificate
  };
  explicit CertificateEncodings(size_t slots = 1024);
  // The message for `c` (ToProto) and its encoding. Its fingerprint decides:
  // the message is a function of the certificate's DER.
  std::shared_ptr<const Entry> Of(const crypto::Certificate& c);
  // The encoding of `c`, exactly `c.SerializeAsString()`. An entry stays
  // valid while the pointer is held, whatever takes its slot later.
  std::shared_ptr<const Entry> Of(const v1::Certificate& c);
  // This thread's table.
  static CertificateEncodings& ForThisThread();

 private:
  std::shared_ptr<const Entry>& SlotOf(std::string_view fingerprint);

  std::vector<std::shared_ptr<const Entry>> slots_;
};

// Sets `out`'s signer and path. On an arena they are this thread's messages
// for those certificates, shared, not copied (their strings are most of a
// verdict's mallocs), and kept alive by the arena: nothing may change them
// through `out` (nothing in the service changes a verdict's certificates
// once set). Off an arena they are copies.
void SetVerdictCertificates(const crypto::Certificate& signer,
                            absl::Span<const crypto::CertificatePtr> path, v1::VerifyResponse* out);

// Encode `response` into `out`; false if protobuf could not. The responses
// that carry verdicts reuse certificate encodings; others encode as usual.
bool EncodeResponse(v1::VerifyResponse& response, grpc::ByteBuffer* out);
bool EncodeResponse(v1::VerifyBatchResponse& response, grpc::ByteBuffer* out);
bool EncodeResponse(v1::VerifyStreamResponse& response, grpc::ByteBuffer* out);
template <typename Message>
bool EncodeResponse(Message& response, grpc::ByteBuffer* out) {
  grpc::ProtoBufferWriter writer(out, grpc::kProtoBufferWriterMaxBufferLength,
                                 static_cast<int>(response.ByteSizeLong()));
  return response.SerializeToZeroCopyStream(&writer);
}

}  // namespace sigverify::service

#endif  // SIGVERIFY_SERVICE_RESPONSE_ENCODING_H_
