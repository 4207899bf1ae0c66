#!/usr/bin/python3
"""Fair share between callers: a polite caller's latency while another floods.

Usage: bench/fairness_bench.py [BUILD_DIR] [CALLS]
Environment: FLOOD_BATCH (items per flood batch, 512), FLOOD_PREFIX (a command the
flood process runs under, e.g. "nice -n 19").

sigverifyd with mutual TLS and an access configuration (the test PKI's client
certificates): a polite document system (grant "polite") sends CALLS unary Verify
calls one after another; a flooding one (grant "flood") keeps 6 VerifyBatch calls of
512 RSA-2048 items in flight at once from a process of its own, retrying what is
refused after the delay RetryInfo gives. The polite caller's p50 and p99 are measured
alone; during the flood in its own grant; during the flood sharing the flooder's grant;
and during the flood with a quota on the flooder's grant (QUOTA), all in one run.
Each is given as the client saw it and as sigverifyd did (its access log). Latencies
on this machine are noisy (the solo p99 alone varies 0.9-4 ms between runs); read the
ratios over several runs.
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

import grpc

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
CALLS = int(sys.argv[2]) if len(sys.argv) > 2 else 300
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PKI = os.path.join(BUILD, "testpki")
WORK = tempfile.mkdtemp()

sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from testlib import free_port, generate_protos, terminate  # noqa: E402

generate_protos(f"{ROOT}/proto", "sigverify/v1/verification.proto", "google/rpc/status.proto",
                "google/rpc/error_details.proto")
from google.rpc import error_details_pb2, status_pb2  # noqa: E402
from sigverify.v1 import verification_pb2 as pb  # noqa: E402


def read(name):
    with open(os.path.join(PKI, name), "rb") as f:
        return f.read()


def subject(name):
    return subprocess.run(["openssl", "x509", "-in", os.path.join(PKI, name), "-noout",
                           "-subject", "-nameopt", "RFC2253,-esc_msb"], check=True,
                          capture_output=True, text=True).stdout.strip()[len("subject="):]


# The flooder's quota in the last scenario: about a quarter of what this
# two-core machine verifies (35,000 RSA-2048 items/s).
QUOTA = "quota { items_per_second: 8000 burst_items: 1024 max_inflight_items: 1024 }"


def access_log(polite_grant, flood_quota):
    return os.path.join(WORK, f"access-{polite_grant}-{bool(flood_quota)}.log")


def server_latencies(path, grant, skip):
    """p50 and p99 of `grant`'s unary Verify calls as sigverifyd measured them
    (its access log: from the handler's start to its answer), after the first
    `skip`; the caller's own time is the rest (the network stack, gRPC's
    transport, the client, and waiting for a CPU)."""
    with open(path) as f:
        lines = [json.loads(line) for line in f]
    out = [d["latency_us"] / 1e6 for d in lines
           if d["grant"] == grant and d["method"].endswith("/Verify")][skip:skip + CALLS]
    out.sort()
    return out[len(out) // 2], out[int(len(out) * 0.99) - 1]


def start(polite_grant, flood_quota=""):
    """sigverifyd where the verifier certificate is in `polite_grant`."""
    config = os.path.join(WORK, f"access-{polite_grant}.textproto")
    flood_subjects = [subject("client-attester.pem")]
    polite_subjects = [subject("client-verifier.pem")]
    if polite_grant == "flood":
        flood_subjects += polite_subjects
        polite_subjects = [subject("client-unknown.pem")]
    with open(config, "w") as f:
        for name, subjects in (("flood", flood_subjects), ("polite", polite_subjects)):
            quoted = " ".join(f'subject: "{s}"' for s in subjects)
            quota = flood_quota if name == "flood" else ""
            f.write(f'grants {{ name: "{name}" role: ROLE_VERIFIER {quoted} {quota} }}\n')
    chain = os.path.join(WORK, "chain.pem")
    with open(chain, "wb") as f:
        f.write(read("tls-server.pem") + read("ca.pem"))
    port = free_port()
    log = open(os.path.join(WORK, f"sigverifyd-{polite_grant}.log"), "wb")
    proc = subprocess.Popen(
        [os.path.join(BUILD, "bin", "sigverifyd"), f"--listen=127.0.0.1:{port}",
         "--metrics-listen=", f"--trust-anchors={PKI}/anchors", f"--tls-cert={chain}",
         f"--tls-key={PKI}/tls-server.key", f"--tls-client-ca={PKI}/client-ca.pem",
         f"--access-config={config}", "--check-revocation=false",
         f"--access-log={access_log(polite_grant, flood_quota)}"], stdout=log, stderr=log)
    deadline = time.time() + 20
    while time.time() < deadline:
        with open(log.name, errors="replace") as f:
            if "listening on" in f.read():
                return proc, port
        time.sleep(0.05)
    raise RuntimeError("sigverifyd did not start")


def channel(port, client):
    creds = grpc.ssl_channel_credentials(read("root.pem"), read(f"client-{client}.key"),
                                         read(f"client-{client}.pem"))
    return grpc.secure_channel(f"localhost:{port}", creds,
                               options=[("grpc.max_send_message_length", 64 << 20),
                                        ("grpc.max_receive_message_length", 64 << 20)])


def request():
    return pb.VerifyRequest(
        data=read("sample.txt"), signature=read("sample.txt.signer-rsa.sig"),
        algorithm=pb.SIGNATURE_ALGORITHM_RSA_PKCS1_V15_SHA256,
        signer_certificate=read("signer-rsa.pem"), intermediate_certificates=[read("ca.pem")])


def polite_latencies(port):
    verify = channel(port, "verifier").unary_unary(
        "/sigverify.v1.VerificationService/Verify",
        request_serializer=pb.VerifyRequest.SerializeToString,
        response_deserializer=pb.VerifyResponse.FromString)
    req = request()
    for _ in range(20):
        verify(req, timeout=30)  # warm the connection and the caches
    out = []
    for _ in range(CALLS):
        t = time.perf_counter()
        verify(req, timeout=60)
        out.append(time.perf_counter() - t)
    out.sort()
    return out[len(out) // 2], out[int(len(out) * 0.99) - 1]


def flood_process(port):
    """The flood in a process of its own (not sharing the polite caller's
    interpreter lock); its counts printed on SIGTERM."""
    return subprocess.Popen(os.environ.get("FLOOD_PREFIX", "").split() + [sys.executable, os.path.abspath(__file__), BUILD, str(CALLS),
                             "--flood", str(port)], stdout=subprocess.PIPE, text=True)


def retry_delay(error):
    """The google.rpc.RetryInfo delay of a refused call, in seconds."""
    details = dict(error.trailing_metadata() or ()).get("grpc-status-details-bin")
    if details is None:
        return None
    for any_detail in status_pb2.Status.FromString(details).details:
        info = error_details_pb2.RetryInfo()
        if any_detail.Unpack(info):
            return info.retry_delay.seconds + info.retry_delay.nanos / 1e9
    return None


def flood(port, stop, counts):
    batch = channel(port, "attester").unary_unary(
        "/sigverify.v1.VerificationService/VerifyBatch",
        request_serializer=pb.VerifyBatchRequest.SerializeToString,
        response_deserializer=pb.VerifyBatchResponse.FromString)
    req = pb.VerifyBatchRequest(requests=[request()] * int(os.environ.get("FLOOD_BATCH", "512")))

    def one():
        while not stop.is_set():
            try:
                batch(req, timeout=120)
                counts["ok"] += 1
            except grpc.RpcError as e:
                counts["refused"] += 1
                time.sleep(retry_delay(e) or 0.01)

    threads = [threading.Thread(target=one) for _ in range(6)]
    for t in threads:
        t.start()
    return threads


def measure(polite_grant, flood_quota=""):
    """The polite caller's (p50, p99) alone (in its own grant only) and under
    the flood, as it saw them and as sigverifyd did; the flood's counts."""
    proc, port = start(polite_grant, flood_quota)
    try:
        solo = polite_latencies(port) if polite_grant == "polite" else None
        flooder = flood_process(port)
        time.sleep(1.5)
        loaded = polite_latencies(port)
        flooder.send_signal(signal.SIGTERM)
        counts = flooder.communicate(timeout=180)[0].strip()
    finally:
        terminate(proc)
    log = access_log(polite_grant, flood_quota)
    warm = 20
    server_solo = server_latencies(log, polite_grant, warm) if solo else None
    server_loaded = server_latencies(log, polite_grant, warm + (CALLS + warm if solo else 0))
    return solo, loaded, counts, server_solo, server_loaded


