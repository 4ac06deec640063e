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
