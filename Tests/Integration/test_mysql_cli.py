"""The `mysql` command-line client (Debian's mariadb-client) against the mock."""
import subprocess

from conftest import TRACES


def mysql(*args, port=None, socket_path=None, user="app", password="s3cret", timeout=30):
    argv = ["mysql", f"--user={user}", "--connect-timeout=10"]
    if password:
        argv.append(f"--password={password}")
    if socket_path:
        argv += [f"--socket={socket_path}"]
    else:
        argv += ["--host=127.0.0.1", f"--port={port}", "--protocol=TCP"]
    return subprocess.run(argv + list(args), capture_output=True, text=True, timeout=timeout)


def test_query_prints_the_expected_table(mock_server):
    server = mock_server({
        "stmts": [{"stmt": "select id, name from users",
                   "result": {"columns": [{"name": "id", "type": "LONG"}, {"name": "name", "type": "VAR_STRING"}],
                              "rows": [[1, "ada"], [2, None]]}}],
        "fallback": "builtin:default"})
    out = mysql("--table", "-e", "select id, name from users", port=server.port, user="root", password="")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "+------+------+",
        "| id   | name |",
        "+------+------+",
        "|    1 | ada  |",
        "|    2 | NULL |",
        "+------+------+",
    ]


def test_default_trace_serves_a_cli_session(mock_server):
    server = mock_server()
    script = "select @@version_comment limit 1; select database(); show databases; select 1 + 1 as nope;"
    out = mysql("--batch", "-e", "select @@version_comment limit 1; show databases like 'm%'; select @@port;",
                port=server.port, user="root", password="")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:7] == [
        "@@version_comment", "mysql-server-mock", "Database", "mock", "mysql", "@@port", str(server.port)]
    unknown = mysql("-e", script, port=server.port, user="root", password="")
    assert unknown.returncode == 1
    assert "ERROR 1064" in unknown.stderr and "select 1 + 1 as nope" in unknown.stderr


def test_wrong_password_gets_1045(mock_server):
    server = mock_server(TRACES / "all_types.json")
    out = mysql("-e", "select 1", port=server.port, password="nope")
    assert out.returncode == 1
    assert "ERROR 1045 (28000): Access denied for user 'app'@'127.0.0.1'" in out.stderr


def test_unix_socket_listener(mock_server, tmp_path):
    sock = tmp_path / "mock.sock"
    server = mock_server(TRACES / "all_types.json", args=["--socket", str(sock)])
    out = mysql("--batch", "-e", "select @@port", socket_path=str(sock))
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["@@port", "0"]
    tcp = mysql("--batch", "-e", "select @@port", port=server.port)
    assert tcp.stdout.split() == ["@@port", str(server.port)]
    assert server.stop() == 0
    assert not sock.exists(), "the socket file is removed at exit"


def test_last_insert_id_row_count_and_found_rows_follow_the_session(mock_server):
    """Issue 15: the built-in trace answered LAST_INSERT_ID() 0 after an OK that carried 42."""
    server = mock_server({
        "stmts": [{"stmt": "insert into t values (1), (2)", "ok": {"affected_rows": 2, "last_insert_id": 42}},
                  {"stmt": "select a from t",
                   "result": {"columns": [{"name": "a", "type": "LONG"}], "rows": [[1], [2], [3]]}},
                  {"stmt": "update t set a = 1", "ok": {"affected_rows": 0, "message": "Rows matched: 3  Changed: 0  Warnings: 0"}}],
        "fallback": "builtin:default"})
    out = mysql("--batch", "--skip-column-names", "-e",
                "insert into t values (1), (2); select last_insert_id(), row_count();"
                " select a from t; select found_rows(), row_count(), last_insert_id();"
                " update t set a = 1; select row_count(), last_insert_id();",
                port=server.port, user="root", password="")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["42\t2", "1", "2", "3", "3\t-1\t42", "0\t42"], out.stdout

