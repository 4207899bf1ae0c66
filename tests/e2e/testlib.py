"""What the Python end-to-end tests and benches share: Python classes for the
proto contract generated at run time (protoc's built-in Python generator; the
calls go through grpc's generic API, so no grpc_tools plugin is needed), free
loopback ports, and stopping a server process."""
import signal
import socket
import subprocess
import sys
import tempfile


def generate_protos(proto_dir, *files):
    """Generates Python for `files` (paths under `proto_dir`) and makes it
    importable."""
    out = tempfile.mkdtemp()
    subprocess.run(["protoc", f"--proto_path={proto_dir}", f"--python_out={out}", *files],
                   check=True)
    sys.path.insert(0, out)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def terminate(proc, timeout=60):
    """SIGTERM, then SIGKILL after `timeout` seconds; the exit status."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode
