// Reading the small files the service is configured with (keys,
// certificates, configuration), bounded so that a wrong path to a huge file
// fails with a message instead of filling memory.
#ifndef SIGVERIFY_SERVICE_FILES_H_
#define SIGVERIFY_SERVICE_FILES_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"

namespace sigverify::service {

inline constexpr size_t kMaxConfigFileBytes = 16 << 20;

// The whole file; NOT_FOUND when it cannot be opened or read,
// FAILED_PRECONDITION when it is larger than `max_bytes`.
absl::StatusOr<std::string> ReadSmallFile(const std::string& path,
                                          size_t max_bytes = kMaxConfigFileBytes);

// What tells a change of the file at `path`: its inode, size and
// modification time ("missing" when it cannot be read), for polling.
std::string FileState(const std::string& path);

}  // namespace sigverify::service

#endif  // SIGVERIFY_SERVICE_FILES_H_
