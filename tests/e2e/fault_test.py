#!/usr/bin/python3
"""Faults with real parts: what sigverifyd answers while a dependency misbehaves,
and that it recovers when the fault clears.

Usage: fault_test.py SIGVERIFYD TESTPKI_DIR PROTO_DIR

- OCSP: OpenSSL's own responder (`openssl ocsp`) behind a proxy that can turn
  slow (past the fetch deadline), reset connections, answer garbage or 100 MB.
- CRLs: `openssl ca -gencrl` CRLs served over HTTP, or a redirect to them, or
  another CA's CRL.
- The audit log: a real PostgreSQL killed with SIGKILL under load and started
  again; SQLite on a 16 MiB tmpfs filled to the last byte.
- The clock: libfaketime moves sigverifyd's clock forwards and back while it runs.
- SIGHUP storms while verification runs.

In every one: no TOTAL_PASSED the evidence does not support, the process alive,
its memory bounded, and a TOTAL_PASSED again once the fault is gone. The figures
each test measures are printed (FIGURES lines).
"""
import http.server
import os
import re
import shutil
import signal
import socket
import socketserver
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request

import grpc

SIGVERIFYD, PKI, PROTO_DIR = sys.argv[1:4]
del sys.argv[1:4]

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pg_server import Postgres  # noqa: E402
from testlib import free_port, generate_protos, terminate  # noqa: E402

generate_protos(PROTO_DIR, "sigverify/v1/verification.proto", "sigverify/v1/audit.proto")
from sigverify.v1 import audit_pb2 as apb  # noqa: E402
from sigverify.v1 import verification_pb2 as pb  # noqa: E402

OCSP = os.path.join(PKI, "ocsp")
# Built with AddressSanitizer (its quarantine holds freed memory: RSS is not
# the server's).
SANITIZED = os.environ.get("SIGVERIFY_SANITIZED") == "1"
PASSED = pb.INDICATION_TOTAL_PASSED


def read(path):
    with open(path, "rb") as f:
        return f.read()


def figures(name, **values):
    print(f"FIGURES {name}: " + ", ".join(f"{k}={v}" for k, v in values.items()), flush=True)


