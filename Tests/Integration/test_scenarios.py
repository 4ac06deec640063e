"""Scenarios: a trace's named states that entries require (`required_state`) and move
(`new_state`), kept for the server, per connection or per user, and moved or reset over REST.

A real server has state too, and the probes are written against it: a table's row that one
connection updates and another reads (a global scenario), a user variable each session has its
own of (a connection-scoped one), and a root session that updates the row from outside (the REST
move). Each probe runs against MariaDB with that table and against the mock with a trace of
scenarios, and must see the same both times."""
import json
import subprocess

import mysql.connector
import pymysql
import pytest

from conftest import rest_call
from mariadb_server import answers_from_mariadb_then_mock

USER, PASSWORD, DATABASE = "scenes", "scenes-pw", "scenes"
SELECT_ROLE = "SELECT role FROM cluster_role"
FAIL_OVER = "UPDATE cluster_role SET role = 'secondary'"
SET_MODE = "SET @mode = 'strict'"
SELECT_MODE = "SELECT @mode"


def role_result(role):
    return {"columns": [{"name": "role", "type": "VAR_STRING", "table": "cluster_role"}], "rows": [[role]]}


TRACE = {
    "fallback": "builtin:default",
    "scenarios": {
        "failover": {"initial": "primary", "states": ["secondary"]},
        "mode": {"initial": "unset", "scope": "connection"},
    },
    "stmts": [
        {"stmt": SELECT_ROLE, "scenario": "failover", "required_state": "primary", "result": role_result("primary")},
        {"stmt": SELECT_ROLE, "scenario": "failover", "required_state": "secondary", "result": role_result("secondary")},
        {"stmt": FAIL_OVER, "scenario": "failover", "new_state": "secondary", "ok": {"affected_rows": 1}},
        {"stmt": SET_MODE, "scenario": "mode", "new_state": "strict", "ok": {}},
        {"stmt": SELECT_MODE, "scenario": "mode", "required_state": "unset",
         "result": {"columns": [{"name": "@mode", "type": "VAR_STRING"}], "rows": [[None]]}},
        {"stmt": SELECT_MODE, "scenario": "mode", "required_state": "strict",
         "result": {"columns": [{"name": "@mode", "type": "VAR_STRING"}], "rows": [["strict"]]}},
    ],
}


class Target:
    """Where a probe runs, and how the world outside the client changes there: on MariaDB a root
    session updates the row; on the mock the REST API moves the scenario."""

    def __init__(self, port, jump, reset):
        self.port, self.jump, self.reset = port, jump, reset


def text(value):
    return value.decode() if isinstance(value, (bytes, bytearray)) else value


def pymysql_probe(target):
    def connect():
        return pymysql.connect(host="127.0.0.1", port=target.port, user=USER, password=PASSWORD, database=DATABASE,
                               autocommit=True)

    def one(conn, statement):
        with conn.cursor() as cur:
            cur.execute(statement)
            return [text(v) for v in cur.fetchone()]

    target.reset()
    seen = []
    a, b = connect(), connect()
    seen.append(("a reads", one(a, SELECT_ROLE)))
    seen.append(("b reads", one(b, SELECT_ROLE)))
    with a.cursor() as cur:
        seen.append(("a fails over", cur.execute(FAIL_OVER)))
    seen.append(("b sees it", one(b, SELECT_ROLE)))
    c = connect()
    seen.append(("a new session sees it", one(c, SELECT_ROLE)))
    with a.cursor() as cur:
        cur.execute(SET_MODE)
    seen.append(("a's variable", one(a, SELECT_MODE)))
    seen.append(("b's variable", one(b, SELECT_MODE)))
    a.close()
    d = connect()  # a's session is gone, and its variable with it
    seen.append(("after a closed", one(d, SELECT_MODE)))
    target.reset()
    seen.append(("reset", one(b, SELECT_ROLE)))
    target.jump()
    seen.append(("moved from outside", one(b, SELECT_ROLE)))
    for conn in (b, c, d):
        conn.close()
    return seen


