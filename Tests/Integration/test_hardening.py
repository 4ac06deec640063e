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
    latencies = []
    for _ in range(300):
        started = time.monotonic()
        conn.cursor().execute("select 1")
        latencies.append(time.monotonic() - started)
    conn.close()
    latencies.sort()
    # 99th percentile under 100 ms (a stalled event loop would fail every one), none near a second.
    assert latencies[296] < 0.1 and latencies[-1] < 1.0, latencies[-5:]
    started = time.monotonic()
    assert server.stop() == 0
    assert time.monotonic() - started < 2, "SIGTERM took longer than 2 s with journal waits pending"


def _rest(port, method, path, headers=None, body=None):
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(method, path, body, headers or {})
    response = conn.getresponse()
    return response.status, response.read().decode()


def _wait_for_rest(port, headers=None):
    import time
    for _ in range(200):
        try:
            return _rest(port, "GET", "/api/v1/mock_server/health", headers)
        except OSError:
            time.sleep(0.05)
    raise AssertionError("REST API did not come up")


def test_the_admin_api_checks_the_host_header_and_its_token(mock_server, tmp_path):
    from conftest import free_port, run_binary
    http_port = free_port()
    mock_server(args=["--http-port", str(http_port)])
    assert _wait_for_rest(http_port)[0] == 200
    # DNS rebinding: the browser sends the attacker's name in Host.
    status, text = _rest(http_port, "GET", "/api/v1/mock_server/globals", {"Host": "evil.example:8080"})
    assert status == 403 and "is not this server's" in text
    assert _rest(http_port, "DELETE", "/api/v1/mock_server/connections", {"Host": "rebound.example"})[0] == 403
    assert _rest(http_port, "GET", "/api/v1/mock_server/globals", {"Host": f"localhost:{http_port}"})[0] == 200
    # A body over 16 MiB: 413, not 500.
    big = b'{"k": "' + b"x" * ((16 << 20) + 1) + b'"}'
    assert _rest(http_port, "PUT", "/api/v1/mock_server/globals", {"Content-Type": "application/json"}, big)[0] == 413

    token_file = tmp_path / "token"
    token_file.write_text("t0ken\n")
    secured = free_port()
    mock_server(args=["--http-port", str(secured), "--http-auth-token-file", str(token_file)])
    assert _wait_for_rest(secured, {"Authorization": "Bearer t0ken"})[0] == 200
    assert _rest(secured, "GET", "/api/v1/mock_server/globals")[0] == 401
    assert _rest(secured, "GET", "/api/v1/mock_server/globals", {"Authorization": "Bearer nope"})[0] == 401
    assert _rest(secured, "GET", "/api/v1/mock_server/globals", {"Authorization": "Bearer t0ken"})[0] == 200

    # Listening beyond loopback needs a token (or an explicit --http-allow-remote).
    out = run_binary("--port", str(free_port()), "--http-port", str(free_port()), "--http-bind-address", "0.0.0.0")
    assert out.returncode == 1
    assert "refusing to serve the REST API on 0.0.0.0 without --http-auth-token" in out.stderr


def test_sighup_and_rest_reload_the_trace_and_a_broken_file_keeps_the_old_one(mock_server, tmp_path):
    import json
    import signal
    import time
    from conftest import free_port

    def trace(value):
        return json.dumps({"fallback": "builtin:default", "stmts": [{"stmt": "select v", "result": {
            "columns": [{"name": "v", "type": "LONG"}], "rows": [[value]]}}]})

    def answer(server):
        conn = connect(server)
        cur = conn.cursor()
        cur.execute("select v")
        (value,), = cur.fetchall()
        conn.close()
        return value

    path = tmp_path / "reloaded.json"
    path.write_text(trace(1))
    http_port = free_port()
    server = mock_server(path, args=["--http-port", str(http_port)])
    kept = connect(server)  # open across the reloads: keeps the trace it started with
    assert answer(server) == 1
    path.write_text(trace(2))
    server.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while answer(server) != 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert answer(server) == 2
    path.write_text('{"stmts": [')  # broken: the server keeps the last good trace
    server.proc.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    assert server.proc.poll() is None
    assert answer(server) == 2
    assert "reloading the trace failed, keeping the previous one" in server.output()
    status, text = _rest(http_port, "POST", "/api/v1/mock_server/trace/reload")
    assert status == 422 and "not valid JSON" in text
    path.write_text(trace(3))
    status, text = _rest(http_port, "POST", "/api/v1/mock_server/trace/reload")
    assert status == 200 and json.loads(text) == {"trace": str(path)}
    assert answer(server) == 3
    cur = kept.cursor()
    cur.execute("select v")
    assert cur.fetchall() == ((1,),)
    kept.close()


