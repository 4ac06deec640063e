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
