#!/usr/bin/env bash
# Server CPU per item of sigverifyd against a careful Node.js peer
# (bench/node_peer/server.js: @grpc/grpc-js and node:crypto, chains cached)
# under the same load in the same window: RSA-2048 and P-256, VerifyBatch of
# 256 and unary Verify, 4,096 unique signatures, 8 callers. sigverifyd runs
# with the audit log off and on; the peer keeps no log and checks no
# revocation. "x" is the peer's CPU per item over sigverifyd's: how many
# times the items sigverifyd verifies with the same CPU.
# Usage: bench/node_peer.sh [BUILD_DIR] [SECONDS]
set -euo pipefail
BUILD=${1:-build}
SECS=${2:-6}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/tests/e2e/lib.sh"
PKI="$BUILD/testpki"
[ -f "$PKI/root.pem" ] || "$BUILD/bin/sigverify-testpki" "$PKI"
PEER="$ROOT/bench/node_peer"
if [ ! -d "$PEER/node_modules/@grpc/grpc-js" ]; then
  (cd "$PEER" && npm install --no-audit --no-fund --silent)
fi
WORK=$(mktemp -d)
NODE_PID=
cleanup() {
  stop_server
  [ -n "$NODE_PID" ] && kill "$NODE_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

# load ADDRESS PID LOADGEN-FLAGS... -> "us/item items/s failures"
load() {
  local addr=$1 pid=$2
  shift 2
  "$BUILD/bin/sigverify_loadgen" --server="$addr" --server-pid="$pid" --seconds="$SECS" \
    --concurrency=8 --unique=4096 --pki="$PKI" "$@" 2>&1 |
    awk '/^items/ { items_s = $6; failures = $4 }
         /^server CPU [0-9.]+ us\/item/ { us = $3 }
         END { print us, items_s, failures }'
}

sigverifyd() {  # AUDIT(0|1) LOADGEN-FLAGS...
  local audit=$1
  shift
  local flags=(--metrics-listen=)
  [ "$audit" = 1 ] && flags+=("--audit-db=$WORK/audit-$RANDOM.db" --instance-id=peer)
  start_server "$BUILD/bin/sigverifyd" "$PKI/anchors" "$WORK/server.log" "${flags[@]}"
  load "$GRPC_ADDR" "$SERVER_PID" "$@"
  stop_server
  SERVER_PID=
}

peer() {
  local port
  port=$(free_port)
  node "$PEER/server.js" "$ROOT/proto" "$PKI/anchors" "127.0.0.1:$port" >"$WORK/node.log" 2>&1 &
  NODE_PID=$!
  for _ in $(seq 1 100); do
    grep -q "listening on" "$WORK/node.log" && break
    sleep 0.1
  done
  load "127.0.0.1:$port" "$NODE_PID" "$@"
  kill "$NODE_PID"
  wait "$NODE_PID" 2>/dev/null || true
  NODE_PID=
}

echo "| case | sigverifyd, log off | sigverifyd, log on | Node.js peer | x (log off) | x (log on) |"
echo "|---|---|---|---|---|---|"
row() {
  local name=$1
  shift
  read -r off off_rate off_fail < <(sigverifyd 0 "$@")
  read -r on on_rate on_fail < <(sigverifyd 1 "$@")
  read -r node node_rate node_fail < <(peer "$@")
  awk -v n="$name" -v off="$off" -v on="$on" -v node="$node" -v f="$off_fail/$on_fail/$node_fail" \
    -v r="$off_rate/$on_rate/$node_rate" 'BEGIN {
      printf "| %s | %.1f us | %.1f us | %.1f us | %.2f | %.2f |  (items/s %s, failures %s)\n",
             n, off, on, node, node / off, node / on, r, f }'
}
row "RSA-2048 VerifyBatch 256" --alg=rsa-pkcs1-sha256 --batch=256
row "RSA-2048 unary Verify" --alg=rsa-pkcs1-sha256 --unary
row "P-256 VerifyBatch 256" --alg=ecdsa-sha256 --batch=256
row "P-256 unary Verify" --alg=ecdsa-sha256 --unary
