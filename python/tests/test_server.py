"""MockServer: start, readiness, every REST method, and the errors a user meets."""
import threading
import time

import pymysql
import pytest

from mysql_server_mock import MockServer, MockServerError

TRACE = {"fallback": "builtin:default", "stmts": [
    {"stmt": "select greeting", "result": {"columns": [{"name": "g", "type": "VAR_STRING"}],
                                           "rows": [[{"$global": "greeting"}]]}},
    {"stmt": "select 1", "result": {"columns": [{"name": "1", "type": "LONG"}], "rows": [[1]]}},
]}


def connect(mock):
    return pymysql.connect(host=mock.host, port=mock.port, user="app", password="")


def test_starts_ready_on_free_ports_and_stops():
    with MockServer(TRACE) as mock:
        assert mock.port and mock.http_port and mock.port != mock.http_port
        assert mock.health()  # the REST API answers as soon as `with` returns: no sleep, no retry
        conn = connect(mock)
        with conn.cursor() as cur:
            cur.execute("select 1")
            assert cur.fetchall() == ((1,),)
        conn.close()
        port = mock.port
    with pytest.raises(pymysql.MySQLError):
        pymysql.connect(host="127.0.0.1", port=port, user="app", password="", connect_timeout=1)


def test_globals():
    with MockServer(TRACE) as mock:
        mock.set_global("greeting", "hello")
        assert mock.get_global("greeting") == "hello"
        conn = connect(mock)
        with conn.cursor() as cur:
            cur.execute("select greeting")
            assert cur.fetchall() == (("hello",),)
        mock.update_globals({"other": [1, 2]})
        assert mock.globals() == {"greeting": "hello", "other": [1, 2]}
        mock.delete_global("other")
        mock.replace_globals({"greeting": "hi"})
        assert mock.globals() == {"greeting": "hi"}
        conn.close()


def test_journal_wait_and_filters():
    with MockServer(TRACE) as mock:
        conn = connect(mock)

        def later():
            time.sleep(0.3)
            with conn.cursor() as cur:
                cur.execute("select 1")

        thread = threading.Thread(target=later)
        thread.start()
        entries = mock.wait_for("select 1", timeout=5)
        assert entries[0].stmt == "select 1" and entries[0].answered_by == "stmts[1]"
        # The journal has the statement once it is answered, maybe before the thread has read the
        # answer: the connection is the thread's until then (PyMySQL connections are not shared).
        thread.join()
        with conn.cursor() as cur:
            with pytest.raises(pymysql.MySQLError):
                cur.execute("select nothing here")
        unmatched = mock.journal(unmatched=True)
        assert [e.stmt for e in unmatched] == ["select nothing here"]
        own = mock.journal(connection=mock.connections()[0]["id"])
        assert "select 1" in [e.stmt for e in own]
        assert mock.wait_for(regex="select [0-9]", timeout=1)[0].stmt == "select 1"
        with pytest.raises(MockServerError, match="408"):
            mock.wait_for("never sent", timeout=0.2)
        mock.clear_journal()
        assert mock.journal() == []
        with pytest.raises(ValueError):
            mock.wait_for()
        conn.close()


def test_connections_and_faults():
    with MockServer(TRACE) as mock:
        first, second = connect(mock), connect(mock)
        assert len(mock.connections()) == 2
        mock.close_connection(mock.connections()[0]["id"])
        fault = mock.arm_fault("close", stmt="select 1", count=1)
        assert [f["id"] for f in mock.faults()] == [fault]
        with pytest.raises(pymysql.MySQLError):
            with second.cursor() as cur:
                cur.execute("select 1")
        assert mock.faults() == []
        mock.arm_fault({"after_rows": 0, "then": "reset"}, regex=".*")
        mock.clear_faults()
        assert mock.faults() == []
        mock.close_connections()
        assert mock.connections() == []
        with pytest.raises(MockServerError, match="422"):
            mock.arm_fault("explode")


