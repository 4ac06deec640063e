"""JavaScript traces on Duktape, in the style of MySQL Router's trace files (reference spec §3–§4, §10)."""
import time

import mysql.connector
import pymysql
import pytest
from conftest import TRACES

JS = TRACES / "js"


def start(mock_server, name, **kwargs):
    return mock_server(JS / name, args=["--module-prefix", str(JS), *kwargs.pop("args", [])], **kwargs)


def connect(server, user="root", password=""):
    return pymysql.connect(host="127.0.0.1", port=server.port, user=user, password=password)


def query(conn, stmt):
    cur = conn.cursor()
    cur.execute(stmt)
    return [tuple(r) for r in cur.fetchall()]


def connect_error(server):
    with pytest.raises(pymysql.err.MySQLError) as info:
        connect(server)
    return info.value.args


def mysql_cli(server, statements):
    """Runs statements with the mysql CLI (which sends nothing of its own after connecting)."""
    import subprocess
    script = "".join(s.strip() + ";\n" for s in statements.split(";"))
    return subprocess.run(["mysql", "-h127.0.0.1", f"-P{server.port}", "-uroot", "--protocol=TCP", "--batch",
                           "--force"], input=script, capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize("name", [
    "js_test_handshake_is_empty.js", "js_test_handshake_greeting_is_empty.js", "js_test_stmts_is_array.js",
    "js_test_stmts_is_coroutine.js", "js_test_stmts_is_function.js", "simple-client.js", "my_port.js",
])
def test_scripts_that_load(mock_server, name):
    server = start(mock_server, name)
    conn = connect(server)
    cur = conn.cursor()
    try:
        cur.execute("select @@port")
    except pymysql.err.MySQLError as e:
        assert e.args[0] != 1064 or "executing statement failed" not in e.args[1]
    conn.close()


@pytest.mark.parametrize("name, message", [
    ("js_test_parse_error.js", "js_test_parse_error.js:2: SyntaxError: parse error"),
    ("js_test_stmts_is_string.js", "expected 'stmts' to be one of callable, thread or array, got primitive, string"),
    ("js_test_empty_file.js", "expected statement handler to return an object, got primitive, undefined"),
    ("js_test_handshake_greeting_exec_time_is_empty.js", "exec_time must be a number, if set. Is object"),
    ("js_test_handshake_is_string.js", "handshake must be an object, if set. Is primitive, string"),
    ("js_test_nesting.js", "local_modules/test-require-nesting-5.js:6: SyntaxError: parse error"),
])
def test_load_failures_replace_the_greeting_and_the_server_keeps_running(mock_server, name, message):
    server = start(mock_server, name)
    code, text = connect_error(server)
    assert code == 1064
    assert message in text
    # Again: every connection gets the error, and the process is still there.
    assert connect_error(server)[0] == 1064
    assert server.proc.poll() is None


@pytest.mark.parametrize("name, message", [
    ("js_test_stmts_result_has_infinity.js", 'value out-of-range for field "decimals"'),
    ("js_test_stmts_result_has_negative_int.js", 'value out-of-range for field "decimals"'),
    ("js_test_stmts_result_has_repeat.js", "repeat is not supported"),
    ("js_test_stmts_is_empty.js", "Unknown statement. (end of stmts)"),
])
def test_statement_failures_keep_the_connection(mock_server, name, message):
    server = start(mock_server, name)
    out = mysql_cli(server, "select @@port; select @@port")
    errors = [line for line in out.stderr.splitlines() if line.startswith("ERROR")]
    assert len(errors) == 2, out.stderr  # the second statement still got an answer
    for line in errors:
        assert line.startswith("ERROR 1064 (HY000)")
        assert message in line


def test_exception_in_stmts_names_file_and_line(mock_server, tmp_path):
    trace = tmp_path / "throws.js"
    trace.write_text('({stmts: function (stmt) {\n  if (stmt === "boom") throw new Error("boom");\n'
                     '  return {ok: {}};\n}})\n')
    server = mock_server(trace)
    conn = connect(server)
    with pytest.raises(pymysql.err.MySQLError) as info:
        query(conn, "boom")
    assert info.value.args == (1064, f"executing statement failed: {trace}:2: Error: boom")
    conn.cursor().execute("fine")
    conn.close()


def test_array_of_responses_is_answered_in_order(mock_server, tmp_path):
    trace = tmp_path / "array.js"
    trace.write_text('({stmts: [{stmt: "select 1", result: {columns: [{name: "1", type: "LONG"}], rows: [[1]]}},'
                     ' {ok: {affected_rows: 5}}, {error: {code: 1146, message: "no table"}}]})')
    server = mock_server(trace)
    out = mysql_cli(server, "select 1; anything; else; select 1; more")
    assert out.stdout.split() == ["1", "1", "1", "1"]
    assert [line for line in out.stderr.splitlines() if line.startswith("ERROR")] == [
        "ERROR 1146 (HY000) at line 3: no table",
        # With a matcher entry in the array, a miss names the closest entry instead.
        'ERROR 1064 (HY000) at line 5: Unknown statement: "more"; closest trace entry: stmts[0] "select 1"',
    ]


def test_coroutine_gets_each_statement(mock_server):
    server = start(mock_server, "js_test_stmts_is_coroutine.js")
    conn = connect(server)
    assert query(conn, "first") == [(1, "first")]
    assert query(conn, "second") == [(2, "second")]
    conn.close()
    # State is per connection: a new connection starts a new coroutine.
    conn = connect(server)
    assert query(conn, "again") == [(1, "again")]


def test_require_plain_file_index_js_package_json_and_caching(mock_server):
    server = start(mock_server, "js_test_require.js")
    conn = connect(server)
    assert query(conn, "direct") == [("direct",)]
    assert query(conn, "dir-with-indexjs") == [("dir-with-index.js",)]
    assert query(conn, "dir-with-packagejson") == [("dir-with-package.json",)]
    assert query(conn, "no-reload-0") == [("0",)]
    assert query(conn, "no-reload-1") == [("1",)]
    assert query(conn, "relative") == [("direct",)]
    with pytest.raises(pymysql.err.MySQLError) as info:
        query(conn, "missing")
    assert info.value.args[0] == 1064
    assert "Cannot find module: no-such-module" in info.value.args[1]
    # The error names the trace's line that called require(), never a source file of the build.
    assert "js_test_require.js:19: Error: Cannot find module" in info.value.args[1]
    assert ".c:" not in info.value.args[1]


def test_my_port_over_80_sequential_connections(mock_server):
    server = start(mock_server, "my_port.js")
    for _ in range(80):
        conn = connect(server)
        assert query(conn, "select @@port") == [(server.port,)]
        conn.close()


def test_coroutine_trace_answers_the_mysql_cli(mock_server):
    import subprocess
    server = start(mock_server, "simple-client.js")
    out = subprocess.run(["mysql", "-h127.0.0.1", f"-P{server.port}", "-uroot", "--protocol=TCP", "--batch",
                          "-e", "select @@port"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["@@port", str(server.port)]


def test_globals_are_shared_and_copied_on_read(mock_server):
    server = start(mock_server, "globals.js")
    a = connect(server)
    b = connect(server)
    query(a, 'put knob = {"primary": 3307}')
    assert query(b, "get knob") == [('{"primary":3307}',)]
    assert query(b, "get connects") == [("2",)]
    query(b, "push in place")
    assert query(a, "get list") == [("[1]",)]
    query(b, "push and reassign")
    assert query(a, "get list") == [("[1,3]",)]
    assert query(a, "keys") == [("connects,knob,list",)]
    query(a, "delete")
    assert query(b, "keys") == [("connects,knob",)]
    assert query(a, "shared") == [('[{"a":1},true,1,null]',)]


def test_process_env(mock_server, monkeypatch):
    monkeypatch.setenv("MOCK_TEST_ENV", "hello")
    server = start(mock_server, "globals.js")
    assert query(connect(server), "env") == [("hello/hello",)]


def test_handshake_function_refuses_the_first_connection_at_greeting(mock_server):
    server = start(mock_server, "handshake_at_greeting.js")
    with pytest.raises(pymysql.err.MySQLError) as info:
        connect(server, password="pw")
    assert info.value.args[0] == 1040
    conn = connect(server, password="pw")
    assert conn.get_server_info() == "8.0.99-js"
    assert query(conn, "hi") == [("hi",)]
    with pytest.raises(pymysql.err.MySQLError) as info:
        connect(server, password="wrong")
    assert info.value.args[0] == 1045


def test_greeting_exec_time_delays_connect(mock_server):
    server = start(mock_server, "js_test_handshake_greeting_exec_time_is_number.js")
    started = time.monotonic()
    connect(server).close()
    assert time.monotonic() - started >= 0.3


def test_console_log_goes_to_stdout(mock_server, tmp_path):
    trace = tmp_path / "log.js"
    trace.write_text('({stmts: function (s) { console.log("got %s (%d) %j", s, 42, {a: 1}); return {ok: {}}; }})')
    server = mock_server(trace)
    conn = connect(server)
    conn.cursor().execute("hello")
    conn.close()
    time.sleep(0.2)
    assert 'got hello (42) {"a":1}' in server.output()


def test_mysql_connector_reads_js_results(mock_server):
    server = start(mock_server, "js_test_require.js")
    conn = mysql.connector.connect(host="127.0.0.1", port=server.port, user="root", password="", use_pure=True)
    cur = conn.cursor()
    cur.execute("direct")
    assert cur.fetchall() == [("direct",)]
    conn.close()


def test_canned_statement_catalogue_through_require(mock_server):
    server = start(mock_server, "canned_cluster.js")
    conn = connect(server)
    assert query(conn, "select @@version_comment limit 1") == [("mysql-server-mock (canned)",)]
    assert query(conn, "select @@version") == [("8.0.36-canned",)]
    assert query(conn, "select @@port") == [(server.port,)]
    members = ("select member_id, member_host, member_port, member_state "
               "from performance_schema.replication_group_members")
    assert query(conn, members) == [("uuid-1", "127.0.0.1", 3306, "ONLINE")]
    other = connect(server)
    query(other, "fail over to 3310")
    assert query(conn, members) == [("uuid-2", "127.0.0.1", 3310, "ONLINE")]
    with pytest.raises(pymysql.err.MySQLError) as info:
        query(conn, "select nothing")
    assert info.value.args == (1273, "Syntax Error at: select nothing")


def test_a_required_module_deleted_while_the_server_runs_keeps_working(mock_server, tmp_path):
    """Issue 14: modules are read once per loaded trace; a deleted file breaks no new connection."""
    modules = tmp_path / "local_modules"
    modules.mkdir()
    (modules / "answers.js").write_text("module.exports = { value: 'from the module' };\n")
    trace = tmp_path / "uses_module.js"
    trace.write_text(
        "var answers = require('answers');\n"
        "({ stmts: function (stmt) {\n"
        "  if (stmt !== 'select v') return { ok: {} };\n"
        "  return { result: { columns: [{ name: 'v', type: 'STRING' }], rows: [[answers.value]] } };\n"
        "} })\n")
    server = mock_server(trace, args=["--module-prefix", str(tmp_path), "--io-threads", "2"])
    for _ in range(4):  # a connection on each I/O thread's heap
        conn = connect(server)
        assert query(conn, "select v") == [("from the module",)]
        conn.close()
    (modules / "answers.js").unlink()
    for _ in range(8):
        conn = connect(server)
        assert query(conn, "select v") == [("from the module",)]
        conn.close()


def test_a_missing_module_at_load_names_the_trace_file_and_line(mock_server, tmp_path):
    trace = tmp_path / "needs_gone.js"
    trace.write_text("var a = 1;\nvar m = require('gone');\n({ stmts: [] })\n")
    server = mock_server(trace, args=["--module-prefix", str(tmp_path)])
    code, message = connect_error(server)
    assert code == 1064
    assert message.endswith(f"{trace}:2: Error: Cannot find module: gone"), message
