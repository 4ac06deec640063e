"""Multi-statement queries and statements with several results (issue 17), through PyMySQL,
mysqlclient, mysql-connector-python and mysqlx-connector-python. The driver matrix runs the same
checks through every driver, against the mock and against MariaDB."""

import MySQLdb
import MySQLdb.constants.CLIENT
import mysql.connector
import mysqlx
import pymysql
import pytest
from test_rest_api import journal, start


def result(name, *rows, type="LONGLONG"):
    return {"result": {"columns": [{"name": name, "type": type}], "rows": [list(r) for r in rows]}}


TRACE = {
    "stmts": [
        {"stmt": "SELECT 1 AS a", **result("a", [1])},
        {"stmt": "SELECT 2 AS b", **result("b", [2])},
        {"stmt": "SELECT ';' AS c", **result("c", [";"], type="VAR_STRING")},
        # A statement keeps its comments (only the whitespace around it goes).
        {"stmt": "/* ; */ SELECT 4 AS d -- ;", **result("d", [4])},
        {"stmt": "CALL p()", "results": [result("x", [1]), result("y", [2], [3]), {"ok": {"affected_rows": 0}}]},
        {"stmt": "SELECT broken", "error": {"code": 1146, "sql_state": "42S02",
                                            "message": "Table 'db.broken' doesn't exist"}},
        # A trace that sets SERVER_MORE_RESULTS_EXISTS (0x0008) itself: the bit is ignored.
        {"stmt": "UPDATE t SET a = 1", "ok": {"affected_rows": 2, "status": 8}},
    ],
    "fallback": "builtin:default",
}


@pytest.fixture
def server(mock_server):
    return start(mock_server, TRACE, x=True)


def statements(server):
    return [e["stmt"] for e in journal(server)]


def pymysql_connect(server, multi=True):
    flag = pymysql.constants.CLIENT.MULTI_STATEMENTS if multi else 0
    return pymysql.connect(host="127.0.0.1", port=server.port, user="root", password="", client_flag=flag,
                           read_timeout=10)



def sets(cursor):
    """Every result set of the last query: its rows, or None for an OK."""
    out = [cursor.fetchall() if cursor.description else None]
    while cursor.nextset():
        out.append(cursor.fetchall() if cursor.description else None)
    return out


def test_two_statements_are_two_result_sets_and_two_journal_entries(server):
    conn = pymysql_connect(server)
    cur = conn.cursor()
    cur.execute("SELECT 1 AS a;\n  SELECT 2 AS b;  ")
    assert sets(cur) == [((1,),), ((2,),)]
    cur.execute("SELECT ';' AS c; /* ; */ SELECT 4 AS d -- ;\n")
    assert sets(cur) == [((";",),), ((4,),)]
    conn.close()
    assert statements(server)[-4:] == ["SELECT 1 AS a", "SELECT 2 AS b", "SELECT ';' AS c", "/* ; */ SELECT 4 AS d -- ;"]


def test_a_single_statement_keeps_its_text(server):
    conn = pymysql_connect(server)
    cur = conn.cursor()
    cur.execute("SELECT 1 AS a")
    assert cur.fetchall() == ((1,),)
    cur.execute("SELECT 2 AS b;")  # one statement: sent to the trace as it came
    conn.close()
    assert statements(server)[-1] == "SELECT 2 AS b;"


