#include "service/spool.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace sigverify::service {
namespace {

std::string TempDir() {
  const char* dir = std::getenv("TMPDIR");
  return dir != nullptr && *dir != '\0' ? dir : "/tmp";
}

}  // namespace

absl::StatusOr<std::unique_ptr<Spool>> Spool::Create(std::string_view what, size_t max_bytes) {
  const std::string dir = TempDir();
  const int fd = open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("cannot create a temporary file in ", dir, " for the ",
                                            std::string(what), ": ", std::strerror(errno)));
  }
  return std::unique_ptr<Spool>(new Spool(what, fd, max_bytes));
}

Spool::Spool(std::string_view what, int fd, size_t max_bytes)
    : what_(what), fd_(fd), max_bytes_(max_bytes) {}

Spool::~Spool() {
  Unmap();
  close(fd_);
}

void Spool::Unmap() {
  if (map_ != nullptr) munmap(map_, mapped_);
  map_ = nullptr;
  mapped_ = 0;
}

absl::Status Spool::Append(std::string_view bytes) {
  if (bytes.size() > max_bytes_ - size_) {
    return absl::ResourceExhaustedError(
        absl::StrCat(what_, ": more than ", max_bytes_, " bytes (max_document_stream_bytes)"));
  }
  Unmap();
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return absl::InternalError(
          absl::StrCat("writing the ", what_, " to a temporary file: ", std::strerror(errno)));
    }
    done += static_cast<size_t>(n);
  }
  size_ += bytes.size();
  return absl::OkStatus();
}

absl::StatusOr<std::string_view> Spool::View() {
  if (size_ == 0) return std::string_view();
  if (map_ == nullptr) {
    void* map = mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd_, 0);
    if (map == MAP_FAILED) {
      return absl::InternalError(
          absl::StrCat("mapping the ", what_, "'s temporary file: ", std::strerror(errno)));
    }
    map_ = map;
    mapped_ = size_;
  }
  return std::string_view(static_cast<const char*>(map_), mapped_);
}

}  // namespace sigverify::service
