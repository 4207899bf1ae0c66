// Owns one file descriptor: closed when the owner goes.
#ifndef SIGVERIFY_SERVICE_METRICS_HTTP_FILE_DESCRIPTOR_H_
#define SIGVERIFY_SERVICE_METRICS_HTTP_FILE_DESCRIPTOR_H_

#include <unistd.h>

#include <utility>

namespace sigverify::service::metrics_http {

class FileDescriptor {
 public:
  FileDescriptor() = default;
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(FileDescriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  FileDescriptor& operator=(FileDescriptor&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() { Reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void Reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

}  // namespace sigverify::service::metrics_http

#endif  // SIGVERIFY_SERVICE_METRICS_HTTP_FILE_DESCRIPTOR_H_