def test_reload_and_recording_errors():
    with MockServer(TRACE) as mock:
        assert mock.reload_trace().endswith("trace.json")
        status = mock.trace_status()
        assert status["name"].endswith("trace.json") and status["reloads"] == 1
        assert "last_reload_failure" not in status
        import urllib.request
        with urllib.request.urlopen(mock.dashboard_url) as page:
            assert page.headers["Content-Type"] == "text/html; charset=utf-8"
            assert b"<title>mysql-server-mock</title>" in page.read()
        with pytest.raises(MockServerError, match="404"):
            mock.recording()


def test_a_missing_binary_and_a_broken_trace_say_why(tmp_path):
    with pytest.raises(MockServerError, match="mysql_server_mock was not found"):
        MockServer(binary=tmp_path / "nope")
    broken = tmp_path / "broken.json"
    broken.write_text('{"stmts": [{"stmt": "x", "result": {"columns": 7}}]}')
    with pytest.raises(MockServerError) as error:
        with MockServer(broken):
            pass
    assert "exited at start with 1" in str(error.value) and "stmts[0].result.columns" in str(error.value)


def test_x_protocol_port():
    with MockServer(x_protocol=True) as mock:
        assert mock.x_port and mock.x_port not in (mock.port, mock.http_port)


def test_scenarios():
    trace = {"fallback": "builtin:default",
             "scenarios": {"failover": {"initial": "up", "states": ["down"]}, "login": {"initial": "anonymous", "scope": "connection"}},
             "stmts": [
                 {"stmt": "select role", "scenario": "failover", "required_state": "up",
                  "result": {"columns": [{"name": "role", "type": "VAR_STRING"}], "rows": [["primary"]]}},
                 {"stmt": "select role", "scenario": "failover", "required_state": "down",
                  "result": {"columns": [{"name": "role", "type": "VAR_STRING"}], "rows": [["secondary"]]}},
                 {"stmt": "log in", "scenario": "login", "new_state": "known", "ok": {}},
             ]}
    with MockServer(trace) as mock:
        assert [s["name"] for s in mock.scenarios()] == ["failover", "login"]
        assert mock.scenario("failover") == {"name": "failover", "scope": "global", "initial": "up",
                                             "states": ["up", "down"], "state": "up"}
        conn = connect(mock)
        with conn.cursor() as cur:
            cur.execute("select role")
            assert cur.fetchall() == (("primary",),)
            mock.set_scenario_state("failover", "down")
            cur.execute("select role")
            assert cur.fetchall() == (("secondary",),)
            cur.execute("log in")
        me = mock.connections()[0]["id"]
        assert mock.scenario("login")["connections"] == {str(me): "known"}
        mock.set_scenario_state("login", "anonymous", connection=me)
        assert mock.scenario("login")["connections"] == {}
        with pytest.raises(MockServerError, match='unknown state "sideways"'):
            mock.set_scenario_state("failover", "sideways")
        with pytest.raises(MockServerError, match="name the connection"):
            mock.set_scenario_state("login", "known")
        mock.reset_scenarios()
        assert mock.scenario("failover")["state"] == "up"
        mock.set_scenario_state("failover", "down")
        mock.reset_scenarios("failover")
        assert mock.scenario("failover")["state"] == "up"
        conn.close()


def test_trace_coverage():
    with MockServer(TRACE) as mock:
        conn = connect(mock)
        with conn.cursor() as cur:
            cur.execute("select 1")
            cur.execute("select 1")
        conn.close()
        coverage = mock.trace_coverage()
        assert coverage["entries"] == [{"entry": "stmts[0]", "stmt": "select greeting", "uses": 0},
                                       {"entry": "stmts[1]", "stmt": "select 1", "uses": 2}]
        assert coverage["unused"] == ["stmts[0]"]
        mock.reset_trace_coverage()
        assert [e["uses"] for e in mock.trace_coverage()["entries"]] == [0, 0]
