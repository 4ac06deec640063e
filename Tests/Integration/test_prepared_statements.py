"""Server-side prepared statements and query attributes (issue 16) through mysql-connector-python,
which prepares on the server with `cursor(prepared=True)` and sends query attributes with
`cursor.add_attribute`. The driver matrix runs the other drivers' prepared modes."""
import datetime
import socket
import struct

import mysql.connector
import pytest
from test_rest_api import journal, start

TRACE = {
    "stmts": [
        {"stmt": "SELECT a, b FROM t WHERE a = ? AND b = ?", "params": [7, "x y"],
         "result": {"columns": [{"name": "a", "type": "LONGLONG"}, {"name": "b", "type": "VAR_STRING"}],
                    "rows": [[7, "x y"]]}},
        {"stmt": "SELECT a, b FROM t WHERE a = ? AND b = ?", "params": [8, None],
         "result": {"columns": [{"name": "a", "type": "LONGLONG"}, {"name": "b", "type": "VAR_STRING"}],
                    "rows": [[8, None]]}},
        {"stmt": "SELECT 9 AS a", "result": {"columns": [{"name": "a", "type": "TINY"}], "rows": [[9]]}},
        {"stmt": "SELECT * FROM gone", "prepare": {"error": {"code": 1146, "sql_state": "42S02",
                                                             "message": "Table 'db.gone' doesn't exist"}},
         "ok": {}},
        {"stmt": "SELECT t", "result": {"columns": [
            {"name": "d", "type": "DATE"}, {"name": "ts", "type": "DATETIME"}, {"name": "tm", "type": "TIME"},
            {"name": "neg", "type": "TIME"}, {"name": "f", "type": "FLOAT"}, {"name": "s", "type": "SHORT"},
            {"name": "u", "type": "LONGLONG", "flags": 32}, {"name": "blob", "type": "BLOB"}],
            "rows": [["2024-02-29", "2024-02-29 23:59:59.000001", "838:59:59", "01:02:03.5", "1.5", -32768,
                      "18446744073709551615", {"$hex": "00ff"}]]}},
        {"stmt": "SELECT bad", "result": {"columns": [{"name": "n", "type": "LONG"}], "rows": [["twelve"]]}},
    ],
    "fallback": "builtin:default",
}


def connect(server):
    return mysql.connector.connect(host="127.0.0.1", port=server.port, user="root", password="", use_pure=True)



def test_parameters_choose_the_entry_and_the_journal_shows_them(mock_server):
    server = start(mock_server, TRACE)
    conn = connect(server)
    cur = conn.cursor(prepared=True)
    cur.execute("SELECT a, b FROM t WHERE a = ? AND b = ?", (7, "x y"))
    assert cur.fetchall() == [(7, "x y")]
    cur.execute("SELECT a, b FROM t WHERE a = ? AND b = ?", (8, None))
    assert cur.fetchall() == [(8, None)]
    with pytest.raises(mysql.connector.Error) as error:
        cur.execute("SELECT a, b FROM t WHERE a = ? AND b = ?", (9, "z"))
    assert error.value.errno == 1064
    assert "with parameters (9, 'z')" in error.value.msg and "wants params (7, \"x y\")" in error.value.msg
    executions = [e for e in journal(server) if e["kind"] == "execute"]
    assert [e["params"] for e in executions] == [["7", "'x y'"], ["8", "NULL"], ["9", "'z'"]]
    assert [e["answered_by"] for e in executions] == ["stmts[0]", "stmts[1]", "unmatched"]
    assert executions[0]["stmt"] == "SELECT a, b FROM t WHERE a = ? AND b = ?" and executions[0]["statement_id"] > 0
    assert any(e["kind"] == "prepare" for e in journal(server))


def test_an_execution_matches_the_text_with_its_values_written_in(mock_server):
    server = start(mock_server, TRACE)
    conn = connect(server)
    cur = conn.cursor(prepared=True)
    cur.execute("SELECT ? AS a", (9,))
    assert cur.fetchall() == [(9,)]
    # The built-in fallback answers the text with the values written in as well.
    cur.execute("SELECT ? AS x", ("hello",))
    assert cur.fetchall() == [("hello",)]


