// google.protobuf.Timestamp <-> absl::Time and Unix microseconds, in one
// place. Nanoseconds are always 0..999,999,999 (also before 1970: -0.5 s is
// seconds -1, nanos 500,000,000), and nothing finer than the type holds is
// dropped on the way.
#ifndef SIGVERIFY_SERVICE_PROTO_TIME_H_
#define SIGVERIFY_SERVICE_PROTO_TIME_H_

#include <google/protobuf/timestamp.pb.h>
#include <google/protobuf/util/time_util.h>

#include <cstdint>
#include <string>

#include "absl/time/time.h"

namespace sigverify::service {

inline google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  google::protobuf::Timestamp out;
  const int64_t s = absl::ToUnixSeconds(t);  // floor
  out.set_seconds(s);
  out.set_nanos(static_cast<int32_t>((t - absl::FromUnixSeconds(s)) / absl::Nanoseconds(1)));
  return out;
}

inline absl::Time FromTimestamp(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

inline int64_t ToUnixMicros(const google::protobuf::Timestamp& t) {
  return google::protobuf::util::TimeUtil::TimestampToMicroseconds(t);
}

inline google::protobuf::Timestamp TimestampFromMicros(int64_t micros) {
  return google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(micros);
}

// RFC 3339 in UTC, fractional seconds only when there are any.
inline std::string FormatTimestamp(const google::protobuf::Timestamp& t) {
  return google::protobuf::util::TimeUtil::ToString(t);
}

}  // namespace sigverify::service

#endif  // SIGVERIFY_SERVICE_PROTO_TIME_H_
