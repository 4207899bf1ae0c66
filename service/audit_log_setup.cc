#include "service/audit_log_setup.h"

#include <sys/stat.h>

#include <fstream>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "service/audit/postgres_audit_store.h"
#include "service/audit/segmented_store.h"
#include "service/audit/sqlite_audit_store.h"
#include "service/audit_service.h"
#include "service/files.h"

namespace sigverify::service {
namespace {

// The key of --audit-key, or <audit-db>.key: read when it exists, else
// created (mode 0600) so that a first `make run` needs no set-up.
absl::StatusOr<audit::CheckpointSigner> CheckpointKey(
    const config::v1::Audit& audit, const std::string& origin,
    const std::function<void(absl::string_view)>& log) {
  const bool default_key = audit.key_file().empty();
  const std::string key_file = default_key ? audit.sqlite_file() + ".key" : audit.key_file();
  absl::StatusOr<std::string> pem = ReadSmallFile(key_file);
  absl::StatusOr<audit::CheckpointSigner> signer = absl::NotFoundError("");
  if (pem.ok()) {
    signer = audit::CheckpointSigner::FromPem(*pem, origin);
  } else if (!default_key) {
    return absl::NotFoundError(absl::StrCat("cannot read --audit-key ", key_file));
  } else {
    signer = audit::CheckpointSigner::Generate(origin);
    if (!signer.ok()) return signer.status();
    auto pem_out = signer->PrivateKeyPem();
    if (!pem_out.ok()) return pem_out.status();
    const mode_t old_mask = umask(077);
    std::ofstream out(key_file, std::ios::binary | std::ios::trunc);
    out << *pem_out;
    out.close();
    umask(old_mask);
    if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", key_file));
    log(absl::StrCat("audit log: created the checkpoint key ", key_file));
  }
  if (!signer.ok()) {
    return absl::Status(signer.status().code(),
                        absl::StrCat(key_file, ": ", signer.status().message()));
  }
  return signer;
}

}  // namespace

absl::StatusOr<std::unique_ptr<audit::AuditLog>> OpenAuditLog(
    const ServerConfig& config, const std::function<void(absl::string_view)>& log) {
  const config::v1::Audit& a = config.audit();
  if (a.sqlite_file().empty() && a.postgres().empty()) return nullptr;
  audit::AuditLog::Options options;
  options.shard = AuditInstanceId(config);
  options.origin = a.origin().empty() ? absl::StrCat("sigverify/", options.shard) : a.origin();
  options.commit_window = ToAbslDuration(a.commit_window());
  options.max_batch = static_cast<size_t>(a.max_batch());
  options.retention = ToAbslDuration(a.retention());
  auto signer = CheckpointKey(a, options.origin, log);
  if (!signer.ok()) return signer.status();
  absl::StatusOr<std::unique_ptr<audit::AuditStore>> store;
  // A reader connection for each AuditService thread.
  const size_t readers = AuditService::ReaderConnections(static_cast<size_t>(a.query_threads()));
  if (a.postgres().empty()) {
    // The segments are the log; the SQLite file is the index, rebuilt from
    // them when it is behind, so its commits need not reach the disk each.
    auto index =
        audit::SqliteAuditStore::Open(a.sqlite_file(), readers, audit::SqliteSync::kNormal);
    if (!index.ok()) return index.status();
    audit::SegmentedStore::Options segment_options;
    segment_options.dir = a.log_dir().empty() ? a.sqlite_file() + ".segments" : a.log_dir();
    segment_options.shard = options.shard;
    segment_options.prepare_segments = true;
    segment_options.on_index_status = [log](const absl::Status& s) {
      log(s.ok() ? std::string("audit search index: writing again, catching up")
                 : absl::StrCat("audit search index cannot write (the log has the records; "
                                "searches miss them until it can): ",
                                s.message()));
    };
    auto segmented = audit::SegmentedStore::Open(segment_options, *std::move(index));
    if (!segmented.ok()) return segmented.status();
    const audit::SegmentedStore::Opened& opened = (*segmented)->opened();
    log(absl::StrCat("audit log segments in ", (*segmented)->segments().dir(),
                     opened.migrated ? " (a log kept in the index alone goes on in them)" : "",
                     opened.caught_up > 0
                         ? absl::StrCat("; the index caught up ", opened.caught_up, " records")
                         : "",
                     opened.discarded_bytes > 0
                         ? absl::StrCat("; a torn last commit (", opened.discarded_bytes,
                                        " bytes, never acknowledged) was cut off and kept beside "
                                        "its segment")
                         : ""));
    store = *std::move(segmented);
  } else {
    store = audit::PostgresAuditStore::Open(a.postgres(), readers);
  }
  if (!store.ok()) return store.status();
  return audit::AuditLog::Open(*std::move(store), *std::move(signer), options);
}

}  // namespace sigverify::service
