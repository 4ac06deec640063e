"""Hardening (issue 14): what a hostile client or input could do, and what the server does instead."""
import pymysql
import pytest

from test_hostile_clients import connect


def test_error_messages_are_cut_at_511_bytes_as_a_server_cuts_them(mock_server):
    server = mock_server()
    conn = connect(server)
    statement = "no such statement " + "x" * 200_000
    with pytest.raises(pymysql.err.ProgrammingError) as info:
        conn.cursor().execute(statement)
    code, message = info.value.args
    assert code == 1064
    assert 0 < len(message.encode()) <= 511, len(message.encode())
    conn.cursor().execute("select 1")  # the session goes on
    conn.close()


def test_abandoned_journal_waits_neither_slow_statements_nor_block_shutdown(mock_server):
    """200 waits of 24 h on a statement that never comes: 64 are taken, the rest refused with 429;
    statements stay fast; SIGTERM still exits at once."""
    import http.client
    import json
    import threading
    import time
    from conftest import free_port

    http_port = free_port()
    server = mock_server(args=["--http-port", str(http_port)])
    for _ in range(100):
        try:
            http.client.HTTPConnection("127.0.0.1", http_port, timeout=2).request("GET", "/api/v1/mock_server/health")
            break
        except OSError:
            time.sleep(0.05)
    statuses = []

    def wait_forever():
        conn = http.client.HTTPConnection("127.0.0.1", http_port, timeout=120)
        body = json.dumps({"stmt": "never sent", "count": 1, "timeout_ms": 86_400_000})
        try:
            conn.request("POST", "/api/v1/mock_server/journal/wait", body, {"Content-Type": "application/json"})
            statuses.append(conn.getresponse().status)
        except OSError:
            statuses.append("closed")

    threads = [threading.Thread(target=wait_forever, daemon=True) for _ in range(200)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while statuses.count(429) < 200 - 64 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert statuses.count(429) == 200 - 64, statuses
    conn = connect(server)
    for _ in range(300):
        started = time.monotonic()
        conn.cursor().execute("select 1")
        assert time.monotonic() - started < 0.1
    conn.close()
    started = time.monotonic()
    assert server.stop() == 0
    assert time.monotonic() - started < 2, "SIGTERM took longer than 2 s with journal waits pending"
