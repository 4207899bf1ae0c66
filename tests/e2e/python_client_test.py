#!/usr/bin/python3
"""End to end from a second language: Debian's python3-grpcio calls sigverifyd.

Usage: python_client_test.py SIGVERIFYD TESTPKI_DIR PROTO_DIR

Stubs are generated at test time with protoc's built-in Python generator; the
calls go through grpc's generic unary API, so no grpc_tools plugin is needed.
"""
import base64
import hashlib
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import grpc
from google.protobuf import timestamp_pb2

SIGVERIFYD, PKI, PROTO_DIR = sys.argv[1:4]
del sys.argv[1:4]

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from minimal_pdf import append_revision, make_pdf  # noqa: E402
from pg_server import Postgres  # noqa: E402
from testlib import free_port, generate_protos  # noqa: E402

generate_protos(PROTO_DIR, "sigverify/v1/verification.proto", "sigverify/v1/audit.proto")
from sigverify.v1 import audit_pb2 as apb  # noqa: E402
from sigverify.v1 import verification_pb2 as pb  # noqa: E402


def read(name):
    with open(os.path.join(PKI, name), "rb") as f:
        return f.read()


def request(signer="signer-rsa", alg=pb.SIGNATURE_ALGORITHM_RSA_PKCS1_V15_SHA256, **kw):
    r = pb.VerifyRequest(
        data=read("sample.txt"), signature=read(f"sample.txt.{signer}.sig"), algorithm=alg,
        signer_certificate=read(f"{signer}.pem"), intermediate_certificates=[read("ca.pem")])
    for k, v in kw.items():
        setattr(r, k, v)
    return r


class Server:
    """sigverifyd on free loopback ports, with typed callables for its methods."""

    def __init__(self, *flags, metrics=False, ready_timeout=20):
        self.port = free_port()
        self.metrics_port = free_port() if metrics else None
        self.log = tempfile.TemporaryFile()
        metrics_flag = f"127.0.0.1:{self.metrics_port}" if metrics else ""
        self.proc = subprocess.Popen(
            [SIGVERIFYD, f"--listen=127.0.0.1:{self.port}", f"--metrics-listen={metrics_flag}",
             *flags], stdout=self.log, stderr=self.log)
        self.channel = grpc.insecure_channel(
            f"127.0.0.1:{self.port}", options=[("grpc.max_send_message_length", 64 << 20),
                                               ("grpc.max_receive_message_length", 64 << 20)])
        try:
            grpc.channel_ready_future(self.channel).result(timeout=ready_timeout)
        except grpc.FutureTimeoutError:
            self.proc.kill()
            self.proc.wait()
            self.channel.close()
            self.log.close()
            raise

        def method(name, request_type, response_type):
            return self.channel.unary_unary(
                f"/sigverify.v1.VerificationService/{name}",
                request_serializer=request_type.SerializeToString,
                response_deserializer=response_type.FromString)

        self.verify = method("Verify", pb.VerifyRequest, pb.VerifyResponse)
        self.verify_batch = method("VerifyBatch", pb.VerifyBatchRequest, pb.VerifyBatchResponse)
        self.validate = method("ValidateCertificate", pb.ValidateCertificateRequest,
                               pb.ValidateCertificateResponse)

    def stop(self):
        """SIGTERM; returns sigverifyd's exit status and its log (once)."""
        if self.log.closed:
            return self.proc.returncode, ""
        self.channel.close()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            status = self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            status = self.proc.wait()
        self.log.seek(0)
        text = self.log.read().decode(errors="replace")
        self.log.close()
        return status, text


def audit_server(instance):
    """sigverifyd with its embedded audit log in a new directory: (the
    directory, the database, the flags to start it again, the server)."""
    work = tempfile.mkdtemp()
    db = os.path.join(work, "audit.db")
    flags = (f"--trust-anchors={PKI}/anchors", f"--audit-db={db}", f"--instance-id={instance}")
    return work, db, flags, Server(*flags)


def rfc9162_verify_inclusion(leaf_hash, index, size, proof, root):
    """RFC 9162 2.1.3.2, written again in Python: the auditor's own check."""
    def node(left, right):
        return hashlib.sha256(b"\x01" + left + right).digest()
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def rfc9162_root(hashes):
    """MTH over leaf hashes (RFC 9162 2.1.1), by the definition."""
    if not hashes:
        return hashlib.sha256(b"").digest()
    if len(hashes) == 1:
        return hashes[0]
    k = 1
    while k * 2 < len(hashes):
        k *= 2
    return hashlib.sha256(b"\x01" + rfc9162_root(hashes[:k]) + rfc9162_root(hashes[k:])).digest()


def segment_records(directory):
    """Every record's leaf bytes in the segment files, in order, read by the
    documented frame layout ("SVF1", u32 length, u8 type, 3 zero bytes, u32
    CRC-32C, payload; a record's payload is its leaf hash then its leaf),
    each checked against its leaf hash. Stops at a torn tail."""
    leaves = []
    for name in sorted(n for n in os.listdir(directory) if n.endswith(".seg")):
        with open(os.path.join(directory, name), "rb") as f:
            data = f.read()
        off = 0
        while off + 16 <= len(data) and data[off:off + 4] == b"SVF1":
            length = int.from_bytes(data[off + 4:off + 8], "little")
            payload = data[off + 16:off + 16 + length]
            if len(payload) < length:
                break
            if data[off + 8] == 2:
                leaf = payload[32:]
                assert hashlib.sha256(b"\x00" + leaf).digest() == payload[:32], (name, off)
                leaves.append(leaf)
            off += 16 + length
    return leaves


def record_ids_found(server, record_id):
    """The record ids of what AuditService.QueryRecords finds by `record_id`."""
    found = server.channel.unary_unary(
        "/sigverify.v1.AuditService/QueryRecords",
        request_serializer=apb.QueryRecordsRequest.SerializeToString,
        response_deserializer=apb.QueryRecordsResponse.FromString)(
            apb.QueryRecordsRequest(filter=apb.RecordFilter(record_id=record_id)),
            timeout=10).records
    return [r.record_id for r in found]


def index_blocks(con, shard):
    """The search index's blocks of `shard`, by their documented layout (a
    row per block: first_seq, count, data = u32 version 1, u32 count, then
    73-byte entries: i64 time, u64 segment offset, three u64 keys, the
    32-byte leaf hash, u8 indication): [(first_seq, [leaf hash, ...])]."""
    blocks = []
    for first, count, data in con.execute(
            "SELECT first_seq, count, data FROM blocks WHERE shard=? ORDER BY first_seq", (shard,)):
        assert int.from_bytes(data[0:4], "little") == 1
        assert int.from_bytes(data[4:8], "little") == count == (len(data) - 8) // 73
        blocks.append((first, [data[8 + 73 * i + 40:8 + 73 * i + 72] for i in range(count)]))
    return blocks


def rfc9162_prefix_roots(hashes, sizes):
    """The root of every prefix whose size is in `sizes`, in one pass: the
    right edge of complete subtrees, folded right to left (RFC 9162 2.1.1)."""
    roots, edge = {}, []  # edge: (height, hash), largest first
    for i, h in enumerate(hashes):
        edge.append((0, h))
        while len(edge) >= 2 and edge[-2][0] == edge[-1][0]:
            (height, left), (_, right) = edge[-2], edge[-1]
            edge[-2:] = [(height + 1, hashlib.sha256(b"\x01" + left + right).digest())]
        if i + 1 in sizes:
            root = edge[-1][1]
            for _, left in reversed(edge[:-1]):
                root = hashlib.sha256(b"\x01" + left + root).digest()
            roots[i + 1] = root
    return roots


