"""Hostile and broken clients only hurt their own connection (issue 8, first part)."""
import json
import socket
import struct
import threading
import time

import pymysql
import pytest

from conftest import rss_kib


def connect(server, **kw):
    return pymysql.connect(host="127.0.0.1", port=server.port, user="root", password="", ssl_disabled=True, **kw)


def raw_login(port):
    """Logs in by hand (no password needed with the default trace) and returns the socket."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    head = s.recv(4)
    s.recv(int.from_bytes(head[:3], "little"))
    caps = 0x0200 | 0x8000 | 0x80000
    body = struct.pack("<IIB23x", caps, 1 << 24, 255) + b"root\x00" + b"\x00" + b"mysql_native_password\x00"
    s.sendall(len(body).to_bytes(3, "little") + b"\x01" + body)
    ok = s.recv(1024)
    assert ok[4] == 0
    return s


def test_max_connections_refuses_one_more_with_1040(mock_server):
    server = mock_server(args=["--max-connections", "2"])
    a, b = connect(server), connect(server)
    with pytest.raises(pymysql.err.OperationalError) as info:
        connect(server)
    assert info.value.args[0] == 1040
    a.close()
    time.sleep(0.2)
    connect(server).close()
    b.close()


def test_idle_sessions_are_closed_after_the_wait_timeout(mock_server):
    server = mock_server(args=["--wait-timeout", "0.5"])
    conn = connect(server)
    conn.cursor().execute("select 1")
    time.sleep(1.2)
    with pytest.raises(pymysql.err.OperationalError) as info:
        conn.cursor().execute("select 1")
    assert info.value.args[0] in (4031, 2013, 2006)
    connect(server).close()


def test_a_client_trickling_its_handshake_is_closed_at_the_connect_timeout(mock_server):
    server = mock_server(args=["--connect-timeout", "1"])
    slow = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    slow.recv(4096)
    started = time.monotonic()
    closed = False
    for byte in b"\x20\x00\x00\x01" + b"\x00" * 28:
        try:
            slow.sendall(bytes([byte]))
        except OSError:
            closed = True
            break
        # meanwhile a well-behaved client is served
        good = connect(server)
        good.cursor().execute("select 1")
        good.close()
        slow.settimeout(0.25)
        try:
            if slow.recv(1) == b"":
                closed = True
                break
        except socket.timeout:
            pass
    assert closed
    assert 0.8 < time.monotonic() - started < 6


def test_pipelined_pings_without_reading_do_not_grow_memory_without_bound(mock_server):
    server = mock_server()
    s = raw_login(server.port)
    before = rss_kib(server.proc.pid)
    ping = b"\x01\x00\x00\x00\x0e"
    s.settimeout(30)
    sent = 0
    stop = threading.Event()

    def writer():
        nonlocal sent
        try:
            for _ in range(10_000):
                s.sendall(ping)
                sent += 1
        except OSError:
            pass
        stop.set()

    t = threading.Thread(target=writer)
    t.start()
    time.sleep(1.5)
    during = rss_kib(server.proc.pid)
    good = connect(server)  # the server keeps serving others
    good.cursor().execute("select 1")
    good.close()
    # Now read everything: every ping gets its OK, in order.
    received = b""
    while received.count(b"\x07\x00\x00\x01\x00") < 10_000:
        chunk = s.recv(1 << 16)
        assert chunk, "connection closed early"
        received += chunk
    t.join(timeout=30)
    assert sent == 10_000
    assert during - before < 64 * 1024, f"server grew by {during - before} KiB while the client did not read"
    s.close()


def test_random_bytes_after_login_close_only_that_connection(mock_server):
    server = mock_server()
    good = connect(server)
    s = raw_login(server.port)
    s.sendall(bytes((i * 73 + 11) % 256 for i in range(4096)))
    s.settimeout(5)
    data = b""
    try:
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    good.cursor().execute("select 1")
    assert server.proc.poll() is None


def test_a_client_that_never_reads_its_results_is_not_buffered_without_bound(mock_server):
    big = "x" * (1 << 20)
    server = mock_server({"fallback": "builtin:default", "stmts": [
        {"stmt": "big", "result": {"columns": [{"name": "b", "type": "LONGBLOB"}], "rows": [[big]]}}]})
    s = raw_login(server.port)
    before = rss_kib(server.proc.pid)
    query = b"\x04\x00\x00\x00\x03big"
    done = threading.Event()

    def writer():
        try:
            for _ in range(300):  # 300 MiB of answers if the server kept reading
                s.sendall(query)
        except OSError:
            pass
        done.set()

    threading.Thread(target=writer, daemon=True).start()
    time.sleep(3)
    grown = rss_kib(server.proc.pid) - before
    assert grown < 96 * 1024, f"server grew by {grown} KiB for a client that does not read"
    good = connect(server)
    good.cursor().execute("select 1")
    good.close()
    s.close()


def test_a_stalled_tls_handshake_is_closed_at_the_connect_timeout(mock_server):
    from conftest import TRACES
    certs = TRACES.parent / "certs"
    server = mock_server(args=["--connect-timeout", "1", "--ssl-mode", "PREFERRED",
                               "--ssl-key", str(certs / "server-key.pem"), "--ssl-cert", str(certs / "server-cert.pem")])
    s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    s.recv(4096)
    ssl_request = struct.pack("<IIB23x", 0x0200 | 0x0800 | 0x8000, 1 << 24, 255)
    s.sendall(len(ssl_request).to_bytes(3, "little") + b"\x01" + ssl_request + b"\x16\x03\x01")  # half a record
    started = time.monotonic()
    good = connect(server)
    good.cursor().execute("select 1")
    good.close()
    assert s.recv(1) == b""
    assert 0.5 < time.monotonic() - started < 6


def test_a_client_declaring_a_1_gib_packet_is_refused_and_memory_stays_flat(mock_server):
    # A classic header cannot say more than 16 MiB - 1, so a 1 GiB packet is 64 full fragments:
    # the server refuses it with ERR 1153 once the fragments pass --max-packet-size, without
    # buffering the rest.
    server = mock_server(args=["--max-packet-size", "4194304"])
    good = connect(server)
    s = raw_login(server.port)
    before = rss_kib(server.proc.pid)
    fragment = b"\x00" * (1 << 20)
    sent = 0
    refused = False
    s.settimeout(10)
    try:
        for seq in range(64):
            s.sendall(b"\xff\xff\xff" + bytes([seq]))
            for _ in range(16):
                s.sendall(fragment)
                sent += len(fragment)
    except OSError:
        refused = True
    answer = b""
    try:
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            answer += chunk
    except OSError:
        pass
    print(f"sent {sent >> 20} MiB, refused={refused}, answer={answer[:16]!r}")
    assert refused or answer, "the server kept reading a 1 GiB packet"
    assert sent < 256 << 20, f"the server read {sent >> 20} MiB before refusing"
    if answer:
        assert answer[4] == 0xFF and int.from_bytes(answer[5:7], "little") == 1153, answer[:64]
    grown = rss_kib(server.proc.pid) - before
    assert grown < 32 * 1024, f"server grew by {grown} KiB"
    good.cursor().execute("select 1")
    connect(server).close()


def test_a_client_disconnecting_in_the_middle_of_a_100_mb_result_hurts_nobody(mock_server, tmp_path):
    trace = tmp_path / "big.js"
    trace.write_text("""
