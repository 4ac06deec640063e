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
