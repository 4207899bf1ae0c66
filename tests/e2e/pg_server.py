"""A real PostgreSQL server for end-to-end tests: a fresh cluster (initdb) in a
temporary directory, listening only on a Unix socket there, run as the
`postgres` user when the tests run as root (PostgreSQL refuses root). It can
be killed with SIGKILL (crash) and started again on the same data."""
import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
import unittest


class Postgres:
    def __init__(self):
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
        if not bins:
            raise unittest.SkipTest("PostgreSQL is not installed")  # install-deps installs it
        self.bindir = os.path.dirname(bins[-1])
        self.dir = tempfile.mkdtemp(prefix="sigverify-pg-")
        self.as_user = []
        if os.geteuid() == 0:
            pg = pwd.getpwnam("postgres")
            os.chown(self.dir, pg.pw_uid, pg.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        subprocess.run(self.as_user + [f"{self.bindir}/initdb", "-D", f"{self.dir}/data", "-A",
                                       "trust", "-U", "sigverify", "--no-sync"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.log = open(os.path.join(tempfile.gettempdir(), f"pg-{os.getpid()}-{id(self)}.log"),
                        "w+")
        self.conninfo = f"host={self.dir} port=5432 user=sigverify dbname=postgres"
        self.proc = None
        self.start()

    def start(self):
        self.proc = subprocess.Popen(
            self.as_user + [f"{self.bindir}/postgres", "-D", f"{self.dir}/data", "-k", self.dir,
                            "-c", "listen_addresses=", "-p", "5432"],
            stdout=self.log, stderr=self.log)
        deadline = time.time() + 60
        # The socket exists slightly before connections are accepted: ask.
        while subprocess.run([f"{self.bindir}/pg_isready", "-q", "-h", self.dir, "-p", "5432"]
                             ).returncode != 0:
            if time.time() > deadline or self.proc.poll() is not None:
                self.stop()
                raise RuntimeError("PostgreSQL did not start")
            time.sleep(0.1)

    def kill9(self):
        """The postmaster and every backend killed at once, as a crash would."""
        with open(f"{self.dir}/data/postmaster.pid") as f:
            postmaster = int(f.readline())
        subprocess.run(["pkill", "-KILL", "-P", str(postmaster)], check=False)
        os.kill(postmaster, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # runuser passes it on
            self.proc.wait(timeout=60)
        if not self.log.closed:
            self.log.close()
            os.unlink(self.log.name)
        shutil.rmtree(self.dir, ignore_errors=True)
