#!/usr/bin/python3
"""Access control end to end: sigverifyd with mutual TLS and an access
configuration, called by Debian's python3-grpcio with the client certificates
the test PKI issues (one per role), real CRL files changed under a running
server, and openssl s_client probing the TLS versions and suites it accepts.

Usage: access_test.py SIGVERIFYD TESTPKI_DIR PROTO_DIR
"""
import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

import grpc
from google.protobuf import timestamp_pb2

SIGVERIFYD, PKI, PROTO_DIR = sys.argv[1:4]
del sys.argv[1:4]

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testlib import free_port, generate_protos, terminate  # noqa: E402

generate_protos(PROTO_DIR, "sigverify/v1/verification.proto", "sigverify/v1/audit.proto",
                "sigverify/v1/admin.proto", "google/rpc/status.proto",
                "google/rpc/error_details.proto")
from google.rpc import error_details_pb2, status_pb2  # noqa: E402
from sigverify.v1 import admin_pb2 as adm  # noqa: E402
from sigverify.v1 import audit_pb2 as apb  # noqa: E402
from sigverify.v1 import verification_pb2 as pb  # noqa: E402


def read(name):
    with open(os.path.join(PKI, name), "rb") as f:
        return f.read()


def sha256_of_certificate(name):
    der = subprocess.run(["openssl", "x509", "-in", os.path.join(PKI, name), "-outform", "DER"],
                         check=True, capture_output=True).stdout
    return hashlib.sha256(der).hexdigest()


def verify_request(**kw):
    return pb.VerifyRequest(
        data=read("sample.txt"), signature=read("sample.txt.signer-rsa.sig"),
        algorithm=pb.SIGNATURE_ALGORITHM_RSA_PKCS1_V15_SHA256,
        signer_certificate=read("signer-rsa.pem"), intermediate_certificates=[read("ca.pem")], **kw)


def timestamp(seconds_ago):
    t = timestamp_pb2.Timestamp()
    t.FromSeconds(int(time.time()) - seconds_ago)
    return t


def access_config(extra="", verifier_quota=""):
    """Grants in every form the contract allows: fingerprints (one written in
    upper case with colons), a subject, a URI SAN."""
    admin = sha256_of_certificate("client-admin.pem").upper()
    admin = ":".join(admin[i:i + 2] for i in range(0, len(admin), 2))
    return f"""
grants {{ name: "so-noi-vu" role: ROLE_VERIFIER
          san_uri: "spiffe://sigverify.test/dms/so-noi-vu" {verifier_quota} }}
grants {{ name: "mot-cua" role: ROLE_VERIFIER may_set_validation_time: true
          certificate_sha256: "{sha256_of_certificate('client-attester.pem')}" }}
grants {{ name: "thanh-tra" role: ROLE_AUDITOR
          subject: "CN=Kiểm toán viên, O=Thanh tra Thành phố, C=VN" }}
grants {{ role: ROLE_ADMIN certificate_sha256: "{admin}" }}
grants {{ name: "bi-thu-hoi" role: ROLE_VERIFIER
          certificate_sha256: "{sha256_of_certificate('client-revoked.pem')}" }}
grants {{ name: "server-only" role: ROLE_VERIFIER
          certificate_sha256: "{sha256_of_certificate('client-serverauth.pem')}" }}
{extra}
"""


class Server:
    """sigverifyd with mutual TLS on loopback; its files in a directory of
    its own so that tests can change them under it."""

    def __init__(self, *flags, crl="client-ca-empty.crl", verifier_quota="", extra=""):
        self.dir = tempfile.mkdtemp()
        self.port = free_port()
        self.metrics_port = free_port()
        self.chain = os.path.join(self.dir, "chain.pem")
        with open(self.chain, "wb") as f:
            f.write(read("tls-server.pem") + read("ca.pem"))
        self.crl = os.path.join(self.dir, "clients.crl")
        shutil.copy(os.path.join(PKI, crl), self.crl)
        self.config = os.path.join(self.dir, "access.textproto")
        with open(self.config, "w") as f:
            f.write(access_config(extra, verifier_quota=verifier_quota))
        self.anchors = os.path.join(self.dir, "anchors")
        os.mkdir(self.anchors)
        shutil.copy(os.path.join(PKI, "root.pem"), self.anchors)
        shutil.copy(os.path.join(PKI, "ocsp", "ca.pem"), os.path.join(self.anchors, "ocsp-ca.pem"))
        self.metrics_tls = "--metrics-tls" in flags
        self.log_path = os.path.join(self.dir, "sigverifyd.log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [SIGVERIFYD, f"--listen=127.0.0.1:{self.port}",
             f"--metrics-listen=127.0.0.1:{self.metrics_port}", f"--trust-anchors={self.anchors}",
             f"--tls-cert={self.chain}", f"--tls-key={PKI}/tls-server.key",
             f"--tls-client-ca={PKI}/client-ca.pem", f"--tls-client-crl={self.crl}",
             f"--access-config={self.config}", "--trust-anchors-poll-interval=1s",
             f"--audit-db={self.dir}/audit.db", "--instance-id=access",
             f"--access-log={self.dir}/access.log",
             "--url-rewrite=http://ocsp.sigverify.invalid/=http://127.0.0.1:9/,"
             "http://crl.sigverify.invalid/=http://127.0.0.1:9/", *flags],
            stdout=self.log, stderr=self.log)
        deadline = time.time() + 20
        while "listening on" not in self.text():
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("sigverifyd did not start: " + self.text())
            time.sleep(0.05)
        self.channels = []

    def text(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def channel(self, client=None):
        """A channel presenting client-<client>.pem (none when None)."""
        creds = grpc.ssl_channel_credentials(
            root_certificates=read("root.pem"),
            private_key=read(f"client-{client}.key") if client else None,
            certificate_chain=read(f"client-{client}.pem") if client else None)
        channel = grpc.secure_channel(f"localhost:{self.port}", creds)
        self.channels.append(channel)
        return channel

    def metrics(self, client="monitor"):
        """/metrics; over TLS with client-<client>.pem when --metrics-tls."""
        if not self.metrics_tls:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics",
                                        timeout=10) as r:
                return r.read().decode()
        context = ssl.create_default_context(cafile=os.path.join(PKI, "root.pem"))
        if client:
            context.load_cert_chain(os.path.join(PKI, f"client-{client}.pem"),
                                    os.path.join(PKI, f"client-{client}.key"))
        with urllib.request.urlopen(f"https://localhost:{self.metrics_port}/metrics",
                                    context=context, timeout=10) as r:
            return r.read().decode()

    def stop(self):
        for c in self.channels:
            c.close()
        code = terminate(self.proc, timeout=30)
        self.log.close()
        return code