var cell = new Array(1001).join("x");  // 1000 bytes
({stmts: function (stmt) {
  var m = stmt.match(/^rows (\\d+)$/);
  if (!m) return {ok: {}};
  var rows = [];
  for (var i = 0; i < +m[1]; i++) rows.push([i, cell]);
  return {result: {columns: [{name: "id", type: "LONG"}, {name: "cell", type: "VAR_STRING"}], rows: rows}};
}})
""")
    server = mock_server(trace)
    good = connect(server)
    for attempt in range(2):
        s = raw_login(server.port)
        s.sendall(b"\x0b\x00\x00\x00\x03rows 100000")  # ≈ 100 MB of rows
        received = 0
        s.settimeout(60)
        while received < 1 << 20:
            chunk = s.recv(65536)
            assert chunk, "closed before the result began"
            received += len(chunk)
        s.close()  # gone with ~99 MB still to send
        good.cursor().execute("select 1")
        if attempt == 0:
            time.sleep(1)
            after_first = rss_kib(server.proc.pid)
    print("rss", after_first, rss_kib(server.proc.pid))
    # The second abandoned result does not add another 100 MB: nothing of the first was kept.
    time.sleep(1)
    assert rss_kib(server.proc.pid) - after_first < 64 * 1024
    cur = good.cursor()
    cur.execute("rows 3")
    assert [r[0] for r in cur.fetchall()] == [0, 1, 2]
    assert server.proc.poll() is None


def test_a_client_that_quits_but_keeps_its_socket_open_is_closed_after_a_second(mock_server):
    # With --on-quit wait-for-client, after COM_QUIT the server waits for the client to close
    # first (no TIME_WAIT on the server, as the reference does), but not forever.
    server = mock_server(args=["--on-quit", "wait-for-client"])
    clients = [raw_login(server.port) for _ in range(3)]
    started = time.monotonic()
    for s in clients:
        s.sendall(b"\x01\x00\x00\x00\x01")
    for s in clients:
        s.settimeout(10)
        assert s.recv(16) == b""
    elapsed = time.monotonic() - started
    assert 0.8 <= elapsed < 3, elapsed
    connect(server).close()


def test_a_client_that_quits_and_closes_is_gone_at_once(mock_server):
    from test_rest_api import call, start
    server = start(mock_server)
    for _ in range(20):
        s = raw_login(server.port)
        s.sendall(b"\x01\x00\x00\x00\x01")
        s.close()
    deadline = time.monotonic() + 0.8  # well before the one-second grace would close them
    while time.monotonic() < deadline and json.loads(call(server, "GET", "/connections/")[1]):
        time.sleep(0.02)
    assert json.loads(call(server, "GET", "/connections/")[1]) == []


def test_verbose_logs_unknown_commands_and_refused_logins_with_the_reason(mock_server, tmp_path):
    """Issue 15: --verbose logged nothing for an unknown command or a failed login."""
    import json
    trace = tmp_path / "auth.json"
    trace.write_text(json.dumps({"handshake": {"auth": {"username": "app", "password": "s3cret-pw"}},
                                 "stmts": [], "fallback": "builtin:default"}))
    server = mock_server(trace, args=["--verbose"])
    with pytest.raises(pymysql.err.OperationalError) as info:
        pymysql.connect(host="127.0.0.1", port=server.port, user="app", password="wrong-one")
    assert info.value.args[0] == 1045
    with pytest.raises(pymysql.err.OperationalError):
        pymysql.connect(host="127.0.0.1", port=server.port, user="intruder", password="s3cret-pw")
    conn = pymysql.connect(host="127.0.0.1", port=server.port, user="app", password="s3cret-pw")
    sock = conn._sock
    sock.sendall(b"\x01\x00\x00\x00\x1d")  # 0x1d: a command this server does not know
    head = sock.recv(4)
    body = sock.recv(int.from_bytes(head[:3], "little"))
    assert body[0] == 0xFF and int.from_bytes(body[1:3], "little") == 1047
    conn.close()
    time.sleep(0.2)
    log = server.output()
    assert "ERR 1045 (28000): Access denied for user 'app'@'127.0.0.1' (using password: YES) (wrong password" in log, log
    assert "(the trace accepts user 'app' only)" in log, log
    assert "ERR 1047 (08S01): Unknown command (0x1d)" in log, log
    assert "wrong-one" not in log and "s3cret-pw" not in log
