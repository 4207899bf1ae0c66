#!/usr/bin/env bash
# Starts sigverifyd on a free loopback port and drives it with the load
# generator, once per algorithm; prints server CPU per item against raw OpenSSL.
# Usage: bench/run_loadgen.sh [BUILD_DIR] [SECONDS]
set -euo pipefail
BUILD=${1:-build}
SECONDS_PER_ALG=${2:-5}
source "$(dirname "$0")/../tests/e2e/lib.sh"
PKI="$BUILD/testpki"
[ -f "$PKI/root.pem" ] || "$BUILD/bin/sigverify-testpki" "$PKI"
LOG=$(mktemp)
trap 'stop_server; rm -f "$LOG"' EXIT
start_server "$BUILD/bin/sigverifyd" "$PKI/anchors" "$LOG" --metrics-listen=
for alg in rsa-pkcs1-sha256 rsa-pss-sha256 ecdsa-sha256 ed25519; do
  "$BUILD/bin/sigverify_loadgen" --server="$GRPC_ADDR" --server-pid="$SERVER_PID" --pki="$PKI" \
    --alg="$alg" --seconds="$SECONDS_PER_ALG" --concurrency=2 --batch=1000
  echo
done
