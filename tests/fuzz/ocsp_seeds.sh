#!/usr/bin/env bash
# Seeds for ocsp_fuzzer: real OCSP responses from `openssl ocsp` over the test
# PKI's ocsp/ index, for the fuzzer's certificate (good) and others, signed
# by the CA's delegated responders (with and without the OCSP signing EKU or
# the nocheck extension) and by a rogue key, with and without certificates.
# Usage: ocsp_seeds.sh TESTPKI_DIR OUT_DIR
set -euo pipefail
pki=$1/ocsp
out=$2
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=0
for cert in good revoked unlisted; do
  openssl ocsp -issuer "$pki/ca.pem" -cert "$pki/$cert.pem" -reqout "$work/$cert.req" \
    -no_nonce >/dev/null 2>&1
  for signer in responder responder-nocheck responder-no-eku rogue; do
    for extra in "" "-resp_no_certs" "-resp_key_id"; do
      n=$((n + 1))
      # shellcheck disable=SC2086
      openssl ocsp -index "$pki/index.txt" -CA "$pki/ca.pem" -rsigner "$pki/$signer.pem" \
        -rkey "$pki/$signer.key" -reqin "$work/$cert.req" -respout "$out/$n.der" -ndays 1 \
        $extra >/dev/null 2>&1 || true
    done
  done
done
# The CA signing its own responses.
openssl ocsp -index "$pki/index.txt" -CA "$pki/ca.pem" -rsigner "$pki/ca.pem" -rkey "$pki/ca.key" \
  -reqin "$work/good.req" -respout "$out/ca-signed.der" -ndays 1 >/dev/null 2>&1 || true
ls "$out" | wc -l
