#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time over a seed corpus; a crash,
# leak, sanitizer report or timeout fails the test.
# Usage: run_fuzzer.sh FUZZER SECONDS SEEDS...   (files or directories)
set -euo pipefail
fuzzer=$1
seconds=$2
shift 2
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
for seed in "$@"; do
  if [ -d "$seed" ]; then find "$seed" -maxdepth 1 -type f -exec cp {} "$corpus/" \;; elif [ -f "$seed" ]; then cp "$seed" "$corpus/"; fi
done
# DER forms of PEM seeds, so that both encodings are explored.
for f in "$corpus"/*.pem; do
  [ -f "$f" ] && { openssl x509 -in "$f" -outform DER -out "${f%.pem}.der" 2>/dev/null || true; }
done
cd "$corpus"
"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
  -print_final_stats=1 "$corpus" 2>&1 | tail -n 20
