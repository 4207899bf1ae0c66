#!/usr/bin/env bash
# Fails unless the binary loads BoringSSL's libcrypto and no OpenSSL 3 libcrypto
# and no gRPC: two libcrypto's in one process bind each other's symbols.
set -euo pipefail
libs=$(ldd "$1")
echo "$libs"
grep -q 'android/libcrypto.so' <<<"$libs" || { echo "FAIL: BoringSSL libcrypto not linked"; exit 1; }
if grep -qE 'libcrypto\.so\.3|libssl\.so\.3|libgrpc' <<<"$libs"; then
  echo "FAIL: OpenSSL 3 or gRPC linked into the BoringSSL test binary"; exit 1
fi
echo "OK: only BoringSSL's libcrypto"