def connector_probe(target, pure, prepared):
    def connect():
        return mysql.connector.connect(host="127.0.0.1", port=target.port, user=USER, password=PASSWORD,
                                       database=DATABASE, use_pure=pure, ssl_disabled=True, autocommit=True)

    def one(conn, statement):
        cur = conn.cursor(prepared=prepared)
        cur.execute(statement)
        row = [text(v) for v in cur.fetchall()[0]]
        cur.close()
        return row

    seen = []
    target.reset()
    a, b = connect(), connect()
    seen.append(("a reads", one(a, SELECT_ROLE)))
    cur = a.cursor(prepared=prepared)
    cur.execute(FAIL_OVER)
    seen.append(("a fails over", cur.rowcount))
    cur.close()
    seen.append(("b sees it", one(b, SELECT_ROLE)))
    cur = a.cursor()
    cur.execute(SET_MODE)
    cur.close()
    seen.append(("a's variable", one(a, SELECT_MODE)))
    seen.append(("b's variable", one(b, SELECT_MODE)))
    target.reset()
    seen.append(("reset", one(b, SELECT_ROLE)))
    a.close()
    b.close()
    return seen


def cli_probe(target):
    """The `mysql` CLI: a session per invocation, so only the server-wide state carries over."""
    def run(statement):
        out = subprocess.run(["mysql", "-h", "127.0.0.1", "-P", str(target.port), "-u", USER, f"-p{PASSWORD}",
                              "--skip-ssl", "-N", "-B", DATABASE, "-e", statement],
                             capture_output=True, text=True, timeout=30)
        return out.returncode, out.stdout.strip(), out.stderr.strip()

    target.reset()
    return [run(SELECT_ROLE), run(FAIL_OVER), run(SELECT_ROLE), run(f"{SET_MODE}; {SELECT_MODE}"), run(SELECT_MODE)]


PROBES = {
    "PyMySQL": pymysql_probe,
    "mysql-connector pure": lambda t: connector_probe(t, pure=True, prepared=False),
    "mysql-connector C": lambda t: connector_probe(t, pure=False, prepared=False),
    "mysql-connector prepared": lambda t: connector_probe(t, pure=True, prepared=True),
    "mysql CLI": cli_probe,
}


def mariadb_target(db):
    """On MariaDB the row is reset, and changed from outside, by a root session."""
    def reset():
        db.execute(f"DELETE FROM {DATABASE}.cluster_role", f"INSERT INTO {DATABASE}.cluster_role VALUES ('primary')")

    return Target(db.port, jump=lambda: db.execute(f"UPDATE {DATABASE}.cluster_role SET role = 'secondary'"),
                  reset=reset)


def mock_target(mock):
    """On the mock the scenarios are reset, and moved from outside, over REST."""
    def put(state):
        assert rest_call(mock.http, "PUT", "scenarios/failover", {"state": state}) == (204, None)

    def reset():
        assert rest_call(mock.http, "DELETE", "scenarios") == (204, None)

    return Target(mock.port, jump=lambda: put("secondary"), reset=reset)


@pytest.fixture(scope="module")
def answers(tmp_path_factory):
    mariadb, seen, mock = answers_from_mariadb_then_mock(
        tmp_path_factory.mktemp("scenarios"), PROBES, TRACE, user=USER, password=PASSWORD, database=DATABASE,
        setup=[f"CREATE TABLE {DATABASE}.cluster_role (role VARCHAR(16))"],
        mariadb_target=mariadb_target, mock_target=mock_target, http=True)
    yield mariadb, seen, mock
    mock.stop()


def test_mariadb_keeps_the_state_the_probes_expect(answers):
    """Calibration: the probes see what a server with state shows."""
    mariadb, _, _ = answers
    assert mariadb["PyMySQL"] == [
        ("a reads", ["primary"]), ("b reads", ["primary"]), ("a fails over", 1), ("b sees it", ["secondary"]),
        ("a new session sees it", ["secondary"]), ("a's variable", ["strict"]), ("b's variable", [None]),
        ("after a closed", [None]), ("reset", ["primary"]), ("moved from outside", ["secondary"]),
    ]
    assert mariadb["mysql CLI"] == [(0, "primary", ""), (0, "", ""), (0, "secondary", ""), (0, "strict", ""),
                                    (0, "NULL", "")]


@pytest.mark.parametrize("name", list(PROBES))
def test_the_mock_keeps_state_as_mariadb_does(answers, name):
    mariadb, mock, _ = answers
    assert mock[name] == mariadb[name]


