// libFuzzer target for crypto/cms's readers of untrusted bytes: a
// TimeStampResp's token, SignedData (DER, BER, PEM, with and without the
// zero padding of a PDF /Contents), every SignerInfo's facts and its check
// over the input itself as content, and a TSTInfo when the content is one.
// Nothing may crash, leak or throw.
#include <openssl/objects.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "absl/time/time.h"
#include "crypto/cms/signed_data.h"
#include "crypto/cms/signer_info.h"
#include "crypto/cms/tst_info.h"
#include "crypto/validation_policy.h"

namespace cms = sigverify::crypto::cms;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  if (cms::IsTimeStampResp(input)) {
    auto token = cms::TokenOfResponse(input);
    if (token.ok()) input = *token;
  }
  static const sigverify::crypto::ValidationPolicy policy;
  for (const bool padded : {false, true}) {
    auto signed_data = cms::SignedData::Parse(input, {}, padded);
    if (!signed_data.ok()) continue;
    if (signed_data->content_type() == NID_id_smime_ct_TSTInfo) {
      (void)cms::ParseTstInfo(signed_data->content());
    }
    const std::string_view pieces[] = {input};
    for (int i = 0; i < signed_data->signer_count(); ++i) {
      auto facts = cms::ReadSignerInfo(*signed_data, i, {});
      if (!facts.ok()) continue;
      (void)cms::VerifySignerInfo(*signed_data, i, *facts, {.pieces = pieces},
                                  policy.AlgorithmsAt(absl::FromUnixSeconds(1'790'000'000)));
    }
  }
  return 0;
}
