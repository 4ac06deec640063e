"""Faults (issue 20): what real clients see when a trace entry, the handshake or a REST call makes
the mock fail on purpose, and that other connections are not affected."""
import json
import socket
import subprocess
import time
import urllib.request

import mysql.connector
import pymysql
import pytest

ROWS = {"columns": [{"name": "n", "type": "LONG"}], "rows": [[1], [2], [3], [4]]}

TRACE = {
    "fallback": "builtin:default",
    "stmts": [
        {"stmt": "fault close", "fault": "close"},
        {"stmt": "fault reset", "fault": "reset"},
        {"stmt": "fault stall", "fault": "stall"},
        {"stmt": "fault truncate", "result": ROWS, "fault": "truncate"},
        {"stmt": "fault garbage", "fault": "garbage"},
        {"stmt": "fault rows close", "result": ROWS, "fault": {"after_rows": 2, "then": "close"}},
        {"stmt": "fault rows stall", "result": ROWS, "fault": {"after_rows": 2, "then": "stall"}},
        {"stmt": "fault delayed close", "exec_time": 300, "fault": "close"},
        {"stmt": "select rows", "result": ROWS},
    ],
}


def api(server, method, path, body=None):
    from conftest import rest_call
    return rest_call(server.http, method, path, body)


@pytest.fixture
def server(mock_server):
    from conftest import free_port
    http = free_port()
    started = mock_server(TRACE, args=["--http-port", str(http), "--xport", str(free_port())])
    started.http = http
    return started


def pymysql_error(port, statement, read_timeout=2):
    conn = pymysql.connect(host="127.0.0.1", port=port, user="app", password="", read_timeout=read_timeout)
    start = time.monotonic()
    try:
        with conn.cursor() as cur:
            cur.execute(statement)
            cur.fetchall()
    except pymysql.MySQLError as error:
        return error.args[0], str(error), time.monotonic() - start
    return None, "no error", time.monotonic() - start


def still_serves(port):
    conn = pymysql.connect(host="127.0.0.1", port=port, user="app", password="")
    with conn.cursor() as cur:
        cur.execute("select rows")
        assert [r[0] for r in cur.fetchall()] == [1, 2, 3, 4]
    conn.close()


@pytest.mark.parametrize("statement,code,text", [
    ("fault close", 2013, "Lost connection"),
    ("fault reset", 2013, "Connection reset by peer"),
    ("fault truncate", 2013, "Lost connection"),
    ("fault rows close", 2013, "Lost connection"),
    ("fault stall", 2013, "timed out"),
    ("fault rows stall", 2013, "timed out"),
])
def test_pymysql_sees_each_fault(server, statement, code, text):
    got, message, _ = pymysql_error(server.port, statement)
    assert got == code and text in message, message
    still_serves(server.port)


def test_pymysql_garbage_is_a_protocol_error(server):
    conn = pymysql.connect(host="127.0.0.1", port=server.port, user="app", password="", read_timeout=2)
    with pytest.raises(pymysql.err.InternalError, match="Packet sequence number wrong"):
        conn.cursor().execute("fault garbage")
    still_serves(server.port)


def test_a_fault_honours_exec_time(server):
    _, message, elapsed = pymysql_error(server.port, "fault delayed close")
    assert "Lost connection" in message and 0.25 <= elapsed < 2


@pytest.mark.parametrize("statement,codes", [
    ("fault close", (2013, 2055)),
    ("fault reset", (2013, 2055)),
    ("fault rows close", (2013, 2055)),
    ("fault garbage", (2013, 2027, 2055)),
])
def test_mysql_connector_sees_each_fault(server, statement, codes):
    conn = mysql.connector.connect(host="127.0.0.1", port=server.port, user="app", password="", use_pure=True,
                                   ssl_disabled=True, connection_timeout=5)
    cur = conn.cursor()
    with pytest.raises(mysql.connector.Error) as error:
        cur.execute(statement)
        cur.fetchall()
    assert error.value.errno in codes, error.value