def _bystander_latencies(server, count, during):
    """Runs `during` in a thread while a second client times `count` SELECT 1s; returns them sorted."""
    import threading
    import time

    attack = threading.Thread(target=during, daemon=True)
    bystander = connect(server)
    attack.start()
    time.sleep(0.05)
    latencies = []
    for _ in range(count):
        started = time.monotonic()
        bystander.cursor().execute("select 1")
        latencies.append(time.monotonic() - started)
    attack.join(60)
    assert not attack.is_alive()
    bystander.close()
    return sorted(latencies)


def test_no_statement_or_journal_filter_can_stall_regex_matching(mock_server):
    """Catastrophic patterns against hostile statements on a one-thread server: each attack
    statement gets its error fast, naming the entry that gave up, and a bystander on the same
    event loop is never held up (this took 5.7 s, 2.3 s, 4 s and 9.3 s with a backtracking engine)."""
    import json
    import threading
    import time
    from conftest import free_port

    entries = [{"stmt.regex": "(a+)+$", "ok": {}},
               {"stmt.regex": "select .* from .* where .* = .*", "ok": {}}]
    entries += [{"stmt.regex": f"insert into t{i} .*", "ok": {}} for i in range(20)]
    entries.append({"stmt.regex": "SET NAMES .*", "ok": {}})
    entries.append({"stmt": "select 1", "result": {"columns": [{"name": "1", "type": "LONG"}], "rows": [[1]]}})
    http_port = free_port()
    server = mock_server({"stmts": entries},
                         args=["--io-threads", "1", "--http-port", str(http_port)])
    _wait_for_rest(http_port)
    attacker = connect(server)
    statements = {"aaaa": "a" * 19 + "b", "aaaa!": "a" * 40 + "!",
                  # 28 KB that the second entry's required " where " rules out before PCRE2 runs
                  "no where": "select " + "from " * 5600,
                  # the same with " where " in it: PCRE2 backtracks on it until its match limit
                  "where": "select " + "from " * 5600 + "where x",
                  "x": "x" * (2 << 20)}                        # 2 MiB that no entry matches
    seen = {}

    def attack():
        for _ in range(3):
            for name, statement in statements.items():
                started = time.monotonic()
                try:
                    attacker.cursor().execute(statement)
                    seen[name] = ("answered", time.monotonic() - started)
                except pymysql.err.ProgrammingError as e:
                    seen[name] = (e.args[1], time.monotonic() - started)

    latencies = _bystander_latencies(server, 300, attack)
    assert latencies[296] < 0.1 and latencies[-1] < 1.0, latencies[-5:]
    assert "stmts[0] gave up: match limit exceeded" in seen["aaaa!"][0], seen
    assert "gave up" not in seen["no where"][0] and seen["no where"][0].startswith('Unknown statement: "select from'), seen
    assert "stmts[1] gave up" in seen["where"][0], seen
    assert seen["x"][0].startswith('Unknown statement: "xxxx'), seen
    assert all(elapsed < 1.0 for _, elapsed in seen.values()), seen

    # A REST waiter whose filter backtracks catastrophically on every journal entry.
    def rest_attack():
        status, body = _rest(http_port, "POST", "/api/v1/mock_server/journal/wait",
                             {"Content-Type": "application/json"},
                             json.dumps({"stmt_regex": "(a+)+$", "count": 1000, "timeout_ms": 3000}))
        seen["rest"] = (status, body)

    waiter = threading.Thread(target=rest_attack, daemon=True)
    waiter.start()

    def feed_the_waiter():
        for _ in range(50):
            try:
                attacker.cursor().execute("a" * 30 + "b")
            except pymysql.err.ProgrammingError:
                pass

    latencies = _bystander_latencies(server, 300, feed_the_waiter)
    assert latencies[296] < 0.1 and latencies[-1] < 1.0, latencies[-5:]
    waiter.join(10)
    assert seen["rest"][0] == 408, seen["rest"]
    attacker.close()


def test_a_broken_regex_in_a_trace_is_refused_at_start_naming_the_entry(tmp_path):
    import json
    from conftest import run_binary
    trace = tmp_path / "broken.json"
    trace.write_text(json.dumps({"stmts": [{"stmt": "select 1", "ok": {}}, {"stmt.regex": "select (", "ok": {}}]}))
    result = run_binary("--filename", str(trace), "--port", "0")
    assert result.returncode != 0
    assert "stmts[1]" in result.stderr and "invalid regular expression" in result.stderr, result.stderr
    assert "missing closing parenthesis" in result.stderr, result.stderr


