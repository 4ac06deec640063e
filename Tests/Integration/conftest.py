"""Fixtures that run the built mock_server binary exactly as a user would."""
import json
import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BINARY = Path(os.environ.get("MOCK_BINARY", ROOT / ".build" / "debug" / "mysql_server_mock"))
TRACES = Path(__file__).resolve().parent / "traces"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid) -> int:
    """Resident memory of a process in KiB (also used by bench/bench.py and scripts/soak.py)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def fd_count(pid) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


class MockProcess:
    """A running mysql_server_mock; `port` is its classic TCP port."""

    def __init__(self, args, tmp: Path, ready_timeout=30.0, wrapper=()):
        self.tmp = tmp
        notify_path = str(tmp / f"notify-{time.monotonic_ns()}.sock")
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(notify_path)
        self.notify.settimeout(ready_timeout)
        env = dict(os.environ, NOTIFY_SOCKET=notify_path)
        self.log_path = tmp / f"mock-{time.monotonic_ns()}.log"
        self.log = open(self.log_path, "w")
        # `wrapper` runs the binary through another command that execs it (e.g. prlimit), so the
        # pid stays the server's.
        self.args = [*wrapper, str(BINARY), *args]
        self.proc = subprocess.Popen(self.args, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        try:
            message = self.notify.recv(1024).decode()
        except socket.timeout:
            self.stop()
            raise AssertionError(f"mock did not become ready: {self.output()}")
        assert message == "READY=1", message

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text()

    def stop(self, sig=signal.SIGTERM, timeout=20) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("mock did not stop after SIGTERM")
        self.notify.close()
        self.log.close()
        return self.proc.returncode


@pytest.fixture
def mock_server(tmp_path):
    """Factory: mock_server(trace=<dict|path|None>, args=[...]) → MockProcess with .port."""
    started = []

    def start(trace=None, args=(), port=None, bind="127.0.0.1", wrapper=()):
        argv = []
        if isinstance(trace, dict):
            path = tmp_path / f"trace-{len(started)}.json"
            path.write_text(json.dumps(trace))
            argv += ["--filename", str(path)]
        elif trace is not None:
            argv += ["--filename", str(trace)]
        port = free_port() if port is None else port
        argv += ["--port", str(port), "--bind-address", bind, *args]
        server = MockProcess(argv, tmp_path, wrapper=wrapper)
        server.port = port
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def start_mock(tmp: Path, *args, http=False) -> "MockProcess":
    """The binary on a free loopback port (`.port`), and with `http` a free REST port (`.http`):
    for module-scoped fixtures, where `mock_server` (per test) does not reach."""
    port = free_port()
    extra = []
    http_port = None
    if http:
        http_port = free_port()
        extra = ["--http-port", str(http_port)]
    server = MockProcess(["--port", str(port), "--bind-address", "127.0.0.1", *extra, *args], tmp)
    server.port, server.http = port, http_port
    return server


def rest_call(http_port, method, path, body=None):
    """One REST call to the mock on `http_port`: (status, parsed JSON body or None); an error
    status gives its text instead."""
    import urllib.error
    import urllib.request
    request = urllib.request.Request(f"http://127.0.0.1:{http_port}/api/v1/mock_server/{path}", method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request) as response:
            text = response.read().decode()
            return response.status, json.loads(text) if text else None
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def run_binary(*args, timeout=30):
    """Runs the binary to completion (for option errors, --help, --version)."""
    return subprocess.run([str(BINARY), *args], capture_output=True, text=True, timeout=timeout)


def pytest_terminal_summary(terminalreporter):
    """Prints the driver matrix (test_driver_matrix.py) when it ran."""
    try:
        import test_driver_matrix
    except ImportError:
        return
    if test_driver_matrix.RESULTS:
        terminalreporter.write_sep("-", "driver matrix against the mock (issue 15)")
        terminalreporter.write_line(test_driver_matrix.table())
    if test_driver_matrix.CALIBRATION:
        terminalreporter.write_sep("-", "the same probes against MariaDB (calibration)")
        terminalreporter.write_line(test_driver_matrix.table(test_driver_matrix.CALIBRATION))
