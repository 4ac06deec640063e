"""X protocol bound arguments and prepared statements (issue 16) through mysqlx-connector-python.

The X DevAPI connector sends `session.sql(...).bind(...)` values as `StmtExecute` arguments, and
prepares CRUD statements (never SQL ones) on their second execution. The mock does not implement
CRUD, so `Mysqlx.Prepare` is driven the way the connector's own prepared pipeline drives it: its
protobuf messages, its message writer, and its result classes to read the answers. MariaDB has no
X protocol, so there is no calibration run: the expected values come from the trace.

The negative TIME is a whole number of hours: the connector (9.5) negates only the first non-zero
field of an X TIME, so it reads -01:02:03 as -00:57:57."""
import datetime
import decimal

import mysqlx
import pytest
from mysqlx.expr import build_scalar, build_unsigned_int_scalar
from mysqlx.protobuf import Message, mysqlxpb_enum
from mysqlx.result import SqlResult
from test_rest_api import journal, start

COLUMNS = [{"name": "i", "type": "LONGLONG"}, {"name": "u", "type": "LONGLONG", "flags": 32},
           {"name": "d", "type": "DOUBLE"}, {"name": "n", "type": "NEWDECIMAL", "decimals": 2},
           {"name": "s", "type": "VAR_STRING"}, {"name": "b", "type": "BLOB", "character_set": 63},
           {"name": "dt", "type": "DATETIME"}, {"name": "t", "type": "TIME"}, {"name": "z", "type": "LONG"}]
ROW = [-5, "18446744073709551615", 2.5, "12.34", "x y", {"$hex": "00ff41"}, "2024-02-29 23:59:59", "-05:00:00",
       None]
EXPECTED_ROW = [-5, 18446744073709551615, 2.5, decimal.Decimal("12.34"), "x y", b"\x00\xffA",
                datetime.datetime(2024, 2, 29, 23, 59, 59), -datetime.timedelta(hours=5),
                None]

TRACE = {
    "stmts": [
        {"stmt": "SELECT * FROM t WHERE id = ? AND name = ?", "params": [1, "one"],
         "result": {"columns": COLUMNS, "rows": [ROW]}},
        {"stmt": "SELECT * FROM t WHERE id = ? AND name = ?", "params": [2, "two"],
         "result": {"columns": COLUMNS[:1], "rows": [[2]]}},
        {"stmt": "SELECT * FROM t WHERE id = ? AND name = ?", "params": [-3, True],
         "result": {"columns": COLUMNS[:1], "rows": [[-3]]}},
        {"stmt": "SELECT typed(?, ?, ?, ?, ?)", "params": [None, 0.5, {"$hex": "00ff"}, 9223372036854775807, "é"],
         "result": {"columns": COLUMNS, "rows": [ROW]}},
        {"stmt": "UPDATE t SET name = ? WHERE id = ?", "ok": {"affected_rows": 3}},
        {"stmt": "SELECT * FROM gone WHERE id = ?", "prepare": {"error": {"code": 1146, "sql_state": "42S02",
                                                                          "message": "Table 'db.gone' doesn't exist"}},
         "ok": {}},
    ],
    "fallback": "builtin:default",
}


@pytest.fixture
def server(mock_server):
    return start(mock_server, TRACE, x=True)


def session(server):
    return mysqlx.get_session({"host": "127.0.0.1", "port": server.xport, "user": "root", "password": "",
                               "ssl-mode": "disabled"})



def row_values(result):
    return [list(row) for row in result.fetch_all()]


def test_one_bound_statement_executed_three_times(server):
    s = session(server)
    sql = "SELECT * FROM t WHERE id = ? AND name = ?"
    assert row_values(s.sql(sql).bind(1, "one").execute()) == [EXPECTED_ROW]
    assert row_values(s.sql(sql).bind(2, "two").execute()) == [[2]]
    assert row_values(s.sql(sql).bind(-3, True).execute()) == [[-3]]
    with pytest.raises(mysqlx.errors.OperationalError) as error:
        s.sql(sql).bind(4, "four").execute()
    assert error.value.errno == 1064 and "with parameters (4, 'four')" in error.value.msg
    s.close()
    queries = [e for e in journal(server) if e["stmt"] == sql]
    assert {e["protocol"] for e in queries} == {"x"} and {e["kind"] for e in queries} == {"query"}
    assert [e["params"] for e in queries] == [["1", "'one'"], ["2", "'two'"], ["-3", "1"], ["4", "'four'"]]


