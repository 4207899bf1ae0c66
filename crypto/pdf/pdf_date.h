// PDF date strings (ISO 32000-1 7.9.4): D:YYYYMMDDHHmmSSOHH'mm', every
// part after the year optional, O one of + - Z. A signature's /M is one:
// the signing time the signer claims when its CMS has no signingTime.
#ifndef SIGVERIFY_CRYPTO_PDF_PDF_DATE_H_
#define SIGVERIFY_CRYPTO_PDF_PDF_DATE_H_

#include <optional>
#include <string_view>

#include "absl/time/time.h"

namespace sigverify::crypto::pdf {

// nullopt for anything that is not a well-formed date.
std::optional<absl::Time> ParsePdfDate(std::string_view text);

}  // namespace sigverify::crypto::pdf

#endif  // SIGVERIFY_CRYPTO_PDF_PDF_DATE_H_
