#!/usr/bin/env bash
# The throughput table (ADR 0024): server CPU per item over one raw OpenSSL
# verify measured in the load generator in the same run, for VerifyBatch of
# 256, unary Verify and VerifyStream; RSA-2048 with and without the
# multi-buffer kernel, ECDSA P-256 with revocation checked by OCSP (openssl
# ocsp as the responder; its status cached after the first record); each
# with and without the audit log. 4,096 unique signatures, 8 callers.
# Usage: bench/throughput_table.sh [BUILD_DIR] [SECONDS]
set -euo pipefail
BUILD=${1:-build}
SECS=${2:-8}
source "$(dirname "$0")/../tests/e2e/lib.sh"
PKI="$BUILD/testpki"
[ -f "$PKI/root.pem" ] || "$BUILD/bin/sigverify-testpki" "$PKI"
WORK=$(mktemp -d)
OCSP_PID=
cleanup() {
  stop_server
  [ -n "$OCSP_PID" ] && kill "$OCSP_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

# The OCSP responder for the P-256 signer (its certificate names
# http://ocsp.sigverify.invalid/, rewritten to this port).
OCSP_PORT=$(free_port)
openssl ocsp -index "$PKI/ocsp/index.txt" -port "$OCSP_PORT" -rsigner "$PKI/ocsp/ca.pem" \
  -rkey "$PKI/ocsp/ca.key" -CA "$PKI/ocsp/ca.pem" -nmin 60 -ignore_err >"$WORK/ocsp.log" 2>&1 &
OCSP_PID=$!
mkdir -p "$WORK/ocsp-anchors"
cp "$PKI/ocsp/ca.pem" "$WORK/ocsp-anchors/"

# run NAME KERNEL(0|1) AUDIT(0|1) ANCHORS LOADGEN-FLAGS...
run() {
  local name=$1 kernel=$2 audit=$3 anchors=$4
  shift 4
  local flags=(--metrics-listen= "--url-rewrite=http://ocsp.sigverify.invalid/=http://127.0.0.1:$OCSP_PORT/")
  [ "$audit" = 1 ] && flags+=("--audit-db=$WORK/audit-$RANDOM.db" --instance-id=table)
  if [ "$kernel" = 0 ]; then export SIGVERIFY_DISABLE_AVX512=1; fi
  start_server "$BUILD/bin/sigverifyd" "$anchors" "$WORK/server.log" "${flags[@]}"
  unset SIGVERIFY_DISABLE_AVX512
  local out
  out=$("$BUILD/bin/sigverify_loadgen" --server="$GRPC_ADDR" --server-pid="$SERVER_PID" \
    --seconds="$SECS" --concurrency=8 --unique=4096 "$@" 2>&1) || true
  stop_server
  SERVER_PID=
  awk -v name="$name" -v kernel="$kernel" -v audit="$audit" '
    /^items/ { items_s = $6; p99 = $(NF-1); failures = $4 }
    /^raw OpenSSL/ { raw = $4 }
    /^server CPU [0-9.]+ us\/item/ { median = $(NF-5) }
    /^ratio/ { ratio = $(NF-2) }
    END { printf "| %s | %s | %s | %s | %s | %s us | %s us | %s | %s ms |\n",
          name, kernel ? "on" : "off", audit ? "on" : "off", failures, items_s, median, raw,
          ratio, p99 }' <<<"$out"
}

echo "| case | multi-buffer | audit log | failures | items/s | server CPU/item | raw verify | x raw | p99 |"
echo "|---|---|---|---|---|---|---|---|---|"
RSA=(--pki="$PKI" --alg=rsa-pkcs1-sha256)
EC=(--pki="$PKI/ocsp" --signer=good --alg=ecdsa-sha256)
for audit in 1 0; do
  for kernel in 1 0; do
    run "RSA-2048 VerifyBatch 256" "$kernel" "$audit" "$PKI/anchors" "${RSA[@]}" --batch=256
    run "RSA-2048 unary Verify" "$kernel" "$audit" "$PKI/anchors" "${RSA[@]}" --unary
    run "RSA-2048 VerifyStream" "$kernel" "$audit" "$PKI/anchors" "${RSA[@]}" --stream
  done
  run "P-256 + OCSP VerifyBatch 256" 1 "$audit" "$WORK/ocsp-anchors" "${EC[@]}" --batch=256
  run "P-256 + OCSP unary Verify" 1 "$audit" "$WORK/ocsp-anchors" "${EC[@]}" --unary
  run "P-256 + OCSP VerifyStream" 1 "$audit" "$WORK/ocsp-anchors" "${EC[@]}" --stream
done
