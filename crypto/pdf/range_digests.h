// The digests of several signatures' byte ranges over one file in about one
// pass: a PDF signed N times has N ranges [0, b) + [c, end) that share
// their beginnings (each later range contains the earlier ones, holes
// included). Per hash algorithm, one running digest goes over [0, b) in
// order of b; at each b a copy of it takes the range's short tail [c, end).
// N signatures over a 20 MB file hash about 20 MB, not N x 20 MB.
#ifndef SIGVERIFY_CRYPTO_PDF_RANGE_DIGESTS_H_
#define SIGVERIFY_CRYPTO_PDF_RANGE_DIGESTS_H_

#include <string>
#include <string_view>
#include <vector>

#include "crypto/algorithm.h"

namespace sigverify::crypto::pdf {

struct RangeDigest {
  HashAlgorithm hash = HashAlgorithm::kNone;
  // Two pieces of the file: [0, b) and [c, end).
  std::string_view head;
  std::string_view tail;
  std::string digest;  // filled; empty when the hash could not be computed
};

// `file` holds every head (each starts at file.data()).
void DigestRanges(std::string_view file, const std::vector<RangeDigest*>& ranges);

}  // namespace sigverify::crypto::pdf

#endif  // SIGVERIFY_CRYPTO_PDF_RANGE_DIGESTS_H_
