"""PyMySQL and mysql-connector-python (C extension and pure Python) against the mock."""
import datetime
import decimal

import mysql.connector
import pymysql
import pytest
from conftest import TRACES

CONNECTORS = ["pymysql", "connector-c", "connector-pure"]


def connect(kind, port, user="app", password="s3cret", **extra):
    if kind == "pymysql":
        return pymysql.connect(host="127.0.0.1", port=port, user=user, password=password, **extra)
    if kind == "connector-c":
        assert mysql.connector.HAVE_CEXT, "mysql-connector-python's C extension is not available"
    return mysql.connector.connect(host="127.0.0.1", port=port, user=user, password=password,
                                   use_pure=(kind == "connector-pure"), **extra)


def rows(cursor):
    """fetchall() as a list of tuples, whatever the driver returns."""
    return [tuple(r) for r in cursor.fetchall()]


def error_of(exc):
    """(code, sqlstate, message) of a driver exception."""
    if isinstance(exc, pymysql.err.MySQLError):
        return exc.args[0], None, exc.args[1]
    return exc.errno, exc.sqlstate, exc.msg


@pytest.mark.parametrize("kind", CONNECTORS)
@pytest.mark.parametrize("plugin", ["mysql_native_password", "caching_sha2_password"])
def test_login_with_each_password_plugin(mock_server, kind, plugin):
    server = mock_server(TRACES / "all_types.json")
    extra = {}
    if kind == "pymysql":
        # PyMySQL answers with the plugin the greeting names: force the switch through the trace.
        trace = {"handshake": {"greeting": {"auth_method": plugin},
                               "auth": {"username": "app", "password": "s3cret"}},
                 "fallback": "builtin:default", "stmts": []}
        server = mock_server(trace)
    else:
        extra["auth_plugin"] = plugin
    conn = connect(kind, server.port, **extra)
    cur = conn.cursor()
    cur.execute("select @@version_comment limit 1")
    assert rows(cur) == [("mysql-server-mock",)]
    conn.close()


@pytest.mark.parametrize("kind", CONNECTORS)
def test_wrong_password_is_refused_with_1045(mock_server, kind):
    server = mock_server(TRACES / "all_types.json")
    with pytest.raises(Exception) as info:
        connect(kind, server.port, password="wrong")
    code, state, message = error_of(info.value)
    assert code == 1045
    assert state in (None, "28000")
    assert "Access denied for user 'app'@'127.0.0.1'" in message


@pytest.mark.parametrize("kind", CONNECTORS)
def test_every_column_type_and_nulls(mock_server, kind):
    server = mock_server(TRACES / "all_types.json")
    conn = connect(kind, server.port)
    cur = conn.cursor()
    cur.execute("select * from every_type")
    names = [d[0] for d in cur.description]
    assert names[0] == "c_decimal" and names[-1] == "c_geometry" and len(names) == 26
    values, nulls = rows(cur)
    row = dict(zip(names, values))
    assert all(v is None for v in nulls)
    assert row["c_decimal"] == decimal.Decimal("1.50")
    assert row["c_tiny"] == 1 and row["c_short"] == 2 and row["c_long"] == 3 and row["c_int24"] == 8
    assert row["c_float"] == 4.5 and row["c_double"] == 6.25
    assert row["c_null"] is None
    assert row["c_longlong"] == 9223372036854775807
    assert row["c_timestamp"] == datetime.datetime(2024, 1, 2, 3, 4, 5)
    assert row["c_datetime"] == datetime.datetime(2024, 1, 2, 3, 4, 5)
    assert row["c_date"] == datetime.date(2024, 1, 2)
    assert row["c_time"] == datetime.timedelta(hours=1, minutes=2, seconds=3)
    assert row["c_year"] == 2024
    assert row["c_newdecimal"] == decimal.Decimal("12.345")
    assert row["c_var_string"] == "vs" and row["c_string"] == "s"
    assert row["c_blob"] in (b"b", bytearray(b"b"), "b")
    conn.close()


@pytest.mark.parametrize("kind", CONNECTORS)
def test_ok_packet_and_err_packet(mock_server, kind):
    server = mock_server(TRACES / "all_types.json")
    conn = connect(kind, server.port)
    cur = conn.cursor()
    cur.execute("insert into t values (1)")
    assert cur.rowcount == 1
    assert cur.lastrowid == 4294967296
    with pytest.raises(Exception) as info:
        cur.execute("select broken")
    code, state, message = error_of(info.value)
    assert code == 1146
    assert state in (None, "42S02")
    assert message == "Table 'db.broken' doesn't exist"
    # The session is still usable after an error.
    cur.execute("select 1")
    assert rows(cur) == [(1,)]
    conn.close()


