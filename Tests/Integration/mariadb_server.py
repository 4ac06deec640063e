"""A real MariaDB server on a free loopback port, for the benchmark and for the driver matrix's
calibration (a check MariaDB fails is a probe bug; one it passes and the mock fails, a mock bug)."""
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pymysql

from conftest import free_port


def wait_for_port(port, timeout=60.0, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.0005)
    raise RuntimeError(f"port {port} did not open")


def stop_process(proc, timeout=30):
    """SIGTERM, then SIGKILL if it does not exit in time (mariadbd may ignore an early SIGTERM)."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class MariaDB:
    """mariadbd with a fresh data directory, a `user` with `password` (mysql_native_password) who may
    do anything, and a database `database`."""

    def __init__(self, user, password, database, extra_args=()):
        self.dir = Path(tempfile.mkdtemp(prefix="mock-mariadb-"))
        self.port = free_port()
        self.sock = self.dir / "mysqld.sock"
        subprocess.run(["mariadb-install-db", "--no-defaults", f"--datadir={self.dir}/data", "--user=root",
                        "--auth-root-authentication-method=normal", "--skip-test-db"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.proc = subprocess.Popen(
            ["mariadbd", "--no-defaults", f"--datadir={self.dir}/data", f"--socket={self.sock}",
             f"--port={self.port}", "--bind-address=127.0.0.1", "--user=root", "--skip-log-bin",
             "--skip-name-resolve", "--innodb-buffer-pool-size=64M",
             f"--pid-file={self.dir}/mysqld.pid", f"--log-error={self.dir}/error.log", *extra_args],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port, proc=self.proc)
        self.pid = self.proc.pid
        self.execute(f"CREATE USER '{user}'@'%' IDENTIFIED VIA mysql_native_password USING PASSWORD('{password}')",
                     f"GRANT ALL ON *.* TO '{user}'@'%'", f"CREATE DATABASE {database}")

    def execute(self, *statements):
        """Runs statements as root over the Unix socket."""
        root = pymysql.connect(unix_socket=str(self.sock), user="root", password="")
        with root.cursor() as cur:
            for statement in statements:
                cur.execute(statement)
        root.commit()
        root.close()

    def stop(self):
        stop_process(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)


def answers_from_mariadb_then_mock(tmp, probes, trace, *, user, password, database, setup=(),
                                   mariadb_target=None, mock_target=None, http=False):
    """Runs every probe (name → probe(target)) against a fresh MariaDB (after the `setup`
    statements, as root), stops it, and runs them again against the mock serving `trace` (a dict,
    or a function of the MariaDB server giving one). A probe's target is the server's port unless
    `mariadb_target(db)` / `mock_target(mock)` make another (say, one that can also change the
    server's state from outside). Returns (MariaDB's answers, the mock's answers, the mock, still
    running: the caller stops it)."""
    import json
    from conftest import start_mock
    db = MariaDB(user, password, database)
    try:
        if setup:
            db.execute(*setup)
        target = mariadb_target(db) if mariadb_target else db.port
        mariadb = {name: probe(target) for name, probe in probes.items()}
        written = trace(db) if callable(trace) else trace
    finally:
        db.stop()
    path = tmp / "trace.json"
    path.write_text(json.dumps(written))
    mock = start_mock(tmp, "--filename", str(path), http=http)
    try:
        target = mock_target(mock) if mock_target else mock.port
        return mariadb, {name: probe(target) for name, probe in probes.items()}, mock
    except BaseException:
        mock.stop()
        raise