RUNAWAY_TRACE = """
var hoard = [];
({stmts: function (stmt) {
  if (stmt === "spin") { while (true) {} }
  if (stmt === "hoard") { while (true) { hoard.push(new Array(4096).join("x") + Math.random()); } }
  if (stmt === "SET NAMES utf8mb4") { return {ok: {}}; }
  return {result: {columns: [{name: "1", type: "LONG"}], rows: [[1]]}};
}})
"""


def test_a_runaway_script_is_stopped_at_its_limits_without_stalling_anyone(mock_server, tmp_path):
    """`while (true) {}` in a trace: the statement gets ERR 3024 naming the trace and the
    statement after --js-timeout, a bystander on the same event loop waits no longer than that, and
    the connection goes on; a script that allocates without bound gets --js-heap-limit, and the
    memory comes back."""
    import time
    from conftest import rss_kib, fd_count

    trace = tmp_path / "runaway.js"
    trace.write_text(RUNAWAY_TRACE)
    server = mock_server(trace, args=["--io-threads", "1", "--js-timeout", "50"])
    attacker = connect(server)
    attacker.cursor().execute("select 1")
    baseline_rss, baseline_fds = rss_kib(server.proc.pid), fd_count(server.proc.pid)
    errors = []

    def spin():
        for _ in range(20):
            try:
                attacker.cursor().execute("spin")
            except pymysql.err.OperationalError as e:
                errors.append(e.args)

    latencies = _bystander_latencies(server, 200, spin)
    assert len(errors) == 20, errors
    assert errors[0] == (3024, f'executing statement failed: {trace}: the script ran past its time limit of 50 ms'
                               ' (--js-timeout) answering "spin"'), errors[0]
    # The bystander shares the one event loop: it waits for a runaway call at most, never longer.
    assert latencies[196] < 0.1 and latencies[-1] < 1.0, latencies[-5:]
    attacker.cursor().execute("select 1")  # the session goes on, in a fresh heap
    attacker.close()

    server = mock_server(trace, args=["--js-timeout", "60000", "--js-heap-limit", str(16 << 20)])
    attacker = connect(server)
    attacker.cursor().execute("select 1")
    baseline_rss, baseline_fds = rss_kib(server.proc.pid), fd_count(server.proc.pid)
    with pytest.raises(pymysql.err.ProgrammingError) as info:
        attacker.cursor().execute("hoard")
    code, message = info.value.args
    assert code == 1064
    assert "the script's heap reached its memory limit of 16777216 bytes (--js-heap-limit)" in message, message
    assert message.endswith('answering "hoard"'), message
    attacker.cursor().execute("select 1")
    time.sleep(0.2)
    grown = rss_kib(server.proc.pid) - baseline_rss
    assert grown < 4 << 10, f"RSS grew by {grown} KiB after the heap was discarded"
    assert fd_count(server.proc.pid) == baseline_fds
    attacker.close()
    assert "the thread's JavaScript heap was discarded" in server.output()


def test_sigterm_stops_the_server_while_a_script_runs_away(mock_server, tmp_path):
    import socket
    import time

    trace = tmp_path / "runaway.js"
    trace.write_text(RUNAWAY_TRACE)
    server = mock_server(trace)  # the default --js-timeout: one second
    attacker = connect(server)
    attacker.cursor().execute("select 1")
    attacker._sock.settimeout(10)
    import threading
    threading.Thread(target=lambda: _ignore(lambda: attacker.cursor().execute("spin")), daemon=True).start()
    time.sleep(0.2)
    started = time.monotonic()
    assert server.stop() == 0
    assert time.monotonic() - started < 2, "SIGTERM took longer than 2 s with a script running away"


def _ignore(body):
    try:
        body()
    except Exception:
        pass