def rss_kib(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


class Sigverifyd:
    """sigverifyd on loopback with the flags given; `env` for libfaketime."""

    def __init__(self, *flags, env=None):
        self.port = free_port()
        self.metrics_port = free_port()
        self.dir = tempfile.mkdtemp()
        self.log_path = os.path.join(self.dir, "sigverifyd.log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [SIGVERIFYD, f"--listen=127.0.0.1:{self.port}",
             f"--metrics-listen=127.0.0.1:{self.metrics_port}", *flags],
            stdout=self.log, stderr=self.log, env=env)
        deadline = time.time() + 30
        while "listening on" not in self.text():
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("sigverifyd did not start: " + self.text())
            time.sleep(0.05)
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")

        def method(service, name, req, resp):
            return self.channel.unary_unary(f"/sigverify.v1.{service}/{name}",
                                            request_serializer=req.SerializeToString,
                                            response_deserializer=resp.FromString)

        self.verify = method("VerificationService", "Verify", pb.VerifyRequest, pb.VerifyResponse)
        self.validate = method("VerificationService", "ValidateCertificate",
                               pb.ValidateCertificateRequest, pb.ValidateCertificateResponse)
        self.query = method("AuditService", "QueryRecords", apb.QueryRecordsRequest,
                            apb.QueryRecordsResponse)

    def text(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        self.channel.close()
        code = terminate(self.proc)
        self.log.close()
        return code


def verify_request(record_id="", **kw):
    return pb.VerifyRequest(
        record_id=record_id, data=read(f"{PKI}/sample.txt"),
        signature=read(f"{PKI}/sample.txt.signer-rsa.sig"),
        algorithm=pb.SIGNATURE_ALGORITHM_RSA_PKCS1_V15_SHA256,
        signer_certificate=read(f"{PKI}/signer-rsa.pem"),
        intermediate_certificates=[read(f"{PKI}/ca.pem")], **kw)


class FaultProxy:
    """An HTTP server in front of the real OCSP responder and CRL files; its
    `ocsp` and `crl` modes say how it misbehaves."""

    def __init__(self, ocsp_port, crl_bytes, other_crl_bytes):
        self.ocsp = "pass"
        self.crl = "pass"
        self.requests = 0
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, *args):
                pass

            def reset(self):
                # RST instead of FIN: SO_LINGER with a zero timeout.
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
                self.connection.close()

            def answer(self, body, content_type):
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # a client that gave up (past its deadline)

            def huge(self):
                self.send_response(200)
                self.send_header("Content-Length", str(100 << 20))
                self.end_headers()
                chunk = b"\x30" * (1 << 20)
                try:
                    for _ in range(100):
                        self.wfile.write(chunk)
                except OSError:
                    pass  # the client stopped reading: that is the point

            def do_POST(self):  # OCSP, RFC 6960 A.1 POST
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                self.ocsp(body)

            def ocsp(self, body):
                """OCSP by POST (`body`) or GET (None: the request is in the path)."""
                proxy.requests += 1
                mode = proxy.ocsp
                if mode == "slow":
                    time.sleep(8)  # the fetch deadline is 5 s
                if mode == "reset":
                    return self.reset()
                if mode == "garbage":
                    return self.answer(os.urandom(900), "application/ocsp-response")
                if mode == "huge":
                    return self.huge()
                if body is None:
                    req = urllib.request.Request(f"http://127.0.0.1:{ocsp_port}{self.path}")
                else:
                    req = urllib.request.Request(
                        f"http://127.0.0.1:{ocsp_port}/", data=body,
                        headers={"Content-Type": "application/ocsp-request"})
                with urllib.request.urlopen(req, timeout=10) as r:
                    self.answer(r.read(), "application/ocsp-response")

            def do_GET(self):  # a CRL, or OCSP by GET (RFC 6960 A.1)
                if not self.path.endswith(".crl"):
                    return self.ocsp(None)
                proxy.requests += 1
                mode = proxy.crl
                if mode == "redirect" and not self.path.startswith("/moved"):
                    self.send_response(302)
                    self.send_header("Location", "/moved" + self.path)
                    self.send_header("Content-Length", "0")
                    return self.end_headers()
                if mode == "other-ca":
                    return self.answer(other_crl_bytes, "application/pkix-crl")
                if mode == "reset":
                    return self.reset()
                self.answer(crl_bytes, "application/pkix-crl")

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def ocsp_ca_crl(work):
    """A CRL of the OCSP test CA, issued by `openssl ca -gencrl` (DER)."""
    ca = os.path.join(work, "crl-ca")
    os.makedirs(ca)
    for f in ("ca.pem", "ca.key", "index.txt", "index.txt.attr"):
        shutil.copy(os.path.join(OCSP, f), ca)
    with open(os.path.join(ca, "crlnumber"), "w") as f:
        f.write("01\n")
    with open(os.path.join(ca, "ca.cnf"), "w") as f:
        f.write(f"[ca]\ndefault_ca = test\n[test]\ndatabase = {ca}/index.txt\n"
                f"crlnumber = {ca}/crlnumber\ncertificate = {ca}/ca.pem\n"
                f"private_key = {ca}/ca.key\ndefault_md = sha256\ndefault_crl_days = 1\n"
                "crl_extensions = crl_ext\n[crl_ext]\nauthorityKeyIdentifier = keyid:always\n")
    subprocess.run(["openssl", "ca", "-config", f"{ca}/ca.cnf", "-gencrl", "-out",
                    f"{ca}/crl.pem"], check=True, capture_output=True)
    return subprocess.run(["openssl", "crl", "-in", f"{ca}/crl.pem", "-outform", "DER"],
                          check=True, capture_output=True).stdout