def test_the_rest_api_shows_and_checks_scenarios(answers):
    _, _, mock = answers
    assert rest_call(mock.http, "DELETE", "scenarios") == (204, None)
    status, listed = rest_call(mock.http, "GET", "scenarios")
    assert status == 200
    assert listed == [
        {"name": "failover", "scope": "global", "initial": "primary", "states": ["primary", "secondary"],
         "state": "primary"},
        {"name": "mode", "scope": "connection", "initial": "unset", "states": ["unset", "strict"], "connections": {}},
    ]
    conn = pymysql.connect(host="127.0.0.1", port=mock.port, user=USER, password=PASSWORD)
    with conn.cursor() as cur:
        cur.execute(SET_MODE)
    me = rest_call(mock.http, "GET", "connections")[1][-1]["id"]
    assert rest_call(mock.http, "GET", "scenarios/mode")[1]["connections"] == {str(me): "strict"}
    # The journal says which scenario the statement moved.
    entry = rest_call(mock.http, "GET", f"journal?connection={me}")[1]["entries"][-1]
    assert (entry["stmt"], entry["scenario_change"]) == (SET_MODE, "mode: unset → strict")
    # Moved back for that connection only, over REST.
    assert rest_call(mock.http, "PUT", "scenarios/mode", {"state": "unset", "connection": me}) == (204, None)
    with conn.cursor() as cur:
        cur.execute(SELECT_MODE)
        assert cur.fetchall() == ((None,),)
    conn.close()
    for path, body, status, message in [
        ("scenarios/nope", {"state": "x"}, 404, 'no scenario "nope"; the trace declares "failover", "mode"'),
        ("scenarios/failover", {"state": "tertiary"}, 422,
         'scenario "failover": unknown state "tertiary"; known: "primary", "secondary"'),
        ("scenarios/failover", {"state": "secondary", "connection": 3}, 422, '"connection" does not apply'),
        ("scenarios/mode", {"state": "strict"}, 422, 'name the connection ("connection")'),
        ("scenarios/failover", {"state": 2}, 422, 'expected "state" (a string)'),
        ("scenarios/failover", {"state": "primary", "when": 1}, 422, 'unknown member "when"'),
        ("scenarios/failover", [1], 422, "expected a JSON object, got array"),
    ]:
        got_status, got = rest_call(mock.http, "PUT", path, body)
        assert (got_status, message in got) == (status, True), (path, body, got_status, got)
    assert rest_call(mock.http, "POST", "scenarios")[0] == 405


def test_an_unmatched_statement_names_the_state_it_needed(mock_server):
    from conftest import free_port
    http = free_port()
    server = mock_server(trace={"scenarios": {"s": "a"}, "stmts": [
        {"stmt": "select 1", "required_state": "b", "result": {"columns": [{"name": "1", "type": "LONG"}], "rows": [[1]]}},
        {"stmt": "go", "new_state": "b", "ok": {}}, {"stmt.regex": "SET NAMES .*", "ok": {}}]},
        args=["--http-port", str(http)])
    conn = pymysql.connect(host="127.0.0.1", port=server.port, user="root", password="")
    with conn.cursor() as cur:
        with pytest.raises(pymysql.MySQLError) as error:
            cur.execute("select 1")
        assert error.value.args[0] == 1064
        assert 'stmts[0] matches the text but wants scenario "s" in state "b" (it is "a")' in error.value.args[1]
        cur.execute("go")
        cur.execute("select 1")
        assert cur.fetchall() == ((1,),)
    conn.close()
    # A reload starts the scenarios anew.
    assert rest_call(http, "GET", "scenarios/s")[1]["state"] == "b"
    assert rest_call(http, "POST", "trace/reload")[0] == 200
    assert rest_call(http, "GET", "scenarios/s")[1]["state"] == "a"


def test_a_trace_with_a_mistake_in_its_scenarios_is_refused_at_start(tmp_path):
    from conftest import run_binary
    trace = tmp_path / "t.json"
    trace.write_text(json.dumps({"scenarios": {"s": "up"}, "stmts": [
        {"stmt": "x", "required_state": "dwon", "ok": {}}, {"stmt": "y", "new_state": "down", "ok": {}}]}))
    out = run_binary("--filename", str(trace), "--port", "0")
    assert out.returncode != 0
    assert 'stmts[0].required_state: scenario "s" never reaches state "dwon"' in out.stderr, out.stderr