if len(sys.argv) > 4 and sys.argv[3] == "--flood":
    stop_flood = threading.Event()
    flood_counts = {"ok": 0, "refused": 0}
    signal.signal(signal.SIGTERM, lambda *_: stop_flood.set())
    flood_threads = flood(int(sys.argv[4]), stop_flood, flood_counts)
    for t in flood_threads:
        t.join()
    print(flood_counts)
    sys.exit(0)

def ms(x):
    return f"{x * 1000:.2f} ms"


def row(name, client, server, alone, server_alone, counts):
    print(f"  {name:28}client p50 {ms(client[0])} p99 {ms(client[1])} "
          f"({client[1] / alone[1]:.2f} x alone) | in sigverifyd p50 {ms(server[0])} "
          f"p99 {ms(server[1])} ({server[1] / server_alone[1]:.2f} x alone)  {counts}")


solo, own, own_counts, server_solo, server_own = measure("polite")
_, shared, shared_counts, _, server_shared = measure("flood")
_, quota, quota_counts, _, server_quota = measure("polite", QUOTA)
print(f"fairness bench: polite caller, {CALLS} unary Verify calls; flood: 6 x VerifyBatch(512) "
      "in flight, from a process of its own")
print(f"  {'alone':28}client p50 {ms(solo[0])} p99 {ms(solo[1])} | in sigverifyd "
      f"p50 {ms(server_solo[0])} p99 {ms(server_solo[1])}")
row("flood, its own grant", own, server_own, solo, server_solo, own_counts)
row("flood, sharing the grant", shared, server_shared, solo, server_solo, shared_counts)
row("flood with a quota", quota, server_quota, solo, server_solo, quota_counts)
print(f"  (quota: {QUOTA}; the flooder waits as RetryInfo says)")
