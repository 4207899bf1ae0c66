#!/usr/bin/env bash
# Instructions per verification, counted by callgrind (repeatable, unlike time
# on a shared machine): raw OpenSSL, the service's per-item path in-process,
# and sigverifyd's whole process serving one VerifyBatch over loopback gRPC.
# Each count is the difference between runs of 2N and N items, so start-up and
# one-off work (key parsing, path validation, gRPC set-up) cancel out.
# Usage: bench/instructions.sh [BUILD_DIR] [N]
set -euo pipefail
BUILD=${1:-build}
N=${2:-200}
source "$(dirname "$0")/../tests/e2e/lib.sh"
PKI="$BUILD/testpki"
[ -f "$PKI/root.pem" ] || "$BUILD/bin/sigverify-testpki" "$PKI"
WORK=$(mktemp -d)
trap 'stop_server; rm -rf "$WORK"' EXIT
command -v valgrind >/dev/null || { echo "valgrind is needed"; exit 2; }

total() {  # total instructions in a callgrind output file
  grep -E '^(summary|totals):' "$1" | head -1 | awk '{print $2}'
}

count_local() {  # count_local MODE ALG ITEMS
  valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.$1.$3" \
    "$BUILD/bin/sigverify_cost_per_item" --pki="$PKI" --alg="$2" --mode="$1" --n="$3" \
    >/dev/null 2>&1
  total "$WORK/cg.$1.$3"
}

count_server() {  # count_server ALG ITEMS: the server process, one batch of ITEMS
  local out="$WORK/cg.server.$2"
  GRPC_ADDR="127.0.0.1:$(free_port)"
  valgrind --tool=callgrind --callgrind-out-file="$out" \
    "$BUILD/bin/sigverifyd" --listen="$GRPC_ADDR" --metrics-listen= --workers=1 \
    --trust-anchors="$PKI/anchors" >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 600); do grep -q "listening on" "$WORK/server.log" && break; sleep 0.1; done
  # A one-item call first: caches and connections warm in both runs alike.
  "$BUILD/bin/sigverify_loadgen" --server="$GRPC_ADDR" --pki="$PKI" --alg="$1" --batch=1 \
    --concurrency=1 --max-calls=1 --seconds=600 >/dev/null
  "$BUILD/bin/sigverify_loadgen" --server="$GRPC_ADDR" --pki="$PKI" --alg="$1" --batch="$2" \
    --concurrency=1 --max-calls=1 --seconds=600 >/dev/null
  stop_server
  SERVER_PID=
  total "$out"
}

printf "%-18s %14s %14s %14s %10s %10s\n" algorithm "raw instr" "item instr" "server instr" \
  "item/raw" "server/raw"
for alg in rsa-pkcs1-sha256 rsa-pss-sha256 ecdsa-sha256 ed25519; do
  raw=$(( ($(count_local raw "$alg" $((2 * N))) - $(count_local raw "$alg" "$N")) / N ))
  item=$(( ($(count_local item "$alg" $((2 * N))) - $(count_local item "$alg" "$N")) / N ))
  server=$(( ($(count_server "$alg" $((2 * N))) - $(count_server "$alg" "$N")) / N ))
  printf "%-18s %14d %14d %14d %10s %10s\n" "$alg" "$raw" "$item" "$server" \
    "$(awk -v a="$item" -v b="$raw" 'BEGIN{printf "%.3f", a/b}')" \
    "$(awk -v a="$server" -v b="$raw" 'BEGIN{printf "%.3f", a/b}')"
done
