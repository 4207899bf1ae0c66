// One call's request and response, decoded and built on one protobuf arena.
//
// The service takes raw bytes from gRPC and parses them itself, for two
// reasons: a malformed request must get INVALID_ARGUMENT with a message
// (gRPC 1.51's generated handler answers UNIMPLEMENTED with none), and a
// 1,000-item batch is tens of thousands of strings and submessages that an
// arena allocates in a few blocks instead of one malloc each (malloc/free
// were 17% of server CPU under load; docs/adr/0004).
#ifndef SIGVERIFY_SERVICE_CALL_MESSAGES_H_
#define SIGVERIFY_SERVICE_CALL_MESSAGES_H_

#include <google/protobuf/arena.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/proto_buffer_reader.h>
#include <grpcpp/support/proto_buffer_writer.h>

#include "absl/strings/str_cat.h"
#include "grpcpp/support/status.h"
#include "service/response_encoding.h"

namespace sigverify::service {

template <typename Request, typename Response>
class CallMessages {
 public:
  CallMessages()
      : arena_(Options()),
        request_(google::protobuf::Arena::CreateMessage<Request>(&arena_)),
        response_(google::protobuf::Arena::CreateMessage<Response>(&arena_)) {}

  // Decodes the request; INVALID_ARGUMENT naming the message type if the
  // bytes are not one (bad wire format, or a string that is not UTF-8).
  // The message's bytes are freed once read: from then on the parsed copy
  // is all the call holds (gRPC counts received bytes in its resource quota
  // until they are freed).
  grpc::Status Parse(const grpc::ByteBuffer& bytes) {
    grpc::Status parsed = Parse(bytes, request_);
    const_cast<grpc::ByteBuffer&>(bytes).Clear();
    return parsed;
  }

  // The same for a request that is not on the arena.
  static grpc::Status Parse(const grpc::ByteBuffer& bytes, Request* request) {
    grpc::ProtoBufferReader reader(const_cast<grpc::ByteBuffer*>(&bytes));
    if (request->ParseFromZeroCopyStream(&reader)) return grpc::Status::OK;
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("request is not a valid ", Request::descriptor()->full_name(),
                                     " (malformed protobuf, or a string field that is not UTF-8)"));
  }

  // Encodes the response into the call's output buffer (a verdict's
  // certificates from their remembered encodings: response_encoding.h).
  grpc::Status Serialize(grpc::ByteBuffer* out) {
    if (EncodeResponse(*response_, out)) return grpc::Status::OK;
    return grpc::Status(grpc::StatusCode::INTERNAL, "cannot encode the response");
  }

  const Request& request() const { return *request_; }
  Response* response() { return response_; }

 private:
  static google::protobuf::ArenaOptions Options() {
    google::protobuf::ArenaOptions options;
    options.start_block_size = 16 << 10;
    options.max_block_size = 1 << 20;
    return options;
  }
  google::protobuf::Arena arena_;
  Request* request_;
  Response* response_;
};

}  // namespace sigverify::service

#endif  // SIGVERIFY_SERVICE_CALL_MESSAGES_H_
