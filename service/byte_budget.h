// A budget of bytes for calls in flight: a call takes its share before its
// message is parsed and gives it back when it is answered, so memory held by
// admitted calls is bounded whatever their number or size (30 concurrent
// 30 MB calls once took the process from 25 MB to 1.9 GB).
//
// --max-inflight-bytes covers a call's whole life in two halves: gRPC's
// resource quota bounds messages received and not yet handed over (it slows
// reading, then resets streams), and a ByteBudget bounds calls handed over
// and not answered, each taking twice its message's size (while it is parsed
// the message and the parsed copy are both held; the message is freed once
// parsed, the answer takes its place).
#ifndef SIGVERIFY_SERVICE_BYTE_BUDGET_H_
#define SIGVERIFY_SERVICE_BYTE_BUDGET_H_

#include <atomic>
#include <cstddef>

#include "crypto/stats_table.h"

namespace sigverify::service {

// The halves of --max-inflight-bytes.
inline size_t ReceivedShare(size_t max_inflight_bytes) { return max_inflight_bytes / 2; }
inline size_t HandedOverShare(size_t max_inflight_bytes) {
  return max_inflight_bytes - ReceivedShare(max_inflight_bytes);
}
// What a handed-over call takes per byte of its message.
inline constexpr size_t kHandedOverBytesPerMessageByte = 2;
// --max-inflight-bytes must be at least this many largest messages.
inline constexpr size_t kMinInflightMessages = 2 * kHandedOverBytesPerMessageByte;

class ByteBudget {
 public:
  // 0: not bounded (still counted).
  explicit ByteBudget(size_t capacity) : capacity_(capacity) {}

  bool TryAcquire(size_t bytes) {
    size_t used = used_.load(std::memory_order_relaxed);
    do {
      if (capacity_ != 0 && used + bytes > capacity_) {
        refused_.fetch_add(1, std::memory_order_relaxed);
        return false;
      }
    } while (!used_.compare_exchange_weak(used, used + bytes, std::memory_order_relaxed));
    return true;
  }
  void Release(size_t bytes) { used_.fetch_sub(bytes, std::memory_order_relaxed); }

  size_t capacity() const { return capacity_; }
  // sigverify_inflight_bytes, sigverify_inflight_capacity_bytes,
  // sigverify_inflight_refused_total
  StatsTable stats_table() const {
    return {
        {"sigverify_inflight_bytes",
         "Bytes taken by calls handed over and not answered (twice their message size)",
         StatKind::kGauge, [this] { return double(used_.load(std::memory_order_relaxed)); }},
        {"sigverify_inflight_capacity_bytes",
         "Share of --max-inflight-bytes for calls handed over (half)", StatKind::kGauge,
         [this] { return double(capacity_); }},
        {"sigverify_inflight_refused_total", "Calls refused for the in-flight byte budget",
         StatKind::kCounter, [this] { return double(refused_.load(std::memory_order_relaxed)); }},
    };
  }

 private:
  const size_t capacity_;
  std::atomic<size_t> used_{0};
  std::atomic<uint64_t> refused_{0};
};

}  // namespace sigverify::service

#endif  // SIGVERIFY_SERVICE_BYTE_BUDGET_H_
