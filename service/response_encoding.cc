#include "service/response_encoding.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include <deque>
#include <string_view>

#include "absl/container/inlined_vector.h"
#include "absl/functional/function_ref.h"
#include "absl/hash/hash.h"
#include "service/verifier.h"

namespace sigverify::service {
namespace {

using google::protobuf::internal::WireFormatLite;
using google::protobuf::io::CodedOutputStream;

bool HasUnknownFields(const v1::Certificate& c) {
  return !c.GetReflection()->GetUnknownFields(c).empty();
}

bool SameTime(const google::protobuf::Timestamp& a, const google::protobuf::Timestamp& b) {
  return a.seconds() == b.seconds() && a.nanos() == b.nanos();
}

// Every field of v1::Certificate (the test of this file fails when one is
// added, so that this compares it too).
bool SameCertificate(const v1::Certificate& a, const v1::Certificate& b) {
  return a.sha256_fingerprint() == b.sha256_fingerprint() && a.subject() == b.subject() &&
         a.issuer() == b.issuer() && a.serial_number() == b.serial_number() &&
         a.has_not_before() == b.has_not_before() && SameTime(a.not_before(), b.not_before()) &&
         a.has_not_after() == b.has_not_after() && SameTime(a.not_after(), b.not_after());
}

// The bytes of a length-delimited field: tag, length, value.
size_t FieldSize(int number, size_t value_size) {
  return WireFormatLite::TagSize(number, WireFormatLite::TYPE_BYTES) +
         WireFormatLite::LengthDelimitedSize(value_size);
}

void WriteFieldHeader(int number, size_t value_size, CodedOutputStream& out) {
  out.WriteTag(WireFormatLite::MakeTag(number, WireFormatLite::WIRETYPE_LENGTH_DELIMITED));
  out.WriteVarint32(static_cast<uint32_t>(value_size));
}

// A VerifyResponse with its signer and path taken out, and the encodings
// that stand for them: written as its other fields, then the certificates.
// Puts them back when destroyed. Neither copied nor moved.
class DetachedResponse {
 public:
  DetachedResponse(v1::VerifyResponse* response, CertificateEncodings& encodings)
      : response_(response) {
    if (response->has_signer()) {
      signer_ = response->unsafe_arena_release_signer();
      encodings_.push_back(encodings.Of(*signer_));
    }
    path_.resize(response->path_size());
    response->mutable_path()->UnsafeArenaExtractSubrange(0, static_cast<int>(path_.size()),
                                                         path_.data());
    for (const v1::Certificate* c : path_) encodings_.push_back(encodings.Of(*c));
    size_ = response->ByteSizeLong();  // and the sizes SerializeWithCachedSizes uses
    for (size_t i = 0; i < encodings_.size(); ++i) {
      size_ += FieldSize(Number(i), encodings_[i]->encoding.size());
    }
  }
  DetachedResponse(const DetachedResponse&) = delete;
  DetachedResponse& operator=(const DetachedResponse&) = delete;
  ~DetachedResponse() {
    if (signer_ != nullptr) response_->unsafe_arena_set_allocated_signer(signer_);
    for (v1::Certificate* c : path_) response_->mutable_path()->UnsafeArenaAddAllocated(c);
  }

  // The encoded response's length.
  size_t size() const { return size_; }
  void Write(CodedOutputStream& out) const {
    response_->SerializeWithCachedSizes(&out);
    for (size_t i = 0; i < encodings_.size(); ++i) {
      const std::string& bytes = encodings_[i]->encoding;
      WriteFieldHeader(Number(i), bytes.size(), out);
      out.WriteRaw(bytes.data(), static_cast<int>(bytes.size()));
    }
  }

 private:
  // The field the i-th encoding belongs to.
  int Number(size_t i) const {
    return i == 0 && signer_ != nullptr ? v1::VerifyResponse::kSignerFieldNumber
                                        : v1::VerifyResponse::kPathFieldNumber;
  }

