// Request and response of each call on one protobuf arena: a batch of a
// thousand records holds tens of thousands of strings and submessages, and
// with the default allocator each one is a malloc and a free (17% of the
// server's CPU under load, measured with perf; see docs/adr/0004).
#ifndef SIGVERIFY_SERVICE_ARENA_ALLOCATOR_H_
#define SIGVERIFY_SERVICE_ARENA_ALLOCATOR_H_

#include <google/protobuf/arena.h>
#include <grpcpp/support/message_allocator.h>

namespace sigverify::service {

template <typename Request, typename Response>
class ArenaMessageAllocator : public grpc::MessageAllocator<Request, Response> {
 public:
  grpc::MessageHolder<Request, Response>* AllocateMessages() override { return new Holder(); }

 private:
  class Holder : public grpc::MessageHolder<Request, Response> {
   public:
    Holder() : arena_(Options()) {
      this->set_request(google::protobuf::Arena::CreateMessage<Request>(&arena_));
      this->set_response(google::protobuf::Arena::CreateMessage<Response>(&arena_));
    }
    void Release() override { delete this; }

   private:
    static google::protobuf::ArenaOptions Options() {
      google::protobuf::ArenaOptions options;
      options.start_block_size = 16 << 10;
      options.max_block_size = 1 << 20;
      return options;
    }
    google::protobuf::Arena arena_;
  };
};

}  // namespace sigverify::service

#endif  // SIGVERIFY_SERVICE_ARENA_ALLOCATOR_H_