def stub(channel, service, name, request_type, response_type):
    return channel.unary_unary(f"/sigverify.v1.{service}/{name}",
                               request_serializer=request_type.SerializeToString,
                               response_deserializer=response_type.FromString)


def verify(channel):
    return stub(channel, "VerificationService", "Verify", pb.VerifyRequest, pb.VerifyResponse)


def validate(channel):
    return stub(channel, "VerificationService", "ValidateCertificate",
                pb.ValidateCertificateRequest, pb.ValidateCertificateResponse)


def query(channel):
    return stub(channel, "AuditService", "QueryRecords", apb.QueryRecordsRequest,
                apb.QueryRecordsResponse)


def status(channel):
    return stub(channel, "AdminService", "GetStatus", adm.GetStatusRequest, adm.GetStatusResponse)


def reload(channel):
    return stub(channel, "AdminService", "Reload", adm.ReloadRequest, adm.ReloadResponse)


class RolesTest(unittest.TestCase):
    """One server; each role can do its own work and nothing else."""

    @classmethod
    def setUpClass(cls):
        cls.server = Server()

    @classmethod
    def tearDownClass(cls):
        cls.assertEqual(unittest.TestCase(), cls.server.stop(), 0)

    def assertRefused(self, call, code, *fragments):
        with self.assertRaises(grpc.RpcError) as e:
            call()
        self.assertEqual(e.exception.code(), code, e.exception.details())
        for fragment in fragments:
            self.assertIn(fragment, e.exception.details())
        return e.exception.details()

    def test_verifier_verifies_and_cannot_read_the_audit_log(self):
        channel = self.server.channel("verifier")
        self.assertEqual(verify(channel)(verify_request(record_id="v-1"), timeout=10).indication,
                         pb.INDICATION_TOTAL_PASSED)
        self.assertRefused(lambda: query(channel)(apb.QueryRecordsRequest(), timeout=10),
                           grpc.StatusCode.PERMISSION_DENIED,
                           "/sigverify.v1.AuditService/QueryRecords needs ROLE_AUDITOR",
                           "Hệ thống quản lý văn bản Sở Nội vụ")
        export = channel.unary_stream("/sigverify.v1.AuditService/ExportRecords",
                                      request_serializer=apb.ExportRecordsRequest.SerializeToString,
                                      response_deserializer=apb.ExportRecordsResponse.FromString)
        self.assertRefused(lambda: list(export(apb.ExportRecordsRequest(), timeout=10)),
                           grpc.StatusCode.PERMISSION_DENIED, "ExportRecords needs ROLE_AUDITOR")
        self.assertRefused(lambda: status(channel)(adm.GetStatusRequest(), timeout=10),
                           grpc.StatusCode.PERMISSION_DENIED, "GetStatus needs ROLE_ADMIN")

    def test_auditor_reads_the_log_with_callers_and_cannot_verify(self):
        verifier = self.server.channel("verifier")
        verify(verifier)(verify_request(record_id="for-the-auditor"), timeout=10)
        auditor = self.server.channel("auditor")
        self.assertRefused(lambda: verify(auditor)(verify_request(), timeout=10),
                           grpc.StatusCode.PERMISSION_DENIED,
                           "/sigverify.v1.VerificationService/Verify needs ROLE_VERIFIER",
                           "CN=Kiểm toán viên,O=Thanh tra Thành phố,C=VN")
        records = query(auditor)(apb.QueryRecordsRequest(
            filter=apb.RecordFilter(record_id="for-the-auditor")), timeout=10).records
        self.assertEqual(len(records), 1)
        verifier_sha256 = sha256_of_certificate("client-verifier.pem")
        self.assertEqual(records[0].caller_certificate_sha256, verifier_sha256)
        self.assertEqual(records[0].caller_subject,
                         "CN=Hệ thống quản lý văn bản Sở Nội vụ,O=Sở Nội vụ Hà Nội,C=VN")
        self.assertTrue(records[0].caller.startswith("ipv4:127.0.0.1:"))
        # The auditor can ask for one caller's records by its certificate.
        by_caller = query(auditor)(apb.QueryRecordsRequest(
            filter=apb.RecordFilter(caller=verifier_sha256)), timeout=10).records
        self.assertTrue(by_caller)
        self.assertTrue(all(r.caller_certificate_sha256 == verifier_sha256 for r in by_caller))

    def test_admin_reads_status_and_reloads(self):
        admin = self.server.channel("admin")
        s = status(admin)(adm.GetStatusRequest(), timeout=10)
        self.assertTrue(s.access_control)
        self.assertEqual(s.grants, 6)
        self.assertEqual(len(s.access_config_version), 64)
        self.assertEqual(s.audit_shard, "access")
        self.assertEqual(s.trust_anchors, 2)
        r = reload(admin)(adm.ReloadRequest(), timeout=30)
        self.assertEqual(list(r.errors), [])
        self.assertEqual(r.trust_store_version, s.trust_store_version)
        self.assertRefused(lambda: reload(self.server.channel("auditor"))(adm.ReloadRequest(),
                                                                          timeout=10),
                           grpc.StatusCode.PERMISSION_DENIED, "Reload needs ROLE_ADMIN")

    def test_certificate_without_a_grant_is_denied(self):
        self.assertRefused(lambda: verify(self.server.channel("unknown"))(verify_request(),
                                                                           timeout=10),
                           grpc.StatusCode.PERMISSION_DENIED, "needs ROLE_VERIFIER",
                           sha256_of_certificate("client-unknown.pem"))

    def test_no_certificate_or_a_foreign_one_is_refused_at_the_handshake(self):
        for client in (None, "foreign"):
            with self.subTest(client=client):
                self.assertRefused(lambda: verify(self.server.channel(client))(verify_request(),
                                                                                timeout=10),
                                   grpc.StatusCode.UNAVAILABLE)

    def test_server_certificate_is_no_client_certificate(self):
        # Granted, but its extendedKeyUsage is serverAuth only.
        self.assertRefused(lambda: verify(self.server.channel("serverauth"))(verify_request(),
                                                                              timeout=10),
                           grpc.StatusCode.UNAVAILABLE)

    def test_health_and_reflection_are_open_to_any_client_certificate(self):
        channel = self.server.channel("unknown")
        check = channel.unary_unary("/grpc.health.v1.Health/Check",
                                    request_serializer=lambda _: b"",
                                    response_deserializer=lambda b: b)
        self.assertEqual(check(None, timeout=10), b"\x08\x01")  # SERVING

    def test_validation_time_needs_the_grant_and_is_then_attested(self):
        verifier = self.server.channel("verifier")
        detail = self.assertRefused(
            lambda: verify(verifier)(verify_request(validation_time=timestamp(3600)), timeout=10),
            grpc.StatusCode.PERMISSION_DENIED, "may_set_validation_time", "'so-noi-vu'")
        self.assertIn("validation_time", detail)
        batch = stub(verifier, "VerificationService", "VerifyBatch", pb.VerifyBatchRequest,
                     pb.VerifyBatchResponse)
        self.assertRefused(lambda: batch(pb.VerifyBatchRequest(requests=[
            verify_request(), verify_request(validation_time=timestamp(60))]), timeout=10),
            grpc.StatusCode.PERMISSION_DENIED, "may_set_validation_time")

        attester = self.server.channel("attester")
        r = verify(attester)(verify_request(record_id="attested", validation_time=timestamp(3600)),
                             timeout=10)
        self.assertEqual(r.indication, pb.INDICATION_TOTAL_PASSED)
        self.assertTrue(r.validation_time_from_request)
        self.assertTrue(r.validation_time_attested)
        # A future time is still refused, whoever attests it.
        self.assertRefused(lambda: verify(attester)(verify_request(
            validation_time=timestamp(-3600)), timeout=10), grpc.StatusCode.INVALID_ARGUMENT)
        records = query(self.server.channel("auditor"))(apb.QueryRecordsRequest(
            filter=apb.RecordFilter(record_id="attested")), timeout=10).records
        self.assertTrue(records[0].validation_time_attested)
        self.assertFalse(records[0].validation_time_claimed)

    def test_stream_needs_the_verifier_role_and_the_time_grant_per_record(self):
        def stream(channel):
            return channel.stream_stream(
                "/sigverify.v1.VerificationService/VerifyStream",
                request_serializer=pb.VerifyStreamRequest.SerializeToString,
                response_deserializer=pb.VerifyStreamResponse.FromString)
        auditor = self.server.channel("auditor")
        self.assertRefused(
            lambda: list(stream(auditor)(iter([pb.VerifyStreamRequest(request=verify_request())]),
                                         timeout=10)),
            grpc.StatusCode.PERMISSION_DENIED,
            "/sigverify.v1.VerificationService/VerifyStream needs ROLE_VERIFIER")
        verifier = self.server.channel("verifier")
        answers = {a.sequence: a for a in stream(verifier)(iter([
            pb.VerifyStreamRequest(request=verify_request(record_id="streamed")),
            pb.VerifyStreamRequest(request=verify_request(record_id="claimed",
                                                          validation_time=timestamp(3600))),
        ]), timeout=10)}
        self.assertEqual(answers[0].response.indication, pb.INDICATION_TOTAL_PASSED)
        self.assertEqual(answers[1].error.code, grpc.StatusCode.PERMISSION_DENIED.value[0])
        self.assertEqual(answers[1].error.record_id, "claimed")
        self.assertIn("may_set_validation_time", answers[1].error.message)
        records = query(auditor)(apb.QueryRecordsRequest(
            filter=apb.RecordFilter(record_id="streamed")), timeout=10).records
        self.assertEqual(len(records), 1)
        self.assertEqual(records[0].method, "VerifyStream")
        self.assertEqual(records[0].caller_certificate_sha256,
                         sha256_of_certificate("client-verifier.pem"))

    def test_attested_time_is_proof_of_existence_and_a_claim_is_not(self):
        # ocsp/revoked.pem was revoked a day ago; an OCSP response saying so
        # is stapled. At a time two days ago it was good: attested, that is
        # the verdict; claimed, the revocation known now still counts.
        req = os.path.join(self.server.dir, "req.der")
        resp = os.path.join(self.server.dir, "resp.der")
        ocsp = os.path.join(PKI, "ocsp")
        subprocess.run(["openssl", "ocsp", "-issuer", f"{ocsp}/ca.pem", "-cert",
                        f"{ocsp}/revoked.pem", "-no_nonce", "-reqout", req], check=True,
                       capture_output=True)
        subprocess.run(["openssl", "ocsp", "-index", f"{ocsp}/index.txt", "-CA", f"{ocsp}/ca.pem",
                        "-rsigner", f"{ocsp}/responder.pem", "-rkey", f"{ocsp}/responder.key",
                        "-reqin", req, "-respout", resp, "-ndays", "1"], check=True,
                       capture_output=True)
        with open(resp, "rb") as f:
            stapled = f.read()
        request = pb.ValidateCertificateRequest(
            certificate=read("ocsp/revoked.pem"), ocsp_responses=[stapled],
            validation_time=timestamp(2 * 86400), language="en")
        attested = validate(self.server.channel("attester"))(request, timeout=10)
        self.assertEqual(attested.indication, pb.INDICATION_TOTAL_PASSED, attested.message)
        self.assertTrue(attested.validation_time_attested)
        self.assertIn("attested", attested.message)
        # The same claim from a server without access control is no proof.
        open_server = subprocess.Popen(
            [SIGVERIFYD, f"--listen=127.0.0.1:{free_port()}", "--metrics-listen=",
             f"--trust-anchors={self.server.anchors}",
             "--url-rewrite=http://ocsp.sigverify.invalid/=http://127.0.0.1:9/,"
             "http://crl.sigverify.invalid/=http://127.0.0.1:9/"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            line = ""
            while "listening on" not in line:
                line = open_server.stdout.readline()
                self.assertTrue(line, "sigverifyd did not start")
            address = re.search(r"listening on (\S+)", line).group(1)
            with grpc.insecure_channel(address) as channel:
                claimed = validate(channel)(request, timeout=10)
            self.assertEqual(claimed.indication, pb.INDICATION_INDETERMINATE)
            self.assertEqual(claimed.sub_indication, pb.SUB_INDICATION_REVOKED_NO_POE)
            self.assertFalse(claimed.validation_time_attested)
        finally:
            open_server.send_signal(signal.SIGTERM)
            open_server.wait(timeout=30)
            open_server.stdout.close()

    def test_access_log_has_a_line_per_call_with_the_caller(self):
        verify(self.server.channel("verifier"))(verify_request(), timeout=10)
        with self.assertRaises(grpc.RpcError):
            verify(self.server.channel("unknown"))(verify_request(), timeout=10)
        query(self.server.channel("auditor"))(apb.QueryRecordsRequest(), timeout=10)
        path = os.path.join(self.server.dir, "access.log")
        deadline = time.time() + 10
        lines = []
        while time.time() < deadline:
            with open(path, encoding="utf-8") as f:
                lines = [json.loads(line) for line in f]
            if any(l["method"].endswith("/QueryRecords") for l in lines):
                break
            time.sleep(0.1)
        verified = [l for l in lines if l["method"] == "/sigverify.v1.VerificationService/Verify"
                    and l.get("grant") == "so-noi-vu" and l["code"] == 0]
        self.assertTrue(verified, lines)
        self.assertEqual(verified[0]["certificate_sha256"],
                         sha256_of_certificate("client-verifier.pem"))
        self.assertEqual(verified[0]["items"], 1)
        refused = [l for l in lines if l["code"] == 7]
        self.assertTrue(refused)
        self.assertEqual(refused[0]["subject"], "CN=Máy khách chưa được cấp quyền,C=VN")
        self.assertNotIn("grant", refused[0])
        self.assertTrue(any(l["method"] == "/sigverify.v1.AuditService/QueryRecords" and
                            l.get("grant") == "thanh-tra" for l in lines))
        # No document content: the signed text is nowhere in the log.
        with open(path, "rb") as f:
            self.assertNotIn(read("sample.txt")[:30], f.read())

    def test_metrics_count_refusals_by_reason(self):
        with self.assertRaises(grpc.RpcError):
            verify(self.server.channel("unknown"))(verify_request(), timeout=10)
        m = self.server.metrics()
        value = re.search(r'sigverify_access_denied_total\{reason="no_grant"\} (\d+)', m)
        self.assertIsNotNone(value, m[:500])
        self.assertGreaterEqual(int(value.group(1)), 1)
        # Calls are metered by the grant they came in by.
        verify(self.server.channel("attester"))(verify_request(), timeout=10)
        m = self.server.metrics()
        calls = re.search(r'sigverify_caller_calls_total\{caller="mot-cua"\} (\d+)', m)
        self.assertIsNotNone(calls, m)
        self.assertGreaterEqual(int(calls.group(1)), 1)


class ReloadTest(unittest.TestCase):
    """Files changed under a running server take effect without a restart,
    on connections already open."""

    def setUp(self):
        self.server = Server()

    def tearDown(self):
        self.assertEqual(self.server.stop(), 0)

    def wait_for(self, condition, what):
        deadline = time.time() + 15
        while not condition():
            self.assertLess(time.time(), deadline, f"{what}: not within 15 s\n{self.server.text()}")
            time.sleep(0.2)

    def refused(self, call):
        try:
            call()
            return None
        except grpc.RpcError as e:
            return e

    def test_revoked_client_is_refused_once_the_crl_changes(self):
        channel = self.server.channel("revoked")
        call = lambda: verify(channel)(verify_request(), timeout=10)  # noqa: E731
        self.assertEqual(call().indication, pb.INDICATION_TOTAL_PASSED)
        shutil.copy(os.path.join(PKI, "client-ca.crl"), self.server.crl + ".new")
        os.rename(self.server.crl + ".new", self.server.crl)
        self.wait_for(lambda: self.refused(call) is not None, "the revocation")
        e = self.refused(call)
        self.assertEqual(e.code(), grpc.StatusCode.UNAUTHENTICATED)
        self.assertIn("is revoked by the client CRL", e.details())
        self.assertIn("(serial 01FA)", e.details())
        # Others of the same CA are unaffected.
        self.assertEqual(verify(self.server.channel("verifier"))(verify_request(),
                                                                 timeout=10).indication,
                         pb.INDICATION_TOTAL_PASSED)

    def test_access_log_reopens_on_sighup(self):
        # logrotate's way: move the file, signal, the next lines go to a new one.
        channel = self.server.channel("verifier")
        verify(channel)(verify_request(), timeout=10)
        path = os.path.join(self.server.dir, "access.log")
        self.wait_for(lambda: os.path.getsize(path) > 0, "the first line")
        os.rename(path, path + ".1")
        self.server.proc.send_signal(signal.SIGHUP)
        self.wait_for(lambda: os.path.exists(path), "a new access log after SIGHUP")
        verify(channel)(verify_request(), timeout=10)
        self.wait_for(lambda: os.path.getsize(path) > 0, "a line in the new file")

    def test_stale_crl_refuses_every_client_of_its_ca(self):
        channel = self.server.channel("verifier")
        shutil.copy(os.path.join(PKI, "client-ca-stale.crl"), self.server.crl)
        self.wait_for(lambda: self.refused(lambda: verify(channel)(verify_request(), timeout=10))
                      is not None, "the stale CRL")
        e = self.refused(lambda: verify(channel)(verify_request(), timeout=10))
        self.assertEqual(e.code(), grpc.StatusCode.UNAUTHENTICATED)
        self.assertIn("due for renewal", e.details())

    def test_new_grant_applies_and_a_broken_file_keeps_the_old_grants(self):
        channel = self.server.channel("unknown")
        call = lambda: verify(channel)(verify_request(), timeout=10)  # noqa: E731
        self.assertEqual(self.refused(call).code(), grpc.StatusCode.PERMISSION_DENIED)
        with open(self.server.config + ".new", "w") as f:
            f.write(access_config('grants { name: "moi" role: ROLE_VERIFIER subject: '
                                  '"CN=Máy khách chưa được cấp quyền,C=VN" }'))
        os.rename(self.server.config + ".new", self.server.config)
        self.wait_for(lambda: self.refused(call) is None, "the new grant")
        # A mistake in the file: the reload is refused and named, the grants
        # in force stay.
        with open(self.server.config, "w") as f:
            f.write('grants { role: ROLE_VERIFIER certificate_sha256: "abc" }')
        r = reload(self.server.channel("admin"))(adm.ReloadRequest(), timeout=30)
        self.assertEqual(len(r.errors), 1)
        self.assertIn("grants[1].certificate_sha256", r.errors[0])
        self.assertIsNone(self.refused(call))
        self.assertIn("access control not reloaded", self.server.text())


def retry_delay(error):
    """The google.rpc.RetryInfo delay of a refused call, in seconds."""
    details = dict(error.trailing_metadata() or ()).get("grpc-status-details-bin")
    if details is None:
        return None
    status = status_pb2.Status.FromString(details)
    for any_detail in status.details:
        info = error_details_pb2.RetryInfo()
        if any_detail.Unpack(info):
            return info.retry_delay.seconds + info.retry_delay.nanos / 1e9
    return None


class QuotaTest(unittest.TestCase):
    """A grant's quota: calls beyond it are refused with when to retry."""

    def test_rate_quota_refuses_with_retry_info_and_recovers(self):
        server = Server(verifier_quota="quota { items_per_second: 4 burst_items: 4 }")
        try:
            channel = server.channel("verifier")
            call = lambda: verify(channel)(verify_request(), timeout=10)  # noqa: E731
            passed = 0
            refusal = None
            for _ in range(12):
                try:
                    call()
                    passed += 1
                except grpc.RpcError as e:
                    refusal = e
                    break
            self.assertIsNotNone(refusal, "12 calls at once passed a quota of 4 per second")
            self.assertGreaterEqual(passed, 4)
            self.assertEqual(refusal.code(), grpc.StatusCode.RESOURCE_EXHAUSTED)
            self.assertIn("quota of 'so-noi-vu'", refusal.details())
            delay = retry_delay(refusal)
            self.assertIsNotNone(delay, "no RetryInfo in the trailers")
            self.assertGreater(delay, 0)
            self.assertLessEqual(delay, 1.0)
            # Another grant is not held back by it.
            self.assertEqual(verify(server.channel("attester"))(verify_request(),
                                                                timeout=10).indication,
                             pb.INDICATION_TOTAL_PASSED)
            time.sleep(delay + 0.05)
            self.assertEqual(call().indication, pb.INDICATION_TOTAL_PASSED)
            m = server.metrics()
            refused = re.search(
                r'sigverify_caller_quota_refusals_total\{caller="so-noi-vu"\} (\d+)', m)
            self.assertIsNotNone(refused)
            self.assertGreaterEqual(int(refused.group(1)), 1)
        finally:
            self.assertEqual(server.stop(), 0)

    def test_inflight_quota_counts_open_calls(self):
        # A document stream holds its record against the quota from its
        # first message to its answer: with one record allowed in flight,
        # nothing else of the grant passes while it is open.
        server = Server(verifier_quota="quota { max_inflight_items: 1 }")
        try:
            channel = server.channel("verifier")
            stream = channel.stream_unary(
                "/sigverify.v1.VerificationService/VerifyDocumentStream",
                request_serializer=pb.VerifyDocumentStreamRequest.SerializeToString,
                response_deserializer=pb.VerifyDocumentStreamResponse.FromString)
            call = lambda: verify(channel)(verify_request(), timeout=10)  # noqa: E731
            finish = threading.Event()

            def messages():
                yield pb.VerifyDocumentStreamRequest(options=pb.VerifyDocumentRequest())
                finish.wait(30)

            def calls_counted():
                found = re.search(r'sigverify_caller_calls_total\{caller="so-noi-vu"\} (\d+)',
                                  server.metrics())
                return int(found.group(1)) if found else 0

            # The stream is sent first and counted by the server before any
            # other call of the grant, which would otherwise take the one
            # record allowed in flight before the stream's first message.
            open_call = stream.future(messages(), timeout=60)
            deadline = time.time() + 10
            while calls_counted() < 1 and time.time() < deadline:
                time.sleep(0.02)
            self.assertEqual(calls_counted(), 1, "the stream never reached the server")
            with self.assertRaises(grpc.RpcError) as refused:
                call()
            refusal = refused.exception
            self.assertFalse(open_call.done(), "the stream was refused: " + str(open_call))
            self.assertEqual(refusal.code(), grpc.StatusCode.RESOURCE_EXHAUSTED)
            self.assertIn("1 records in flight, at most 1", refusal.details())
            self.assertIsNotNone(retry_delay(refusal))
            finish.set()
            with self.assertRaises(grpc.RpcError) as ended:
                open_call.result()  # no document: INVALID_ARGUMENT, and the hold is let go
            self.assertEqual(ended.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
            self.assertEqual(call().indication, pb.INDICATION_TOTAL_PASSED)
        finally:
            self.assertEqual(server.stop(), 0)


def handshake(port, client, *options):
    """The cipher openssl s_client agrees on with 127.0.0.1:port, or "(NONE)"."""
    r = subprocess.run(
        ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-CAfile", f"{PKI}/root.pem",
         "-cert", f"{PKI}/client-{client}.pem", "-key", f"{PKI}/client-{client}.key", *options],
        input=b"", capture_output=True, timeout=30)
    text = r.stdout.decode(errors="replace")
    return re.search(r"Cipher is (\S+)", text).group(1) if "Cipher is" in text else "(NONE)"


class TlsTest(unittest.TestCase):
    """TLS 1.2 and 1.3 with AEAD suites only, probed with openssl s_client."""

    @classmethod
    def setUpClass(cls):
        cls.server = Server()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_versions_and_suites(self):
        def grpc_handshake(*options):
            return handshake(self.server.port, "verifier", "-alpn", "h2", *options)
        self.assertNotEqual(grpc_handshake("-tls1_3"), "(NONE)")
        self.assertIn("GCM", grpc_handshake("-tls1_2"))
        self.assertEqual(grpc_handshake("-tls1_1"), "(NONE)")
        # CBC without forward secrecy is not offered.
        self.assertEqual(grpc_handshake("-tls1_2", "-cipher", "AES128-SHA256"), "(NONE)")


def metric(text, name):
    """The value of the sample `name` (with its labels) in exposition `text`."""
    match = re.search(r"^" + re.escape(name) + r" (\S+)$", text, re.M)
    return float(match.group(1)) if match else None


class MetricsTlsTest(unittest.TestCase):
    """/metrics over mutual TLS (--metrics-tls): the certificate granted
    ROLE_MONITOR scrapes (a real Prometheus among the clients), every other
    client is refused, and the server's certificate is read again when its
    file changes."""

    @classmethod
    def setUpClass(cls):
        monitor = sha256_of_certificate("client-monitor.pem")
        cls.server = Server("--metrics-tls", extra=f"""
grants {{ name: "prometheus" role: ROLE_MONITOR certificate_sha256: "{monitor}" }}""")

    @classmethod
    def tearDownClass(cls):
        cls.assertEqual(unittest.TestCase(), cls.server.stop(), 0)

    def test_monitor_scrapes_valid_exposition(self):
        text = self.server.metrics("monitor")
        # The scrape counts itself before the exposition is rendered.
        self.assertGreaterEqual(metric(text, "sigverify_metrics_http_scrapes_total"), 1)
        r = subprocess.run(["promtool", "check", "metrics"], input=text, text=True,
                           capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("metrics on 127.0.0.1:", self.server.text())
        self.assertIn("(mutual TLS)", self.server.text().split("metrics on", 1)[1].split("\n")[0])

    def test_every_other_client_is_refused(self):
        with self.assertRaises(urllib.error.HTTPError) as denied:
            self.server.metrics("verifier")
        self.assertEqual(denied.exception.code, 403)
        self.assertIn("GET /metrics needs ROLE_MONITOR", denied.exception.read().decode())
        for client in (None, "foreign", "serverauth"):
            with self.subTest(client=client), self.assertRaises((ssl.SSLError, OSError)):
                self.server.metrics(client)
        # Plaintext to the TLS port gets no metrics.
        with self.assertRaises((OSError, http.client.HTTPException)):
            urllib.request.urlopen(f"http://127.0.0.1:{self.server.metrics_port}/metrics",
                                   timeout=10).read()
        text = self.server.metrics("monitor")
        self.assertGreaterEqual(
            metric(text, 'sigverify_metrics_http_refused_total{reason="handshake"}'), 3)
        self.assertGreaterEqual(
            metric(text, 'sigverify_metrics_http_refused_total{reason="forbidden"}'), 1)
        self.assertGreaterEqual(metric(text, 'sigverify_access_denied_total{reason="no_grant"}'), 1)

    def test_versions_and_suites(self):
        port = self.server.metrics_port
        self.assertNotEqual(handshake(port, "monitor", "-tls1_3"), "(NONE)")
        self.assertIn("GCM", handshake(port, "monitor", "-tls1_2"))
        self.assertEqual(handshake(port, "monitor", "-tls1_1"), "(NONE)")
        self.assertEqual(handshake(port, "monitor", "-tls1_2", "-cipher", "AES128-SHA256"),
                         "(NONE)")

    def test_certificate_file_is_read_again(self):
        def verifies():
            try:
                self.server.metrics("monitor")
                return True
            except urllib.error.URLError as e:
                self.assertIsInstance(e.reason, ssl.SSLCertVerificationError, e)
                return False

        def wait_until(expected, what):
            deadline = time.time() + 15
            while verifies() != expected:
                self.assertLess(time.time(), deadline, f"{what}\n{self.server.text()}")
                time.sleep(0.2)

        self.assertTrue(verifies())
        # Without its intermediate the chain no longer verifies: proof that the
        # file was read again; then the whole chain again.
        with open(self.server.chain, "wb") as f:
            f.write(read("tls-server.pem"))
        wait_until(False, "the chain without its CA was not read")
        with open(self.server.chain, "wb") as f:
            f.write(read("tls-server.pem") + read("ca.pem"))
        wait_until(True, "the whole chain was not read again")

    def test_prometheus_scrapes_over_mutual_tls(self):
        """Debian's Prometheus, one job with the monitor's certificate (up) and
        one with the verifier's (refused: down, the 403 its last error)."""
        work = tempfile.mkdtemp()
        port = free_port()
        jobs = ""
        pki = os.path.abspath(PKI)  # Prometheus reads paths from its own file
        for job, client in (("sigverify", "monitor"), ("not-granted", "verifier")):
            jobs += f"""
  - job_name: {job}
    scheme: https
    tls_config:
      ca_file: {pki}/root.pem
      cert_file: {pki}/client-{client}.pem
      key_file: {pki}/client-{client}.key
      server_name: localhost
    static_configs: [{{targets: ["127.0.0.1:{self.server.metrics_port}"]}}]"""
        with open(os.path.join(work, "prometheus.yml"), "w") as f:
            f.write("global: {scrape_interval: 1s, scrape_timeout: 1s}\nscrape_configs:" + jobs)
        log = open(os.path.join(work, "prometheus.log"), "wb")
        proc = subprocess.Popen(
            ["prometheus", f"--config.file={work}/prometheus.yml",
             f"--storage.tsdb.path={work}/data", f"--web.listen-address=127.0.0.1:{port}"],
            stdout=log, stderr=log)
        try:
            deadline = time.time() + 60
            targets = {}
            while time.time() < deadline:
                try:
                    with urllib.request.urlopen(
                            f"http://127.0.0.1:{port}/api/v1/targets", timeout=5) as r:
                        active = json.load(r)["data"]["activeTargets"]
                    targets = {t["labels"]["job"]: t for t in active}
                    if all(t.get("health") in ("up", "down") for t in targets.values()) and \
                            len(targets) == 2:
                        break
                except (OSError, ValueError):
                    pass
                time.sleep(0.5)
            with open(os.path.join(work, "prometheus.log"), errors="replace") as f:
                self.assertEqual(len(targets), 2, f.read()[-3000:])
            self.assertEqual(targets["sigverify"]["health"], "up", targets)
            self.assertEqual(targets["not-granted"]["health"], "down", targets)
            self.assertIn("403", targets["not-granted"]["lastError"])
            query = urllib.parse.quote('sigverify_metrics_http_scrapes_total{job="sigverify"}')
            while True:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/query?query={query}",
                                            timeout=5) as r:
                    result = json.load(r)["data"]["result"]
                if result or time.time() > deadline:
                    break
                time.sleep(0.5)
            self.assertTrue(result, "Prometheus stored no sample of sigverify")
            self.assertGreaterEqual(float(result[0]["value"][1]), 1)
        finally:
            terminate(proc, timeout=30)
            log.close()
            shutil.rmtree(work, ignore_errors=True)


class StartupTest(unittest.TestCase):
    """What sigverifyd refuses to start with (exit 2, naming the flag)."""

    def check_config(self, *flags):
        r = subprocess.run([SIGVERIFYD, "--check-config", f"--trust-anchors={PKI}/anchors",
                            *flags], capture_output=True, text=True, timeout=30)
        return r.returncode, r.stderr + r.stdout

    def test_refusals(self):
        tls = [f"--tls-cert={PKI}/tls-server.pem", f"--tls-key={PKI}/tls-server.key"]
        code, text = self.check_config("--listen=0.0.0.0:50051", *tls)
        self.assertEqual(code, 2)
        self.assertIn("without access control", text)
        work = tempfile.mkdtemp()
        config = os.path.join(work, "access.textproto")
        with open(config, "w") as f:
            f.write('grants { role: ROLE_AUDITOR subject: "CN=x" }')
        code, text = self.check_config(f"--access-config={config}", *tls)
        self.assertEqual(code, 2)
        self.assertIn("--tls-client-ca", text)
        code, text = self.check_config(f"--tls-client-ca={PKI}/client-ca.pem")
        self.assertEqual(code, 2)
        self.assertIn("need TLS", text)
        code, text = self.check_config(f"--tls-client-ca={PKI}/client-ca.pem",
                                       f"--tls-client-crl={PKI}/ca.pem", *tls)
        self.assertEqual(code, 2)
        self.assertIn("--tls-client-crl", text)
        with open(config, "w") as f:
            f.write('grants { role: ROLE_AUDITOR may_set_validation_time: true subject: "CN=x" }')
        code, text = self.check_config(f"--access-config={config}",
                                       f"--tls-client-ca={PKI}/client-ca.pem", *tls)
        self.assertEqual(code, 2)
        self.assertIn("only for ROLE_VERIFIER", text)
        code, text = self.check_config("--listen=0.0.0.0:50051", f"--access-config={config}",
                                       f"--tls-client-ca={PKI}/client-ca.pem", *tls)
        self.assertEqual(code, 2, text)
        with open(config, "w") as f:
            f.write('grants { role: ROLE_AUDITOR subject: "CN=x" }')
        code, text = self.check_config("--listen=0.0.0.0:50051", f"--access-config={config}",
                                       f"--tls-client-ca={PKI}/client-ca.pem", *tls)
        self.assertEqual(code, 0, text)

    def test_open_server_says_so_loudly(self):
        port = free_port()
        proc = subprocess.Popen([SIGVERIFYD, f"--listen=127.0.0.1:{port}", "--metrics-listen=",
                                 f"--trust-anchors={PKI}/anchors"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            text = ""
            while "listening on" not in text:
                line = proc.stdout.readline()
                self.assertTrue(line)
                text += line
            self.assertIn("ACCESS CONTROL IS OFF", text)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
            proc.stdout.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
