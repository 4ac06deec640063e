"""The X protocol with mysqlx-connector-python (issue 7)."""
import datetime
import decimal

import mysqlx
import pymysql
import pytest
from conftest import TRACES, free_port

CERTS = TRACES.parent / "certs"
TLS_ARGS = ["--ssl-mode", "PREFERRED", "--ssl-key", str(CERTS / "server-key.pem"),
            "--ssl-cert", str(CERTS / "server-cert.pem")]


def start(mock_server, trace=TRACES / "all_types.json", args=()):
    xport = free_port()
    server = mock_server(trace, args=["--xport", str(xport), *args])
    server.xport = xport
    return server


def session(server, password="s3cret", mode="disabled", auth=None):
    options = {"host": "127.0.0.1", "port": server.xport, "user": "app", "password": password, "ssl-mode": mode}
    if auth:
        options["auth"] = auth
    return mysqlx.get_session(options)


def test_every_column_type_and_nulls(mock_server):
    server = start(mock_server)
    s = session(server)
    result = s.sql("select * from every_type").execute()
    values, nulls = result.fetch_all()
    names = [c.get_column_name() for c in result.columns]
    row = dict(zip(names, list(values)))
    assert all(v is None for v in list(nulls))
    assert row["c_decimal"] == decimal.Decimal("1.50")
    assert row["c_tiny"] == 1 and row["c_long"] == 3 and row["c_longlong"] == 9223372036854775807
    assert row["c_float"] == 4.5 and row["c_double"] == 6.25
    assert row["c_datetime"] == datetime.datetime(2024, 1, 2, 3, 4, 5)
    assert row["c_time"] == datetime.timedelta(hours=1, minutes=2, seconds=3)
    assert row["c_newdecimal"] == decimal.Decimal("12.345")
    assert row["c_var_string"] == "vs"
    assert row["c_set"] == [b"a", b"b"]
    s.close()


def test_ok_and_error(mock_server):
    server = start(mock_server)
    s = session(server)
    result = s.sql("insert into t values (1)").execute()
    assert result.get_affected_items_count() == 1
    assert result.get_autoincrement_value() == 4294967296
    with pytest.raises(mysqlx.errors.OperationalError) as info:
        s.sql("select broken").execute()
    assert info.value.errno == 1146
    assert "doesn't exist" in info.value.msg
    assert s.sql("select 1").execute().fetch_all()[0][0] == 1  # session goes on (builtin fallback)
    s.close()


@pytest.mark.parametrize("mode, auth", [("disabled", "MYSQL41"), ("disabled", "SHA256_MEMORY"),
                                        ("required", "MYSQL41"), ("required", "SHA256_MEMORY"),
                                        ("required", "PLAIN")])
def test_authentication_mechanisms_check_the_password(mock_server, mode, auth):
    server = start(mock_server, args=TLS_ARGS)
    s = session(server, mode=mode, auth=auth)
    assert s.sql("select 1").execute().fetch_all()[0][0] == 1
    s.close()
    with pytest.raises(mysqlx.errors.InterfaceError) as info:
        session(server, password="wrong", mode=mode, auth=auth)
    assert "Access denied for user 'app'" in str(info.value)


def test_plain_is_refused_without_tls(mock_server):
    server = start(mock_server, args=TLS_ARGS)
    with pytest.raises(mysqlx.errors.InterfaceError):
        session(server, mode="disabled", auth="PLAIN")


def test_one_trace_answers_classic_and_x_clients(mock_server):
    server = start(mock_server)
    conn = pymysql.connect(host="127.0.0.1", port=server.port, user="app", password="s3cret", ssl_disabled=True)
    cur = conn.cursor()
    cur.execute("insert into t values (1)")
    assert cur.lastrowid == 4294967296
    s = session(server)
    assert s.sql("insert into t values (1)").execute().get_autoincrement_value() == 4294967296
    s.close()
    conn.close()


