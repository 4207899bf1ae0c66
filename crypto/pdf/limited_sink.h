// A qpdf Pipeline that takes decoded stream bytes up to a limit and throws
// past it (RunQpdf turns that into LIMIT_EXCEEDED naming the limit): how a
// stream's decoded size is bounded before anything keeps it, since qpdf
// 11.3 inflates without a bound of its own.
#ifndef SIGVERIFY_CRYPTO_PDF_LIMITED_SINK_H_
#define SIGVERIFY_CRYPTO_PDF_LIMITED_SINK_H_

#include <cstddef>
#include <qpdf/Pipeline.hh>
#include <string>

namespace sigverify::crypto::pdf {

// Thrown by LimitedSink; RunQpdf reports it as LIMIT_EXCEEDED.
struct StreamTooLarge {
  std::string limit_name;
  size_t limit;
};

class LimitedSink : public Pipeline {
 public:
  // `out` may be null: the bytes are only counted.
  LimitedSink(std::string* out, size_t limit, std::string limit_name)
      : Pipeline("limited", nullptr), out_(out), limit_(limit), name_(std::move(limit_name)) {}
  void write(unsigned char const* data, size_t len) override {
    if (len > limit_ - count_) throw StreamTooLarge{name_, limit_};
    count_ += len;
    if (out_ != nullptr) out_->append(reinterpret_cast<const char*>(data), len);
  }
  void finish() override {}

 private:
  std::string* out_;
  size_t limit_;
  std::string name_;
  size_t count_ = 0;
};

}  // namespace sigverify::crypto::pdf

#endif  // SIGVERIFY_CRYPTO_PDF_LIMITED_SINK_H_
