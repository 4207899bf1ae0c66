// How the CLI prints answers: --json through protobuf's JSON printer (proto
// field names, enum names as the proto spells them, RFC 3339 times), or a
// few lines for a person.
#ifndef SIGVERIFY_SERVICE_CLI_OUTPUT_H_
#define SIGVERIFY_SERVICE_CLI_OUTPUT_H_

#include <google/protobuf/message.h>

#include <string>

#include "sigverify/v1/verification.pb.h"

namespace sigverify::cli {

// One line of JSON.
std::string JsonLine(const google::protobuf::Message& message);

void PrintHuman(const v1::VerifyResponse& r);
void PrintHuman(const v1::ValidateCertificateResponse& r);
// A document: its verdict, then one line per signature a clerk reads (who,
// when and how that time is known, what it covers, the verdict), then that
// signature's notes and failure.
void PrintHuman(const v1::VerifyDocumentResponse& r);

// "TOTAL_PASSED" for INDICATION_TOTAL_PASSED: the enum value without its prefix.
std::string ShortName(const std::string& enum_name, const std::string& prefix);

}  // namespace sigverify::cli

#endif  // SIGVERIFY_SERVICE_CLI_OUTPUT_H_
