#!/usr/bin/env bash
# End to end: the real sigverifyd on loopback, called by the sigverify CLI;
# its /metrics checked by Prometheus' own promtool; SIGTERM drains and exits.
# Usage: cli_test.sh BIN_DIR TESTPKI_DIR
source "$(dirname "$0")/lib.sh"
BIN=$1
PKI=$2
WORK=$(mktemp -d)
trap 'stop_server; for p in "${HTTP_PID:-}" "${OCSP_PID:-}"; do [ -z "$p" ] || kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"' EXIT

start_server "$BIN/sigverifyd" "$PKI/anchors" "$WORK/server.log"
CLI=("$BIN/sigverify" --server="$GRPC_ADDR")

run() { "${CLI[@]}" "$@" >"$WORK/out" 2>"$WORK/err"; echo $? >"$WORK/rc"; }
rc_is() { [ "$(cat "$WORK/rc")" = "$1" ]; }
out_has() { grep -qF -- "$1" "$WORK/out" "$WORK/err"; }
ok_rsa=(verify --data="$PKI/sample.txt" --sig="$PKI/sample.txt.signer-rsa.sig"
        --cert="$PKI/signer-rsa.pem" --chain="$PKI/ca.pem" --alg=rsa-pkcs1-sha256)

set +e
run "${ok_rsa[@]}"
check "valid RSA signature passes (exit 0)" rc_is 0
check "signer printed in UTF-8" out_has "Nguyễn Văn An"

run admin-status
check "admin-status: the open loopback demo says access control is off" out_has "access control OFF"
check "admin-status: ... and names the trust store" out_has "(1 anchors)"
run admin-reload
check "admin-reload: everything reloads (exit 0)" rc_is 0

run verify --data="$PKI/sample.txt" --sig="$PKI/sample.txt.signer-ec.sig" \
  --cert="$PKI/signer-ec.pem" --chain="$PKI/ca.pem" --alg=ecdsa-sha256 --json
check "valid ECDSA signature passes" rc_is 0
check "--json prints the indication" out_has '"indication":"INDICATION_TOTAL_PASSED"'

digest=$(sha256sum "$PKI/sample.txt" | cut -d' ' -f1)
run verify --digest="$digest" --sig="$PKI/sample.txt.signer-rsa.sig" \
  --cert="$PKI/signer-rsa.pem" --chain="$PKI/ca.pem" --alg=rsa-pkcs1-sha256
check "caller-computed digest passes" rc_is 0

printf 'changed' >"$WORK/tampered.txt"
run verify --data="$WORK/tampered.txt" --sig="$PKI/sample.txt.signer-rsa.sig" \
  --cert="$PKI/signer-rsa.pem" --chain="$PKI/ca.pem"
check "tampered data fails (exit 1)" rc_is 1
check "tampered data is HASH_FAILURE" out_has "TOTAL_FAILED / HASH_FAILURE"

run verify --data="$PKI/sample.txt" --sig="$PKI/sample.txt.signer-expired.sig" \
  --cert="$PKI/signer-rsa.pem" --chain="$PKI/ca.pem"
check "another key's signature is SIG_CRYPTO_FAILURE" out_has "SIG_CRYPTO_FAILURE"

run verify --data="$PKI/sample.txt" --sig="$PKI/sample.txt.signer-untrusted.sig" \
  --cert="$PKI/signer-untrusted.pem" --chain="$PKI/untrusted-root.pem"
check "untrusted signer is NO_CERTIFICATE_CHAIN_FOUND" out_has "INDETERMINATE / NO_CERTIFICATE_CHAIN_FOUND"

head -c 700 /dev/urandom >"$WORK/garbage.der"
run verify --data="$PKI/sample.txt" --sig="$PKI/sample.txt.signer-rsa.sig" --cert="$WORK/garbage.der"
check "garbage certificate is an error (exit 2)" rc_is 2
check "garbage certificate names the field" out_has "signer_certificate"

head -c 9000 /dev/urandom >"$WORK/huge.sig"
run verify --data="$PKI/sample.txt" --sig="$WORK/huge.sig" --cert="$PKI/signer-rsa.pem"
check "oversized signature names the limit" out_has "over the limit of 8192 bytes"

run verify --data="$PKI/sample.txt" --sig="$PKI/sample.txt.signer-rsa.sig" \
  --cert="$PKI/signer-rsa.pem" --chain="$PKI/ca.pem" --time=2000-01-01T00:00:00Z
check "validation time from the command line is used" out_has "NOT_YET_VALID"
check "... and a failed verdict exits 1" rc_is 1
check "... naming the failed check and its reason" \
  out_has "failed: validity (CERTIFICATE_NOT_YET_VALID) at path[0]"
run verify --data="$PKI/sample.txt" --sig="$PKI/sample.txt.signer-rsa.sig" \
  --cert="$PKI/signer-rsa.pem" --chain="$PKI/ca.pem" --time=2000-01-01T00:00:00Z --json
check "--json is the proto's JSON: the reason as data" \
  out_has '"reason":"FAILURE_REASON_CERTIFICATE_NOT_YET_VALID"'
run verify --data="$PKI/sample.txt" --sig="$PKI/sample.txt.signer-rsa.sig" \
  --cert="$PKI/signer-rsa.pem" --chain="$PKI/ca.pem" --time=2100-01-01T00:00:00Z
check "a claimed validation time in the future is refused (2)" rc_is 2
check "... saying so" out_has "is later than now"

# One exit-code contract and per-subcommand options (CLI11).
run verify --help
check "verify --help lists its own options" out_has "--sig"
check "verify --help: exit 0" rc_is 0
run audit-prove --help
check "audit-prove --help does not list verify's options" bash -c "! grep -q -- '--sig' '$WORK/out'"
check "audit-prove --help lists --log-key" out_has "--log-key"
run verify --cert="$PKI/signer-rsa.pem" --data="$PKI/sample.txt"
check "a missing required option is a usage error (2)" rc_is 2
check "... naming it" out_has "--sig is required"
run validate --cert="$PKI/signer-rsa.pem" --sequence=3
check "another subcommand's option is a usage error (2)" rc_is 2
run validate --cert="$PKI/signer-rsa.pem" --timeout=soon
check "a --timeout that is no duration is a usage error (2)" rc_is 2
"$BIN/sigverify" validate --server=127.0.0.1:9 --timeout=2s --cert="$PKI/signer-rsa.pem" \
  >"$WORK/out" 2>"$WORK/err"; echo $? >"$WORK/rc"
check "no server is an error (2), not a verdict" rc_is 2

run validate --cert="$PKI/signer-ec.pem" --chain="$PKI/ca.pem"
check "validate: a good certificate passes" rc_is 0
check "validate: prints its path" out_has "path[2]: CN=RootCA chuyên dùng Chính phủ thử nghiệm G2"
run validate --cert="$PKI/signer-notyet.pem" --chain="$PKI/ca.pem" --json
check "validate: not yet valid (exit 1)" rc_is 1
check "validate --json names the sub-indication" out_has '"sub_indication":"SUB_INDICATION_NOT_YET_VALID"'