class AuditLogTest(unittest.TestCase):
    """Every verdict is in the audit log before it is answered; a Python
    client checks inclusion proofs against the signed checkpoint's root."""

    def test_verdicts_are_logged_and_provably_included(self):
        work, db, flags, server = audit_server("py-a")
        try:
            audit = lambda name, req, resp: server.channel.unary_unary(  # noqa: E731
                f"/sigverify.v1.AuditService/{name}", request_serializer=req.SerializeToString,
                response_deserializer=resp.FromString)
            get_checkpoint = audit("GetCheckpoint", apb.GetCheckpointRequest,
                                   apb.GetCheckpointResponse)
            get_record = audit("GetRecord", apb.GetRecordRequest, apb.GetRecordResponse)
            get_proof = audit("GetInclusionProof", apb.GetInclusionProofRequest,
                              apb.GetInclusionProofResponse)
            for i in range(3):
                server.verify(request(record_id=f"cv-{i}"), timeout=10)
            batch = pb.VerifyBatchRequest(requests=[request(record_id="batch-0"),
                                                    request(record_id="batch-1")])
            server.verify_batch(batch, timeout=10)

            cp = get_checkpoint(apb.GetCheckpointRequest(), timeout=10)
            body = cp.checkpoint.split("\n\n")[0].split("\n")
            self.assertEqual(body[0], "sigverify/py-a")
            self.assertEqual(int(body[1]), 5)
            root = base64.b64decode(body[2])
            self.assertTrue(cp.checkpoint.split("\n\n")[1].startswith("\u2014 sigverify/py-a "))

            for seq in range(5):
                rec = get_record(apb.GetRecordRequest(sequence=seq), timeout=10)
                self.assertEqual(rec.record.sequence, seq)
                self.assertEqual(rec.record.shard, "py-a")
                self.assertEqual(rec.record.indication, pb.INDICATION_TOTAL_PASSED)
                # The document itself is never kept: only its SHA-256.
                self.assertEqual(rec.record.data_hash,
                                 hashlib.sha256(read("sample.txt")).digest())
                self.assertNotIn(read("sample.txt")[:40], rec.leaf)
                proof = get_proof(apb.GetInclusionProofRequest(sequence=seq, tree_size=5),
                                  timeout=10)
                leaf_hash = hashlib.sha256(b"\x00" + rec.leaf).digest()
                self.assertTrue(rfc9162_verify_inclusion(leaf_hash, seq, 5, list(proof.hashes),
                                                         root), seq)
                self.assertFalse(rfc9162_verify_inclusion(
                    hashlib.sha256(b"\x00" + rec.leaf + b"x").digest(), seq, 5,
                    list(proof.hashes), root))
            # The signer's certificate is kept once, under the fingerprint the record names.
            import ssl
            fingerprint = rec.record.signer.sha256_fingerprint
            cert = audit("GetCertificate", apb.GetCertificateRequest,
                         apb.GetCertificateResponse)(apb.GetCertificateRequest(sha256=fingerprint),
                                                     timeout=10)
            self.assertEqual(cert.der, ssl.PEM_cert_to_DER_cert(read("signer-rsa.pem").decode()))
            self.assertEqual(hashlib.sha256(cert.der).hexdigest(), fingerprint)
            self.assertEqual(cert.certificate.subject, rec.record.signer.subject)
            ids = sorted(get_record(apb.GetRecordRequest(sequence=s), timeout=10).record.record_id
                         for s in range(5))
            self.assertEqual(ids, ["batch-0", "batch-1", "cv-0", "cv-1", "cv-2"])
            # The whole shard exported (a server stream) rebuilds the signed root.
            export = server.channel.unary_stream(
                "/sigverify.v1.AuditService/ExportRecords",
                request_serializer=apb.ExportRecordsRequest.SerializeToString,
                response_deserializer=apb.ExportRecordsResponse.FromString)
            items = list(export(apb.ExportRecordsRequest(), timeout=10))
            self.assertEqual([i.record.sequence for i in items], [0, 1, 2, 3, 4])
            self.assertEqual(rfc9162_root([hashlib.sha256(b"\x00" + i.leaf).digest()
                                           for i in items]), root)
            query = audit("QueryRecords", apb.QueryRecordsRequest, apb.QueryRecordsResponse)
            page = query(apb.QueryRecordsRequest(page_size=2), timeout=10)
            self.assertEqual(len(page.records), 2)
            self.assertTrue(page.next_page_token)
            rest = query(apb.QueryRecordsRequest(page_size=10, page_token=page.next_page_token),
                         timeout=10)
            self.assertEqual(len(rest.records), 3)
            self.assertFalse(rest.next_page_token)
            with self.assertRaises(grpc.RpcError) as bad:
                query(apb.QueryRecordsRequest(page_size=5000), timeout=10)
            self.assertEqual(bad.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
            # The probe: a bound near the int64 range overflowed and a bounded
            # query returned everything.
            for far in (-(2 ** 62), 2 ** 62):
                with self.assertRaises(grpc.RpcError) as overflow:
                    query(apb.QueryRecordsRequest(page_size=10, filter=apb.RecordFilter(
                        since=timestamp_pb2.Timestamp(seconds=far))), timeout=10)
                self.assertEqual(overflow.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
                self.assertIn("filter.since", overflow.exception.details())
            # The probe: a malformed request was INTERNAL with no message.
            for method, message in [("GetCheckpoint", "GetCheckpointRequest"),
                                    ("GetRecord", "GetRecordRequest"),
                                    ("GetCertificate", "GetCertificateRequest"),
                                    ("GetRevocationResponse", "GetRevocationResponseRequest"),
                                    ("GetInclusionProof", "GetInclusionProofRequest"),
                                    ("GetConsistencyProof", "GetConsistencyProofRequest"),
                                    ("QueryRecords", "QueryRecordsRequest"),
                                    ("ExportRecords", "ExportRecordsRequest")]:
                path = f"/sigverify.v1.AuditService/{method}"
                call = (server.channel.unary_stream(path) if method == "ExportRecords"
                        else server.channel.unary_unary(path))
                with self.assertRaises(grpc.RpcError, msg=method) as bad:
                    result = call(b"\xff\xff\xff\xff", timeout=10)
                    if method == "ExportRecords":
                        list(result)
                self.assertEqual(bad.exception.code(), grpc.StatusCode.INVALID_ARGUMENT, method)
                self.assertIn(f"request is not a valid sigverify.v1.{message}",
                              bad.exception.details())
            with self.assertRaises(grpc.RpcError) as missing:
                get_record(apb.GetRecordRequest(sequence=5), timeout=10)
            self.assertEqual(missing.exception.code(), grpc.StatusCode.NOT_FOUND)
            status, log = server.stop()
            self.assertEqual(status, 0, log)
            self.assertIn("checkpoints verify with sigverify/py-a+", log)

            # Restarted on the same file: the tree goes on from 5.
            server = Server(*flags)
            server.verify(request(record_id="after-restart"), timeout=10)
            get_checkpoint = server.channel.unary_unary(
                "/sigverify.v1.AuditService/GetCheckpoint",
                request_serializer=apb.GetCheckpointRequest.SerializeToString,
                response_deserializer=apb.GetCheckpointResponse.FromString)
            cp = get_checkpoint(apb.GetCheckpointRequest(), timeout=10)
            self.assertEqual(cp.checkpoint.split("\n")[1], "6")
        finally:
            server.stop()
            shutil.rmtree(work)


class AuditCrashTest(unittest.TestCase):
    """kill -9 under sustained load: every verdict a client received is in the
    log after the restart, and the tree matches every checkpoint kept."""

    def test_kill_9_under_load_loses_no_answered_verdict(self):
        work, db, flags, server = audit_server("crash")
        answered = []
        stop = threading.Event()

        def client(t):
            i = 0
            while not stop.is_set():
                rid = f"t{t}-{i}"
                i += 1
                try:
                    if server.verify(request(record_id=rid), timeout=5).indication == \
                            pb.INDICATION_TOTAL_PASSED:
                        answered.append(rid)
                except grpc.RpcError:
                    pass  # the server died mid-call: no verdict was received

        clients = [threading.Thread(target=client, args=(t,)) for t in range(8)]
        try:
            for c in clients:
                c.start()
            # Under load until a few hundred verdicts were answered (bounded).
            deadline = time.time() + 30
            while len(answered) < 300 and time.time() < deadline:
                time.sleep(0.05)
            server.proc.kill()  # SIGKILL: no drain, no flush
            server.proc.wait()
            stop.set()
            for c in clients:
                c.join()
            server.stop()
            self.assertGreater(len(answered), 50)
            print(f"crash test: {len(answered)} verdicts answered before kill -9", file=sys.stderr)

            server = Server(*flags)  # the log reopens and goes on
            server.verify(request(record_id="after-crash"), timeout=10)
            # The database is the search index, filled behind the log (the
            # segments): the restart caught it up; a search finds the last
            # record (QueryRecords waits for the index to hold it).
            self.assertEqual(record_ids_found(server, "after-crash"), ["after-crash"])
            # The records are in the segments: read there by the frame
            # layout, every answered verdict is one, they hash to the index's
            # leaf hashes (its blocks read by their layout) and rebuild every
            # checkpoint's root.
            leaves = segment_records(db + ".segments")
            logged = {apb.AuditRecord.FromString(leaf).record_id for leaf in leaves}
            self.assertEqual(set(answered) - logged, set())
            self.assertIn("after-crash", logged)
            hashes = [hashlib.sha256(b"\x00" + leaf).digest() for leaf in leaves]
            con = sqlite3.connect(db)
            blocks = index_blocks(con, "crash")
            indexed = [h for _, block in blocks for h in block]
            self.assertEqual([first for first, _ in blocks],
                             [sum(len(b) for _, b in blocks[:i]) for i in range(len(blocks))])
            checkpoints = con.execute(
                "SELECT size, note FROM checkpoints WHERE shard='crash' ORDER BY size").fetchall()
            con.close()
            self.assertEqual(hashes[:len(indexed)], indexed)
            self.assertEqual(checkpoints[-1][0], len(hashes))
            roots = rfc9162_prefix_roots(hashes, {size for size, _ in checkpoints})
            for size, note in checkpoints:  # every checkpoint kept, one per commit
                lines = note.split("\n")
                self.assertEqual(int(lines[1]), size)
                self.assertEqual(base64.b64decode(lines[2]), roots[size], size)
            # The latest checkpoint's signature, and every record re-hashed, by the CLI.
            key = re.search(r"checkpoints verify with (\S+)", server.stop()[1]).group(1)
            cli = os.path.join(os.path.dirname(SIGVERIFYD), "sigverify")
            verified = subprocess.run([cli, "audit-verify", f"--audit-db={db}", "--shard=crash",
                                       f"--log-key={key}"], capture_output=True, text=True)
            self.assertEqual(verified.returncode, 0, verified.stderr)
            self.assertIn(f"all {len(hashes)} records match", verified.stdout)
        finally:
            stop.set()
            server.stop()
            shutil.rmtree(work)


class TileTest(unittest.TestCase):
    """GetTile serves the tree as C2SP tlog-tiles cuts it: a mirror that reads
    the records and the tiles rebuilds the signed root in Python."""

    def test_tiles_rebuild_the_checkpoint(self):
        work, db, flags, server = audit_server("tiles")
        try:
            batch = pb.VerifyBatchRequest(requests=[request(record_id=f"t{i}") for i in range(300)])
            server.verify_batch(batch, timeout=60)

            def audit(name, req, resp):
                return server.channel.unary_unary(
                    f"/sigverify.v1.AuditService/{name}", request_serializer=req.SerializeToString,
                    response_deserializer=resp.FromString)

            note = audit("GetCheckpoint", apb.GetCheckpointRequest,
                         apb.GetCheckpointResponse)(apb.GetCheckpointRequest(), timeout=10)
            lines = note.checkpoint.split("\n")
            size, root = int(lines[1]), base64.b64decode(lines[2])
            self.assertEqual(size, 300)
            get_tile = audit("GetTile", apb.GetTileRequest, apb.GetTileResponse)
            get_record = audit("GetRecord", apb.GetRecordRequest, apb.GetRecordResponse)

            def tile(level, index, width):
                hashes = get_tile(apb.GetTileRequest(level=level, index=index, width=width),
                                  timeout=10).hashes
                self.assertEqual(len(hashes), 32 * width)
                return [hashes[i:i + 32] for i in range(0, len(hashes), 32)]

            leaves = tile(0, 0, 256) + tile(0, 1, size - 256)
            for i in (0, 1, 255, 256, 299):
                leaf = get_record(apb.GetRecordRequest(sequence=i), timeout=10).leaf
                self.assertEqual(leaves[i], hashlib.sha256(b"\x00" + leaf).digest(), i)
            self.assertEqual(rfc9162_root(leaves), root)
            # Level 1 holds the roots of whole runs of 256 leaves.
            self.assertEqual(tile(1, 0, 1), [rfc9162_root(leaves[:256])])
            # A tile the tree does not hold whole yet, and a level past the last.
            for level, index, width, code in ((0, 1, size - 255, grpc.StatusCode.NOT_FOUND),
                                              (1, 0, 2, grpc.StatusCode.NOT_FOUND),
                                              (8, 0, 1, grpc.StatusCode.INVALID_ARGUMENT),
                                              (0, 0, 0, grpc.StatusCode.INVALID_ARGUMENT)):
                with self.assertRaises(grpc.RpcError) as e:
                    get_tile(apb.GetTileRequest(level=level, index=index, width=width), timeout=10)
                self.assertEqual(e.exception.code(), code, (level, index, width))
        finally:
            server.stop()
            shutil.rmtree(work)


class IndexCatchUpCrashTest(unittest.TestCase):
    """The search index rebuilt from the segments at start (here: its file
    deleted) is killed -9 half-way, and the next start goes on from where it
    stopped: the index ends with every record once (20,000), and the CLI re-verifies
    the shard from the segments and the index."""

    def test_kill_9_in_the_middle_of_the_catch_up(self):
        work, db, flags, server = audit_server("catchup")
        try:
            total = 0
            for b in range(20):
                batch = pb.VerifyBatchRequest(
                    requests=[request(record_id=f"b{b}-{i}") for i in range(1000)])
                results = server.verify_batch(batch, timeout=60).results
                total += sum(1 for r in results if r.HasField("response"))
            self.assertEqual(total, 20000)
            key = re.search(r"checkpoints verify with (\S+)", server.stop()[1]).group(1)
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(db + suffix):
                    os.remove(db + suffix)

            def indexed():
                if not os.path.exists(db):
                    return 0
                try:
                    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
                    try:
                        return con.execute(
                            "SELECT coalesce(sum(count), 0) FROM blocks").fetchone()[0]
                    finally:
                        con.close()
                except sqlite3.Error:
                    return 0

            # Started without waiting for it: it catches the index up before
            # it listens. Killed once part of the records are indexed.
            log = tempfile.TemporaryFile()
            proc = subprocess.Popen([SIGVERIFYD, f"--listen=127.0.0.1:{free_port()}",
                                     "--metrics-listen=", *flags], stdout=log, stderr=log)
            deadline = time.monotonic() + 60
            while indexed() == 0:
                self.assertIsNone(proc.poll(), "sigverifyd ended before indexing anything")
                self.assertLess(time.monotonic(), deadline, "the catch-up never began")
                time.sleep(0.005)
            proc.kill()
            proc.wait()
            log.close()
            part = indexed()
            print(f"index catch-up: killed -9 with {part} of {total} records indexed",
                  file=sys.stderr)
            self.assertGreater(part, 0)
            self.assertLess(part, total, "the catch-up ended before the kill: nothing tested")

            # Goes on from `part` before it listens (slow in a sanitizer build).
            server = Server(*flags, ready_timeout=180)
            # The blocks hold each sequence once: they tile 0..total-1.
            con = sqlite3.connect(db)
            blocks = index_blocks(con, "catchup")
            con.close()
            self.assertEqual([first for first, _ in blocks],
                             [sum(len(b) for _, b in blocks[:i]) for i in range(len(blocks))])
            self.assertEqual(sum(len(b) for _, b in blocks), total)
            self.assertEqual(record_ids_found(server, "b19-999"), ["b19-999"])
            server.stop()
            cli = os.path.join(os.path.dirname(SIGVERIFYD), "sigverify")
            verified = subprocess.run([cli, "audit-verify", f"--audit-db={db}",
                                       "--shard=catchup", f"--log-key={key}"],
                                      capture_output=True, text=True)
            self.assertEqual(verified.returncode, 0, verified.stderr)
            self.assertIn(f"all {total} records match", verified.stdout)
            self.assertIn(f"the database holds the first {total} of them", verified.stdout)
        finally:
            server.stop()
            shutil.rmtree(work)


class SharedPostgresLogTest(unittest.TestCase):
    """Two sigverifyd instances on loopback share one PostgreSQL audit log,
    each writing its own shard: a query to either sees both, and a record of
    one instance is proven through the other against its own signed root."""

    def test_two_instances_one_log(self):
        pg = Postgres()
        work = tempfile.mkdtemp()
        servers, flags = {}, {}
        try:
            for name in ("alpha", "beta"):
                key = os.path.join(work, f"{name}.key")
                subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", key],
                               check=True)
                flags[name] = (f"--trust-anchors={PKI}/anchors", f"--audit-postgres={pg.conninfo}",
                               f"--audit-key={key}", f"--instance-id={name}")
                servers[name] = Server(*flags[name])
            # Interleaved, concurrently: three verdicts on alpha, two on beta.
            threads = [threading.Thread(target=servers[n].verify,
                                        args=(request(record_id=f"{n}-{i}"),),
                                        kwargs={"timeout": 20})
                       for n, count in (("alpha", 3), ("beta", 2)) for i in range(count)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()

            def audit(server, name, req, resp):
                return server.channel.unary_unary(
                    f"/sigverify.v1.AuditService/{name}", request_serializer=req.SerializeToString,
                    response_deserializer=resp.FromString)

            for asked in servers.values():
                query = audit(asked, "QueryRecords", apb.QueryRecordsRequest,
                              apb.QueryRecordsResponse)
                found = query(apb.QueryRecordsRequest(page_size=100), timeout=10).records
                self.assertEqual(sorted((r.shard, r.record_id) for r in found),
                                 [("alpha", "alpha-0"), ("alpha", "alpha-1"), ("alpha", "alpha-2"),
                                  ("beta", "beta-0"), ("beta", "beta-1")])
                times = [r.time.ToMicroseconds() for r in found]
                self.assertEqual(times, sorted(times, reverse=True))  # newest first, across shards
                only_beta = query(apb.QueryRecordsRequest(
                    page_size=100, filter=apb.RecordFilter(shard="beta")), timeout=10).records
                self.assertEqual({r.shard for r in only_beta}, {"beta"})
                self.assertEqual(len(only_beta), 2)

            # beta's records proven through alpha, against beta's signed checkpoint.
            alpha = servers["alpha"]
            cp = audit(alpha, "GetCheckpoint", apb.GetCheckpointRequest,
                       apb.GetCheckpointResponse)(apb.GetCheckpointRequest(shard="beta"),
                                                  timeout=10).checkpoint
            self.assertTrue(cp.startswith("sigverify/beta\n2\n"), cp)
            root = base64.b64decode(cp.split("\n")[2])
            for seq in range(2):
                rec = audit(alpha, "GetRecord", apb.GetRecordRequest, apb.GetRecordResponse)(
                    apb.GetRecordRequest(shard="beta", sequence=seq), timeout=10)
                self.assertEqual(rec.record.shard, "beta")
                proof = audit(alpha, "GetInclusionProof", apb.GetInclusionProofRequest,
                              apb.GetInclusionProofResponse)(
                    apb.GetInclusionProofRequest(shard="beta", sequence=seq, tree_size=2),
                    timeout=10)
                self.assertTrue(rfc9162_verify_inclusion(hashlib.sha256(b"\x00" + rec.leaf)
                                                         .digest(), seq, 2, list(proof.hashes),
                                                         root))
            # A restarted instance continues its own shard in the shared log.
            status, log = servers["beta"].stop()
            self.assertEqual(status, 0, log)
            servers["beta"] = Server(*flags["beta"])
            servers["beta"].verify(request(record_id="beta-2"), timeout=20)
            status, log = servers.pop("beta").stop()
            self.assertEqual(status, 0, log)
            self.assertIn("shard beta, 2 records", log)
            cp = audit(alpha, "GetCheckpoint", apb.GetCheckpointRequest,
                       apb.GetCheckpointResponse)(apb.GetCheckpointRequest(shard="beta"),
                                                  timeout=10).checkpoint
            self.assertTrue(cp.startswith("sigverify/beta\n3\n"), cp)
            consistency = audit(alpha, "GetConsistencyProof", apb.GetConsistencyProofRequest,
                                apb.GetConsistencyProofResponse)(
                apb.GetConsistencyProofRequest(shard="beta", old_size=2, new_size=3), timeout=10)
            # RFC 9162 2.1.4: from the complete 2-leaf tree to 3 leaves the proof is
            # exactly the new leaf's hash.
            third = audit(alpha, "GetRecord", apb.GetRecordRequest, apb.GetRecordResponse)(
                apb.GetRecordRequest(shard="beta", sequence=2), timeout=10)
            self.assertEqual(third.record.record_id, "beta-2")
            self.assertEqual(list(consistency.hashes),
                             [hashlib.sha256(b"\x00" + third.leaf).digest()])
        finally:
            for server in servers.values():
                server.stop()
            pg.stop()
            shutil.rmtree(work)


class DocumentTest(unittest.TestCase):
    """VerifyDocument on PDFs signed by poppler's pdfsig and CMS by openssl cms."""

    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp()
        cls.db = os.path.join(cls.work, "audit.db")
        cls.server = Server(f"--trust-anchors={PKI}/anchors", f"--audit-db={cls.db}",
                            "--instance-id=docs")
        cls.verify_document = cls.server.channel.unary_unary(
            "/sigverify.v1.VerificationService/VerifyDocument",
            request_serializer=pb.VerifyDocumentRequest.SerializeToString,
            response_deserializer=pb.VerifyDocumentResponse.FromString)
        cls.nss = os.path.join(cls.work, "nss")
        os.mkdir(cls.nss)
        quiet = dict(check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run(["certutil", "-N", "-d", f"sql:{cls.nss}", "--empty-password"], **quiet)
        p12 = os.path.join(cls.work, "signer.p12")
        subprocess.run(["openssl", "pkcs12", "-export", "-inkey", f"{PKI}/signer-rsa.key",
                        "-in", f"{PKI}/signer-rsa.pem", "-certfile", f"{PKI}/ca.pem",
                        "-name", "signer", "-passout", "pass:", "-out", p12], **quiet)
        subprocess.run(["pk12util", "-i", p12, "-d", f"sql:{cls.nss}", "-W", ""], **quiet)

    @classmethod
    def tearDownClass(cls):
        status, _ = cls.server.stop()
        shutil.rmtree(cls.work)
        assert status == 0, "sigverifyd did not exit cleanly on SIGTERM"

    def pdfsig(self, pdf, field):
        src, dst = os.path.join(self.work, "in.pdf"), os.path.join(self.work, "out.pdf")
        with open(src, "wb") as f:
            f.write(pdf)
        subprocess.run(["pdfsig", "-nssdir", f"sql:{self.nss}", "-add-signature", "-nick",
                        "signer", "-new-signature-field-name", field, src, dst], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(dst, "rb") as f:
            return f.read()

    def test_pdf_signed_twice_passes_and_each_signature_is_audited(self):
        pdf = self.pdfsig(self.pdfsig(make_pdf(), "PheDuyet"), "BanHanh")
        resp = self.verify_document(pb.VerifyDocumentRequest(record_id="cv-17", document=pdf),
                                    timeout=30)
        self.assertEqual(resp.indication, pb.INDICATION_TOTAL_PASSED, resp.message)
        self.assertEqual(resp.format, pb.DOCUMENT_FORMAT_PDF)
        self.assertEqual(resp.revisions, 3)
        self.assertEqual(resp.document_sha256, hashlib.sha256(pdf).hexdigest())
        self.assertEqual([s.field_name for s in resp.signatures], ["PheDuyet", "BanHanh"])
        self.assertEqual([s.coverage for s in resp.signatures],
                         [pb.COVERAGE_ENTIRE_REVISION, pb.COVERAGE_ENTIRE_FILE])
        self.assertEqual([s.modification_level for s in resp.signatures],
                         [pb.MODIFICATION_LEVEL_FORM_FILLING_AND_SIGNATURES,
                          pb.MODIFICATION_LEVEL_NONE])
        for s in resp.signatures:
            self.assertEqual(s.kind, pb.SIGNATURE_KIND_APPROVAL)
            self.assertEqual(s.indication, pb.INDICATION_TOTAL_PASSED, s.message)
            self.assertEqual(s.sub_filter, "adbe.pkcs7.detached")
            self.assertEqual(len(s.path), 3)
        # One audit record per signature, linked by the document's SHA-256.
        audit = lambda name, req, resp: self.server.channel.unary_unary(  # noqa: E731
            f"/sigverify.v1.AuditService/{name}", request_serializer=req.SerializeToString,
            response_deserializer=resp.FromString)
        get_checkpoint = audit("GetCheckpoint", apb.GetCheckpointRequest,
                               apb.GetCheckpointResponse)
        get_record = audit("GetRecord", apb.GetRecordRequest, apb.GetRecordResponse)
        checkpoint = get_checkpoint(apb.GetCheckpointRequest(), timeout=10).checkpoint
        count = int(checkpoint.split("\n")[1])
        self.assertGreaterEqual(count, 2)
        found = []
        for seq in range(count):
            rec = get_record(apb.GetRecordRequest(sequence=seq), timeout=10).record
            if rec.document_sha256 == hashlib.sha256(pdf).digest():
                found.append((rec.signature_index, rec.signature_count, rec.field_name,
                              rec.record_id))
                self.assertNotIn(pdf[:60], get_record(apb.GetRecordRequest(sequence=seq),
                                                      timeout=10).leaf)
        self.assertEqual(sorted(found), [(1, 2, "PheDuyet", "cv-17"), (2, 2, "BanHanh", "cv-17")])

    def test_page_content_changed_after_signing_fails(self):
        pdf = self.pdfsig(make_pdf(), "PheDuyet")
        text = b"BT /F1 18 Tf 72 760 Td (Quyet dinh so 9/2026/QD-UBND) Tj ET"
        changed = append_revision(
            pdf, {4: b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream"})
        resp = self.verify_document(pb.VerifyDocumentRequest(document=changed, language="en"),
                                    timeout=30)
        self.assertEqual(resp.indication, pb.INDICATION_TOTAL_FAILED)
        sig = resp.signatures[0]
        self.assertEqual(sig.failed_check.reason, pb.FAILURE_REASON_DOCUMENT_MODIFIED)
        self.assertEqual(sig.modification_level, pb.MODIFICATION_LEVEL_OTHER)
        self.assertIn("the content of page 1 changed", " ".join(sig.modifications))
        self.assertIn("changed after it was signed", resp.message)

    def stream(self, messages, **kw):
        call = self.server.channel.stream_unary(
            "/sigverify.v1.VerificationService/VerifyDocumentStream",
            request_serializer=pb.VerifyDocumentStreamRequest.SerializeToString,
            response_deserializer=pb.VerifyDocumentStreamResponse.FromString)
        return call(iter(messages), timeout=120, **kw).response

    def test_stream_larger_than_a_message_keeps_memory_bounded(self):
        # 64 MiB: twice the largest message the server accepts (32 MiB).
        big = self.pdfsig(make_pdf(attachment=b"\x00" * (64 << 20)), "PheDuyet")
        chunk = 1 << 20
        messages = [pb.VerifyDocumentStreamRequest(
            options=pb.VerifyDocumentRequest(record_id="big", language="en"))]
        messages += [pb.VerifyDocumentStreamRequest(document=big[i:i + chunk])
                     for i in range(0, len(big), chunk)]

        def rss_anon():
            with open(f"/proc/{self.server.proc.pid}/status") as f:
                return int(re.search(r"RssAnon:\s+(\d+) kB", f.read()).group(1)) << 10

        before = rss_anon()
        peak = [before]
        done = threading.Event()

        def sample():
            while not done.is_set():
                peak[0] = max(peak[0], rss_anon())
                time.sleep(0.02)

        sampler = threading.Thread(target=sample)
        sampler.start()
        try:
            resp = self.stream(messages)
        finally:
            done.set()
            sampler.join()
        self.assertEqual(resp.record_id, "big")
        self.assertEqual(resp.indication, pb.INDICATION_TOTAL_PASSED, resp.message)
        self.assertEqual(resp.document_sha256, hashlib.sha256(big).hexdigest())
        self.assertGreater(resp.signatures[0].signed_bytes, len(big) - (64 << 10))
        self.assertEqual(resp.signatures[0].coverage, pb.COVERAGE_ENTIRE_FILE)
        # The document went to a temporary file, not the heap: the server's
        # anonymous memory grew by far less than the document (not measurable
        # under AddressSanitizer, whose shadow and quarantine it would be).
        if os.environ.get("SIGVERIFY_SANITIZED"):
            return
        self.assertLess(peak[0] - before, 24 << 20, (before, peak[0]))
        print(f"VerifyDocumentStream: {len(big) >> 20} MiB document, server RssAnon grew "
              f"{(peak[0] - before) / (1 << 20):.1f} MiB", file=sys.stderr)

    def test_stream_protocol_errors(self):
        pdf = self.pdfsig(make_pdf(), "PheDuyet")
        for messages, words in [
                ([pb.VerifyDocumentStreamRequest(document=pdf)], "first message"),
                ([pb.VerifyDocumentStreamRequest(options=pb.VerifyDocumentRequest()),
                  pb.VerifyDocumentStreamRequest(options=pb.VerifyDocumentRequest())],
                 "only in the first"),
                ([pb.VerifyDocumentStreamRequest(options=pb.VerifyDocumentRequest(document=pdf))],
                 "as chunks"),
                ([], "first message"),
                ([pb.VerifyDocumentStreamRequest(options=pb.VerifyDocumentRequest())],
                 "document: empty")]:
            with self.assertRaises(grpc.RpcError) as e:
                self.stream(messages)
            self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT, words)
            self.assertIn(words, e.exception.details())
        # The same verdict as the unary call.
        resp = self.stream([pb.VerifyDocumentStreamRequest(options=pb.VerifyDocumentRequest()),
                            pb.VerifyDocumentStreamRequest(document=pdf[:1000]),
                            pb.VerifyDocumentStreamRequest(document=pdf[1000:])])
        unary = self.verify_document(pb.VerifyDocumentRequest(document=pdf), timeout=30)
        resp.ClearField("validation_time")
        unary.ClearField("validation_time")
        for s in list(resp.signatures) + list(unary.signatures):
            s.ClearField("best_signature_time")
        self.assertEqual(resp, unary)

    def test_detached_cms_and_what_is_refused(self):
        sig = os.path.join(self.work, "sample.p7s")
        subprocess.run(["openssl", "cms", "-sign", "-binary", "-in", f"{PKI}/sample.txt",
                        "-signer", f"{PKI}/signer-rsa.pem", "-inkey", f"{PKI}/signer-rsa.key",
                        "-certfile", f"{PKI}/ca.pem", "-outform", "DER", "-out", sig], check=True)
        with open(sig, "rb") as f:
            cms = f.read()
        resp = self.verify_document(pb.VerifyDocumentRequest(
            document=cms, detached_content=read("sample.txt")), timeout=30)
        self.assertEqual(resp.indication, pb.INDICATION_TOTAL_PASSED, resp.message)
        self.assertEqual(resp.signatures[0].kind, pb.SIGNATURE_KIND_CMS_SIGNER)
        resp = self.verify_document(pb.VerifyDocumentRequest(
            document=cms, detached_content=b"other"), timeout=30)
        self.assertEqual(resp.sub_indication, pb.SUB_INDICATION_HASH_FAILURE)
        resp = self.verify_document(pb.VerifyDocumentRequest(document=b"%PDF-1.7\ngarbage"),
                                    timeout=30)
        self.assertEqual(resp.indication, pb.INDICATION_TOTAL_FAILED)
        self.assertEqual(resp.failed_check.reason, pb.FAILURE_REASON_FORMAT_INVALID)
        with self.assertRaises(grpc.RpcError) as e:
            self.verify_document(pb.VerifyDocumentRequest(document=make_pdf(),
                                                          detached_content=b"x"), timeout=30)
        self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        # A PDF without signatures is no signed document.
        resp = self.verify_document(pb.VerifyDocumentRequest(document=make_pdf()), timeout=30)
        self.assertEqual(resp.indication, pb.INDICATION_TOTAL_FAILED)


class SigverifydTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(f"--trust-anchors={PKI}/anchors")
        cls.channel = cls.server.channel
        cls.verify = cls.server.verify
        cls.verify_batch = cls.server.verify_batch
        cls.validate = cls.server.validate

    @classmethod
    def tearDownClass(cls):
        status, _ = cls.server.stop()
        assert status == 0, "sigverifyd did not exit cleanly on SIGTERM"

    def test_valid_rsa_and_ecdsa_and_ed25519(self):
        for signer, alg in [("signer-rsa", pb.SIGNATURE_ALGORITHM_RSA_PKCS1_V15_SHA256),
                            ("signer-ec", pb.SIGNATURE_ALGORITHM_ECDSA_SHA256),
                            ("signer-ed25519", pb.SIGNATURE_ALGORITHM_ED25519)]:
            resp = self.verify(request(signer, alg, record_id=signer), timeout=10)
            self.assertEqual(resp.indication, pb.INDICATION_TOTAL_PASSED, resp.message)
            self.assertEqual(resp.record_id, signer)
            self.assertEqual(len(resp.path), 3)

    def test_digest_instead_of_data(self):
        import hashlib
        r = request()
        r.digest.algorithm = pb.HASH_ALGORITHM_SHA256
        r.digest.value = hashlib.sha256(read("sample.txt")).digest()
        self.assertFalse(r.HasField("data"))
        self.assertEqual(self.verify(r, timeout=10).indication, pb.INDICATION_TOTAL_PASSED)

    def test_tampered_data(self):
        resp = self.verify(request(data=b"tampered"), timeout=10)
        self.assertEqual(resp.indication, pb.INDICATION_TOTAL_FAILED)
        self.assertEqual(resp.sub_indication, pb.SUB_INDICATION_HASH_FAILURE)

    def test_wrong_key(self):
        resp = self.verify(request(signature=read("sample.txt.signer-ec.sig")), timeout=10)
        self.assertEqual(resp.indication, pb.INDICATION_TOTAL_FAILED)
        self.assertEqual(resp.sub_indication, pb.SUB_INDICATION_SIG_CRYPTO_FAILURE)

    def test_untrusted_signer(self):
        r = request("signer-untrusted")
        del r.intermediate_certificates[:]
        r.intermediate_certificates.append(read("untrusted-root.pem"))
        resp = self.verify(r, timeout=10)
        self.assertEqual(resp.indication, pb.INDICATION_INDETERMINATE)
        self.assertEqual(resp.sub_indication, pb.SUB_INDICATION_NO_CERTIFICATE_CHAIN_FOUND)

    def test_garbage_der_is_invalid_argument(self):
        for garbage in [b"\x30\x82\x05\x00" + os.urandom(200), read("ca.pem")[:200], b"x"]:
            with self.assertRaises(grpc.RpcError) as e:
                self.verify(request(signer_certificate=garbage), timeout=10)
            self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
            self.assertIn("signer_certificate", e.exception.details())

    def test_oversized_inputs_name_their_limit(self):
        with self.assertRaises(grpc.RpcError) as e:
            self.verify(request(signature=os.urandom(9000)), timeout=10)
        self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("over the limit of 8192", e.exception.details())
        with self.assertRaises(grpc.RpcError) as e:
            self.verify(request(signer_certificate=b"0" * (70 << 10)), timeout=10)
        self.assertIn("signer_certificate is 71680 bytes", e.exception.details())
        r = request()
        r.intermediate_certificates.extend([read("ca.pem")] * 16)
        with self.assertRaises(grpc.RpcError) as e:
            self.verify(r, timeout=10)
        self.assertIn("intermediate_certificates: 17 certificates", e.exception.details())
        # Past the 32 MiB message limit the transport refuses before parsing.
        with self.assertRaises(grpc.RpcError) as e:
            self.verify(request(data=b"x" * (33 << 20)), timeout=30)
        self.assertEqual(e.exception.code(), grpc.StatusCode.RESOURCE_EXHAUSTED)

    def test_thousand_item_mixed_batch_in_order(self):
        kinds = [
            (request(), pb.INDICATION_TOTAL_PASSED),
            (request("signer-ec", pb.SIGNATURE_ALGORITHM_ECDSA_SHA256), pb.INDICATION_TOTAL_PASSED),
            (request(data=b"changed"), pb.INDICATION_TOTAL_FAILED),
            (request("signer-expired"), pb.INDICATION_INDETERMINATE),
            (request(signer_certificate=b"garbage"), None),  # per-item error
        ]
        batch = pb.VerifyBatchRequest()
        for i in range(1000):
            item = batch.requests.add()
            item.CopyFrom(kinds[(i * 3) % len(kinds)][0])
            item.record_id = f"rec-{i}"
        resp = self.verify_batch(batch, timeout=120)
        self.assertEqual(len(resp.results), 1000)
        for i, result in enumerate(resp.results):
            expected = kinds[(i * 3) % len(kinds)][1]
            if expected is None:
                self.assertEqual(result.WhichOneof("outcome"), "error", i)
                self.assertEqual(result.error.record_id, f"rec-{i}")
                self.assertEqual(result.error.code, grpc.StatusCode.INVALID_ARGUMENT.value[0])
            else:
                self.assertEqual(result.response.record_id, f"rec-{i}")
                self.assertEqual(result.response.indication, expected, result.response.message)

    def test_malformed_protobuf_is_invalid_argument(self):
        for method in ("Verify", "VerifyBatch"):
            raw = self.channel.unary_unary(f"/sigverify.v1.VerificationService/{method}")
            for name, body in [("truncated field", b"\x0a\x05ab"),
                               ("wire garbage", b"\xff\xff\xff\xff"),
                               ("record_id not UTF-8", b"\x0a\x02\xff\xfe")]:
                with self.assertRaises(grpc.RpcError, msg=f"{method}: {name}") as e:
                    raw(body if method == "Verify" else b"\x0a" + bytes([len(body)]) + body,
                        timeout=10)
                self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT,
                                 f"{method}: {name}")
                self.assertIn("request is not a valid sigverify.v1.Verify", e.exception.details())

    def test_validate_certificate(self):
        validate = self.validate
        ok = validate(pb.ValidateCertificateRequest(
            certificate=read("signer-rsa.pem"), intermediate_certificates=[read("ca.pem")]),
            timeout=10)
        self.assertEqual(ok.indication, pb.INDICATION_TOTAL_PASSED, ok.message)
        self.assertEqual([c.subject.split(",")[0] for c in ok.path],
                         ["CN=Nguyễn Văn An", "CN=CA phục vụ các cơ quan Nhà nước thử nghiệm G2",
                          "CN=RootCA chuyên dùng Chính phủ thử nghiệm G2"])
        missing = validate(pb.ValidateCertificateRequest(certificate=read("signer-rsa.pem")),
                           timeout=10)
        self.assertEqual(missing.sub_indication, pb.SUB_INDICATION_NO_CERTIFICATE_CHAIN_FOUND)
        with self.assertRaises(grpc.RpcError) as e:
            validate(pb.ValidateCertificateRequest(certificate=b"junk"), timeout=10)
        self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)

    def test_health_and_reflection(self):
        # grpc.health.v1.Health/Check with an empty request: status 1 = SERVING.
        check = self.channel.unary_unary("/grpc.health.v1.Health/Check")
        self.assertEqual(check(b"", timeout=10), b"\x08\x01")
        # Reflection: list_services (field 7, empty string) names our service.
        reflect = self.channel.stream_stream(
            "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo")
        answer = b"".join(reflect(iter([b"\x3a\x00"]), timeout=10))
        self.assertIn(b"sigverify.v1.VerificationService", answer)


def metric(port, name, labels):
    """The sum of the samples of `name` on sigverifyd's /metrics that carry `labels`."""
    import urllib.request
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if (line.startswith(name + "{") or line.startswith(name + " "))
               and all(f'{k}="{v}"' in line for k, v in labels.items()))


class DrainTest(unittest.TestCase):
    """SIGTERM while a large batch is being verified: the batch still completes."""

    def test_sigterm_drains_in_flight_batch(self):
        import hashlib
        import ssl
        # A grace long enough for the whole batch on a slow (sanitizer,
        # shared) machine: what is tested is that the drain waits for it.
        server = Server("--workers=1", f"--trust-anchors={PKI}/anchors",
                        "--shutdown-grace=120s", metrics=True)
        try:
            item = request()
            item.signer_certificate = ssl.PEM_cert_to_DER_cert(read("signer-rsa.pem").decode())
            item.intermediate_certificates[0] = ssl.PEM_cert_to_DER_cert(read("ca.pem").decode())
            item.digest.algorithm = pb.HASH_ALGORITHM_SHA256
            item.digest.value = hashlib.sha256(read("sample.txt")).digest()
            batch = pb.VerifyBatchRequest()
            for i in range(10000):
                batch.requests.add().CopyFrom(item)
            future = server.verify_batch.future(batch, timeout=300)
            # Signal while items are being verified, neither before nor after.
            labels = {"method": "VerifyBatch", "indication": "total_passed"}
            deadline = time.time() + 60
            done = 0.0
            while time.time() < deadline and not future.done():
                done = metric(server.metrics_port, "sigverify_items_total", labels)
                if 0 < done < 10000:
                    break
                time.sleep(0.002)
            if future.done() and future.exception() is not None:
                self.fail(f"batch failed: {future.exception()}")
            self.assertTrue(0 < done < 10000, f"could not catch the batch in flight ({done})")
            server.proc.send_signal(signal.SIGTERM)
            try:
                resp = future.result()
            except grpc.RpcError as e:
                _, log = server.stop()
                self.fail(f"the drain lost the batch's answer: {e.code()} {e.details()}\n{log}")
            self.assertEqual(len(resp.results), 10000)
            self.assertTrue(all(r.response.indication == pb.INDICATION_TOTAL_PASSED
                                for r in resp.results))
        finally:
            status, _ = server.stop()
        self.assertEqual(status, 0)


class VerifyStreamTest(unittest.TestCase):
    """VerifyStream from Python: answers out of order matched by sequence,
    every verdict in the audit log before it is answered, and the stream
    ended by a SIGTERM."""

    def test_records_are_answered_once_logged_and_ended_by_sigterm(self):
        import queue
        work, db, flags, server = audit_server("stream")
        stream = server.channel.stream_stream(
            "/sigverify.v1.VerificationService/VerifyStream",
            request_serializer=pb.VerifyStreamRequest.SerializeToString,
            response_deserializer=pb.VerifyStreamResponse.FromString)
        tampered = request()
        tampered.data += b"!"
        garbage = request()
        garbage.signer_certificate = b"garbage"
        kinds = [  # (request, expected indication; None: an item error)
            (request(), pb.INDICATION_TOTAL_PASSED),
            (request("signer-ec", pb.SIGNATURE_ALGORITHM_ECDSA_SHA256), pb.INDICATION_TOTAL_PASSED),
            (tampered, pb.INDICATION_TOTAL_FAILED),
            (garbage, None)]
        sent = []

        def records():
            for i in range(300):
                r = pb.VerifyRequest()
                r.CopyFrom(kinds[i % len(kinds)][0])
                r.record_id = f"s-{i}"
                sent.append(i)
                yield pb.VerifyStreamRequest(request=r)

        try:
            answers = {}
            for a in stream(records(), timeout=120):
                self.assertNotIn(a.sequence, answers)
                answers[a.sequence] = a
            self.assertEqual(sorted(answers), list(range(300)))
            for i, a in answers.items():
                expected = kinds[i % len(kinds)][1]
                if expected is None:
                    self.assertEqual(a.error.record_id, f"s-{i}")
                    self.assertEqual(a.error.code, grpc.StatusCode.INVALID_ARGUMENT.value[0])
                else:
                    self.assertEqual(a.response.record_id, f"s-{i}")
                    self.assertEqual(a.response.indication, expected, a.response.message)
            # Every verdict answered is in the log, written by VerifyStream;
            # the refused records are not.
            logged = {}
            for leaf in segment_records(db + ".segments"):
                record = apb.AuditRecord.FromString(leaf)
                logged[record.record_id] = record.method
            verified = {f"s-{i}" for i, a in answers.items() if a.HasField("response")}
            self.assertEqual(verified - set(logged), set())
            self.assertEqual({logged[r] for r in verified}, {"VerifyStream"})
            self.assertFalse({f"s-{i}" for i in range(3, 300, 4)} & set(logged))

            # An open, idle stream at SIGTERM: its answers arrive, then it
            # ends with UNAVAILABLE, and the server exits without waiting
            # out its grace period for it.
            pending = queue.Queue()

            def held():
                while (item := pending.get()) is not None:
                    yield item

            call = stream(held(), timeout=120)
            for i in range(2):
                pending.put(pb.VerifyStreamRequest(request=request(record_id=f"idle-{i}")))
            got = [next(call), next(call)]
            self.assertEqual({a.response.record_id for a in got}, {"idle-0", "idle-1"})
            server.proc.send_signal(signal.SIGTERM)
            with self.assertRaises(grpc.RpcError) as ended:
                next(call)
            pending.put(None)
            self.assertEqual(ended.exception.code(), grpc.StatusCode.UNAVAILABLE)
            self.assertIn("first 2 records", ended.exception.details())
            status, log = server.stop()
            self.assertEqual(status, 0, log)
            self.assertNotIn("unanswered", log)
        finally:
            server.stop()
            shutil.rmtree(work, ignore_errors=True)


class RealG2HierarchyTest(unittest.TestCase):
    """The real G2 root as the only anchor; the real tax office certificate."""

    def test_tax_office_certificate_validates_under_g2_root(self):
        import shutil
        vn_gca = os.path.join(PROTO_DIR, "..", "tests", "testdata", "vn-gca")
        anchors = tempfile.mkdtemp()
        shutil.copy(os.path.join(vn_gca, "g2-root.pem"), anchors)
        # Paths only: the real certificates' OCSP and CRL URLs are not
        # reachable from here (cli_test.sh checks that this fails closed).
        server = Server(f"--trust-anchors={anchors}", "--check-revocation=false")
        try:
            def check(leaf, ca, when):
                with open(os.path.join(vn_gca, leaf), "rb") as f:
                    cert = f.read()
                with open(os.path.join(vn_gca, ca), "rb") as f:
                    chain = [f.read()]
                req = pb.ValidateCertificateRequest(certificate=cert,
                                                    intermediate_certificates=chain)
                req.validation_time.FromJsonString(when)
                return server.validate(req, timeout=10)

            ok = check("ee-g2-cuc-thue-2025.pem", "g2-ca-nha-nuoc.pem", "2026-01-15T00:00:00Z")
            self.assertEqual(ok.indication, pb.INDICATION_TOTAL_PASSED, ok.message)
            self.assertEqual(ok.certificate.subject, "CN=CỤC THUẾ,O=BỘ TÀI CHÍNH,L=Hà Nội,C=VN")
            self.assertEqual(len(ok.path), 3)
            wrong_ca = check("ee-g2-cuc-thue-2025.pem", "g2-ca-dang.pem", "2026-01-15T00:00:00Z")
            self.assertEqual(wrong_ca.sub_indication, pb.SUB_INDICATION_NO_CERTIFICATE_CHAIN_FOUND)
            g1 = check("ee-btc-tchq-2015.pem", "g1-btc.pem", "2016-06-01T00:00:00Z")
            self.assertEqual(g1.sub_indication, pb.SUB_INDICATION_NO_CERTIFICATE_CHAIN_FOUND)
        finally:
            server.stop()
            shutil.rmtree(anchors)


class VnGovProfilePolicyTest(unittest.TestCase):
    """The built-in vn-gov profile: the G1 root only under the legacy policy;
    messages in Vietnamese unless the caller asks for English."""

    def test_legacy_policy_and_languages(self):
        vn_gca = os.path.join(PROTO_DIR, "..", "tests", "testdata", "vn-gca")
        server = Server("--trust-profile=vn-gov", "--check-revocation=false")
        try:
            with open(os.path.join(vn_gca, "ee-btc-tchq-2015.pem"), "rb") as f:
                customs = f.read()

            def validate(when, policy="", language="", metadata=()):
                req = pb.ValidateCertificateRequest(certificate=customs, policy=policy,
                                                    language=language)
                req.validation_time.FromJsonString(when)
                return server.validate(req, timeout=10, metadata=metadata)

            default = validate("2016-06-01T00:00:00Z")
            self.assertEqual(default.sub_indication,
                             pb.SUB_INDICATION_NO_CERTIFICATE_CHAIN_FOUND)
            self.assertEqual(default.policy, "default")
            self.assertIn("chính sách xác thực", default.message)
            # Valid in 2016 under the legacy policy, expired since: a claimed
            # time is not proof that the signature existed then.
            legacy = validate("2016-06-01T00:00:00Z", policy="legacy")
            self.assertEqual(legacy.indication, pb.INDICATION_INDETERMINATE, legacy.message)
            self.assertEqual(legacy.sub_indication, pb.SUB_INDICATION_OUT_OF_BOUNDS_NO_POE)
            self.assertEqual(legacy.failed_check.reason,
                             pb.FAILURE_REASON_EXPIRED_AFTER_CLAIMED_TIME)
            self.assertEqual(legacy.policy, "legacy")
            with self.assertRaises(grpc.RpcError) as future:
                validate("2100-01-01T00:00:00Z", policy="legacy")
            self.assertEqual(future.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
            expired = validate("2026-11-30T00:00:00Z", policy="legacy",
                               metadata=(("accept-language", "en"),))
            self.assertEqual(expired.sub_indication, pb.SUB_INDICATION_EXPIRED)
            self.assertIn("certificate has expired", expired.message)
            self.assertEqual(expired.failed_check.check, "validity")
            self.assertEqual(expired.failed_check.position, 1)
            self.assertEqual(expired.failed_check.certificate.subject, "C=VN,O=BTC,CN=TCHQ")
            # The reason and its facts as data, not only words.
            self.assertEqual(expired.failed_check.reason, pb.FAILURE_REASON_CERTIFICATE_EXPIRED)
            self.assertEqual(expired.failed_check.time, expired.failed_check.certificate.not_after)
            self.assertNotIn("hết hạn", expired.message)
            with self.assertRaises(grpc.RpcError) as err:
                validate("2016-06-01T00:00:00Z", policy="lenient")
            self.assertEqual(err.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
            self.assertIn("default, legacy", err.exception.details())
        finally:
            server.stop()


class ReloadTest(unittest.TestCase):
    """Trust store reload on SIGHUP while batches keep flowing: no call fails."""

    def test_hot_reload_under_load(self):
        import shutil
        import threading
        anchors = tempfile.mkdtemp()
        shutil.copy(os.path.join(PKI, "root.pem"), anchors)
        server = Server(f"--trust-anchors={anchors}", "--trust-anchors-poll-interval=0",
                        metrics=True)
        verify, verify_batch, proc = server.verify, server.verify_batch, server.proc
        metrics_port = server.metrics_port
        try:
            batch = pb.VerifyBatchRequest(requests=[request() for _ in range(200)])
            stop, problems, batches = threading.Event(), [], [0]

            def load():
                while not stop.is_set():
                    try:
                        resp = verify_batch(batch, timeout=30)
                        bad = [r for r in resp.results
                               if r.response.indication != pb.INDICATION_TOTAL_PASSED]
                        if bad or len(resp.results) != 200:
                            problems.append(f"{len(bad)} items not passed")
                        batches[0] += 1
                    except grpc.RpcError as e:
                        problems.append(f"{e.code()}: {e.details()}")

            untrusted = request("signer-untrusted")
            del untrusted.intermediate_certificates[:]
            before = verify(untrusted, timeout=10)
            self.assertEqual(before.sub_indication, pb.SUB_INDICATION_NO_CERTIFICATE_CHAIN_FOUND)

            worker = threading.Thread(target=load)
            worker.start()

            def wait_for_batches(n):
                deadline = time.time() + 30
                while batches[0] < n and time.time() < deadline and not problems:
                    time.sleep(0.02)
                self.assertGreaterEqual(batches[0], n, problems)

            wait_for_batches(1)  # the load runs before the reload
            # Trust the second root: after SIGHUP its signer passes.
            shutil.copy(os.path.join(PKI, "untrusted-root.pem"), anchors)
            proc.send_signal(signal.SIGHUP)
            deadline = time.time() + 20
            after = before
            while time.time() < deadline:
                after = verify(untrusted, timeout=10)
                if after.indication == pb.INDICATION_TOTAL_PASSED:
                    break
                time.sleep(0.05)
            self.assertEqual(after.indication, pb.INDICATION_TOTAL_PASSED, after.message)
            self.assertNotEqual(after.trust_store_version, before.trust_store_version)

            # A broken file: the reload is refused, the store in use is kept.
            with open(os.path.join(anchors, "broken.pem"), "w") as f:
                f.write("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
            proc.send_signal(signal.SIGHUP)
            deadline = time.time() + 20
            while time.time() < deadline and metric(
                    metrics_port, "sigverify_trust_store_reload_failures_total", {}) < 1:
                time.sleep(0.05)
            self.assertEqual(metric(metrics_port, "sigverify_trust_store_reload_failures_total", {}), 1)
            kept = verify(untrusted, timeout=10)
            self.assertEqual(kept.indication, pb.INDICATION_TOTAL_PASSED)
            self.assertEqual(kept.trust_store_version, after.trust_store_version)

            wait_for_batches(batches[0] + 1)  # ... and after the refused one
            stop.set()
            worker.join(timeout=60)
            self.assertEqual(problems, [])
            self.assertGreater(batches[0], 0)
        finally:
            _, server_log = server.stop()
            shutil.rmtree(anchors)
        self.assertIn("trust store reloaded", server_log)
        self.assertIn("trust store reload refused", server_log)


if __name__ == "__main__":
    unittest.main(verbosity=2)