  v1::VerifyResponse* response_;
  v1::Certificate* signer_ = nullptr;
  absl::InlinedVector<v1::Certificate*, 4> path_;
  absl::InlinedVector<std::shared_ptr<const CertificateEncodings::Entry>, 5> encodings_;
  size_t size_ = 0;
};

// Writes `size` bytes into `out` with `write`.
bool Encode(size_t size, grpc::ByteBuffer* out, absl::FunctionRef<void(CodedOutputStream&)> write) {
  grpc::ProtoBufferWriter writer(out, grpc::kProtoBufferWriterMaxBufferLength,
                                 static_cast<int>(size));
  if (size == 0) return true;  // the writer made `out` an empty message
  CodedOutputStream coded(&writer);
  write(coded);
  coded.Trim();
  return !coded.HadError() && static_cast<size_t>(coded.ByteCount()) == size;
}

}  // namespace

CertificateEncodings::CertificateEncodings(size_t slots) : slots_(slots) {}

std::shared_ptr<const CertificateEncodings::Entry>& CertificateEncodings::SlotOf(
    std::string_view fingerprint) {
  return slots_[absl::Hash<std::string_view>()(fingerprint) % slots_.size()];
}

std::shared_ptr<const CertificateEncodings::Entry> CertificateEncodings::Of(
    const crypto::Certificate& c) {
  std::shared_ptr<const Entry>& slot = SlotOf(c.fingerprint_hex());
  if (slot != nullptr && slot->from_certificate &&
      slot->certificate.sha256_fingerprint() == c.fingerprint_hex()) {
    return slot;
  }
  auto entry = std::make_shared<Entry>();
  ToProto(c, &entry->certificate);
  entry->certificate.SerializeToString(&entry->encoding);
  entry->from_certificate = true;
  slot = std::move(entry);
  return slot;
}

std::shared_ptr<const CertificateEncodings::Entry> CertificateEncodings::Of(
    const v1::Certificate& c) {
  std::shared_ptr<const Entry>& slot = SlotOf(c.sha256_fingerprint());
  if (slot != nullptr && (&slot->certificate == &c ||
                          (!HasUnknownFields(c) && SameCertificate(slot->certificate, c)))) {
    return slot;
  }
  auto entry = std::make_shared<Entry>();
  entry->certificate = c;
  c.SerializeToString(&entry->encoding);
  // One with fields this build does not know is not kept: it would not
  // compare equal to the next.
  if (HasUnknownFields(c)) return entry;
  slot = std::move(entry);
  return slot;
}

CertificateEncodings& CertificateEncodings::ForThisThread() {
  thread_local CertificateEncodings encodings;
  return encodings;
}

void SetVerdictCertificates(const crypto::Certificate& signer,
                            absl::Span<const crypto::CertificatePtr> path, v1::VerifyResponse* out) {
  CertificateEncodings& encodings = CertificateEncodings::ForThisThread();
  google::protobuf::Arena* arena = out->GetArena();
  if (arena == nullptr) {
    *out->mutable_signer() = encodings.Of(signer)->certificate;
    for (const crypto::CertificatePtr& c : path) *out->add_path() = encodings.Of(*c)->certificate;
    return;
  }
  // The arena holds a reference to each entry until it is reset or destroyed.
  auto shared = [&](const crypto::Certificate& c) {
    auto* held =
        google::protobuf::Arena::Create<std::shared_ptr<const CertificateEncodings::Entry>>(
            arena, encodings.Of(c));
    return const_cast<v1::Certificate*>(&(*held)->certificate);
  };
  out->unsafe_arena_set_allocated_signer(shared(signer));
  for (const crypto::CertificatePtr& c : path) {
    out->mutable_path()->UnsafeArenaAddAllocated(shared(*c));
  }
}

bool EncodeResponse(v1::VerifyResponse& response, grpc::ByteBuffer* out) {
  const DetachedResponse detached(&response, CertificateEncodings::ForThisThread());
  return Encode(detached.size(), out, [&](CodedOutputStream& coded) { detached.Write(coded); });
}

bool EncodeResponse(v1::VerifyBatchResponse& response, grpc::ByteBuffer* out) {
  CertificateEncodings& encodings = CertificateEncodings::ForThisThread();
  std::deque<DetachedResponse> detached;  // in the order of the items with a verdict
  std::vector<size_t> item_sizes;
  item_sizes.reserve(response.results_size());
  size_t size = 0;
  // `results` is the message's only field (checked by the test of this file).
  for (v1::VerifyBatchItem& item : *response.mutable_results()) {
    size_t item_size;
    if (item.has_response()) {
      const DetachedResponse& d = detached.emplace_back(item.mutable_response(), encodings);
      item_size = FieldSize(v1::VerifyBatchItem::kResponseFieldNumber, d.size());
    } else {
      item_size = item.ByteSizeLong();
    }
    item_sizes.push_back(item_size);
    size += FieldSize(v1::VerifyBatchResponse::kResultsFieldNumber, item_size);
  }
  return Encode(size, out, [&](CodedOutputStream& coded) {
    auto d = detached.begin();
    for (int i = 0; i < response.results_size(); ++i) {
      const v1::VerifyBatchItem& item = response.results(i);
      WriteFieldHeader(v1::VerifyBatchResponse::kResultsFieldNumber, item_sizes[i], coded);
      if (item.has_response()) {
        WriteFieldHeader(v1::VerifyBatchItem::kResponseFieldNumber, d->size(), coded);
        d->Write(coded);
        ++d;
      } else {
        item.SerializeWithCachedSizes(&coded);
      }
    }
  });
}

bool EncodeResponse(v1::VerifyStreamResponse& response, grpc::ByteBuffer* out) {
  if (!response.has_response()) return EncodeResponse<v1::VerifyStreamResponse>(response, out);
  v1::VerifyResponse* verdict = response.unsafe_arena_release_response();
  bool encoded;
  {
    const DetachedResponse detached(verdict, CertificateEncodings::ForThisThread());
    const size_t rest = response.ByteSizeLong();
    encoded = Encode(
        rest + FieldSize(v1::VerifyStreamResponse::kResponseFieldNumber, detached.size()), out,
        [&](CodedOutputStream& coded) {
          response.SerializeWithCachedSizes(&coded);
          WriteFieldHeader(v1::VerifyStreamResponse::kResponseFieldNumber, detached.size(), coded);
          detached.Write(coded);
        });
  }
  response.unsafe_arena_set_allocated_response(verdict);
  return encoded;
}

}  // namespace sigverify::service