# verify-document: a PDF signed by pdfsig, one changed afterwards, and one
# over 16 MiB that goes through VerifyDocumentStream.
pdf() { /usr/bin/python3 "$(dirname "$0")/minimal_pdf.py" "$@"; }  # see minimal_pdf.py
mkdir "$WORK/nss"
certutil -N -d "sql:$WORK/nss" --empty-password
openssl pkcs12 -export -inkey "$PKI/signer-rsa.key" -in "$PKI/signer-rsa.pem" \
  -certfile "$PKI/ca.pem" -name an -passout pass: -out "$WORK/an.p12"
pk12util -i "$WORK/an.p12" -d "sql:$WORK/nss" -W '' >/dev/null
pdf "$WORK/plain.pdf"
pdfsig -nssdir "sql:$WORK/nss" -add-signature -nick an -new-signature-field-name PheDuyet \
  "$WORK/plain.pdf" "$WORK/signed.pdf" 2>/dev/null
run verify-document --file="$WORK/signed.pdf"
check "verify-document: a PDF signed by pdfsig passes (exit 0)" rc_is 0
check "verify-document: one line per signature: field, signer, coverage" \
  out_has "#1 APPROVAL PheDuyet: CN=Nguyễn Văn An"
check "verify-document: ... what it covers" out_has "covers ENTIRE_FILE"
cp "$WORK/signed.pdf" "$WORK/changed.pdf"
printf '4 0 obj\n<< /Length 2 >>\nstream\nQ\n\nendstream\nendobj\n' >>"$WORK/changed.pdf"
run verify-document --file="$WORK/changed.pdf" --json
check "verify-document: an object appended without a revision fails (exit 1)" rc_is 1
check "verify-document: ... naming it" out_has "bytes after the last %%EOF that belong to no revision"
pdf "$WORK/big-plain.pdf" $((20 << 20))
pdfsig -nssdir "sql:$WORK/nss" -add-signature -nick an -new-signature-field-name Big \
  "$WORK/big-plain.pdf" "$WORK/big.pdf" 2>/dev/null
run verify-document --file="$WORK/big.pdf"
check "verify-document: a 20 MiB PDF is streamed and passes" rc_is 0
check "verify-document: ... naming its field" out_has "#1 APPROVAL Big"
rm -f "$WORK"/big*.pdf

