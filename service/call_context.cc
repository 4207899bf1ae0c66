#include "service/call_context.h"

#include "absl/strings/str_cat.h"
#include "service/request_id.h"
#include "service/verifier.h"

namespace sigverify::service {

absl::StatusOr<CallInfo> CallInfoOf(const grpc::CallbackServerContext& context, const char* method,
                                    absl::Time arrived, access::Caller caller) {
  CallInfo info;
  info.method = method;
  info.caller = context.peer();
  info.authorized = std::move(caller);
  info.arrived = arrived;
  const auto& metadata = context.client_metadata();
  if (auto it = metadata.find("x-request-id"); it != metadata.end()) {
    auto id = CheckRequestId(std::string_view(it->second.data(), it->second.size()));
    if (!id.ok()) return id.status();
    info.request_id = *std::move(id);
  }
  return info;
}

crypto::Language CallLanguage(const grpc::CallbackServerContext& context) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("accept-language");
  if (it == metadata.end()) return crypto::Language::kVietnamese;
  return LanguageFromHeader(std::string_view(it->second.data(), it->second.size()));
}

bool SetsValidationTime(const v1::VerifyBatchRequest& request) {
  for (const v1::VerifyRequest& item : request.requests()) {
    if (item.has_validation_time()) return true;
  }
  return false;
}

absl::Status CheckValidationTimeGrant(const access::AccessControl* access, bool sets_time,
                                      const CallInfo& info) {
  if (access == nullptr || !access->enabled() || info.authorized.may_set_validation_time ||
      !sets_time) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(absl::StrCat(
      "validation_time: only callers granted may_set_validation_time may set it, "
      "and the grant '",
      info.authorized.label, "' does not; leave it unset to validate at the server's time"));
}

}  // namespace sigverify::service
