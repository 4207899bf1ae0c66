#!/usr/bin/env bash
# What the audit log costs under load (issue 16's load test): RSA-2048
# VerifyBatch of 256 unique items, 8 in flight, sigverifyd with and without
# --audit-db (the default layout), alternated ROUNDS times in one window so
# that both see the same machine. Prints each pair's items/s ratio (log on
# over off; goal >= 0.9) and the log's extra server CPU per item (goal
# <= 3 us), then the medians. MULTIBUFFER=0 runs the OpenSSL path.
# Usage: bench/audit_cost.sh [BUILD_DIR] [ROUNDS] [SECONDS]
set -euo pipefail
BUILD=${1:-build}
ROUNDS=${2:-4}
SECS=${3:-8}
source "$(dirname "$0")/../tests/e2e/lib.sh"
PKI="$BUILD/testpki"
[ -f "$PKI/root.pem" ] || "$BUILD/bin/sigverify-testpki" "$PKI" >/dev/null
WORK=$(mktemp -d)
trap 'stop_server; rm -rf "$WORK"' EXIT
[ "${MULTIBUFFER:-1}" = 0 ] && export SIGVERIFY_DISABLE_AVX512=1

# One run: "items/s server-us/item threads..." on stdout.
run() {
  local audit=$1 flags=(--metrics-listen=)
  rm -rf "$WORK/audit"*
  [ "$audit" = 1 ] && flags+=(--audit-db="$WORK/audit.db" --instance-id=bench)
  start_server "$BUILD/bin/sigverifyd" "$PKI/anchors" "$WORK/log" "${flags[@]}"
  "$BUILD/bin/sigverify_loadgen" --server="$GRPC_ADDR" --server-pid="$SERVER_PID" \
    --pki="$PKI" --alg=rsa-pkcs1-sha256 --seconds="$SECS" --concurrency=8 --unique=4096 \
    --batch=256 >"$WORK/out" 2>&1
  stop_server
  if grep -q "failures [1-9]" "$WORK/out"; then
    echo "audit_cost: failed items" >&2
    cat "$WORK/out" >&2
    exit 1
  fi
  awk '/^items / {tput = $6} /^server CPU [0-9.]+ us\/item/ {cpu = $3}
       /^server CPU by thread/ {sub(/.*\): */, ""); threads = $0}
       END {print tput, cpu, threads}' "$WORK/out"
}

echo "| round | items/s off | items/s on | ratio | CPU/item off | CPU/item on | log's CPU/item | on: by thread (us/item) |"
echo "|---|---|---|---|---|---|---|---|"
ratios=()
costs=()
for ((r = 1; r <= ROUNDS; ++r)); do
  read -r t0 c0 _ <<<"$(run 0)"
  read -r t1 c1 threads1 <<<"$(run 1)"
  ratio=$(awk -v a="$t1" -v b="$t0" 'BEGIN {printf "%.3f", a / b}')
  cost=$(awk -v a="$c1" -v b="$c0" 'BEGIN {printf "%.2f", a - b}')
  ratios+=("$ratio")
  costs+=("$cost")
  echo "| $r | $t0 | $t1 | $ratio | $c0 us | $c1 us | $cost us | $threads1 |"
done
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print m}'; }
echo
echo "median ratio $(median "${ratios[@]}") (goal >= 0.9), median log CPU per item $(median "${costs[@]}") us (goal <= 3)"