# A JSON Lines batch, paths relative to the file.
cp "$PKI"/*.pem "$PKI"/sample.txt* "$WORK"/
{
  for i in $(seq 1 30); do
    echo "{\"record_id\":\"ok-$i\",\"alg\":\"rsa-pkcs1-sha256\",\"data_file\":\"sample.txt\",\"signature_file\":\"sample.txt.signer-rsa.sig\",\"cert_file\":\"signer-rsa.pem\",\"chain_files\":[\"ca.pem\"]}"
    echo "{\"record_id\":\"bad-$i\",\"alg\":\"rsa-pkcs1-sha256\",\"data_b64\":\"aGVsbG8=\",\"signature_file\":\"sample.txt.signer-rsa.sig\",\"cert_file\":\"signer-rsa.pem\",\"chain_files\":[\"ca.pem\"]}"
  done
} >"$WORK/batch.jsonl"
run batch --input="$WORK/batch.jsonl" --batch-size=7
check "batch with failures exits 1" rc_is 1
check "batch summary counts" out_has "records: 60  passed: 30  failed: 30  indeterminate: 0  errors: 0"
run batch --input="$WORK/batch.jsonl" --json
check "batch --json keeps request order" bash -c \
  "head -2 '$WORK/out' | grep -q '\"record_id\":\"ok-1\"' && sed -n 2p '$WORK/out' | grep -q '\"record_id\":\"bad-1\"'"

# Metrics, checked by Prometheus' own parser and linter.
curl -sf "http://$METRICS_ADDR/metrics" >"$WORK/metrics"
check "metrics are valid Prometheus exposition (promtool)" bash -c "promtool check metrics <'$WORK/metrics'"
check "items counted by algorithm and indication" grep -q \
  'sigverify_items_total{algorithm="rsa_pkcs1_v15_sha256",indication="total_failed",method="VerifyBatch"} 60' "$WORK/metrics"
check "certificate cache hits exported" grep -qE '^sigverify_certificate_cache_hits_total [1-9]' "$WORK/metrics"
# Idle connections do not blind /metrics (the probe: two idle connections
# held civetweb's two threads for 30 s). 50 held open; a scrape still answers
# (bounded at 10 s here, far below the 30 s stall, not a latency assertion).
/usr/bin/python3 -c '
import socket, sys, time
host, port = sys.argv[1].rsplit(":", 1)
held = [socket.create_connection((host, int(port))) for _ in range(50)]
print("held", flush=True)
time.sleep(30)' "$METRICS_ADDR" >"$WORK/idle" &
IDLE_PID=$!
for _ in $(seq 1 50); do grep -q held "$WORK/idle" && break; sleep 0.1; done
check "50 idle connections held open" grep -q held "$WORK/idle"
check "... and /metrics still answers" curl -sf --max-time 10 -o /dev/null "http://$METRICS_ADDR/metrics"
kill "$IDLE_PID" 2>/dev/null; wait "$IDLE_PID" 2>/dev/null

# SIGTERM drains and exits cleanly.
kill -TERM "$SERVER_PID"
wait "$SERVER_PID"
echo $? >"$WORK/rc"
SERVER_PID=
check "SIGTERM exits 0" rc_is 0
check "SIGTERM logs a drain" grep -q "draining in-flight calls" "$WORK/server.log"

# TLS: the server presents a certificate from the test CA; the CLI checks it
# against the test root. Still loopback only.
cat "$PKI/tls-server.pem" "$PKI/ca.pem" >"$WORK/tls-chain.pem"
start_server "$BIN/sigverifyd" "$PKI/anchors" "$WORK/tls.log" \
  --tls-cert="$WORK/tls-chain.pem" --tls-key="$PKI/tls-server.key"
CLI=("$BIN/sigverify" --server="$GRPC_ADDR" --tls-ca="$PKI/root.pem")
run "${ok_rsa[@]}"
check "verify over TLS passes" rc_is 0
CLI=("$BIN/sigverify" --server="$GRPC_ADDR" --tls-ca="$PKI/untrusted-root.pem" --timeout=3s)
run "${ok_rsa[@]}"
check "a client that does not trust the server certificate fails" rc_is 2
CLI=("$BIN/sigverify" --server="$GRPC_ADDR" --timeout=3s)
run "${ok_rsa[@]}"
check "plaintext client to a TLS server fails" rc_is 2
stop_server
SERVER_PID=

# The built-in vn-gov profile: its fingerprint is shown before use, and a
# server started with it alone validates the real G2 tax office certificate.
VN_GCA="$(dirname "$0")/../testdata/vn-gca"
CLI=("$BIN/sigverify")
run trust-profile vn-gov
check "trust-profile prints the G2 root fingerprint" \
  out_has "F04BA4B459A7C9A1B971AD9B1CB833E695A80C79AEA63B174B66A70EDFE2FDB8"
# Revocation of the real hierarchy: its OCSP and CRL URLs, sent to a closed
# port, give no status: the default hard-fail does not pass it.
start_server "$BIN/sigverifyd" "" "$WORK/profile-revocation.log" --trust-profile=vn-gov \
  --url-rewrite="http://ca.gov.vn/=http://127.0.0.1:9/,http://ocsp.ca.gov.vn=http://127.0.0.1:9"
CLI=("$BIN/sigverify" --server="$GRPC_ADDR")
run validate --cert="$VN_GCA/ee-g2-cuc-thue-2025.pem" --chain="$VN_GCA/g2-ca-nha-nuoc.pem" \
  --time=2026-01-15T00:00:00Z --language=en --json
check "vn-gov profile: revocation is checked by default, and no status is TRY_LATER" \
  out_has '"sub_indication":"SUB_INDICATION_TRY_LATER"'
check "vn-gov profile: ... the evidence names what was tried" out_has 'crl/cpcag2.crl: fetch failed'
stop_server
SERVER_PID=
# The path checks below are about paths: revocation off.
start_server "$BIN/sigverifyd" "" "$WORK/profile.log" --trust-profile=vn-gov \
  --check-revocation=false
CLI=("$BIN/sigverify" --server="$GRPC_ADDR")
run validate --cert="$VN_GCA/ee-g2-cuc-thue-2025.pem" --chain="$VN_GCA/g2-ca-nha-nuoc.pem" \
  --time=2026-01-15T00:00:00Z
check "vn-gov profile: the real G2 chain validates" rc_is 0
check "vn-gov profile: the signer is the tax office" out_has "CN=CỤC THUẾ"
run validate --cert="$VN_GCA/ee-g2-cuc-thue-2025.pem" --time=2026-01-15T00:00:00Z
check "vn-gov profile: its issuing CAs complete a path the caller did not send" rc_is 0
run validate --cert="$PKI/signer-rsa.pem" --chain="$PKI/ca.pem"
check "vn-gov profile: the test PKI is not trusted" out_has "NO_CERTIFICATE_CHAIN_FOUND"
# The G1 customs certificate (sha1WithRSA hierarchy): only the legacy policy
# accepts it, only before its cut-off, and today it has expired anyway.
run validate --cert="$VN_GCA/ee-btc-tchq-2015.pem" --time=2016-06-01T00:00:00Z --language=en
check "vn-gov profile: G1 is not used under the default policy" \
  out_has 'not used under validation policy "default"'
run validate --cert="$VN_GCA/ee-btc-tchq-2015.pem" --time=2016-06-01T00:00:00Z --policy=legacy --json
check "vn-gov profile: G1 at a claimed 2016 time under the legacy policy: valid then, expired \
since, and a claim is not proof (OUT_OF_BOUNDS_NO_POE)" \
  out_has '"sub_indication":"SUB_INDICATION_OUT_OF_BOUNDS_NO_POE"'
check "... the reason says why" out_has '"reason":"FAILURE_REASON_EXPIRED_AFTER_CLAIMED_TIME"'
check "vn-gov profile: the answer names the policy" out_has '"policy":"legacy"'
run validate --cert="$VN_GCA/ee-btc-tchq-2015.pem" --policy=legacy
check "vn-gov profile: the G1 certificate is EXPIRED today" out_has "INDETERMINATE / EXPIRED"
check "messages are Vietnamese by default" out_has "đã hết hạn"
run validate --cert="$VN_GCA/ee-btc-tchq-2015.pem" --policy=lenient
check "an unknown policy is a usage error naming the known ones" out_has "this server has: default, legacy"
stop_server
SERVER_PID=

# A trust configuration file: the anchor requires the certificate policy the
# test PKI carries; rewritten to require another one and reloaded (SIGHUP),
# the same signer no longer validates.
root_fp=$(openssl x509 -in "$PKI/root.pem" -noout -fingerprint -sha256 | cut -d= -f2 | tr -d :)
require() {
  printf 'anchors { sha256_fingerprint: "%s" required_certificate_policies: "%s" }\n' \
    "$root_fp" "$1" >"$WORK/trust.textproto"
}
require 2.16.704.1.1.1.1.1
start_server "$BIN/sigverifyd" "$PKI/anchors" "$WORK/config.log" --trust-config="$WORK/trust.textproto" \
  --trust-anchors-poll-interval=0
CLI=("$BIN/sigverify" --server="$GRPC_ADDR")
run "${ok_rsa[@]}"
check "--trust-config: a path valid for the required policy passes" rc_is 0
require 2.16.704.1.1.1.1.9
kill -HUP "$SERVER_PID"
for _ in $(seq 1 50); do grep -q "trust store reloaded" "$WORK/config.log" && break; sleep 0.1; done
run "${ok_rsa[@]}" --language=en
check "--trust-config reloaded: the path is not valid for the new required policy" \
  out_has "requires 2.16.704.1.1.1.1.9"
stop_server
SERVER_PID=
# AIA: the signer's issuing CA is nowhere but at its caIssuers URL, an
# intranet-style name that --url-rewrite maps to a real HTTP server here.
http_port=$(free_port)
/usr/bin/python3 -u -m http.server "$http_port" --bind 127.0.0.1 --directory "$PKI/aia" \
  >"$WORK/http.out" 2>"$WORK/http.log" &
HTTP_PID=$!
for _ in $(seq 1 50); do grep -q "Serving HTTP" "$WORK/http.out" && break; sleep 0.1; done
start_server "$BIN/sigverifyd" "$PKI/anchors" "$WORK/aia.log" \
  --url-rewrite="http://ca.sigverify.invalid/=http://127.0.0.1:$http_port/" \
  --aia-fetch="http://127.0.0.1:$http_port/pki/"
CLI=("$BIN/sigverify" --server="$GRPC_ADDR")
run validate --cert="$PKI/signer-aia.pem" --language=en
check "AIA: the issuing CA is fetched and the path validates" rc_is 0
check "AIA: the path goes through the fetched CA" out_has "CA AIA thử nghiệm G2"
run validate --cert="$PKI/signer-aia-elsewhere.pem" --language=en
check "AIA: a URL outside --aia-fetch is not fetched" out_has "not under an allowed prefix"
check "AIA: the HTTP server saw exactly one request" \
  test "$(grep -c '"GET ' "$WORK/http.log")" = 1
curl -s "http://$METRICS_ADDR/metrics" >"$WORK/aia-metrics"
check "AIA: fetches are counted" grep -q '^sigverify_aia_fetches_total 1' "$WORK/aia-metrics"
stop_server
SERVER_PID=
kill "$HTTP_PID"; wait "$HTTP_PID" 2>/dev/null; HTTP_PID=

# Revocation by OCSP against OpenSSL's own responder, reached through
# --url-rewrite (the fixture certificates name http://ocsp.sigverify.invalid/).
OCSP_DIR="$PKI/ocsp"
stdbuf -oL -eL openssl ocsp -index "$OCSP_DIR/index.txt" -port 0 -rsigner "$OCSP_DIR/ca.pem" \
  -rkey "$OCSP_DIR/ca.key" -CA "$OCSP_DIR/ca.pem" -nmin 10 -ignore_err >"$WORK/ocsp.log" 2>&1 &
OCSP_PID=$!
for _ in $(seq 1 100); do grep -q "ACCEPT" "$WORK/ocsp.log" && break; sleep 0.1; done
ocsp_port=$(grep -o 'ACCEPT [^ ]*' "$WORK/ocsp.log" | grep -o '[0-9]*$')
mkdir -p "$WORK/ocsp-anchors"
# The root too: it anchors the TSA of the timestamped signatures below.
cp "$OCSP_DIR/ca.pem" "$PKI/root.pem" "$WORK/ocsp-anchors/"
start_server "$BIN/sigverifyd" "$WORK/ocsp-anchors" "$WORK/revocation.log" \
  --url-rewrite="http://ocsp.sigverify.invalid/=http://127.0.0.1:$ocsp_port/" \
  --audit-db="$WORK/ocsp-audit.db" --instance-id=e2e-ocsp
CLI=("$BIN/sigverify" --server="$GRPC_ADDR")
run validate --cert="$OCSP_DIR/good.pem" --json
check "OCSP: a good certificate passes" rc_is 0
check "OCSP: the evidence names the source" out_has '"source":"ocsp"'
ocsp_sha256=$(grep -o '"response_sha256":\["[0-9a-f]*' "$WORK/out" | grep -o '[0-9a-f]*$')
check "OCSP: the evidence names the response by its SHA-256" test -n "$ocsp_sha256"
run validate --cert="$OCSP_DIR/good.pem" --json
ocsp_key=$(grep -o 'checkpoints verify with [^ ]*' "$WORK/revocation.log" | awk '{print $4}')
run audit-prove --sequence=1 --log-key="$ocsp_key"
check "audit: a verdict from the OCSP cache is proven included" out_has "at size 2"
check "audit: ... the signer's certificate is kept once, by its fingerprint" \
  out_has ": kept, SHA-256 matches"
check "audit: ... and the OCSP response it used, by the hash the record names" \
  out_has "revocation response $ocsp_sha256 (ocsp"
# The index is filled behind the log; a search waits until it has caught up.
run audit-query --limit=1
check "audit: two verdicts on one certificate and one response keep each once" \
  test "$(sqlite3 "$WORK/ocsp-audit.db" 'SELECT (SELECT count(*) FROM certificates) || "/" ||
    (SELECT count(*) FROM revocation_responses)')" = 1/1
run validate --cert="$OCSP_DIR/revoked.pem" --language=en
check "OCSP: a revoked certificate is REVOKED_NO_POE" out_has "INDETERMINATE / REVOKED_NO_POE"
check "OCSP: the message gives the revocation time" out_has "revoked at"
# A CMS signature by the revoked certificate, with a signature timestamp a
# day before its revocation: proven to exist while the certificate was good,
# so it passes; with one an hour after the revocation, it is revoked.
run verify-document --file="$OCSP_DIR/sample.txt.revoked-stamped-before.p7s" \
  --content="$PKI/sample.txt" --cert="$PKI/ca.pem" --language=en
check "documents: revoked after the signature timestamp passes" rc_is 0
check "documents: ... its time proven by the timestamp" out_has "(timestamp), covers ENTIRE_FILE: TOTAL_PASSED"
run verify-document --file="$OCSP_DIR/sample.txt.revoked-stamped-after.p7s" \
  --content="$PKI/sample.txt" --cert="$PKI/ca.pem" --language=en
check "documents: revoked before the signature timestamp fails (exit 1)" rc_is 1
check "documents: ... as REVOKED" out_has "REVOKED"
# A response saved now is stapled below, once the responder is gone.
openssl ocsp -issuer "$OCSP_DIR/ca.pem" -cert "$OCSP_DIR/unlisted.pem" \
  -url "http://127.0.0.1:$ocsp_port/" -respout "$WORK/unlisted.ocsp" -noverify >/dev/null 2>&1
openssl ocsp -issuer "$OCSP_DIR/ca.pem" -cert "$OCSP_DIR/good.pem" \
  -url "http://127.0.0.1:$ocsp_port/" -respout "$WORK/good.ocsp" -noverify >/dev/null 2>&1
openssl ocsp -issuer "$OCSP_DIR/ca.pem" -cert "$OCSP_DIR/with-crl.pem" \
  -url "http://127.0.0.1:$ocsp_port/" -respout "$WORK/with-crl.ocsp" -noverify >/dev/null 2>&1
kill "$OCSP_PID"; wait "$OCSP_PID" 2>/dev/null; OCSP_PID=
# A PDF signed by a certificate whose status sigverifyd has not cached, its
# responder now down: TRY_LATER; the same PDF with a DSS that holds the
# response (the LTV step of a signing tool) passes from it. (Signed by
# openssl cms into a hand-written field: pdfsig 22.12's ECDSA signatures do
# not verify, by pdfsig's own account either.)
pdf --sign "$WORK/plain.pdf" "$WORK/ltv.pdf" Ltv "$OCSP_DIR/with-crl.pem" "$OCSP_DIR/with-crl.key"
check "documents: pdfsig finds the hand-placed ECDSA signature valid" \
  bash -c "pdfsig -nocert '$WORK/ltv.pdf' | grep -q 'Signature is Valid.'"
pdf --dss "$WORK/ltv.pdf" "$WORK/ltv-dss.pdf" "$WORK/with-crl.ocsp"
run verify-document --file="$WORK/ltv.pdf"
check "documents: no status and the responder down is TRY_LATER" out_has "TRY_LATER"
run verify-document --file="$WORK/ltv-dss.pdf" --json
check "documents: the DSS's OCSP response is used (responder down)" rc_is 0
check "documents: ... as stapled evidence" out_has '"source":"stapled"'
check "documents: ... and the DSS is an LTA update" \
  out_has '"modification_level":"MODIFICATION_LEVEL_LTA_UPDATES"'
run validate --cert="$OCSP_DIR/good.pem"
check "OCSP: a cached status still serves with the responder down" rc_is 0
run validate --cert="$OCSP_DIR/unlisted.pem"
check "OCSP: no status and the responder down is TRY_LATER (hard-fail)" out_has "TRY_LATER"
run validate --cert="$OCSP_DIR/good.pem" --ocsp="$WORK/good.ocsp" --json
check "OCSP: a stapled response is used (responder down)" out_has '"source":"stapled"'
run validate --cert="$OCSP_DIR/good.pem" --ocsp="$WORK/unlisted.ocsp" --json
check "OCSP: another certificate's stapled response is not used" rc_is 0
check "OCSP: ... the status comes from the cache instead" out_has '"from_cache":true'
run validate --cert="$OCSP_DIR/good.pem" --ocsp=/nonexistent.der
check "OCSP: an unreadable --ocsp file is a usage error" rc_is 2
curl -s "http://$METRICS_ADDR/metrics" >"$WORK/revocation-metrics"
check "OCSP: upstream requests are counted" \
  grep -q '^sigverify_revocation_upstream_requests_total{source="ocsp"} 3' "$WORK/revocation-metrics"
stop_server
SERVER_PID=

# Revocation by CRL: OpenSSL's own CA tool issues the CRLs (openssl ca
# -gencrl, -revoke), Python's http.server serves them. The certificate names
# an OCSP responder too, sent to a closed port: OCSP first, CRL fallback.
CRL_CA="$WORK/crl-ca"
mkdir -p "$CRL_CA/www"
cp "$OCSP_DIR/ca.pem" "$OCSP_DIR/ca.key" "$OCSP_DIR/index.txt" "$OCSP_DIR/index.txt.attr" "$CRL_CA/"
echo 01 >"$CRL_CA/crlnumber"
printf '%s\n' "[ca]" "default_ca = test" "[test]" "database = $CRL_CA/index.txt" \
  "crlnumber = $CRL_CA/crlnumber" "certificate = $CRL_CA/ca.pem" "private_key = $CRL_CA/ca.key" \
  "default_md = sha256" "default_crl_days = 1" "crl_extensions = crl_ext" "[crl_ext]" \
  "authorityKeyIdentifier = keyid:always" >"$CRL_CA/ca.cnf"
gencrl() {
  openssl ca -config "$CRL_CA/ca.cnf" -gencrl -out "$CRL_CA/crl.pem" 2>/dev/null &&
    openssl crl -in "$CRL_CA/crl.pem" -outform DER -out "$1"
}
gencrl "$CRL_CA/www/ocsp-ca.crl"
/usr/bin/python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$CRL_CA/www" \
  >"$WORK/crl-http.log" 2>&1 &
HTTP_PID=$!
for _ in $(seq 1 100); do grep -q "Serving HTTP" "$WORK/crl-http.log" && break; sleep 0.1; done
crl_port=$(grep -o 'port [0-9]*' "$WORK/crl-http.log" | head -1 | grep -o '[0-9]*')
CRL_FLAGS=(--revocation-cache-dir="$WORK/revocation-cache" --audit-db="$WORK/crl-audit.db"
  --url-rewrite="http://ocsp.sigverify.invalid/=http://127.0.0.1:9/,http://crl.sigverify.invalid/=http://127.0.0.1:$crl_port/")
start_server "$BIN/sigverifyd" "$WORK/ocsp-anchors" "$WORK/crl.log" "${CRL_FLAGS[@]}"
CLI=("$BIN/sigverify" --server="$GRPC_ADDR")
run validate --cert="$OCSP_DIR/with-crl.pem" --json
check "CRL: a certificate the CRL does not list passes by the CRL (OCSP down)" rc_is 0
check "CRL: the evidence names the source" out_has '"source":"crl"'
check "CRL: ... and the distribution point" \
  out_has '"location":"http://crl.sigverify.invalid/ocsp-ca.crl"'
crl_sha256=$(sha256sum "$CRL_CA/www/ocsp-ca.crl" | cut -d' ' -f1)
check "CRL: ... and the CRL it read, by its SHA-256" out_has "\"response_sha256\":[\"$crl_sha256\"]"
# The search index is written behind the log (within 50 ms).
for _ in $(seq 1 100); do
  kept=$(sqlite3 "$WORK/crl-audit.db" "SELECT sha256 FROM revocation_responses" 2>/dev/null || true)
  [ "$kept" = "$crl_sha256" ] && break
  sleep 0.1
done
check "audit: the CRL is kept in the audit log's index under that hash" test "$kept" = "$crl_sha256"
# The CA revokes it and issues a new CRL, which comes with the next request.
sleep 1  # the revocation is dated strictly after the certificate's notBefore
openssl ca -config "$CRL_CA/ca.cnf" -revoke "$OCSP_DIR/with-crl.pem" -crl_reason keyCompromise \
  >/dev/null 2>&1
gencrl "$WORK/new.crl"
run validate --cert="$OCSP_DIR/with-crl.pem" --crl="$WORK/new.crl" --json --language=en
check "CRL: the newer CRL from the request revokes it" out_has '"sub_indication":"SUB_INDICATION_REVOKED_NO_POE"'
check "CRL: ... as stapled evidence" out_has '"source":"stapled_crl"'
# The probe: a validation time the caller claims before the revocation hid it
# (TOTAL_PASSED). A claim is not proof: the revocation known now counts.
issued=$(date -u -d "$(openssl x509 -in "$OCSP_DIR/with-crl.pem" -noout -startdate | cut -d= -f2)" \
  +%Y-%m-%dT%H:%M:%SZ)
run validate --cert="$OCSP_DIR/with-crl.pem" --crl="$WORK/new.crl" --time="$issued" --json
check "claimed time before the revocation: still REVOKED_NO_POE" \
  out_has '"sub_indication":"SUB_INDICATION_REVOKED_NO_POE"'
check "... because revoked after a time nothing proves" \
  out_has '"reason":"FAILURE_REASON_REVOKED_AFTER_CLAIMED_TIME"'
run validate --cert="$OCSP_DIR/with-crl.pem" --json
check "CRL: the request's CRL replaced the older one in the cache" \
  out_has '"sub_indication":"SUB_INDICATION_REVOKED_NO_POE"'
run validate --cert="$OCSP_DIR/with-crl.pem" --crl="$OCSP_DIR/ca.pem" --json
check "CRL: a certificate sent as a CRL is no evidence (the cached CRL answers)" \
  out_has '"from_cache":true'
check "CRL: the HTTP server saw exactly one request" \
  test "$(grep -c '"GET ' "$WORK/crl-http.log")" = 1
curl -s "http://$METRICS_ADDR/metrics" >"$WORK/crl-metrics"
check "CRL: downloads are counted by source" \
  grep -q '^sigverify_revocation_upstream_requests_total{source="crl"} 1' "$WORK/crl-metrics"
check "CRL: the fetch latency histogram has the download" \
  grep -Eq '^sigverify_revocation_fetch_duration_seconds_count[{](source="crl",outcome="ok"|outcome="ok",source="crl")[}] 1' \
  "$WORK/crl-metrics"
check "CRL: the entries of the cached CRL are counted" \
  grep -q '^sigverify_revocation_crl_entries 2' "$WORK/crl-metrics"
check "CRL: the metrics pass promtool" sh -c "promtool check metrics <'$WORK/crl-metrics'"
stop_server
SERVER_PID=

# A restart loads the kept CRL (the newer one, from the request) and
# answers without asking the server.
start_server "$BIN/sigverifyd" "$WORK/ocsp-anchors" "$WORK/crl-restart.log" "${CRL_FLAGS[@]}"
CLI=("$BIN/sigverify" --server="$GRPC_ADDR")
for _ in $(seq 1 50); do grep -q "revocation cache warmed" "$WORK/crl-restart.log" && break; sleep 0.1; done
check "restart: the kept CRL is validated and loaded" \
  grep -q "warmed from .*: 1 kept, 0 dropped" "$WORK/crl-restart.log"
run validate --cert="$OCSP_DIR/with-crl.pem" --json
check "restart: the certificate is still revoked" out_has '"sub_indication":"SUB_INDICATION_REVOKED_NO_POE"'
check "restart: ... from the kept CRL" out_has '"from_cache":true'
check "restart: the HTTP server saw no new request" \
  test "$(grep -c '"GET ' "$WORK/crl-http.log")" = 1
stop_server
SERVER_PID=

# The CA publishes its new CRL; the kept file is damaged: it is dropped at
# start and the CRL fetched again.
cp "$WORK/new.crl" "$CRL_CA/www/ocsp-ca.crl"
kept=$(ls "$WORK/revocation-cache"/*.rev)
/usr/bin/python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[len(b)//2]^=1; open(p,"wb").write(b)' "$kept"
start_server "$BIN/sigverifyd" "$WORK/ocsp-anchors" "$WORK/crl-tampered.log" "${CRL_FLAGS[@]}"
CLI=("$BIN/sigverify" --server="$GRPC_ADDR")
for _ in $(seq 1 50); do grep -q "revocation cache warmed" "$WORK/crl-tampered.log" && break; sleep 0.1; done
check "tampered: the damaged file is dropped with a log line" \
  grep -q "dropped .*checksum mismatch" "$WORK/crl-tampered.log"
run validate --cert="$OCSP_DIR/with-crl.pem" --json
check "tampered: the certificate is revoked by the CRL fetched again" \
  out_has '"sub_indication":"SUB_INDICATION_REVOKED_NO_POE"'
check "tampered: ... which took one more request" \
  test "$(grep -c '"GET ' "$WORK/crl-http.log")" = 2
stop_server
SERVER_PID=
kill "$HTTP_PID"; wait "$HTTP_PID" 2>/dev/null; HTTP_PID=

# CRLs signed by a separate CRL-signing certificate (RFC 5280 6.3.3 (f)),
# all made with the openssl tool: the CA may not sign CRLs (no cRLSign); a
# certificate of the same name with its own key, issued by the root, may.
# The anchor requires revocation; every CRL comes with the request.
SEP="$WORK/separate-crl-signer"
mkdir -p "$SEP/anchors"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$SEP/root.key" \
  -out "$SEP/anchors/root.pem" -subj "/C=VN/CN=Separate Signer Root" -days 30 \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  2>/dev/null
cp "$SEP/anchors/root.pem" "$SEP/root.pem"
sep_issue() {  # sep_issue NAME SUBJECT ISSUER EXTENSION...
  local name=$1 subject=$2 issuer=$3
  shift 3
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$SEP/$name.key" \
    -subj "$subject" -out "$SEP/$name.csr" 2>/dev/null
  printf '%s\n' "$@" >"$SEP/$name.ext"
  openssl x509 -req -in "$SEP/$name.csr" -CA "$SEP/$issuer.pem" -CAkey "$SEP/$issuer.key" \
    -set_serial "0x7$(openssl rand -hex 7)" -days 30 -extfile "$SEP/$name.ext" \
    -out "$SEP/$name.pem" 2>/dev/null
}
sep_issue ca "/C=VN/CN=Separate Signer CA" root "basicConstraints=critical,CA:TRUE" \
  "keyUsage=critical,keyCertSign"
sep_issue crl-signer "/C=VN/CN=Separate Signer CA" root "keyUsage=critical,cRLSign"
sep_issue leaf "/C=VN/CN=Separate Signer Leaf" ca "basicConstraints=critical,CA:FALSE" \
  "keyUsage=critical,digitalSignature"
sep_crl() {  # sep_crl SIGNER OUT [CERTIFICATE TO REVOKE]
  local signer=$1 out=$2
  [ -f "$SEP/$signer.db" ] || { : >"$SEP/$signer.db"; echo 01 >"$SEP/$signer.num"; }
  printf '%s\n' "[ca]" "default_ca = c" "[c]" "database = $SEP/$signer.db" \
    "crlnumber = $SEP/$signer.num" "certificate = $SEP/$signer.pem" \
    "private_key = $SEP/$signer.key" "default_md = sha256" "default_crl_days = 1" \
    "crl_extensions = crl_ext" "[crl_ext]" "authorityKeyIdentifier = keyid:always" \
    >"$SEP/$signer.cnf"
  if [ -n "${3:-}" ]; then
    openssl ca -config "$SEP/$signer.cnf" -revoke "$3" -crl_reason keyCompromise >/dev/null 2>&1
  fi
  openssl ca -config "$SEP/$signer.cnf" -gencrl -out "$SEP/crl.pem" 2>/dev/null &&
    openssl crl -in "$SEP/crl.pem" -outform DER -out "$out"
}
sep_crl root "$SEP/root.crl"
sep_crl crl-signer "$SEP/ca.crl"
sep_root_fp=$(openssl x509 -in "$SEP/root.pem" -noout -fingerprint -sha256 | cut -d= -f2 | tr -d :)
printf 'anchors { sha256_fingerprint: "%s" revocation: REVOCATION_REQUIREMENT_REQUIRE }\n' \
  "$sep_root_fp" >"$SEP/trust.textproto"
start_server "$BIN/sigverifyd" "$SEP/anchors" "$WORK/separate.log" \
  --trust-config="$SEP/trust.textproto" --audit-db="$WORK/separate-audit.db"
CLI=("$BIN/sigverify" --server="$GRPC_ADDR")
run validate --cert="$SEP/leaf.pem" --chain="$SEP/ca.pem" --chain="$SEP/crl-signer.pem" \
  --crl="$SEP/ca.crl" --crl="$SEP/root.crl" --json
check "CRL signer: a CRL of the CA's separate CRL-signing certificate passes the leaf" rc_is 0
signer_serial=$(openssl x509 -in "$SEP/crl-signer.pem" -noout -serial | cut -d= -f2)
check "CRL signer: the evidence carries the signer's own path" out_has '"crl_issuer_path":['
check "CRL signer: ... beginning with the CRL-signing certificate" \
  grep -q "\"crl_issuer_path\":\[{[^]]*\"serial_number\":\"$signer_serial\"" "$WORK/out"
run validate --cert="$SEP/leaf.pem" --chain="$SEP/ca.pem" --crl="$SEP/ca.crl" --crl="$SEP/root.crl" \
  --json
check "CRL signer: without the signer's certificate the CRL cannot be used (TRY_LATER)" \
  out_has '"sub_indication":"SUB_INDICATION_TRY_LATER"'
sleep 1  # the revocation is dated strictly after the certificate's notBefore
sep_crl crl-signer "$SEP/ca-revoked.crl" "$SEP/leaf.pem"
run validate --cert="$SEP/leaf.pem" --chain="$SEP/ca.pem" --chain="$SEP/crl-signer.pem" \
  --crl="$SEP/ca-revoked.crl" --crl="$SEP/root.crl" --json
check "CRL signer: its CRL listing the leaf revokes it" \
  out_has '"sub_indication":"SUB_INDICATION_REVOKED_NO_POE"'
sep_crl root "$SEP/root-revoked.crl" "$SEP/crl-signer.pem"
run validate --cert="$SEP/leaf.pem" --chain="$SEP/ca.pem" --chain="$SEP/crl-signer.pem" \
  --crl="$SEP/ca.crl" --crl="$SEP/root-revoked.crl" --json
check "CRL signer: a signer the root's CRL revokes vouches for nothing" rc_is 1
check "CRL signer: ... the leaf's status is not known (TRY_LATER)" \
  out_has '"sub_indication":"SUB_INDICATION_TRY_LATER"'
check "CRL signer: ... and the CA's own key may not sign CRLs" \
  out_has '"reason":"FAILURE_REASON_CRL_ISSUER_CANNOT_SIGN"'
stop_server
SERVER_PID=

# Port 0: the system chooses; the log names the port bound, and it answers.
"$BIN/sigverifyd" --listen=127.0.0.1:0 --metrics-listen="127.0.0.1:$(free_port)" \
  --trust-anchors="$PKI/anchors" >"$WORK/port0.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do grep -q "listening on" "$WORK/port0.log" && break; sleep 0.1; done
bound=$(grep -o 'listening on 127\.0\.0\.1:[0-9]*' "$WORK/port0.log" | grep -o '[0-9]*$')
check "port 0: the log names the port the system chose" test "${bound:-0}" -gt 0
CLI=("$BIN/sigverify" --server="127.0.0.1:${bound:-0}")
run "${ok_rsa[@]}"
check "port 0: ... and sigverifyd answers there" rc_is 0
stop_server
SERVER_PID=

printf 'anchors { sha256_fingerprint: "%064d" }\n' 0 >"$WORK/bad.textproto"
"$BIN/sigverifyd" --trust-anchors="$PKI/anchors" --trust-config="$WORK/bad.textproto" \
  --listen=127.0.0.1:0 >"$WORK/out" 2>"$WORK/err"; echo $? >"$WORK/rc"
check "--trust-config naming a missing anchor stops sigverifyd at start (configuration: 2)" rc_is 2
check "--trust-config: the refusal names the file" out_has "bad.textproto"

# The audit log's free-space floor: a disk below it refuses verdicts
# (UNAVAILABLE) instead of filling up; the metric and the refusal say so.
start_server "$BIN/sigverifyd" "$PKI/anchors" "$WORK/floor.log" --audit-db="$WORK/floor.db" \
  --audit-min-free-bytes=1125899906842624
CLI=("$BIN/sigverify" --server="$GRPC_ADDR")
run "${ok_rsa[@]}"
check "audit disk below the floor: the verdict is refused (2), not answered unlogged" rc_is 2
check "... saying why" out_has "below the floor of 1125899906842624 (--audit-min-free-bytes)"
curl -sf "http://$METRICS_ADDR/metrics" >"$WORK/metrics"
check "... counted" grep -q '^sigverify_audit_disk_refused_total 1' "$WORK/metrics"
check "... and the floor exported" grep -q '^sigverify_audit_disk_floor_bytes 1125899906842624$' "$WORK/metrics"
stop_server
SERVER_PID=
start_server "$BIN/sigverifyd" "$PKI/anchors" "$WORK/floor.log" --audit-db="$WORK/floor.db"
CLI=("$BIN/sigverify" --server="$GRPC_ADDR")
run "${ok_rsa[@]}"
check "audit disk above the default floor (1 GiB): verdicts are recorded" rc_is 0
stop_server
SERVER_PID=

# A configured intermediate pool completes paths callers send without chain.
mkdir -p "$WORK/pool"
cp "$PKI/ca.pem" "$WORK/pool/"
start_server "$BIN/sigverifyd" "$PKI/anchors" "$WORK/pool.log" --intermediates="$WORK/pool"
CLI=("$BIN/sigverify" --server="$GRPC_ADDR")
run verify --data="$PKI/sample.txt" --sig="$PKI/sample.txt.signer-rsa.sig" --cert="$PKI/signer-rsa.pem"
check "--intermediates: a signer sent without its CA passes" rc_is 0
check "--intermediates: the path goes through the pooled CA" \
  out_has "path[1]: CN=CA phục vụ các cơ quan Nhà nước thử nghiệm G2"
stop_server
SERVER_PID=

# The audit log: every verdict recorded before it is answered; the auditor's
# CLI proves a record's inclusion against the signed checkpoint, and
# re-verifies the whole shard offline, naming a record changed in the file.
start_server "$BIN/sigverifyd" "$PKI/anchors" "$WORK/audit.log" --audit-db="$WORK/audit.db" \
  --instance-id=e2e-a
CLI=("$BIN/sigverify" --server="$GRPC_ADDR")
for i in 0 1 2; do run "${ok_rsa[@]}" --record-id="audit-$i"; done
check "audit: verdicts are answered with the log on" rc_is 0
log_key=$(grep -o 'checkpoints verify with [^ ]*' "$WORK/audit.log" | awk '{print $4}')
check "audit: sigverifyd prints the log's verifier key" test -n "$log_key"
run audit-checkpoint
check "audit: the checkpoint is a signed note of 3 records" out_has $'sigverify/e2e-a\n3\n'
cp "$WORK/out" "$WORK/checkpoint-3"
run audit-prove --sequence=1 --log-key="$log_key"
check "audit: record 1 is proven included" out_has "included in sigverify/e2e-a at size 3"
check "audit: ... and it is the verdict on audit-1" out_has "record_id=audit-1"
# Two more verdicts; the newer checkpoint must extend the saved one.
for i in 3 4; do run "${ok_rsa[@]}" --record-id="audit-$i"; done
run audit-checkpoint
cp "$WORK/out" "$WORK/checkpoint-5"
run audit-consistency --old-checkpoint="$WORK/checkpoint-3" --new-checkpoint="$WORK/checkpoint-5" \
  --log-key="$log_key"
check "audit: the log of 5 records extends the one of 3" out_has "size 5 extends the tree of size 3"
# Asked the wrong way round (a larger old size), the server refuses.
run audit-consistency --old-checkpoint="$WORK/checkpoint-5" --new-checkpoint="$WORK/checkpoint-3" \
  --log-key="$log_key"
check "audit: a newer-to-older request is refused (an RPC error: 2)" rc_is 2
# A well-formed verifier key of the same name for another (all-zero) key.
run audit-query --record-id=audit-1 --csv
check "audit-query: a record is found by its record_id (CSV, quoted subject)" \
  out_has ",audit-1,\"CN=Nguyễn Văn An,O=UBND"
check "audit-query: ... and only it (CSV header + one row)" test "$(wc -l <"$WORK/out")" = 2
run audit-query --limit=2
check "audit-query: pages are followed up to --limit, newest first" \
  sh -c "test \$(wc -l <'$WORK/out') = 2 && head -1 '$WORK/out' | grep -q audit-4"
run audit-query --indication=TOTAL_FAILED
check "audit-query: a filter that matches nothing prints nothing" test ! -s "$WORK/out"
run audit-query --indication=MAYBE
check "audit-query: a bad filter value is a usage error (2)" rc_is 2
other_id=$({ printf 'sigverify/e2e-a\n\001'; head -c 32 /dev/zero; } | sha256sum | cut -c1-8)
other_key="sigverify/e2e-a+$other_id+AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
run audit-prove --sequence=1 --log-key="$other_key" --timeout=5s
check "audit: another key does not verify the checkpoint" rc_is 1
check "audit: ... it says whose signature is missing" out_has "no signature by sigverify/e2e-a"
run audit-prove --sequence=1
check "audit: a missing --log-key is a usage error (2), not a failed proof" rc_is 2
stop_server
SERVER_PID=
run audit-prove --sequence=1 --log-key="$log_key" --timeout=2s
check "audit: no server to ask is an error (2), not a failed proof" rc_is 2
run audit-verify --audit-db="$WORK/audit.db" --shard=e2e-a --log-key="$log_key" \
  --checkpoint="$WORK/checkpoint-3"
check "audit: the whole shard re-verifies offline" out_has "all 3 records match"
# The database (the search index) keeps each record's leaf hash in its block
# (73-byte entries after an 8-byte header, the hash at byte 40 of an entry):
# one byte of record 2's changed.
sqlite3 "$WORK/audit.db" "UPDATE blocks SET data = CAST(substr(data, 1, 48 + (2 - first_seq) * 73)
  || CASE WHEN substr(data, 49 + (2 - first_seq) * 73, 1) = X'00' THEN X'01' ELSE X'00' END
  || substr(data, 50 + (2 - first_seq) * 73) AS BLOB)
  WHERE shard = 'e2e-a' AND first_seq <= 2 AND first_seq + count > 2"
run audit-verify --audit-db="$WORK/audit.db" --shard=e2e-a --log-key="$log_key" \
  --checkpoint="$WORK/checkpoint-3"
check "audit: a record changed in the database is found" rc_is 1
check "audit: ... and named" out_has "record 2 of shard e2e-a"
check "audit: ... as the database's" out_has "the database (the log's index)"
# The log itself is the segment files: a byte flipped in a record there is
# found by its frame's checksum, and the place named.
segment=$(grep -la "audit-1" "$WORK"/audit.db.segments/*.seg | head -1)
at=$(grep -boa "audit-1" "$segment" | head -1 | cut -d: -f1)
printf 'X' | dd of="$segment" bs=1 seek="$at" conv=notrunc status=none
run audit-verify --audit-db="$WORK/audit.db" --shard=e2e-a --log-key="$log_key" \
  --checkpoint="$WORK/checkpoint-3"
check "audit: a byte flipped in the log's segment is found" rc_is 1
check "audit: ... with its place" out_has "after record 1"

# Plaintext off loopback is refused at start.
"$BIN/sigverifyd" --listen=0.0.0.0:0 --trust-anchors="$PKI/anchors" --metrics-listen= >"$WORK/out" 2>&1
echo $? >"$WORK/rc"
check "plaintext on a public address is refused" rc_is 2
check "the refusal says why" out_has "without TLS"
"$BIN/sigverifyd" --listen=127.0.0.1:0 --trust-anchors="$WORK/nonexistent" --metrics-listen= >"$WORK/out" 2>&1
echo $? >"$WORK/rc"
check "a missing trust store fails at start (configuration: 2)" rc_is 2
check "... naming the flag and the field" out_has "--trust-anchors (trust.anchors_dir)"
mkdir "$WORK/trace"
"$BIN/sigverifyd" --listen=127.0.0.1:0 --trust-anchors="$PKI/anchors" --metrics-listen= \
  --audit-db="$WORK/trace/audit.db" --revocation-cache-dir="$WORK/trace/revocation" \
  --max-batch-items=0 >"$WORK/out" 2>&1
echo $? >"$WORK/rc"
check "a bad limit fails at start" rc_is 2
check "the failure names the flag and the field" \
  out_has "--max-batch-items (limits.max_batch_items): 0 is outside 1..1000000"
check "... before any file was created (no audit database, key or cache directory)" \
  test -z "$(ls -A "$WORK/trace")"

# --config: a text-format ServerConfig under the flags; --check-config prints
# the effective configuration without starting anything.
cat >"$WORK/server.textproto" <<CONFIG
limits { max_batch_items: 7 }
audit { sqlite_file: "$WORK/trace/audit.db" max_batch: 3 commit_window { nanos: 2000000 } }
trust { poll_interval {} }
CONFIG
"$BIN/sigverifyd" --config="$WORK/server.textproto" --trust-anchors="$PKI/anchors" \
  --max-batch-items=9 --check-config >"$WORK/out" 2>"$WORK/err"
echo $? >"$WORK/rc"
check "--check-config: a valid configuration exits 0" rc_is 0
check "--check-config: a flag given overrides the file" out_has "max_batch_items: 9"
check "--check-config: the file overrides the defaults" out_has "max_batch: 3"
check "--check-config: a zero duration in the file replaces a default" \
  /usr/bin/python3 -c 'import sys; t=open(sys.argv[1]).read(); sys.exit(0 if "poll_interval {\n  }" in t else 1)' "$WORK/out"
check "--check-config: nothing was created" test -z "$(ls -A "$WORK/trace")"
printf 'limits { max_batch_itemz: 1 }\n' >"$WORK/typo.textproto"
"$BIN/sigverifyd" --config="$WORK/typo.textproto" --trust-anchors="$PKI/anchors" --check-config \
  >"$WORK/out" 2>&1
echo $? >"$WORK/rc"
check "--config: an unknown field exits 2" rc_is 2
check "--config: ... naming the file, line and field" \
  out_has 'typo.textproto: line 1:25: Message type "sigverify.config.v1.Limits" has no field named "max_batch_itemz"'
printf 'audit { postgres: "dbname=x" }\n' >"$WORK/combo.textproto"
"$BIN/sigverifyd" --config="$WORK/combo.textproto" --trust-anchors="$PKI/anchors" --check-config \
  >"$WORK/out" 2>&1
echo $? >"$WORK/rc"
check "--config: a bad combination exits 2" rc_is 2
check "--config: ... and says what is missing" \
  out_has "--audit-key (audit.key_file): --audit-postgres needs --audit-key"
set -e
summary
