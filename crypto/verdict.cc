#include "crypto/verdict.h"

namespace sigverify::crypto {

Indication IndicationFor(SubIndication sub) {
  switch (sub) {
    case SubIndication::kNone:
      return Indication::kTotalPassed;
    case SubIndication::kHashFailure:
    case SubIndication::kSigCryptoFailure:
    case SubIndication::kFormatFailure:
      return Indication::kTotalFailed;
    case SubIndication::kNoCertificateChainFound:
    case SubIndication::kExpired:
    case SubIndication::kNotYetValid:
    case SubIndication::kCryptoConstraintsFailure:
    case SubIndication::kChainConstraintsFailure:
    case SubIndication::kCertificateChainGeneralFailure:
    case SubIndication::kRevokedNoPoe:
    case SubIndication::kRevokedCaNoPoe:
    case SubIndication::kTryLater:
    case SubIndication::kOutOfBoundsNoPoe:
      return Indication::kIndeterminate;
  }
  return Indication::kIndeterminate;
}

}  // namespace sigverify::crypto
