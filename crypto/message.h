// A verdict's explanation in the two languages the service answers in.
// Vietnamese is the default for this user base; English is for operators and
// for callers that ask for it. Both are written where the failure is found,
// so that neither is a machine translation of the other.
#ifndef SIGVERIFY_CRYPTO_MESSAGE_H_
#define SIGVERIFY_CRYPTO_MESSAGE_H_

#include <string>
#include <utility>

namespace sigverify::crypto {

enum class Language { kVietnamese, kEnglish };

struct Message {
  std::string vi;
  std::string en;

  const std::string& In(Language language) const {
    return language == Language::kEnglish ? en : vi;
  }
  bool empty() const { return vi.empty() && en.empty(); }
};

}  // namespace sigverify::crypto

#endif  // SIGVERIFY_CRYPTO_MESSAGE_H_
