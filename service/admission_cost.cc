#include "service/admission_cost.h"

namespace sigverify::service {
namespace {

size_t Bytes(const google::protobuf::RepeatedPtrField<std::string>& fields) {
  size_t n = 0;
  for (const std::string& f : fields) n += f.size();
  return n;
}

}  // namespace

size_t AdmissionCost(const v1::VerifyRequest& request) {
  const size_t der = request.signer_certificate().size() +
                     Bytes(request.intermediate_certificates()) + Bytes(request.ocsp_responses()) +
                     Bytes(request.crls());
  return 1 + request.data().size() / kDataBytesPerUnit + der / kDerBytesPerUnit;
}

size_t AdmissionCost(const v1::ValidateCertificateRequest& request) {
  const size_t der = request.certificate().size() + Bytes(request.intermediate_certificates()) +
                     Bytes(request.ocsp_responses()) + Bytes(request.crls());
  return 1 + der / kDerBytesPerUnit;
}

size_t AdmissionCost(const v1::VerifyDocumentRequest& request) {
  const size_t der =
      Bytes(request.certificates()) + Bytes(request.ocsp_responses()) + Bytes(request.crls());
  return 1 + (request.document().size() + request.detached_content().size()) / kDataBytesPerUnit +
         der / kDerBytesPerUnit;
}

}  // namespace sigverify::service
