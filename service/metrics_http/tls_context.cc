#include "service/metrics_http/tls_context.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace sigverify::service::metrics_http {
namespace {

// TLS 1.2 suites with forward secrecy and AEAD only; TLS 1.3's are all so.
constexpr char kTls12Ciphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// OpenSSL's queued errors, oldest first, and the queue emptied.
std::string OpenSslErrors() {
  std::vector<std::string> reasons;
  while (const unsigned long e = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(e, buffer, sizeof(buffer));
    reasons.emplace_back(buffer);
  }
  return reasons.empty() ? "unknown error" : absl::StrJoin(reasons, "; ");
}

absl::Status Failed(absl::string_view what, absl::string_view file) {
  return absl::InvalidArgumentError(absl::StrCat(what, " ", file, ": ", OpenSslErrors()));
}

}  // namespace

absl::StatusOr<SslContextPtr> BuildTlsContext(const TlsFiles& files) {
  ERR_clear_error();
  SslContextPtr ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (ctx == nullptr) return absl::InternalError("SSL_CTX_new: " + OpenSslErrors());
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  if (SSL_CTX_set_cipher_list(ctx.get(), kTls12Ciphers) != 1) {
    return absl::InternalError("cipher list: " + OpenSslErrors());
  }
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                                     SSL_OP_NO_TICKET | SSL_OP_NO_COMPRESSION);
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), files.certificate_chain.c_str()) != 1) {
    return Failed("cannot use the certificate chain", files.certificate_chain);
  }
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), files.private_key.c_str(), SSL_FILETYPE_PEM) != 1) {
    return Failed("cannot use the private key", files.private_key);
  }
  if (SSL_CTX_check_private_key(ctx.get()) != 1) {
    return Failed("the private key does not match the certificate of", files.certificate_chain);
  }
  if (!files.client_ca.empty()) {
    if (SSL_CTX_load_verify_locations(ctx.get(), files.client_ca.c_str(), nullptr) != 1) {
      return Failed("cannot load the client CAs", files.client_ca);
    }
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(files.client_ca.c_str());
    if (names == nullptr) return Failed("cannot read the client CA names of", files.client_ca);
    SSL_CTX_set_client_CA_list(ctx.get(), names);  // takes ownership
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    SSL_CTX_set_verify_depth(ctx.get(), 4);
    SSL_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_CLIENT);
  }
  return ctx;
}

absl::StatusOr<std::unique_ptr<TlsContext>> TlsContext::Create(TlsFiles files,
                                                               absl::Duration check_interval,
                                                               Log log) {
  std::unique_ptr<TlsContext> context(
      new TlsContext(std::move(files), check_interval, std::move(log)));
  const std::string state = context->FilesState();
  auto ctx = BuildTlsContext(context->files_);
  if (!ctx.ok()) return ctx.status();
  absl::MutexLock lock(&context->mu_);
  context->current_ = *std::move(ctx);
  context->files_state_ = state;
  return context;
}

SslContextPtr TlsContext::Get(absl::Time now) {
  absl::MutexLock lock(&mu_);
  if (now < next_check_) return current_;
  next_check_ = now + check_interval_;
  std::string state = FilesState();
  if (state == files_state_) return current_;
  files_state_ = std::move(state);
  auto ctx = BuildTlsContext(files_);
  if (!ctx.ok()) {
    log_(absl::StrCat("metrics TLS: keeping the certificates in force: ", ctx.status().message()));
    return current_;
  }
  current_ = *std::move(ctx);
  log_("metrics TLS: certificate, key or client CAs read again");
  return current_;
}

// What tells a file's new content from its old: device, inode, size and
// modification time of each (a file replaced by rename changes its inode).
std::string TlsContext::FilesState() const {
  std::string state;
  for (const std::string* file :
       {&files_.certificate_chain, &files_.private_key, &files_.client_ca}) {
    struct stat st {};
    if (file->empty() || stat(file->c_str(), &st) != 0) {
      absl::StrAppend(&state, "-;");
      continue;
    }
    absl::StrAppend(&state, st.st_dev, ":", st.st_ino, ":", st.st_size, ":", st.st_mtim.tv_sec, ".",
                    st.st_mtim.tv_nsec, ";");
  }
  return state;
}

}  // namespace sigverify::service::metrics_http
