// Appends records to an audit log and waits until they are durable (or
// refused): what a verification call does before it answers.
#ifndef SIGVERIFY_TESTS_TESTING_APPEND_AND_WAIT_H_
#define SIGVERIFY_TESTS_TESTING_APPEND_AND_WAIT_H_

#include <utility>
#include <vector>

#include "absl/synchronization/notification.h"
#include "service/audit/audit_log.h"

namespace sigverify::testing {

inline absl::Status AppendAndWait(audit::AuditLog& log, std::vector<v1::AuditRecord> records) {
  absl::Notification done;
  absl::Status result;
  log.Append(std::move(records), [&](absl::Status s) {
    result = s;
    done.Notify();
  });
  done.WaitForNotification();
  return result;
}

}  // namespace sigverify::testing

#endif  // SIGVERIFY_TESTS_TESTING_APPEND_AND_WAIT_H_