def test_mysql_cli_sees_lost_connection(server):
    out = subprocess.run(["mysql", "--user=app", "--host=127.0.0.1", f"--port={server.port}", "--protocol=TCP",
                          "--skip-ssl", "--skip-reconnect", "-e", "fault close"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 1 and "ERROR 2013" in out.stderr, out.stderr


def test_other_connections_are_not_affected(server):
    bystander = pymysql.connect(host="127.0.0.1", port=server.port, user="app", password="")
    for statement in ("fault close", "fault reset", "fault truncate"):
        pymysql_error(server.port, statement)
    with bystander.cursor() as cur:
        cur.execute("select rows")
        assert len(cur.fetchall()) == 4
    bystander.close()


def test_the_journal_names_the_fault(server):
    pymysql_error(server.port, "fault rows close")
    status, journal = api(server, "GET", "journal")
    faults = {e["stmt"]: e.get("fault") for e in journal["entries"]}
    assert faults["fault rows close"] == "after_rows:2:close"
    assert faults["SET NAMES utf8mb4"] is None


def test_rest_arms_a_fault_for_the_next_matching_statements(server):
    status, body = api(server, "POST", "faults", {"fault": "close", "count": 2, "stmt_regex": "select r.*"})
    assert status == 201, body
    armed_id = body["id"]
    status, listed = api(server, "GET", "faults")
    assert listed == [{"id": armed_id, "fault": "close", "remaining": 2, "filter": 'stmt_regex: "select r.*"'}]
    # Statements that do not match are answered as usual.
    conn = pymysql.connect(host="127.0.0.1", port=server.port, user="app", password="")
    with conn.cursor() as cur:
        cur.execute("select 1")
    for _ in range(2):
        code, _, _ = pymysql_error(server.port, "select rows")
        assert code == 2013
    assert api(server, "GET", "faults")[1] == []
    still_serves(server.port)
    status, journal = api(server, "GET", "journal")
    assert [e.get("fault") for e in journal["entries"] if e["stmt"] == "select rows"][:3] == ["close", "close", None]


def test_rest_faults_for_one_connection_and_partial_rows(server):
    victim = pymysql.connect(host="127.0.0.1", port=server.port, user="app", password="", read_timeout=2)
    with victim.cursor() as cur:
        cur.execute("select connection_id()")
        (victim_id,) = cur.fetchone()
    status, _ = api(server, "POST", "faults", {"fault": {"after_rows": 1, "then": "reset"}, "connection": victim_id})
    assert status == 201
    still_serves(server.port)  # another connection: untouched
    with pytest.raises(pymysql.MySQLError) as error:
        victim.cursor().execute("select rows")
    assert error.value.args[0] == 2013


def test_rest_fault_bodies_are_checked(server):
    for body, message in (({"fault": "explode"}, "unknown fault"), ({"fault": "close", "count": 0}, "count"),
                          ({"fault": {"after_rows": -1}}, "after_rows"), ({"count": 1}, "missing"),
                          ({"fault": "close", "stmt_regex": "("}, "regular expression"),
                          ({"fault": "close", "whom": 1}, "unknown member")):
        status, text = api(server, "POST", "faults", body)
        assert status == 422 and message in text, (body, text)
    assert api(server, "POST", "faults", {"fault": "stall"})[0] == 201
    assert api(server, "DELETE", "faults")[0] == 204
    assert api(server, "GET", "faults")[1] == []
    assert api(server, "DELETE", "faults/99")[0] == 404


@pytest.mark.parametrize("fault,expect", [
    ("refuse", "closed"), ("reset", "reset"), ("stall", "silence"),
    ("greeting_then_stall", "greeting"), ("greeting_then_close", "greeting then closed"),
])
def test_handshake_faults(mock_server, fault, expect):
    server = mock_server({"handshake": {"fault": fault}, "stmts": []})
    try:
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=1)
    except ConnectionResetError:
        # The reset can come before the client's connect() has returned (its non-blocking connect
        # then reads ECONNRESET from SO_ERROR): seen on a loaded machine.
        assert expect == "reset"
        return
    try:
        data = sock.recv(1024)
    except ConnectionResetError:
        data = "reset"
    except socket.timeout:
        data = "silence"
    if expect == "closed":
        assert data == b""
    elif expect in ("reset", "silence"):
        assert data == expect
    else:
        assert data[4] == 0x0A  # a greeting
        sock.sendall(b"\x20\x00\x00\x01" + b"\x00" * 32)
        try:
            after = sock.recv(1024)
        except socket.timeout:
            after = "silence"
        assert after == (b"" if fault == "greeting_then_close" else "silence")
    sock.close()


def test_handshake_fault_seen_by_pymysql(mock_server):
    server = mock_server({"handshake": {"fault": "greeting_then_stall"}, "stmts": []})
    with pytest.raises(pymysql.MySQLError) as error:
        pymysql.connect(host="127.0.0.1", port=server.port, user="app", password="", connect_timeout=1, read_timeout=1)
    assert error.value.args[0] == 2013


def test_x_protocol_faults(server):
    import mysqlx
    xport = int(server.args[server.args.index("--xport") + 1])
    session = mysqlx.get_session(host="127.0.0.1", port=xport, user="app", password="", ssl_mode="DISABLED")
    with pytest.raises(Exception):
        session.sql("fault close").execute()
    session = mysqlx.get_session(host="127.0.0.1", port=xport, user="app", password="", ssl_mode="DISABLED")
    assert [row[0] for row in session.sql("select rows").execute().fetch_all()] == [1, 2, 3, 4]
    session.close()


def test_javascript_traces_fail_the_same_way(mock_server, tmp_path):
    trace = tmp_path / "faults.js"
    trace.write_text("""({
      handshake: {},
      stmts: function (stmt) {
        if (stmt === "break") return {fault: "close"};
        if (stmt === "half") return {result: {columns: [{name: "n", type: "LONG"}], rows: [[1], [2]]},
                                     fault: {after_rows: 1, then: "reset"}};
        return {ok: {}};
      }
    })""")
    server = mock_server(trace)
    for statement in ("break", "half"):
        code, message, _ = pymysql_error(server.port, statement)
        assert code == 2013, message
