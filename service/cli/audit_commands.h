// The auditor's commands of the sigverify CLI:
//   audit-query       records matching filters (table, --json or --csv)
//   audit-checkpoint  fetch the latest signed checkpoint (to keep it)
//   audit-prove       fetch a record, its inclusion proof and the checkpoint
//                     it is proven against, and verify all three with the
//                     log's public key
//   audit-consistency prove that a newer saved checkpoint extends an older
//                     one (nothing logged between them was rewritten)
//   audit-verify      re-verify a whole shard offline from the database
//                     file against a checkpoint, naming the first record
//                     that does not match
#ifndef SIGVERIFY_SERVICE_CLI_AUDIT_COMMANDS_H_
#define SIGVERIFY_SERVICE_CLI_AUDIT_COMMANDS_H_

#include <memory>

#include "grpcpp/channel.h"

namespace sigverify::cli {

int AuditQuery(const std::shared_ptr<grpc::Channel>& channel);
int AuditCheckpoint(const std::shared_ptr<grpc::Channel>& channel);
int AuditProve(const std::shared_ptr<grpc::Channel>& channel);
int AuditConsistency(const std::shared_ptr<grpc::Channel>& channel);
int AuditVerify();

}  // namespace sigverify::cli

#endif  // SIGVERIFY_SERVICE_CLI_AUDIT_COMMANDS_H_
