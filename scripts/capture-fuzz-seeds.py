#!/usr/bin/env python3
"""Captures the fuzz seed corpus from real clients (issue 8).

Runs the debug mock behind a recording TCP proxy and drives the real clients of the test suite
through it: the mariadb CLI, PyMySQL and mysql-connector-python (pure and C extension) on the
classic port, mysqlx-connector-python on the X port. Every client connection's bytes (client to
server) become one seed file, prefixed with the set-up byte the fuzz target reads (which server
configuration the bytes were meant for). Also copies the JSON trace fixtures and writes the REST
bodies the API tests send. Output: Fuzz/corpus/<target>/<name>.

Usage: .venv/bin/python scripts/capture-fuzz-seeds.py   (after `swift build`)
"""
import hashlib
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "Tests" / "Integration"))
from conftest import TRACES, MockProcess, free_port  # noqa: E402

CORPUS = ROOT / "Fuzz" / "corpus"


class RecordingProxy:
    """Forwards 127.0.0.1:<port> to the mock and records what each client sent."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.streams = []
        self.lock = threading.Lock()
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target_port))
            record = bytearray()
            with self.lock:
                self.streams.append(record)
            threading.Thread(target=self.pump, args=(client, server, record), daemon=True).start()
            threading.Thread(target=self.pump, args=(server, client, None), daemon=True).start()

    @staticmethod
    def pump(source, sink, record):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if record is not None:
                    record += data
                sink.sendall(data)
        except OSError:
            pass
        for s in (sink, source):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def take(self):
        time.sleep(0.3)
        with self.lock:
            streams, self.streams = [bytes(s) for s in self.streams if s], []
        return streams


def save(target, name, setup, streams):
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    for i, stream in enumerate(streams):
        data = bytes([setup]) + stream
        (folder / f"{name}-{i}-{hashlib.sha1(data).hexdigest()[:8]}").write_bytes(data)
    print(f"{target}: {name}: {len(streams)} connection(s)")


def classic_clients(port, password=""):
    import mysql.connector
    import pymysql

    queries = ["select 1", "SELECT @@version_comment LIMIT 1", "show databases", "select @@port"]
    subprocess.run(["mysql", "-h127.0.0.1", f"-P{port}", "-uroot", f"-p{password}" if password else "--skip-password",
                    "--skip-ssl", "-e", "; ".join(queries)], check=False, capture_output=True, timeout=20)
    yield "mysql-cli"
    c = pymysql.connect(host="127.0.0.1", port=port, user="root", password=password, ssl_disabled=True,
                        database="test")
    for q in queries:
        c.cursor().execute(q)
    c.ping()
    c.select_db("other")
    c.close()
    yield "pymysql"
    for pure in (True, False):
        c = mysql.connector.connect(host="127.0.0.1", port=port, user="root", password=password,
                                    use_pure=pure, ssl_disabled=True)
        cur = c.cursor()
        for q in queries:
            cur.execute(q)
            cur.fetchall()
        c.ping()
        for command in (c.cmd_statistics, lambda: c.cmd_init_db("other"),
                        lambda: c.cmd_change_user(username="root", password=password, database="test"),
                        c.cmd_reset_connection):
            try:
                command()
            except (mysql.connector.Error, NotImplementedError):
                pass  # not every mode has every command
        c.close()
        yield "connector-pure" if pure else "connector-cext"


def start_mock(trace, tmp, *args):
    """The debug mock on a free port (`.port`), with `trace` and extra arguments."""
    port = free_port()
    mock = MockProcess(["--filename", str(trace), "--port", str(port), "--bind-address", "127.0.0.1", *args], tmp)
    mock.port = port
    return mock


def main():
    shutil.rmtree(CORPUS, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp())

    # Classic, default trace (mysql_native_password, any password).
    x_port = free_port()
    mock = start_mock("builtin:default", tmp, "--xport", str(x_port))
    proxy = RecordingProxy(mock.port)
    for name in classic_clients(proxy.port):
        save("classic-protocol", name, 0x00, proxy.take())
    # TLS: the SSLRequest and the ClientHello that follows it.
    certs = ROOT / "Tests" / "Integration" / "certs"
    if (certs / "server-cert.pem").exists():
        mock.stop()
        mock = start_mock("builtin:default", tmp, "--xport", str(x_port), "--ssl-mode", "PREFERRED",
                          "--ssl-cert", str(certs / "server-cert.pem"), "--ssl-key", str(certs / "server-key.pem"))
        proxy = RecordingProxy(mock.port)
        subprocess.run(["mysql", "-h127.0.0.1", f"-P{proxy.port}", "-uroot", "--ssl", "-e", "select 1"],
                       check=False, capture_output=True, timeout=20)
        save("classic-protocol", "mysql-cli-tls", 0x01, proxy.take())

    # X protocol: MYSQL41 and SHA256_MEMORY without TLS.
    import mysqlx
    xproxy = RecordingProxy(x_port)
    for auth in ("MYSQL41", "SHA256_MEMORY"):
        s = mysqlx.get_session({"host": "127.0.0.1", "port": xproxy.port, "user": "root", "password": "",
                                "ssl-mode": "disabled", "auth": auth})
        s.sql("select 1").execute().fetch_all()
        s.sql("show databases").execute().fetch_all()
        s.close()
        save("x-protocol", f"mysqlx-{auth.lower()}", 0x00, xproxy.take())
    mock.stop()

    # caching_sha2_password with a password and a cache miss: the RSA and the cleartext paths.
    trace = {"handshake": {"greeting": {"auth_method": "caching_sha2_password"},
                           "auth": {"username": "root", "password": "secret", "cache": "miss"}},
             "fallback": "builtin:default",
             "stmts": [{"stmt": "select 1", "result": {"columns": [{"name": "1", "type": "LONG"}], "rows": [[1]]}}]}
    (tmp / "sha2.json").write_text(json.dumps(trace))
    mock = start_mock(tmp / "sha2.json", tmp)
    proxy = RecordingProxy(mock.port)
    import pymysql
    c = pymysql.connect(host="127.0.0.1", port=proxy.port, user="root", password="secret", ssl_disabled=True)
    c.cursor().execute("select 1")
    c.close()
    save("classic-protocol", "pymysql-caching-sha2-rsa", (1 << 2) | 0x20 | 0x40 | 0x80, proxy.take())
    mock.stop()

    # JSON traces: the fixtures of the test suite.
    folder = CORPUS / "json-trace"
    folder.mkdir(parents=True, exist_ok=True)
    for path in sorted(TRACES.glob("*.json")):
        if path.stat().st_size <= 64 * 1024:
            shutil.copy(path, folder / path.name)
    (folder / "sha2.json").write_text(json.dumps(trace))
    readme = (ROOT / "README.md").read_text()
    example = readme.split("## JSON trace format\n\n```json\n", 1)[1].split("```", 1)[0]
    (folder / "readme-example.json").write_text(example)
    samples = {
        "ordered.json": {"ordered": True, "stmts": [{"stmt": "a", "ok": {}}, {"stmt": "b", "ok": {"warning_count": 1}}]},
        "globals.json": {"stmts": [{"stmt": "select @@port", "result": {
            "columns": [{"name": "@@port", "type": "LONG"}], "rows": [[{"$global": "port", "default": 3306}]]}}]},
        "handshake-error.json": {"handshake": {"greeting": {"exec_time": 1.5}, "error": {
            "code": 1129, "message": "Host blocked"}}, "stmts": []},
        "notices.json": {"notices": [{"type": 1, "scope": "global", "payload": {"level": "warning", "code": 1, "msg": "w"},
                                      "send_offset": 100}], "stmts": []},
        "session-trackers.json": {"stmts": [{"stmt": "use x", "ok": {"session_trackers": [
            {"type": "schema", "schema": "x"}, {"type": "system_variable", "name": "autocommit", "value": "OFF"}]}}]},
    }
    for name, sample in samples.items():
        (folder / name).write_text(json.dumps(sample, indent=1))
    print(f"json-trace: {len(list(folder.iterdir()))} traces")

    # REST bodies (selector: low bits = endpoint, bits 4-5 = Content-Type variant).
    bodies = {
        "put-globals": (0, {"primary": 3306, "nodes": [{"host": "a", "port": 1}], "flag": True}),
        "patch-globals": (1, {"counter": 2, "name": "x\u00e9\n", "nothing": None}),
        "put-one": (2, [1, 2.5, "three", {"four": 4}]),
        "wait-stmt": (3, {"stmt": "select 1", "count": 2, "timeout_ms": 100}),
        "wait-regex": (3, {"stmt_regex": "select .*", "timeout_ms": 0}),
        "text-plain": (0x20, {"a": 1}),
    }
    folder = CORPUS / "admin-body"
    folder.mkdir(parents=True, exist_ok=True)
    for name, (selector, body) in bodies.items():
        (folder / name).write_bytes(bytes([selector]) + json.dumps(body).encode())
    print(f"admin-body: {len(bodies)} bodies")


if __name__ == "__main__":
    main()
