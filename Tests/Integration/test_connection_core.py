"""One connection core for classic and X (issue 13): reads held behind a delayed answer, and the
X protocol's --wait-timeout and --max-connections."""
import socket
import struct
import time

import mysqlx
import pymysql
import pytest

from conftest import free_port, rss_kib
from test_hostile_clients import connect, raw_login
from test_x_protocol import RawXClient

SLOW = {"fallback": "builtin:default",
        "stmts": [{"stmt": "slow", "exec_time": 1000, "ok": {}}]}


def flood(sock, packet, count=1_000_000, seconds=5.0):
    """Sends `count` copies of `packet` without reading, until the socket stops taking them;
    returns how many went out."""
    sock.setblocking(False)
    batch = packet * 4096
    sent_bytes = 0
    deadline = time.monotonic() + seconds
    stalled_since = None
    while sent_bytes < len(packet) * count and time.monotonic() < deadline:
        try:
            sent_bytes += sock.send(batch[: len(packet) * count - sent_bytes][: len(batch)])
            stalled_since = None
        except BlockingIOError:
            stalled_since = stalled_since or time.monotonic()
            if time.monotonic() - stalled_since > 1.0:
                break
            time.sleep(0.01)
    return sent_bytes // len(packet)


def bystander_latency(query, tries=3):
    """The best of a few runs: a loop stalled by the flood would make every one slow."""
    best = float("inf")
    for _ in range(tries):
        started = time.monotonic()
        query()
        best = min(best, time.monotonic() - started)
    return best


def x_execute(statement):
    body = b"\x0a" + bytes([len(statement)]) + statement.encode()  # StmtExecute.stmt (field 1)
    return struct.pack("<IB", len(body) + 1, 12) + body


@pytest.mark.parametrize("protocol", ["classic", "x"])
def test_pipelined_statements_behind_a_delayed_answer_are_not_read(mock_server, protocol):
    xport = free_port()
    server = mock_server(SLOW, args=["--xport", str(xport)])
    if protocol == "classic":
        sock = raw_login(server.port)
        packet = b"\x05\x00\x00\x00\x03slow"
    else:
        client = RawXClient(xport)
        client.login()
        sock = client.sock
        packet = x_execute("slow")
    before = rss_kib(server.proc.pid)
    sent = flood(sock, packet)
    grown = rss_kib(server.proc.pid) - before
    print(f"{protocol}: {sent} statements pipelined, server RSS +{grown} KiB")
    assert sent < 1_000_000, "the server kept reading while its answer was delayed"
    assert grown < 4 * 1024, f"server grew by {grown} KiB holding {sent} pipelined statements"

    def classic_select():
        conn = connect(server)
        conn.cursor().execute("select 1")
        conn.close()

    def x_select():
        s = mysqlx.get_session({"host": "127.0.0.1", "port": xport, "user": "app", "password": "s3cret",
                                "ssl-mode": "disabled"})
        s.sql("select 1").execute().fetch_all()
        s.close()

    classic_select()  # warm up both paths
    x_select()
    assert bystander_latency(classic_select) < 0.1
    assert bystander_latency(x_select) < 0.1
    sock.close()


def test_x_sessions_honour_the_wait_timeout(mock_server):
    from mysqlx.protobuf import mysqlx_notice_pb2 as notice
    xport = free_port()
    mock_server(SLOW, args=["--xport", str(xport), "--wait-timeout", "0.5"])
    client = RawXClient(xport)
    client.login()
    started = time.monotonic()
    while True:
        type_, body = client.read()
        if type_ == 11 and notice.Frame.FromString(body).type == 1:
            break
    frame = notice.Frame.FromString(body)
    warning = notice.Warning.FromString(frame.payload)
    assert (warning.level, warning.code, frame.scope) == (notice.Warning.ERROR, 1810, notice.Frame.GLOBAL)
    assert 0.4 <= time.monotonic() - started < 3
    assert client.sock.recv(10) == b""


def test_x_sessions_count_towards_max_connections(mock_server):
    from mysqlx.protobuf import mysqlx_pb2
    xport = free_port()
    server = mock_server(SLOW, args=["--xport", str(xport), "--max-connections", "2"])
    classic = connect(server)
    first = RawXClient(xport)
    first.login()
    refused = RawXClient(xport)
    type_, body = refused.read()
    assert type_ == 1
    error = mysqlx_pb2.Error.FromString(body)
    assert (error.code, error.sql_state, error.severity) == (1040, "08004", mysqlx_pb2.Error.FATAL)
    assert refused.sock.recv(10) == b""
    with pytest.raises(mysqlx.errors.OperationalError, match="1040: Too many connections"):
        mysqlx.get_session({"host": "127.0.0.1", "port": xport, "user": "app", "password": "s3cret",
                            "ssl-mode": "disabled"})
    classic.close()
    first.sock.close()