class RawXClient:
    """Speaks the X protocol by hand (to see notices, which connectors hide)."""

    def __init__(self, port):
        import socket
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)

    def send(self, type_, message):
        import struct
        body = message.SerializeToString()
        self.sock.sendall(struct.pack("<IB", len(body) + 1, type_) + body)

    def read(self):
        import struct
        head = self._exact(5)
        length, type_ = struct.unpack("<IB", head)
        return type_, self._exact(length - 1)

    def _exact(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            assert chunk, "connection closed"
            data += chunk
        return data

    def login(self, user="app", password="s3cret"):
        import hashlib
        from mysqlx.protobuf import mysqlx_session_pb2 as session
        start = session.AuthenticateStart(mech_name="MYSQL41")
        self.send(4, start)
        while True:
            type_, body = self.read()
            if type_ == 3:
                nonce = session.AuthenticateContinue.FromString(body).auth_data
                break
        h1 = hashlib.sha1(password.encode()).digest()
        mix = hashlib.sha1(nonce + hashlib.sha1(h1).digest()).digest()
        scramble = bytes(a ^ b for a, b in zip(h1, mix)).hex()
        self.send(5, session.AuthenticateContinue(auth_data=f"\0{user}\0*{scramble}".encode()))
        while True:
            type_, body = self.read()
            if type_ == 4:
                return


def test_notices_arrive_on_schedule(mock_server, tmp_path):
    import json
    import time
    from mysqlx.protobuf import mysqlx_notice_pb2 as notice
    trace = {"handshake": {"auth": {"username": "app", "password": "s3cret"}}, "stmts": [],
             "notices": [{"send_offset": 200, "type": 4, "scope": "GLOBAL",
                          "payload": {"type": 2, "view-id": "view-1"}},
                         {"send_offset": 400, "type": 1, "scope": "LOCAL",
                          "payload": {"level": 2, "code": 1234, "msg": "careful"}}]}
    server = start(mock_server, trace)
    client = RawXClient(server.xport)
    client.login()
    authenticated = time.monotonic()
    seen = []
    while len(seen) < 2:
        type_, body = client.read()
        if type_ != 11:
            continue
        frame = notice.Frame.FromString(body)
        if frame.type in (1, 4):
            seen.append((frame.type, frame.scope, time.monotonic() - authenticated, frame.payload))
    (t1, scope1, at1, p1), (t2, scope2, at2, p2) = seen
    assert (t1, scope1) == (4, notice.Frame.GLOBAL)
    gr = notice.GroupReplicationStateChanged.FromString(p1)
    assert (gr.type, gr.view_id) == (2, "view-1")
    assert 0.15 <= at1 < at2
    assert (t2, scope2) == (1, notice.Frame.LOCAL)
    warning = notice.Warning.FromString(p2)
    assert (warning.code, warning.msg) == (1234, "careful")
    assert at2 >= 0.35


def test_oversized_frame_is_refused_and_closed(mock_server):
    import struct
    from mysqlx.protobuf import mysqlx_pb2
    server = start(mock_server, args=["--max-packet-size", "4096"])
    client = RawXClient(server.xport)
    assert client.read()[0] == 11  # SERVER_HELLO notice
    client.sock.sendall(struct.pack("<IB", 1 << 30, 12))
    type_, body = client.read()
    assert type_ == 1
    error = mysqlx_pb2.Error.FromString(body)
    assert error.severity == mysqlx_pb2.Error.FATAL and "larger than the maximum" in error.msg
    assert client.sock.recv(10) == b""
    s = session(server)  # others still served
    s.close()


def test_rest_close_all_closes_x_sessions(mock_server):
    import urllib.request
    http = free_port()
    server = start(mock_server, args=["--http-port", str(http)])
    s = session(server)
    import time
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{http}/api/v1/mock_server/health", timeout=2)
            break
        except OSError:
            time.sleep(0.05)
    req = urllib.request.Request(f"http://127.0.0.1:{http}/api/v1/mock_server/connections/", method="DELETE")
    assert urllib.request.urlopen(req, timeout=10).status == 200
    with pytest.raises(Exception):
        s.sql("select 1").execute()
    session(server).close()


def test_an_x_client_that_never_authenticates_is_closed_at_the_connect_timeout(mock_server):
    import time
    server = start(mock_server, args=["--connect-timeout", "1"])
    stalled = RawXClient(server.xport)
    assert stalled.read()[0] == 11  # SERVER_HELLO notice, then nothing from the client
    s = session(server)  # an authenticated session outlives the timeout
    started = time.monotonic()
    assert stalled.sock.recv(10) == b""
    assert 0.5 <= time.monotonic() - started < 5
    time.sleep(0.5)
    assert s.sql("SELECT 1").execute().fetch_all() is not None
    s.close()


def test_ssl_mode_required_refuses_plaintext_x_logins(mock_server):
    """Issue 14: --ssl-mode REQUIRED protects the X protocol as it does the classic one."""
    server = start(mock_server, args=["--ssl-mode", "REQUIRED", *TLS_ARGS[2:]])
    for auth in ("MYSQL41", "SHA256_MEMORY"):
        with pytest.raises(mysqlx.errors.InterfaceError) as info:
            session(server, mode="disabled", auth=auth)
        assert "insecure transport are prohibited" in str(info.value)
    s = session(server, mode="required")
    assert s.sql("select 1").execute().fetch_all()[0][0] == 1
    s.close()


def test_unsigned_integers_are_uint_on_the_x_protocol(mock_server):
    """Issue 15: an UNSIGNED column went out as SINT, and 18446744073709551615 turned the whole
    answer into "'…' is not a valid SINT value". A value past BIGINT's signed range makes the
    column UNSIGNED by itself; a trace can say so with flags 32."""
    server = start(mock_server, {"stmts": [
        {"stmt": "select big", "result": {"columns": [{"name": "big", "type": "LONGLONG"},
                                                       {"name": "u", "type": "LONG", "flags": 32}],
                                          "rows": [[18446744073709551615, 4294967295], [0, 0]]}}]})
    s = session(server)
    result = s.sql("select big").execute()
    assert [tuple(r) for r in result.fetch_all()] == [(18446744073709551615, 4294967295), (0, 0)]
    s.close()