class RevocationFaultTest(unittest.TestCase):
    """OCSP responders and CRL servers that misbehave."""

    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp()
        cls.responder_log = open(os.path.join(cls.work, "ocsp.log"), "w+")
        cls.responder = subprocess.Popen(
            ["stdbuf", "-oL", "-eL", "openssl", "ocsp", "-index", f"{OCSP}/index.txt", "-port",
             "0", "-rsigner", f"{OCSP}/ca.pem", "-rkey", f"{OCSP}/ca.key", "-CA",
             f"{OCSP}/ca.pem", "-nmin", "10", "-ignore_err"],
            stdout=cls.responder_log, stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        port = None
        while port is None and time.time() < deadline:
            cls.responder_log.seek(0)
            m = re.search(r"ACCEPT \S*:(\d+)", cls.responder_log.read())
            port = int(m.group(1)) if m else None
            time.sleep(0.05)
        if port is None:
            raise RuntimeError("openssl ocsp did not start")
        other_crl = read(f"{PKI}/client-ca.crl")
        cls.proxy = FaultProxy(port, ocsp_ca_crl(cls.work), other_crl)
        cls.anchors = os.path.join(cls.work, "anchors")
        os.mkdir(cls.anchors)
        shutil.copy(f"{OCSP}/ca.pem", cls.anchors)

    @classmethod
    def tearDownClass(cls):
        cls.proxy.close()
        cls.responder.terminate()
        cls.responder.wait(timeout=30)
        cls.responder_log.close()

    def server(self):
        s = Sigverifyd(f"--trust-anchors={self.anchors}", "--revocation-retry-after=1s",
                       f"--url-rewrite=http://ocsp.sigverify.invalid/=http://127.0.0.1:"
                       f"{self.proxy.port}/,http://crl.sigverify.invalid/=http://127.0.0.1:"
                       f"{self.proxy.port}/")
        self.addCleanup(s.stop)
        return s

    def validate(self, server, cert):
        return server.validate(pb.ValidateCertificateRequest(
            certificate=read(f"{OCSP}/{cert}.pem"), language="en"), timeout=60)

    def fault_then_recovery(self, name, cert, set_fault, clear_fault, attempts=3):
        """Under the fault: never TOTAL_PASSED, the process alive, memory
        bounded. Then the fault cleared: TOTAL_PASSED within 30 s."""
        server = self.server()
        set_fault()
        self.addCleanup(clear_fault)
        rss_before = rss_kib(server.proc.pid)
        verdicts = []
        start = time.monotonic()
        for _ in range(attempts):
            r = self.validate(server, cert)
            verdicts.append(pb.SubIndication.Name(r.sub_indication))
            self.assertNotEqual(r.indication, PASSED, f"{name}: passed under the fault")
            self.assertTrue(server.alive())
        under_fault_seconds = time.monotonic() - start
        peak = rss_kib(server.proc.pid, "VmHWM")
        self.assertLess(peak - rss_before, 64 << 10, f"{name}: memory grew by {peak - rss_before} KiB")
        clear_fault()
        deadline = time.monotonic() + 30
        recovered = None
        while recovered is None:
            r = self.validate(server, cert)
            if r.indication == PASSED:
                recovered = time.monotonic()
            else:
                self.assertLess(time.monotonic(), deadline, f"{name}: not recovered: {r.message}")
                time.sleep(0.25)
        figures(name, verdicts="/".join(sorted(set(verdicts))),
                seconds_for_calls_under_fault=f"{under_fault_seconds:.1f}",
                rss_growth_kib=peak - rss_before,
                recovered_after_s=f"{recovered - start - under_fault_seconds:.1f}")
        return verdicts

    def set_ocsp(self, mode):
        return lambda: setattr(self.proxy, "ocsp", mode)

    def set_crl(self, mode):
        return lambda: setattr(self.proxy, "crl", mode)

    def test_ocsp_responder_slower_than_the_deadline(self):
        self.fault_then_recovery("ocsp slow", "good", self.set_ocsp("slow"), self.set_ocsp("pass"),
                                 attempts=2)

    def test_ocsp_responder_resetting(self):
        self.fault_then_recovery("ocsp reset", "good", self.set_ocsp("reset"),
                                 self.set_ocsp("pass"))

    def test_ocsp_responder_answering_garbage(self):
        self.fault_then_recovery("ocsp garbage", "good", self.set_ocsp("garbage"),
                                 self.set_ocsp("pass"))

    def test_ocsp_responder_answering_100_mb(self):
        self.fault_then_recovery("ocsp 100 MB", "good", self.set_ocsp("huge"),
                                 self.set_ocsp("pass"))

    def test_crl_server_redirecting(self):
        # with-crl.pem names an OCSP responder (reset here) and a CRL: OCSP
        # first, then the CRL, which is only behind a redirect: not followed.
        def fault():
            self.proxy.ocsp = "reset"
            self.proxy.crl = "redirect"

        def clear():
            self.proxy.ocsp = "reset"
            self.proxy.crl = "pass"

        self.addCleanup(self.set_ocsp("pass"))
        self.fault_then_recovery("crl redirect", "with-crl", fault, clear)

    def test_crl_server_serving_another_cas_crl(self):
        def fault():
            self.proxy.ocsp = "reset"
            self.proxy.crl = "other-ca"

        def clear():
            self.proxy.ocsp = "reset"
            self.proxy.crl = "pass"

        self.addCleanup(self.set_ocsp("pass"))
        self.fault_then_recovery("crl of another CA", "with-crl", fault, clear)


class AuditStoreFaultTest(unittest.TestCase):
    """The audit log's store fails under load: no verdict is answered that is
    not recorded, and the log takes records again once the store is back."""

    def load(self, server, stop, answered, refused, prefix):
        i = 0
        while not stop.is_set():
            record_id = f"{prefix}-{i}"
            i += 1
            try:
                r = server.verify(verify_request(record_id), timeout=30)
                self.assertEqual(r.indication, PASSED)
                answered.append(record_id)
            except grpc.RpcError as e:
                refused.append(e.code())
                time.sleep(0.02)

    def run_load(self, server, threads, prefix):
        stop = threading.Event()
        answered, refused = [], []
        workers = [threading.Thread(target=self.load, args=(server, stop, answered, refused,
                                                             f"{prefix}{t}"))
                   for t in range(threads)]
        for w in workers:
            w.start()
        return stop, workers, answered, refused

    def recorded_ids(self, server):
        """Every record id a query finds, once the search index (filled behind the
        log) has caught up with it."""
        deadline = time.monotonic() + 60
        while True:
            r = server.query(apb.QueryRecordsRequest(page_size=1), timeout=30)
            if r.index.indexed_size == r.index.tree_size:
                break
            self.assertLess(time.monotonic(), deadline,
                            f"the search index stayed behind: {r.index}")
            time.sleep(0.1)
        ids = set()
        token = ""
        for _ in range(1000):
            r = server.query(apb.QueryRecordsRequest(page_size=1000, page_token=token),
                             timeout=30)
            ids.update(rec.record_id for rec in r.records)
            token = r.next_page_token
            if not token:
                return ids
        raise AssertionError("more pages than records")

    def test_postgresql_killed_mid_commit_and_restarted(self):
        pg = Postgres()
        self.addCleanup(pg.stop)
        work = tempfile.mkdtemp()
        key = os.path.join(work, "audit.key")
        subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", key], check=True)
        server = Sigverifyd(f"--trust-anchors={PKI}/anchors", f"--audit-postgres={pg.conninfo}",
                            f"--audit-key={key}", "--instance-id=pg-fault")
        self.addCleanup(server.stop)
        stop, workers, answered, refused = self.run_load(server, 4, "pg")
        time.sleep(1.0)
        before_kill = len(answered)
        pg.kill9()
        killed_at = time.monotonic()
        time.sleep(1.5)
        during = len(answered)
        pg.start()
        restarted = time.monotonic()
        deadline = restarted + 60
        while len(answered) <= during + 20:
            self.assertLess(time.monotonic(), deadline, "no verdict answered after the restart:\n"
                            + server.text()[-2000:])
            time.sleep(0.1)
        stop.set()
        for w in workers:
            w.join()
        self.assertTrue(server.alive())
        self.assertGreater(before_kill, 0)
        self.assertTrue(refused, "nothing was refused while PostgreSQL was down")
        self.assertTrue(all(c == grpc.StatusCode.UNAVAILABLE for c in refused), set(refused))
        recorded = self.recorded_ids(server)
        missing = [a for a in answered if a not in recorded]
        self.assertEqual(missing, [], "answered verdicts missing from the log")
        figures("postgres killed", answered=len(answered), refused=len(refused),
                answered_while_down=during - before_kill,
                first_answers_after_restart_s=f"{time.monotonic() - restarted:.1f}",
                missing=len(missing), down_s=f"{restarted - killed_at:.1f}")

    def test_sqlite_disk_full(self):
        if os.geteuid() != 0:
            self.skipTest("mounting a tmpfs needs root")
        mnt = tempfile.mkdtemp()
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", mnt], check=True)
        self.addCleanup(lambda: subprocess.run(["umount", "-l", mnt], check=False))
        db = os.path.join(mnt, "audit.db")
        # No free-space floor: the disk really fills (the floor is its own test).
        server = Sigverifyd(f"--trust-anchors={PKI}/anchors", f"--audit-db={db}",
                            "--audit-min-free-bytes=0", "--instance-id=full")
        self.addCleanup(server.stop)
        server.verify(verify_request("before"), timeout=30)
        filler = os.path.join(mnt, "filler")
        with open(filler, "wb") as f:  # every byte left
            try:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
            except OSError:
                pass
        stop, workers, answered, refused = self.run_load(server, 2, "full")
        deadline = time.monotonic() + 30
        while not refused:
            self.assertLess(time.monotonic(), deadline, "never refused with the disk full")
            time.sleep(0.05)
        time.sleep(0.5)
        full_answered = len(answered)
        os.unlink(filler)
        deadline = time.monotonic() + 30
        while len(answered) <= full_answered + 10:
            self.assertLess(time.monotonic(), deadline, "not recovered once space was freed:\n"
                            + server.text()[-2000:])
            time.sleep(0.05)
        stop.set()
        for w in workers:
            w.join()
        self.assertTrue(server.alive())
        self.assertTrue(all(c == grpc.StatusCode.UNAVAILABLE for c in refused), set(refused))
        recorded = self.recorded_ids(server)
        missing = [a for a in answered if a not in recorded]
        self.assertEqual(missing, [])
        # The log still verifies offline, record by record.
        log_key = re.search(r"checkpoints verify with (\S+)", server.text()).group(1)
        audit_verify = subprocess.run(
            [os.path.join(os.path.dirname(SIGVERIFYD), "sigverify"), "audit-verify",
             f"--audit-db={db}", "--shard=full", f"--log-key={log_key}"],
            capture_output=True, text=True, timeout=120)
        self.assertEqual(audit_verify.returncode, 0, audit_verify.stdout + audit_verify.stderr)
        figures("sqlite disk full", answered=len(answered), refused=len(refused),
                missing=len(missing))


class ClockFaultTest(unittest.TestCase):
    """sigverifyd's clock moved forwards and back by libfaketime while it runs."""

    def test_clock_jumps(self):
        lib = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"
        if not os.path.exists(lib):
            self.fail("libfaketime is missing (tools/install-deps.sh installs faketime)")
        work = tempfile.mkdtemp()
        offset_file = os.path.join(work, "offset")

        def set_offset(spec):
            with open(offset_file + ".new", "w") as f:
                f.write(spec + "\n")
            os.rename(offset_file + ".new", offset_file)

        set_offset("+0")
        env = dict(os.environ, LD_PRELOAD=lib, FAKETIME_TIMESTAMP_FILE=offset_file,
                   FAKETIME_NO_CACHE="1", FAKETIME_DONT_FAKE_MONOTONIC="1")
        if SANITIZED:  # libfaketime is preloaded before the sanitizer's runtime
            env["ASAN_OPTIONS"] = ":".join(
                filter(None, [os.environ.get("ASAN_OPTIONS", ""), "verify_asan_link_order=0"]))
        server = Sigverifyd(f"--trust-anchors={PKI}/anchors", "--check-revocation=false",
                            env=env)
        self.addCleanup(server.stop)

        def verdict():
            r = server.verify(verify_request(), timeout=30)
            return r

        self.assertEqual(verdict().indication, PASSED)
        seen = []
        # signer-rsa is valid from a day ago for two years: 800 days ahead it
        # has expired, 3 days back it is not valid yet; in between it passes.
        for spec, passes in (("+800d", False), ("+0", True), ("-3d", False), ("+0", True)):
            set_offset(spec)
            deadline = time.monotonic() + 15
            while True:
                r = verdict()
                self.assertTrue(server.alive())
                if (r.indication == PASSED) == passes:
                    break
                self.assertLess(time.monotonic(), deadline, f"clock {spec}: {r.message}")
                time.sleep(0.2)
            seen.append(f"{spec}:" + ("TOTAL_PASSED" if passes
                                      else pb.SubIndication.Name(r.sub_indication)))
        figures("clock jumps", sequence=" ".join(seen))


class SighupStormTest(unittest.TestCase):
    def test_sighup_storm_under_load(self):
        server = Sigverifyd(f"--trust-anchors={PKI}/anchors", "--check-revocation=false")
        self.addCleanup(server.stop)
        stop = threading.Event()
        results, errors = [], []

        def load():
            while not stop.is_set():
                try:
                    results.append(server.verify(verify_request(), timeout=30).indication)
                except grpc.RpcError as e:
                    errors.append(e.code())

        workers = [threading.Thread(target=load) for _ in range(4)]
        for w in workers:
            w.start()
        rss_before = rss_kib(server.proc.pid)
        for _ in range(300):
            os.kill(server.proc.pid, signal.SIGHUP)
            time.sleep(0.005)
        time.sleep(1.0)
        stop.set()
        for w in workers:
            w.join()
        self.assertTrue(server.alive())
        self.assertEqual(errors, [])
        self.assertTrue(results)
        self.assertTrue(all(i == PASSED for i in results))
        rss_after = rss_kib(server.proc.pid)
        if not SANITIZED:  # under ASan, freed stores wait in its quarantine
            self.assertLess(rss_after - rss_before, 64 << 10)
        with urllib.request.urlopen(f"http://127.0.0.1:{server.metrics_port}/metrics",
                                    timeout=10) as r:
            metrics = r.read().decode()
        reloads = int(float(re.search(r"^sigverify_trust_store_reloads_total (\S+)", metrics,
                                      re.M).group(1)))
        self.assertGreater(reloads, 0)
        figures("sighup storm", sighups=300, reloads=reloads, verdicts=len(results),
                rss_growth_kib=rss_after - rss_before)


if __name__ == "__main__":
    unittest.main(verbosity=2)