class Prepared:
    """The messages the connector's prepared pipeline sends, on the session's own connection."""

    def __init__(self, s):
        self.connection = s._connection
        self.protocol = self.connection.protocol

    def write(self, kind, message):
        self.protocol._writer.write_message(mysqlxpb_enum(f"Mysqlx.ClientMessages.Type.{kind}"), message)

    def prepare(self, stmt_id, sql):
        statement = Message("Mysqlx.Sql.StmtExecute", namespace="sql", stmt=sql.encode())
        one_of = Message("Mysqlx.Prepare.Prepare.OneOfMessage",
                         type=mysqlxpb_enum("Mysqlx.Prepare.Prepare.OneOfMessage.Type.STMT"), stmt_execute=statement)
        self.write("PREPARE_PREPARE", Message("Mysqlx.Prepare.Prepare", stmt_id=stmt_id, stmt=one_of))
        self.protocol.read_ok()

    def execute(self, stmt_id, *values):
        message = Message("Mysqlx.Prepare.Execute", stmt_id=stmt_id)
        # Non-negative integers as V_UINT, as the connector's own bindings send them (its C protobuf
        # extension cannot hold one above 2^63 - 1).
        scalars = [build_unsigned_int_scalar(v) if type(v) is int and v >= 0 else build_scalar(v) for v in values]
        message["args"].extend([Message("Mysqlx.Datatypes.Any", type=1, scalar=s).get_message() for s in scalars])
        self.write("PREPARE_EXECUTE", message)
        return SqlResult(self.connection)

    def deallocate(self, stmt_id):
        self.write("PREPARE_DEALLOCATE", Message("Mysqlx.Prepare.Deallocate", stmt_id=stmt_id))
        self.protocol.read_ok()


def test_prepare_execute_three_times_and_deallocate(server):
    s = session(server)
    prepared = Prepared(s)
    prepared.prepare(1, "SELECT * FROM t WHERE id = ? AND name = ?")
    assert row_values(prepared.execute(1, 1, "one")) == [EXPECTED_ROW]
    assert row_values(prepared.execute(1, 2, "two")) == [[2]]
    assert row_values(prepared.execute(1, -3, True)) == [[-3]]
    prepared.prepare(2, "SELECT typed(?, ?, ?, ?, ?)")
    assert row_values(prepared.execute(2, None, 0.5, b"\x00\xff", 9223372036854775807, "é")) == [EXPECTED_ROW]
    prepared.prepare(3, "UPDATE t SET name = ? WHERE id = ?")
    assert prepared.execute(3, "new", 7).get_affected_items_count() == 3
    prepared.deallocate(1)
    with pytest.raises(mysqlx.errors.OperationalError) as error:
        prepared.execute(1, 1, "one").fetch_all()
    assert error.value.errno == 5110 and "Statement with ID=1 was not prepared" in error.value.msg
    with pytest.raises(mysqlx.errors.OperationalError) as error:
        prepared.execute(2, None).fetch_all()
    assert error.value.errno == 5134
    # The session goes on, and ordinary statements still work.
    assert s.sql("SELECT 1").execute().fetch_all()[0][0] == 1
    s.close()
    entries = journal(server)
    assert [e["stmt"] for e in entries if e["kind"] == "prepare"] == [
        "SELECT * FROM t WHERE id = ? AND name = ?", "SELECT typed(?, ?, ?, ?, ?)", "UPDATE t SET name = ? WHERE id = ?"]
    executions = [e for e in entries if e["kind"] == "execute"]
    assert [(e["statement_id"], e["params"]) for e in executions] == [
        (1, ["1", "'one'"]), (1, ["2", "'two'"]), (1, ["-3", "1"]),
        (2, ["NULL", "0.5", "X'00FF'", "9223372036854775807", "'é'"]), (3, ["'new'", "7"])]


def test_a_trace_error_at_prepare_reaches_the_client(server):
    s = session(server)
    prepared = Prepared(s)
    with pytest.raises(mysqlx.errors.InterfaceError) as error:
        prepared.prepare(5, "SELECT * FROM gone WHERE id = ?")
    assert error.value.errno == 1146
    with pytest.raises(mysqlx.errors.OperationalError) as error:
        prepared.execute(5, 1).fetch_all()
    assert error.value.errno == 5110
    s.close()
