#include "crypto/pdf/range_digests.h"

#include <openssl/evp.h>

#include <algorithm>
#include <map>

#include "crypto/openssl_ptr.h"

namespace sigverify::crypto::pdf {

void DigestRanges(std::string_view file, const std::vector<RangeDigest*>& ranges) {
  std::map<HashAlgorithm, std::vector<RangeDigest*>> by_hash;
  for (RangeDigest* r : ranges) {
    if (r->hash != HashAlgorithm::kNone && r->head.data() == file.data()) {
      by_hash[r->hash].push_back(r);
    }
  }
  for (auto& [hash, group] : by_hash) {
    std::sort(group.begin(), group.end(), [](const RangeDigest* a, const RangeDigest* b) {
      return a->head.size() < b->head.size();
    });
    EvpMdCtxPtr running(EVP_MD_CTX_new());
    EvpMdCtxPtr copy(EVP_MD_CTX_new());
    if (running == nullptr || copy == nullptr ||
        EVP_DigestInit_ex(running.get(), EvpMd(hash), nullptr) != 1) {
      continue;
    }
    size_t hashed = 0;
    for (RangeDigest* r : group) {
      unsigned char out[EVP_MAX_MD_SIZE];
      unsigned int n = 0;
      const std::string_view more = file.substr(hashed, r->head.size() - hashed);
      if (EVP_DigestUpdate(running.get(), more.data(), more.size()) != 1) break;
      hashed = r->head.size();
      if (EVP_MD_CTX_copy_ex(copy.get(), running.get()) != 1 ||
          EVP_DigestUpdate(copy.get(), r->tail.data(), r->tail.size()) != 1 ||
          EVP_DigestFinal_ex(copy.get(), out, &n) != 1) {
        continue;
      }
      r->digest.assign(reinterpret_cast<const char*>(out), n);
    }
  }
}

}  // namespace sigverify::crypto::pdf
