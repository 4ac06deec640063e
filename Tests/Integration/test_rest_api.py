"""The REST admin API with real clients (issue 6)."""
import json
import subprocess
import threading
import time
import urllib.error
import urllib.request

import pymysql
import pytest
from conftest import TRACES, free_port


def start(mock_server, trace=None, args=(), x=False):
    """The mock with the admin API (`server.api`), and with `x` an X port too (`server.xport`)."""
    http = free_port()
    xport = free_port() if x else None
    server = mock_server(trace, args=["--http-port", str(http), *(["--xport", str(xport)] if x else []), *args])
    server.xport = xport
    server.api = f"http://127.0.0.1:{http}/api/v1/mock_server"
    deadline = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(server.api + "/health", timeout=2) as r:
                if r.status == 200:
                    return server
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def journal(server):
    """The journal's entries."""
    status, body = call(server, "GET", "/journal/")
    assert status == 200
    return json.loads(body)["entries"]


def call(server, method, path, body=None, content_type="application/json"):
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    req = urllib.request.Request(server.api + path, data=data, method=method)
    if content_type and data is not None:
        req.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_reference_status_codes(mock_server):
    server = start(mock_server)
    assert call(server, "GET", "/globals/") == (200, "{}")
    assert call(server, "PUT", "/globals/", b"{}", content_type=None)[0] == 415
    assert call(server, "PUT", "/globals/", {})[0] == 204
    for bad in [b"[", b"[]", b"{1}", b"1"]:
        assert call(server, "PUT", "/globals/", bad)[0] == 422
    assert call(server, "GET", "/globals") == (200, "{}")
    assert call(server, "PUT", "/globals/", {"key": [[1, 2, 3]]})[0] == 204
    assert call(server, "GET", "/globals/") == (200, '{"key":[[1,2,3]]}')
    assert call(server, "GET", "/global/")[0] == 404
    assert call(server, "POST", "/connections/", b"")[0] == 405


def test_a_trace_reads_a_global_set_between_two_queries(mock_server, tmp_path):
    trace = tmp_path / "primary.js"
    trace.write_text("({stmts: function (s) { if (/^SET /i.test(s)) return {ok: {}};"
                     " return {result: {columns: [{name: 'p', type: 'LONG'}], rows: [[mysqld.global.primary]]}}; }})")
    server = start(mock_server, trace)
    conn = pymysql.connect(host="127.0.0.1", port=server.port, user="root", password="", ssl_disabled=True)
    cur = conn.cursor()
    call(server, "PUT", "/globals/", {"primary": 3306})
    cur.execute("select primary")
    assert cur.fetchall() == ((3306,),)
    call(server, "PATCH", "/globals/", {"primary": 3310})
    cur.execute("select primary")
    assert cur.fetchall() == ((3310,),)
    # and script writes show over REST
    assert json.loads(call(server, "GET", "/globals/primary")[1]) == 3310


def test_delete_connections_drops_sessions_but_not_the_listener(mock_server):
    server = start(mock_server)
    conn = pymysql.connect(host="127.0.0.1", port=server.port, user="root", password="", ssl_disabled=True)
    conn.cursor().execute("select 1")
    status, listing = call(server, "GET", "/connections/")
    assert status == 200 and json.loads(listing)[0]["user"] == "root"
    assert call(server, "DELETE", "/connections/")[0] == 200
    with pytest.raises(pymysql.err.OperationalError) as info:
        conn.cursor().execute("select 1")
    assert info.value.args[0] in (2006, 2013)
    again = pymysql.connect(host="127.0.0.1", port=server.port, user="root", password="", ssl_disabled=True)
    again.cursor().execute("select 1")


def test_journal_lists_a_mysql_cli_session_in_order(mock_server):
    server = start(mock_server, TRACES / "all_types.json")
    out = subprocess.run(["mysql", "-h127.0.0.1", f"-P{server.port}", "-uapp", "-ps3cret", "--protocol=TCP", "--force",
                          "-e", "select @@version_comment limit 1; select * from every_type; selct oops"],
                         capture_output=True, text=True, timeout=30)
    assert "ERROR 1064" in out.stderr
    status, text = call(server, "GET", "/journal/")
    entries = json.loads(text)["entries"]
    assert [e["stmt"] for e in entries] == ["select @@version_comment limit 1", "select * from every_type",
                                            "selct oops"]
    assert [e["unmatched"] for e in entries] == [False, False, True]
    assert [e["answered_by"] for e in entries] == ["builtin:default", "stmts[0]", "unmatched"]
    assert [e["seq"] for e in entries] == [1, 2, 3]
    assert entries[0]["user"] == "app"
    misses = json.loads(call(server, "GET", "/journal/?unmatched=true")[1])["entries"]
    assert [e["stmt"] for e in misses] == ["selct oops"]
    assert call(server, "DELETE", "/journal/")[0] == 200
    assert json.loads(call(server, "GET", "/journal/")[1])["entries"] == []


def test_journal_wait_returns_when_the_query_arrives(mock_server):
    server = start(mock_server)

    def later():
        time.sleep(0.3)
        c = pymysql.connect(host="127.0.0.1", port=server.port, user="root", password="", ssl_disabled=True)
        c.cursor().execute("select 42")
        c.close()

    threading.Thread(target=later).start()
    started = time.monotonic()
    status, text = call(server, "POST", "/journal/wait", {"stmt": "select 42", "count": 1, "timeout_ms": 10000})
    assert status == 200
    assert json.loads(text)["entries"][0]["stmt"] == "select 42"
    assert time.monotonic() - started < 5
    status, _ = call(server, "POST", "/journal/wait", {"stmt": "never", "timeout_ms": 100})
    assert status == 408


def test_a_json_trace_reads_globals(mock_server, tmp_path):
    trace = {"fallback": "builtin:default",
             "handshake": {"greeting": {"exec_time": {"$global": "connect_exec_time", "default": 0}}},
             "stmts": [{"stmt": "select primary", "result": {"columns": [{"name": "p", "type": "LONG"}],
                                                             "rows": [[{"$global": "primary", "default": 3306}]]}}]}
    server = start(mock_server, trace)
    conn = pymysql.connect(host="127.0.0.1", port=server.port, user="root", password="", ssl_disabled=True)
    cur = conn.cursor()
    cur.execute("select primary")
    assert cur.fetchall() == ((3306,),)
    call(server, "PUT", "/globals/", {"primary": 3310, "connect_exec_time": 300})
    cur.execute("select primary")
    assert cur.fetchall() == ((3310,),)
    started = time.monotonic()
    pymysql.connect(host="127.0.0.1", port=server.port, user="root", password="", ssl_disabled=True).close()
    assert time.monotonic() - started >= 0.3