def test_prepare_error(mock_server):
    server = start(mock_server, TRACE)
    conn = connect(server)
    cur = conn.cursor(prepared=True)
    with pytest.raises(mysql.connector.Error) as error:
        cur.execute("SELECT * FROM gone")
    assert (error.value.errno, error.value.sqlstate) == (1146, "42S02")


def test_binary_rows_of_temporal_float_small_unsigned_and_bytes(mock_server):
    # (Negative TIME values are checked byte for byte in the Swift tests: mysql-connector's binary
    # decoding gets their sign wrong against MariaDB too.)
    server = start(mock_server, TRACE)
    conn = connect(server)
    cur = conn.cursor(prepared=True)
    cur.execute("SELECT t")
    assert cur.fetchall() == [(datetime.date(2024, 2, 29), datetime.datetime(2024, 2, 29, 23, 59, 59, 1),
                               datetime.timedelta(hours=838, minutes=59, seconds=59),
                               datetime.timedelta(hours=1, minutes=2, seconds=3, microseconds=500000), 1.5, -32768,
                               18446744073709551615, b"\x00\xff")]


def test_a_cell_its_column_cannot_carry_is_an_error_naming_it(mock_server):
    server = start(mock_server, TRACE)
    conn = connect(server)
    cur = conn.cursor(prepared=True)
    with pytest.raises(mysql.connector.Error) as error:
        cur.execute("SELECT bad")
    assert 'cell "twelve" of column `n` is not a valid LONG value' in error.value.msg
    cur.execute("SELECT 9 AS a")  # the session goes on
    assert cur.fetchall() == [(9,)]


def test_query_attributes_reach_the_journal(mock_server):
    server = start(mock_server, TRACE)
    conn = connect(server)
    cur = conn.cursor()
    cur.add_attribute("traceparent", "00-abc-01")
    cur.add_attribute("n", 5)
    cur.execute("SELECT 9 AS a")
    assert cur.fetchall() == [(9,)]
    entry = [e for e in journal(server) if e["stmt"] == "SELECT 9 AS a"][-1]
    assert entry["attributes"] == {"traceparent": "'00-abc-01'", "n": "5"}


def raw_login(port):
    """A plain socket after a native-password login as root without a password, no capabilities
    beyond PROTOCOL_41 / SECURE_CONNECTION / PLUGIN_AUTH."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    greeting = read_packet(sock)
    assert greeting[1][0] == 10
    caps = 0x200 | 0x8000 | 0x80000
    body = struct.pack("<IIB23x", caps, 1 << 24, 255) + b"root\0" + b"\0" + b"mysql_native_password\0"
    send_packet(sock, 1, body)
    assert read_packet(sock)[1][0] == 0
    return sock


def send_packet(sock, seq, body):
    sock.sendall(struct.pack("<I", len(body))[:3] + bytes([seq]) + body)


def read_packet(sock):
    header = b""
    while len(header) < 4:
        header += sock.recv(4 - len(header))
    length = int.from_bytes(header[:3], "little")
    body = b""
    while len(body) < length:
        body += sock.recv(length - len(body))
    return header[3], body


def test_unknown_statement_ids_and_malformed_executions(mock_server):
    server = start(mock_server, TRACE)
    sock = raw_login(server.port)
    send_packet(sock, 0, b"\x17" + struct.pack("<IBI", 99, 0, 1))
    seq, err = read_packet(sock)
    assert err[0] == 0xFF and struct.unpack("<H", err[1:3])[0] == 1243
    assert b"Unknown prepared statement handler (99) given to mysqld_stmt_execute" in err
    send_packet(sock, 0, b"\x19" + struct.pack("<I", 99))  # COM_STMT_CLOSE: no reply
    send_packet(sock, 0, b"\x0e")  # COM_PING answers next
    assert read_packet(sock)[1][0] == 0
    send_packet(sock, 0, b"\x16SELECT ?")
    _, ok = read_packet(sock)
    statement_id = struct.unpack("<I", ok[1:5])[0]
    while read_packet(sock)[1][0] != 0xFE:  # the parameter definition, then EOF
        pass
    # Parameter types never sent: ERR 1835 naming the problem, then the connection closes.
    send_packet(sock, 0, b"\x17" + struct.pack("<IBI", statement_id, 0, 1) + b"\x00\x00")
    _, err = read_packet(sock)
    assert struct.unpack("<H", err[1:3])[0] == 1835 and b"parameter types were never sent" in err
    assert sock.recv(1) == b""