@pytest.mark.parametrize("kind", CONNECTORS)
def test_20_mib_row_round_trips(mock_server, kind):
    big = "x" * (20 << 20)
    trace = {"stmts": [
        {"stmt_regex": "select '(x+)'", "result": {"columns": [{"name": "big", "type": "LONGBLOB"}], "rows": [[big]]}},
        {"stmt_regex": "SET .*", "ok": {}},
    ], "fallback": "builtin:default"}
    server = mock_server(trace)
    conn = connect(kind, server.port, user="root", password="")
    cur = conn.cursor()
    cur.execute(f"select '{big}'")
    (value,), = rows(cur)
    assert len(value) == 20 << 20
    conn.close()


# mysql-connector-python refuses mysql_clear_password without TLS, so only PyMySQL here.
@pytest.mark.parametrize("kind", ["pymysql"])
def test_switch_to_mysql_clear_password(mock_server, kind):
    trace = {"handshake": {"auth": {"username": "app", "password": "s3cret", "method_name": "mysql_clear_password"}},
             "fallback": "builtin:default", "stmts": []}
    server = mock_server(trace)
    conn = connect(kind, server.port)
    cur = conn.cursor()
    cur.execute("select user()")
    assert rows(cur) == [("app@localhost",)]
    conn.close()
    with pytest.raises(Exception) as info:
        connect(kind, server.port, password="wrong")
    assert error_of(info.value)[0] == 1045


@pytest.mark.parametrize("kind", CONNECTORS)
def test_forced_native_password_switches_a_caching_sha2_client(mock_server, kind):
    trace = {"handshake": {"greeting": {"auth_method": "caching_sha2_password"},
                           "auth": {"username": "app", "password": "s3cret", "auth_method_name": "mysql_native_password"}},
             "fallback": "builtin:default", "stmts": []}
    server = mock_server(trace)
    extra = {} if kind == "pymysql" else {"auth_plugin": "caching_sha2_password"}
    conn = connect(kind, server.port, **extra)
    conn.cursor().execute("select 1")
    conn.close()


def test_an_ok_packets_info_is_length_encoded_without_session_tracking(mock_server):
    """Issue 15: without CLIENT_SESSION_TRACK (PyMySQL does not ask for it) the info went out
    without its length prefix, which mysqlnd and libmariadb read as a length (PHP failed the query).
    PyMySQL hands over the rest of the packet as it is, so it shows the bytes a real server sends:
    the length, then the text."""
    info = "Rows matched: 3  Changed: 2  Warnings: 0"
    server = mock_server({"stmts": [{"stmt": "update t set a = 1", "ok": {"affected_rows": 2, "message": info}}],
                          "fallback": "builtin:default"})
    conn = connect("pymysql", server.port, user="root", password="")
    assert not conn.server_capabilities & conn.client_flag & (1 << 23)  # no CLIENT_SESSION_TRACK
    cursor = conn.cursor()
    assert cursor.execute("update t set a = 1") == 2
    assert cursor._result.message == bytes([len(info)]) + info.encode()
    conn.close()


def test_com_quit_closes_at_once(mock_server):
    """Issue 15: node-mysql's end() waits for the server to close after COM_QUIT: 1001 ms against
    the mock, 0 ms against MariaDB. Now the server closes at once (`--on-quit wait-for-client`
    keeps the reference's way: test_hostile_clients.py)."""
    import time
    server = mock_server()
    conn = connect("pymysql", server.port, user="root", password="")
    sock = conn._sock
    sock.sendall(b"\x01\x00\x00\x00\x01")  # COM_QUIT, sequence 0
    sock.settimeout(3)
    started = time.monotonic()
    assert sock.recv(1) == b""  # no answer, then the close
    assert time.monotonic() - started < 0.2
    sock.close()


@pytest.mark.parametrize("kind", CONNECTORS)
def test_column_metadata_a_trace_leaves_out_is_a_servers(mock_server, kind):
    """Issue 15: a DECIMAL column with only name and type had decimals 0 (Ruby's mysql2 read 12.34
    as 12). The scale, the binary character set and the flags now follow from type and values."""
    server = mock_server({"stmts": [
        {"stmt": "select price, at", "result": {
            "columns": [{"name": "price", "type": "NEWDECIMAL"}, {"name": "at", "type": "DATETIME"}],
            "rows": [["12.34", "2024-01-02 03:04:05.250"], ["-0.50", "2024-01-02 03:04:05"]]}}],
        "fallback": "builtin:default"})
    conn = connect(kind, server.port, user="root", password="")
    cursor = conn.cursor()
    cursor.execute("select price, at")
    assert rows(cursor) == [(decimal.Decimal("12.34"), datetime.datetime(2024, 1, 2, 3, 4, 5, 250000)),
                            (decimal.Decimal("-0.50"), datetime.datetime(2024, 1, 2, 3, 4, 5))]
    price, at = cursor.description[0], cursor.description[1]
    if kind == "pymysql":
        assert price[5] == 2  # scale = decimals
        assert at[5] == 3
    else:
        flags = price[7]
        assert flags & 128, flags  # BINARY
    conn.close()
