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
      return Indication::kIndeterminate;
  }
  return Indication::kIndeterminate;
}

const char* SubIndicationName(SubIndication sub) {
  switch (sub) {
    case SubIndication::kNone:
      return "NONE";
    case SubIndication::kHashFailure:
      return "HASH_FAILURE";
    case SubIndication::kSigCryptoFailure:
      return "SIG_CRYPTO_FAILURE";
    case SubIndication::kNoCertificateChainFound:
      return "NO_CERTIFICATE_CHAIN_FOUND";
    case SubIndication::kExpired:
      return "EXPIRED";
    case SubIndication::kNotYetValid:
      return "NOT_YET_VALID";
    case SubIndication::kCryptoConstraintsFailure:
      return "CRYPTO_CONSTRAINTS_FAILURE";
    case SubIndication::kFormatFailure:
      return "FORMAT_FAILURE";
    case SubIndication::kChainConstraintsFailure:
      return "CHAIN_CONSTRAINTS_FAILURE";
    case SubIndication::kCertificateChainGeneralFailure:
      return "CERTIFICATE_CHAIN_GENERAL_FAILURE";
  }
  return "UNKNOWN";
}

const char* IndicationName(Indication indication) {
  switch (indication) {
    case Indication::kTotalPassed:
      return "TOTAL_PASSED";
    case Indication::kTotalFailed:
      return "TOTAL_FAILED";
    case Indication::kIndeterminate:
      return "INDETERMINATE";
  }
  return "UNKNOWN";
}

}  // namespace sigverify::crypto
