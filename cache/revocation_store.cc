#include "cache/revocation_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "crypto/sha256.h"

namespace sigverify::cache {
namespace {

constexpr std::string_view kMagic = "sigverify-revocation 1\n";
constexpr size_t kMaxFileBytes = 160 << 20;  // a 64 MiB CRL and its delta, with room
constexpr absl::string_view kSuffix = ".rev";

void PutField(std::string* out, std::string_view field) {
  const uint32_t n = static_cast<uint32_t>(field.size());
  const char len[4] = {static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                       static_cast<char>(n >> 8), static_cast<char>(n)};
  out->append(len, 4);
  out->append(field);
}

bool GetField(std::string_view* in, std::string* field) {
  if (in->size() < 4) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(in->data());
  const size_t n = (size_t{p[0]} << 24) | (size_t{p[1]} << 16) | (size_t{p[2]} << 8) | p[3];
  in->remove_prefix(4);
  if (in->size() < n) return false;
  field->assign(in->data(), n);
  in->remove_prefix(n);
  return true;
}

absl::Status Errno(const std::string& what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

// Writes `bytes` to `path` and flushes them to the disk.
absl::Status WriteSynced(const std::string& path, std::string_view bytes) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Errno(absl::StrCat("cannot create ", path));
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      absl::Status s = Errno(absl::StrCat("cannot write ", path));
      close(fd);
      return s;
    }
    done += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0) {
    absl::Status s = Errno(absl::StrCat("cannot fsync ", path));
    close(fd);
    return s;
  }
  if (close(fd) != 0) return Errno(absl::StrCat("cannot close ", path));
  return absl::OkStatus();
}

absl::Status SyncDirectory(const std::string& dir) {
  const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno(absl::StrCat("cannot open ", dir));
  const int rc = fsync(fd);
  close(fd);
  return rc == 0 ? absl::OkStatus() : Errno(absl::StrCat("cannot fsync ", dir));
}

}  // namespace

std::string EncodeRecord(const PersistedRecord& r) {
  std::string out(kMagic);
  out.push_back(static_cast<char>(r.kind));
  for (const std::string* field : {&r.url, &r.issuer_der, &r.cert_der, &r.data, &r.delta}) {
    PutField(&out, *field);
  }
  const crypto::Sha256Digest sum = crypto::Sha256(out);
  out.append(reinterpret_cast<const char*>(sum.data()), sum.size());
  return out;
}

absl::StatusOr<PersistedRecord> DecodeRecord(std::string_view bytes) {
  if (bytes.size() < kMagic.size() + 1 + 32 || bytes.substr(0, kMagic.size()) != kMagic) {
    return absl::DataLossError("not a sigverify revocation file");
  }
  std::string_view body = bytes.substr(0, bytes.size() - 32);
  const crypto::Sha256Digest sum = crypto::Sha256(body);
  if (std::memcmp(sum.data(), bytes.data() + body.size(), sum.size()) != 0) {
    return absl::DataLossError("checksum mismatch (damaged or altered)");
  }
  body.remove_prefix(kMagic.size());
  PersistedRecord r;
  const uint8_t kind = static_cast<uint8_t>(body.front());
  if (kind != 1 && kind != 2) return absl::DataLossError("unknown record kind");
  r.kind = static_cast<PersistedRecord::Kind>(kind);
  body.remove_prefix(1);
  for (std::string* field : {&r.url, &r.issuer_der, &r.cert_der, &r.data, &r.delta}) {
    if (!GetField(&body, field)) return absl::DataLossError("truncated record");
  }
  if (!body.empty()) return absl::DataLossError("bytes after the record");
  return r;
}

absl::StatusOr<std::shared_ptr<const RevocationStore>> RevocationStore::Open(std::string dir,
                                                                             Log log) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return absl::InvalidArgumentError(absl::StrCat("cannot create ", dir, ": ", ec.message()));
  if (access(dir.c_str(), W_OK) != 0) return Errno(absl::StrCat(dir, " is not writable"));
  return std::shared_ptr<const RevocationStore>(
      new RevocationStore(std::move(dir), std::move(log)));
}

std::string RevocationStore::FileKey(std::string_view cache_key) {
  const crypto::Sha256Digest d = crypto::Sha256(cache_key);
  return std::string(reinterpret_cast<const char*>(d.data()), d.size());
}

std::string RevocationStore::PathOf(const std::string& cache_key) const {
  return absl::StrCat(dir_, "/", absl::BytesToHexString(FileKey(cache_key)), kSuffix);
}

absl::Status RevocationStore::Save(const std::string& cache_key,
                                   const PersistedRecord& record) const {
  const std::string path = PathOf(cache_key);
  const std::string tmp = absl::StrCat(path, ".tmp.", getpid(), ".", gettid());
  if (absl::Status s = WriteSynced(tmp, EncodeRecord(record)); !s.ok()) {
    unlink(tmp.c_str());
    return s;
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    absl::Status s = Errno(absl::StrCat("cannot rename ", tmp));
    unlink(tmp.c_str());
    return s;
  }
  return SyncDirectory(dir_);
}

RevocationStore::LoadStats RevocationStore::Load(const Restore& restore_ocsp,
                                                 const Restore& restore_crl) const {
  LoadStats stats;
  std::error_code ec;
  for (const auto& file : std::filesystem::directory_iterator(dir_, ec)) {
    const std::string path = file.path().string();
    const std::string name = file.path().filename().string();
    // A temporary file is what a crash left mid-write: never complete.
    if (name.find(".tmp.") != std::string::npos) {
      std::filesystem::remove(file.path(), ec);
      continue;
    }
    if (!absl::EndsWith(name, kSuffix)) continue;
    auto drop = [&](absl::string_view why) {
      log_(absl::StrCat("revocation cache: dropped ", name, ": ", why));
      std::filesystem::remove(file.path(), ec);
      ++stats.dropped;
    };
    std::string key;
    const std::string hex = name.substr(0, name.size() - kSuffix.size());
    if (hex.size() != 64 || hex.find_first_not_of("0123456789abcdef") != std::string::npos) {
      drop("not a cache file name");
      continue;
    }
    key = absl::HexStringToBytes(hex);
    if (file.file_size(ec) > kMaxFileBytes) {
      drop("too large");
      continue;
    }
    std::ifstream in(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto record = DecodeRecord(bytes);
    if (!record.ok()) {
      drop(record.status().message());
      continue;
    }
    const Restore& restore =
        record->kind == PersistedRecord::Kind::kOcsp ? restore_ocsp : restore_crl;
    if (absl::Status s = restore(key, *record); !s.ok()) {
      drop(s.message());
      continue;
    }
    ++stats.loaded;
  }
  return stats;
}

}  // namespace sigverify::cache
