"""Options, start-up errors, readiness, logging and shutdown of the binary."""
import signal
import socket
import struct
import subprocess
import time

import pymysql
import pytest
from conftest import BINARY, free_port, run_binary


@pytest.mark.parametrize("args, message", [
    (["--port", "65536"], "was '65536'"),
    (["--port", "0xffff"], "was '0xffff'"),
    (["--port=-1"], "was '-1'"),
    (["--no-such-option"], "--no-such-option"),
    (["--filename", "/nonexistent/trace.json"], "/nonexistent/trace.json: cannot read the trace file: no such file"),
    (["--filename", "builtin:nope"], "builtin:nope: no such built-in trace"),
    (["--core-file", "abc"], "Value for parameter '--core-file' needs to be one of: ['0', '1']"),
    (["--port", "0"], "nothing to listen on"),
])
def test_bad_options_exit_1_naming_the_problem(args, message):
    out = run_binary(*args)
    assert out.returncode == 1, out
    assert out.stderr.startswith("ERROR: "), out.stderr
    assert message in out.stderr


def test_broken_trace_names_file_and_json_path(tmp_path):
    trace = tmp_path / "broken.json"
    trace.write_text('{"stmts": [{"ok": {}}, {"result": {"columns": [{"name": "a", "type": "VARCHAR2"}]}}]}')
    out = run_binary("--filename", str(trace), "--port", str(free_port()))
    assert out.returncode == 1
    assert out.stderr.strip() == f'ERROR: {trace}: stmts[1].result.columns[0].type: Unknown type: "VARCHAR2"'
    trace.write_text('{"stmts": [\n  {"ok": {}\n}')
    out = run_binary("--filename", str(trace), "--port", str(free_port()))
    assert out.returncode == 1
    assert "not valid JSON: line 3, column 2: expected ',' or ']'" in out.stderr


def test_address_in_use_exits_1():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out = run_binary("--port", str(port), "--bind-address", "127.0.0.1")
    assert out.returncode == 1
    assert f"binding to 127.0.0.1:{port} failed: Address already in use" in out.stderr


def test_help_and_version():
    help_out = run_binary("--help")
    assert help_out.returncode == 0
    for option in ["--filename", "--bind-address", "--port", "--socket", "--module-prefix", "--verbose",
                   "--logging-folder", "--core-file", "--version", "--max-packet-size", "--connect-timeout"]:
        assert option in help_out.stdout
    version = run_binary("-V")
    assert version.returncode == 0
    assert version.stdout.startswith("mysql_server_mock ")


@pytest.mark.parametrize("extra", [["--core-file"], ["--core-file", "0"], ["--core-file=1"]])
def test_core_file_forms_start(mock_server, extra):
    server = mock_server(args=extra)
    conn = pymysql.connect(host="127.0.0.1", port=server.port, user="root", password="")
    conn.close()


def test_ready_is_logged_and_verbose_logs_statements(mock_server):
    server = mock_server(args=["--verbose"])
    conn = pymysql.connect(host="127.0.0.1", port=server.port, user="root", password="")
    conn.cursor().execute("select @@version_comment limit 1")
    conn.close()
    time.sleep(0.2)
    log = server.output()
    assert f"Starting to handle classic connections on 127.0.0.1:{server.port}" in log
    assert "> select @@version_comment limit 1" in log


def test_logging_folder(mock_server, tmp_path):
    folder = tmp_path / "logs"
    folder.mkdir()
    server = mock_server(args=["--logging-folder", str(folder)])
    log = folder / f"mock_server_{server.port}.log"
    assert "Starting to handle classic connections" in log.read_text()


def test_sigterm_with_clients_connected_exits_0(mock_server):
    server = mock_server()
    clients = [pymysql.connect(host="127.0.0.1", port=server.port, user="root", password="") for _ in range(5)]
    started = time.monotonic()
    assert server.stop(signal.SIGTERM) == 0
    assert time.monotonic() - started < 10
    with pytest.raises(pymysql.err.OperationalError):
        clients[0].cursor().execute("select 1")


def test_sigint_exits_0(mock_server):
    server = mock_server()
    assert server.stop(signal.SIGINT) == 0


def test_garbage_closes_only_its_own_connection(mock_server):
    server = mock_server()
    good = pymysql.connect(host="127.0.0.1", port=server.port, user="root", password="")
    with socket.create_connection(("127.0.0.1", server.port)) as raw:
        raw.settimeout(5)
        greeting = raw.recv(4096)
        assert greeting[4] == 10
        raw.sendall(b"\x05\x00\x00\x01garbage-bytes-here")
        reply = b""
        while True:
            chunk = raw.recv(4096)
            if not chunk:
                break
            reply += chunk
        assert reply[4] == 0xFF
        code = struct.unpack("<H", reply[5:7])[0]
        assert code in (1835, 1156)
    cur = good.cursor()
    cur.execute("select 1")
    assert cur.fetchall() == ((1,),)
    again = pymysql.connect(host="127.0.0.1", port=server.port, user="root", password="")
    again.close()
    good.close()
    assert server.proc.poll() is None


def test_idle_client_is_closed_after_connect_timeout(mock_server):
    server = mock_server(args=["--connect-timeout", "0.5"])
    with socket.create_connection(("127.0.0.1", server.port)) as raw:
        raw.settimeout(5)
        start = time.monotonic()
        data = raw.recv(4096)
        assert data[4] == 10
        assert raw.recv(4096) == b""
        assert 0.3 < time.monotonic() - start < 4


def test_a_unix_socket_held_by_a_live_server_is_refused_and_a_stale_one_replaced(mock_server, tmp_path):
    """Issue 14: a second server does not take over (and delete) a live server's socket."""
    path = tmp_path / "mock.sock"
    first = mock_server(args=["--socket", str(path)])
    out = run_binary("--socket", str(path), "--port", "0")
    assert out.returncode == 1
    assert f"binding to {path} failed: another server is listening on {path}" in out.stderr
    conn = pymysql.connect(unix_socket=str(path), user="root", password="")  # the first still serves
    conn.cursor().execute("select 1")
    conn.close()
    first.stop()
    stale = tmp_path / "stale.sock"
    with socket.socket(socket.AF_UNIX) as dead:  # a socket file whose server is gone
        dead.bind(str(stale))
    assert stale.exists()
    server = mock_server(args=["--socket", str(stale)])
    conn = pymysql.connect(unix_socket=str(stale), user="root", password="")
    conn.cursor().execute("select 1")
    conn.close()
    assert server.proc.poll() is None


def test_the_open_files_limit_is_raised_to_the_hard_limit(tmp_path, monkeypatch):
    """Issue 14: every session is a descriptor; a shell's soft limit must not cap the server."""
    import resource
    from conftest import MockProcess

    def low_soft_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 4096))

    real_popen = subprocess.Popen
    monkeypatch.setattr(subprocess, "Popen", lambda *a, **kw: real_popen(*a, preexec_fn=low_soft_limit, **kw))
    server = MockProcess(["--port", str(free_port()), "--bind-address", "127.0.0.1", "--verbose"], tmp_path)
    monkeypatch.undo()
    try:
        limits = open(f"/proc/{server.proc.pid}/limits").read()
        line = next(l for l in limits.splitlines() if l.startswith("Max open files"))
        assert line.split()[3:5] == ["4096", "4096"], line
        assert "open files limit raised from 256 to 4096" in server.output()
    finally:
        server.stop()
