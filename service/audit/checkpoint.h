// Signed checkpoints of the audit log, in the C2SP formats: a checkpoint
// (c2sp.org/tlog-checkpoint) is the text "<origin>\n<tree size>\n<base64
// root hash>\n", carried as a signed note (c2sp.org/signed-note): the text,
// a blank line, then "— <key name> <base64(key id || Ed25519 signature)>\n".
// The key id is the first 4 bytes of SHA-256(key name || 0x0A || 0x01 ||
// public key); a verifier key is "<name>+<hex key id>+<base64(0x01 ||
// public key)>", what an auditor is given to check checkpoints with.
#ifndef SIGVERIFY_SERVICE_AUDIT_CHECKPOINT_H_
#define SIGVERIFY_SERVICE_AUDIT_CHECKPOINT_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/openssl_ptr.h"
#include "service/audit/merkle.h"

namespace sigverify::audit {

struct Checkpoint {
  std::string origin;  // the log's name, e.g. "sigverify.example/audit/instance-1"
  uint64_t size = 0;
  Hash root{};
};

class CheckpointSigner {
 public:
  // An Ed25519 private key (PEM, PKCS#8) and the key name the notes carry.
  static absl::StatusOr<CheckpointSigner> FromPem(absl::string_view private_key_pem,
                                                  std::string key_name);
  // A new random key (tests, and `sigverify audit keygen`).
  static absl::StatusOr<CheckpointSigner> Generate(std::string key_name);

  // The signed note for `checkpoint`.
  absl::StatusOr<std::string> Sign(const Checkpoint& checkpoint) const;
  std::string VerifierKey() const;
  absl::StatusOr<std::string> PrivateKeyPem() const;

 private:
  CheckpointSigner(crypto::EvpPkeyPtr key, std::string name);
  std::shared_ptr<EVP_PKEY> key_;
  std::string name_;
  std::string public_key_;  // 32 raw bytes
  std::string key_id_;      // of name_ and public_key_
  // Set up for signing with key_ once (fetching the algorithm from the
  // provider takes locks other threads' crypto contends for); each signature
  // is made on a copy. Null if that failed: then each sets up its own.
  std::shared_ptr<const EVP_MD_CTX> signing_;
};

// The checkpoint in `note` if a signature line by `verifier_key` verifies
// (other lines are ignored); PERMISSION_DENIED if that key's signature does
// not verify or is absent, INVALID_ARGUMENT if the note or checkpoint is
// malformed.
absl::StatusOr<Checkpoint> OpenCheckpoint(absl::string_view note, absl::string_view verifier_key);

}  // namespace sigverify::audit

#endif  // SIGVERIFY_SERVICE_AUDIT_CHECKPOINT_H_
