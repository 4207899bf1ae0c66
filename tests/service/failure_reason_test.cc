// The service copies crypto::FailureReason into sigverify.v1.FailureReason by
// number: the two lists must stay the same, name for name. And a verdict's
// failure reaches the response as data.
#include "crypto/failure.h"
#include "gtest/gtest.h"
#include "service/verifier.h"
#include "sigverify/v1/verification.pb.h"

namespace sigverify::service {
namespace {

TEST(FailureReasonTest, TheProtoEnumHasTheSameReasonsByNumberAndName) {
  const google::protobuf::EnumDescriptor* e = v1::FailureReason_descriptor();
  ASSERT_EQ(e->value_count(), crypto::kFailureReasonCount);
  for (int i = 0; i < crypto::kFailureReasonCount; ++i) {
    const google::protobuf::EnumValueDescriptor* v = e->FindValueByNumber(i);
    ASSERT_NE(v, nullptr) << i;
    EXPECT_EQ(
        v->name(),
        "FAILURE_REASON_" + std::string(crypto::ReasonName(static_cast<crypto::FailureReason>(i))));
  }
}

TEST(FailureReasonTest, AFailureBecomesAFailedCheckWithItsFacts) {
  crypto::Failure f;
  f.reason = crypto::FailureReason::kRevocationUnavailable;
  f.position = 2;
  f.time = absl::FromUnixSeconds(1700000000);
  f.limit = 7;
  f.actual = -1;
  f.names = {"a", "b"};
  f.detail = "x";
  f.candidates_tried = 2;
  crypto::SourceProblem p{crypto::FailureReason::kBackingOff, "ocsp", "http://ocsp.example/",
                          absl::FromUnixSeconds(1700000060)};
  p.actual = 3;
  f.problems = {p};
  v1::FailedCheck out;
  ToProto(f, &out);
  EXPECT_EQ(out.check(), "revocation");
  EXPECT_EQ(out.reason(), v1::FAILURE_REASON_REVOCATION_UNAVAILABLE);
  EXPECT_EQ(out.position(), 2);
  EXPECT_FALSE(out.has_certificate());
  EXPECT_EQ(out.time().seconds(), 1700000000);
  EXPECT_EQ(out.limit(), 7);
  EXPECT_EQ(out.actual(), -1);
  EXPECT_EQ(out.names_size(), 2);
  EXPECT_EQ(out.detail(), "x");
  EXPECT_EQ(out.candidate_paths_tried(), 2);
  ASSERT_EQ(out.problems_size(), 1);
  EXPECT_EQ(out.problems(0).reason(), v1::FAILURE_REASON_BACKING_OFF);
  EXPECT_EQ(out.problems(0).source(), "ocsp");
  EXPECT_EQ(out.problems(0).location(), "http://ocsp.example/");
  EXPECT_EQ(out.problems(0).time().seconds(), 1700000060);
  EXPECT_EQ(out.problems(0).actual(), 3);
}

}  // namespace
}  // namespace sigverify::service
