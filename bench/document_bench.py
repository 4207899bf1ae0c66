#!/usr/bin/python3
"""Signed PDFs: sigverifyd's CPU per document against poppler's pdfsig, same files, same run.

Usage: bench/document_bench.py [BUILD_DIR] [SECONDS]

Fixtures (written here, signed three times with `pdfsig -add-signature` by the test PKI's
signer): a 1-page PDF (with pdfsig's embedded appearance font, about 1.2 MB after three
signatures) and a 100-page PDF of about 21 MB. For each, sigverifyd (started here with its
audit log on, SQLite, as `make run` and the systemd unit have it: one durable record per
signature) answers VerifyDocument from 4 concurrent Python clients for SECONDS; what counts is
the server process's CPU time (user + system, /proc/PID/stat, the audit writer included)
divided by the documents answered.
pdfsig runs on the same file in a loop for as long; its CPU is the children's user + system
time. pdfsig's own certificate check is left on (it fails: the test root is not in its NSS
database, so its chain work is cut short); sigverify builds and validates every path.

Then memory: a 500 MiB PDF (one signature) sent through VerifyDocumentStream in 1 MiB
chunks read from disk; the server's anonymous memory (RssAnon, sampled every 20 ms) before
and at its peak. The document itself is spooled to a temporary file and mapped (file pages,
not counted there).
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import grpc

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
SECONDS = float(sys.argv[2]) if len(sys.argv) > 2 else 5.0
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PKI = os.path.join(BUILD, "testpki")
WORK = tempfile.mkdtemp()
TICK = os.sysconf("SC_CLK_TCK")

sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from minimal_pdf import make_pdf  # noqa: E402
from testlib import free_port, generate_protos  # noqa: E402

generate_protos(f"{ROOT}/proto", "sigverify/v1/verification.proto")
from sigverify.v1 import verification_pb2 as pb  # noqa: E402


def signed_three_times(name, plain):
    nss = os.path.join(WORK, "nss")
    if not os.path.isdir(nss):
        os.mkdir(nss)
        quiet = dict(check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run(["certutil", "-N", "-d", f"sql:{nss}", "--empty-password"], **quiet)
        p12 = os.path.join(WORK, "s.p12")
        subprocess.run(["openssl", "pkcs12", "-export", "-inkey", f"{PKI}/signer-rsa.key", "-in",
                        f"{PKI}/signer-rsa.pem", "-certfile", f"{PKI}/ca.pem", "-name", "s",
                        "-passout", "pass:", "-out", p12], **quiet)
        subprocess.run(["pk12util", "-i", p12, "-d", f"sql:{nss}", "-W", ""], **quiet)
    path = os.path.join(WORK, f"{name}-0.pdf")
    with open(path, "wb") as f:
        f.write(plain)
    for i, field in enumerate(["PheDuyet", "BanHanh", "SaoY"], 1):
        nxt = os.path.join(WORK, f"{name}-{i}.pdf")
        subprocess.run(["pdfsig", "-nssdir", f"sql:{nss}", "-add-signature", "-nick", "s",
                        "-new-signature-field-name", field, path, nxt], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        path = nxt
    return path


def cpu_of(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def bench_server(path, server_pid, port):
    with open(path, "rb") as f:
        document = f.read()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}",
                                    options=[("grpc.max_send_message_length", 64 << 20)])
    call = channel.unary_unary("/sigverify.v1.VerificationService/VerifyDocument",
                               request_serializer=pb.VerifyDocumentRequest.SerializeToString,
                               response_deserializer=pb.VerifyDocumentResponse.FromString)
    first = call(pb.VerifyDocumentRequest(document=document), timeout=60)
    assert first.indication == pb.INDICATION_TOTAL_PASSED, first.message
    assert len(first.signatures) == 3
    done = [0]
    lock = threading.Lock()
    stop = time.monotonic() + SECONDS
    request = pb.VerifyDocumentRequest(document=document)

    def client():
        while time.monotonic() < stop:
            call(request, timeout=60)
            with lock:
                done[0] += 1

    before = cpu_of(server_pid)
    threads = [threading.Thread(target=client) for _ in range(4)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - start
    cpu = cpu_of(server_pid) - before
    channel.close()
    return done[0], cpu, wall


def bench_pdfsig(path):
    says = subprocess.run(["pdfsig", path], capture_output=True, text=True).stdout
    assert says.count("Signature is Valid.") == 3, says
    before = os.times()
    n = 0
    stop = time.monotonic() + SECONDS
    while time.monotonic() < stop:
        subprocess.run(["pdfsig", path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        n += 1
    after = os.times()
    return n, (after.children_user - before.children_user) + (
        after.children_system - before.children_system)


def signed_once(name, plain):
    path = os.path.join(WORK, f"{name}-plain.pdf")
    with open(path, "wb") as f:
        f.write(plain)
    out = os.path.join(WORK, f"{name}.pdf")
    subprocess.run(["pdfsig", "-nssdir", f"sql:{WORK}/nss", "-add-signature", "-nick", "s",
                    "-new-signature-field-name", "Big", path, out], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.remove(path)
    return out


def rss_anon(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"RssAnon:\s+(\d+) kB", f.read()).group(1)) << 10


def bench_stream_memory(path, server_pid, port):
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    call = channel.stream_unary("/sigverify.v1.VerificationService/VerifyDocumentStream",
                                request_serializer=pb.VerifyDocumentStreamRequest.SerializeToString,
                                response_deserializer=pb.VerifyDocumentStreamResponse.FromString)

    def messages():
        yield pb.VerifyDocumentStreamRequest(options=pb.VerifyDocumentRequest())
        with open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                yield pb.VerifyDocumentStreamRequest(document=chunk)

    before = rss_anon(server_pid)
    peak = [before]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_anon(server_pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    start = time.monotonic()
    try:
        response = call(messages(), timeout=600).response
    finally:
        done.set()
        sampler.join()
    wall = time.monotonic() - start
    channel.close()
    assert response.indication == pb.INDICATION_TOTAL_PASSED, response.message
    return before, peak[0], wall


def main():
    if not os.path.exists(f"{PKI}/root.pem"):
        subprocess.run([f"{BUILD}/bin/sigverify-testpki", PKI], check=True,
                       stdout=subprocess.DEVNULL)
    files = [("1 page", signed_three_times("small", make_pdf(1, bytes_per_page=2000))),
             ("100 pages", signed_three_times("large", make_pdf(100, bytes_per_page=200_000)))]
    port = free_port()
    server = subprocess.Popen([f"{BUILD}/bin/sigverifyd", f"--listen=127.0.0.1:{port}",
                               "--metrics-listen=", f"--trust-anchors={PKI}/anchors",
                               f"--audit-db={WORK}/audit.db"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        grpc.channel_ready_future(grpc.insecure_channel(f"127.0.0.1:{port}")).result(timeout=20)
        print(f"{'file':<10} {'size':>8} {'sigverifyd docs':>15} {'CPU/doc':>9} {'CPU/sig':>9} "
              f"{'docs/s':>7} {'pdfsig docs':>11} {'CPU/doc':>9} {'ratio':>6}")
        for name, path in files:
            size = os.path.getsize(path)
            n, cpu, wall = bench_server(path, server.pid, port)
            pn, pcpu = bench_pdfsig(path)
            ours = cpu / n
            theirs = pcpu / pn
            print(f"{name:<10} {size / 1e6:>6.1f}MB {n:>15} {ours * 1e3:>7.2f}ms "
                  f"{ours / 3 * 1e3:>7.2f}ms {n / wall:>7.1f} {pn:>11} {theirs * 1e3:>7.2f}ms "
                  f"{ours / theirs:>6.2f}")
        print("ratio: sigverifyd server CPU per document / pdfsig CPU per document (lower is "
              "better); 3 signatures per document")
        for name, path in files:
            os.remove(path)
        big = signed_once("huge", make_pdf(attachment=b"\0" * (500 << 20)))
        before, peak, wall = bench_stream_memory(big, server.pid, port)
        print(f"VerifyDocumentStream, {os.path.getsize(big) / (1 << 20):.0f} MiB PDF: server "
              f"RssAnon {before / (1 << 20):.1f} MiB before, {peak / (1 << 20):.1f} MiB at peak "
              f"(+{(peak - before) / (1 << 20):.1f} MiB), {wall:.1f} s")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        shutil.rmtree(WORK)


if __name__ == "__main__":
    main()