def _cpu_seconds(pid):
    import os
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_out_of_descriptors_the_listener_backs_off_and_serves_again_when_one_is_freed(mock_server):
    """Under a 64-descriptor limit, clients beyond what it allows wait in the backlog: the server
    does not spin (it measured 100% CPU before), the REST API still answers, and the waiting client
    is served as soon as a connection closes."""
    import socket
    import time
    from conftest import free_port

    http_port = free_port()
    server = mock_server(args=["--io-threads", "1", "--http-port", str(http_port)],
                         wrapper=["prlimit", "--nofile=64:64", "--"])
    _wait_for_rest(http_port)
    held = []
    for _ in range(80):
        s = socket.create_connection(("127.0.0.1", server.port), timeout=2)
        held.append(s)
    # The server accepted what it could; the rest sit in the kernel's backlog.
    time.sleep(0.5)
    before = _cpu_seconds(server.proc.pid)
    time.sleep(2)
    spent = _cpu_seconds(server.proc.pid) - before
    assert spent < 0.5, f"the server used {spent:.2f} s of CPU in 2 s while out of descriptors"
    # A REST client meanwhile: the reserve keeps descriptors for it (its listener would spin too).
    before = _cpu_seconds(server.proc.pid)
    assert _rest(http_port, "GET", "/api/v1/mock_server/health")[0] == 200
    time.sleep(1)
    assert _cpu_seconds(server.proc.pid) - before < 0.3
    assert "32 connections are open, as many as the open-files limit allows" in server.output()
    assert _rest(http_port, "GET", "/api/v1/mock_server/health")[0] == 200
    waiting = held[-1]
    waiting.settimeout(0.2)
    try:
        assert waiting.recv(1) == b"", "the last client got a greeting although no descriptor was free"
    except socket.timeout:
        pass
    for s in held[:-1]:
        s.close()
    waiting.settimeout(5)
    greeting = waiting.recv(4096)
    assert len(greeting) > 4 and greeting[4] == 10, greeting[:16]  # protocol version 10: served
    waiting.close()
    conn = connect(server)
    conn.cursor().execute("select 1")
    conn.close()


def test_admin_clients_cannot_take_the_descriptors_or_trickle_forever(mock_server):
    """200 idle REST connections: 128 are taken, the rest wait in the backlog, and a MySQL client is
    still served; a client sending its header a byte at a time is closed after 10 s."""
    import socket
    import time
    from conftest import free_port, fd_count

    http_port = free_port()
    server = mock_server(args=["--http-port", str(http_port)])
    _wait_for_rest(http_port)
    baseline = fd_count(server.proc.pid)
    trickler = socket.create_connection(("127.0.0.1", http_port), timeout=15)
    started = time.monotonic()
    trickler.sendall(b"GET /api/v1/mock_server/health HTTP/1.1\r\n")
    idle = [socket.create_connection(("127.0.0.1", http_port), timeout=2) for _ in range(200)]
    time.sleep(0.5)
    # At most 128 open: the gate closes 3 early because NIO accepts up to 4 per read; CI once saw
    # 131 when the gate itself was at 128.
    opened = fd_count(server.proc.pid) - baseline
    assert 120 <= opened <= 128, (baseline, opened)
    conn = connect(server)
    conn.cursor().execute("select 1")
    conn.close()
    closed_after = None
    for _ in range(40):
        try:
            trickler.sendall(b"X")
            trickler.settimeout(0.5)
            if trickler.recv(1) == b"":
                closed_after = time.monotonic() - started
                break
        except socket.timeout:
            continue
        except OSError:
            closed_after = time.monotonic() - started
            break
    assert closed_after is not None and 9 < closed_after < 13, closed_after
    for s in idle:
        s.close()
    time.sleep(0.3)
    assert _rest(http_port, "GET", "/api/v1/mock_server/health")[0] == 200


def test_a_journal_wait_ends_when_its_client_goes_away(mock_server):
    """64 waits of 24 h whose clients then disconnect free their slots at once: the next wait runs
    (408 after its own 100 ms) instead of getting 429."""
    import json
    import socket
    import time
    from conftest import free_port

    http_port = free_port()
    mock_server(args=["--http-port", str(http_port)])
    _wait_for_rest(http_port)
    body = json.dumps({"stmt": "never sent", "timeout_ms": 86_400_000})
    request = (f"POST /api/v1/mock_server/journal/wait HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n{body}").encode()
    clients = []
    for _ in range(64):
        s = socket.create_connection(("127.0.0.1", http_port), timeout=5)
        s.sendall(request)
        clients.append(s)
    time.sleep(0.5)
    status, text = _rest(http_port, "POST", "/api/v1/mock_server/journal/wait", {"Content-Type": "application/json"},
                         json.dumps({"stmt": "never sent", "timeout_ms": 100}))
    assert status == 429, (status, text)
    for s in clients:
        s.close()
    time.sleep(0.5)
    status, text = _rest(http_port, "POST", "/api/v1/mock_server/journal/wait", {"Content-Type": "application/json"},
                         json.dumps({"stmt": "never sent", "timeout_ms": 100}))
    assert status == 408, (status, text)