def test_an_error_ends_the_batch(server):
    conn = pymysql_connect(server)
    cur = conn.cursor()
    cur.execute("SELECT 1 AS a; SELECT broken; SELECT 2 AS b")
    assert cur.fetchall() == ((1,),)
    with pytest.raises(pymysql.err.ProgrammingError) as error:
        cur.nextset()
    assert error.value.args[0] == 1146
    cur.execute("SELECT 2 AS b")  # the connection goes on
    assert cur.fetchall() == ((2,),)
    # Each statement of a batch is its own statement: the near-miss explanation names it alone.
    cur.execute("SELECT 1 AS a; SELECT nothing FROM nowhere")
    with pytest.raises(pymysql.err.ProgrammingError) as error:
        cur.nextset()
    assert error.value.args[0] == 1064
    assert error.value.args[1].startswith('Unknown statement: "SELECT nothing FROM nowhere"')
    with pytest.raises(pymysql.err.MySQLError) as error:
        cur.execute("SELECT 1 AS a;; SELECT 2 AS b")
        sets(cur)
    assert error.value.args[0] == 1065
    conn.close()
    assert "SELECT broken" in statements(server) and statements(server).count("SELECT 2 AS b") == 1
    assert "SELECT nothing FROM nowhere" in statements(server)


def test_without_multi_statements_a_second_statement_is_a_syntax_error(server):
    conn = pymysql_connect(server, multi=False)
    cur = conn.cursor()
    with pytest.raises(pymysql.err.ProgrammingError) as error:
        cur.execute("SELECT 1 AS a; SELECT 2 AS b")
    assert error.value.args[0] == 1064
    assert "near 'SELECT 2 AS b' at line 1" in error.value.args[1]
    cur.execute("SELECT 1 AS a;")
    assert cur.fetchall() == ((1,),)
    conn.close()


def test_com_set_option_switches_multi_statements(server):
    conn = MySQLdb.connect(host="127.0.0.1", port=server.port, user="root", password="",
                           client_flag=MySQLdb.constants.CLIENT.MULTI_STATEMENTS)
    conn.set_server_option(MySQLdb.constants.MYSQL_OPTION_MULTI_STATEMENTS_OFF
                           if hasattr(MySQLdb.constants, "MYSQL_OPTION_MULTI_STATEMENTS_OFF") else 1)
    cur = conn.cursor()
    with pytest.raises(MySQLdb.ProgrammingError) as error:
        cur.execute("SELECT 1 AS a; SELECT 2 AS b")
    assert error.value.args[0] == 1064
    conn.set_server_option(0)
    cur.execute("SELECT 1 AS a; SELECT 2 AS b")
    assert sets(cur) == [((1,),), ((2,),)]
    conn.close()


def test_call_with_two_result_sets_and_an_ok(server):
    conn = pymysql_connect(server, multi=False)
    cur = conn.cursor()
    cur.execute("CALL p()")
    assert sets(cur) == [((1,),), ((2,), (3,)), None]
    cur.execute("UPDATE t SET a = 1")  # the trace's more-results bit does not leave the client waiting
    assert cur.rowcount == 2 and not cur.nextset()
    conn.close()


@pytest.mark.parametrize("pure", [True, False])
def test_mysql_connector_reads_every_result(server, pure):
    conn = mysql.connector.connect(host="127.0.0.1", port=server.port, user="root", password="", use_pure=pure)
    cur = conn.cursor()
    cur.execute("SELECT 1 AS a; SELECT 2 AS b", map_results=True)
    rows = [cur.fetchall()]
    while cur.nextset():
        rows.append(cur.fetchall())
    assert rows == [[(1,)], [(2,)]]
    cur.callproc("p")
    assert [r.fetchall() for r in cur.stored_results()] == [[(1,)], [(2,), (3,)]]
    prepared = conn.cursor(prepared=True)
    prepared.execute("SELECT 1 AS a")
    assert prepared.fetchall() == [(1,)]
    conn.close()


def test_x_protocol_call_with_two_result_sets(server):
    s = mysqlx.get_session({"host": "127.0.0.1", "port": server.xport, "user": "root", "password": "",
                            "ssl-mode": "disabled"})
    res = s.sql("CALL p()").execute()
    first = [list(r) for r in res.fetch_all()]
    assert res.next_result()
    second = [list(r) for r in res.fetch_all()]
    assert (first, second) == ([[1]], [[2], [3]])
    assert not res.next_result()
    assert s.sql("SELECT 1 AS a").execute().fetch_all()[0][0] == 1
    s.close()
