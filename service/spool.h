// A document received in pieces (VerifyDocumentStream), kept in an unnamed
// temporary file rather than in memory: O_TMPFILE in the temporary
// directory ($TMPDIR, else /tmp), so nothing is left behind if the process
// dies. Appends refuse to pass `max_bytes`; View() maps the whole file
// read-only, so the verifier reads it as one string_view whose pages the
// kernel brings in and drops as needed (page cache, not the heap).
#ifndef SIGVERIFY_SERVICE_SPOOL_H_
#define SIGVERIFY_SERVICE_SPOOL_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace sigverify::service {

class Spool {
 public:
  // `what` names the spool in errors ("document").
  static absl::StatusOr<std::unique_ptr<Spool>> Create(std::string_view what, size_t max_bytes);
  ~Spool();
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  // RESOURCE_EXHAUSTED past max_bytes (naming it); INTERNAL on a write error.
  absl::Status Append(std::string_view bytes);
  size_t size() const { return size_; }
  // The bytes so far, mapped; valid until the Spool is destroyed or
  // appended to. Empty for an empty spool.
  absl::StatusOr<std::string_view> View();

 private:
  Spool(std::string_view what, int fd, size_t max_bytes);
  void Unmap();

  std::string what_;
  int fd_;
  size_t max_bytes_;
  size_t size_ = 0;
  void* map_ = nullptr;
  size_t mapped_ = 0;
};

}  // namespace sigverify::service

#endif  // SIGVERIFY_SERVICE_SPOOL_H_
