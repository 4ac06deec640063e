"""A statement that fails after sending rows: the metadata, some rows, then an ERR where the end of
the rows would be. MariaDB does it for `SELECT seq, IF(seq < 5, seq, (SELECT seq FROM seq_1_to_3))
… FROM seq_1_to_10`: four rows, then ERROR 1242 "Subquery returns more than 1 row". A trace says it
with `result.error`.

Every probe runs against MariaDB, through the recorder, against the recorded trace (MariaDB
stopped) and against a trace written by hand, and must see the same each time: the rows a client
reads before the error, then the error."""
import json
import subprocess

import mysql.connector
import pymysql
import pytest

from conftest import free_port, rest_call, start_mock
from mariadb_server import MariaDB

USER, PASSWORD, DATABASE = "failing", "failing-pw", "failing"
STATEMENT = "SELECT seq, IF(seq < 5, seq, (SELECT seq FROM seq_1_to_3)) AS v FROM seq_1_to_10"
ROWS = [(1, 1), (2, 2), (3, 3), (4, 4)]
ERROR = (1242, "Subquery returns more than 1 row")

#: The same answer written by hand: the four rows, then the error.
TRACE = {
    "fallback": "builtin:default",
    "stmts": [{
        "stmt": STATEMENT,
        "result": {
            "columns": [{"name": "seq", "type": "LONGLONG", "flags": 0x21}, {"name": "v", "type": "LONGLONG"}],
            "rows": [[a, b] for a, b in ROWS],
            "error": {"code": 1242, "sql_state": "21000", "message": "Subquery returns more than 1 row"},
        },
    }],
}


def caught(error):
    return (getattr(error, "errno", None) or error.args[0], getattr(error, "msg", None) or error.args[1])


def pymysql_probe(port):
    """Buffered, the error comes from execute(); unbuffered (SSCursor), after the rows it read."""
    seen = []
    conn = pymysql.connect(host="127.0.0.1", port=port, user=USER, password=PASSWORD, database=DATABASE)
    with conn.cursor() as cur:
        with pytest.raises(pymysql.MySQLError) as error:
            cur.execute(STATEMENT)
        seen.append(("buffered", caught(error.value)))
        cur.execute("SELECT 1")  # the session goes on
        seen.append(("after", cur.fetchall()))
    with conn.cursor(pymysql.cursors.SSCursor) as cur:
        rows = []
        with pytest.raises(pymysql.MySQLError) as error:
            cur.execute(STATEMENT)
            for row in cur:
                rows.append(tuple(int(v) for v in row))
        seen.append(("unbuffered", rows, caught(error.value)))
    conn.close()
    return seen


def connector_probe(port, pure, prepared=False):
    seen = []
    conn = mysql.connector.connect(host="127.0.0.1", port=port, user=USER, password=PASSWORD, database=DATABASE,
                                   use_pure=pure, ssl_disabled=True)
    cur = conn.cursor(prepared=prepared)
    rows = []
    with pytest.raises(mysql.connector.Error) as error:
        cur.execute(STATEMENT)
        while (row := cur.fetchone()) is not None:
            rows.append(tuple(int(v) for v in row))
    seen.append(("rows then error", rows, caught(error.value)))
    cur.close()
    cur = conn.cursor()
    cur.execute("SELECT 1")
    seen.append(("after", cur.fetchall()))
    conn.close()
    return seen


def cli_probe(port):
    argv = ["mysql", f"--user={USER}", f"--password={PASSWORD}", "--host=127.0.0.1", f"--port={port}",
            "--protocol=TCP", "--skip-ssl", "--batch", DATABASE]
    out = subprocess.run(argv + ["-e", STATEMENT + "; SELECT 'not reached'"], capture_output=True, text=True, timeout=30)
    return [(out.returncode, out.stdout, out.stderr.strip())]


PROBES = {
    "pymysql": pymysql_probe,
    "connector pure": lambda port: connector_probe(port, pure=True),
    "connector C": lambda port: connector_probe(port, pure=False),
    "connector prepared": lambda port: connector_probe(port, pure=True, prepared=True),
    "mysql CLI": cli_probe,
}


def run_all(port):
    return {name: probe(port) for name, probe in PROBES.items()}


@pytest.fixture(scope="module")
def answers(tmp_path_factory):
    """The probes against MariaDB, through the recorder, against the recording, and against TRACE."""
    tmp = tmp_path_factory.mktemp("errors-after-rows")
    recording = tmp / "recorded.json"
    db = MariaDB(USER, PASSWORD, DATABASE)
    try:
        direct = run_all(db.port)
        recorder = start_mock(tmp, "--upstream", f"127.0.0.1:{db.port}", "--upstream-user", USER,
                        "--upstream-password", PASSWORD, "--record", str(recording))
        relayed = run_all(recorder.port)
        assert recorder.stop() == 0, recorder.output()
    finally:
        db.stop()
    replay = start_mock(tmp, "--filename", str(recording))
    try:
        replayed = run_all(replay.port)
    finally:
        replay.stop()
    written = tmp / "written.json"
    written.write_text(json.dumps(TRACE))
    by_hand = start_mock(tmp, "--filename", str(written))
    try:
        handwritten = run_all(by_hand.port)
    finally:
        by_hand.stop()
    # All ten rows in the trace; a fault armed over REST cuts them after four and sends the error.
    whole = json.loads(json.dumps(TRACE))
    result = whole["stmts"][0]["result"]
    result.pop("error")
    result["rows"] = [[n, n] for n in range(1, 11)]
    (tmp / "whole.json").write_text(json.dumps(whole))
    armed_server = start_mock(tmp, "--filename", str(tmp / "whole.json"), http=True)
    try:
        fault = {"after_rows": 4, "then": {"error": {"code": 1242, "sql_state": "21000",
                                                     "message": "Subquery returns more than 1 row"}}}
        assert rest_call(armed_server.http, "POST", "faults", {"fault": fault, "count": 1000, "stmt": STATEMENT})[0] == 201
        armed = run_all(armed_server.port)
        journal = rest_call(armed_server.http, "GET", f"journal?since=0")[1]["entries"]
        # Every execution (not the prepare of the connector's prepared cursor) took the fault.
        faulted = [(e["kind"], e.get("fault"), e.get("error", {}).get("code")) for e in journal
                   if e["stmt"] == STATEMENT and e["kind"] != "prepare"]
        assert len(faulted) == 6 and set(faulted) == {(k, "after_rows:4:error:1242", 1242) for k, _, _ in faulted}, faulted
    finally:
        armed_server.stop()
    return direct, relayed, replayed, handwritten, recording, armed


def test_mariadb_sends_rows_then_the_error(answers):
    direct = answers[0]
    # The calibration: what the probes see from the real server.
    assert direct["pymysql"] == [("buffered", ERROR), ("after", ((1,),)), ("unbuffered", ROWS, ERROR)]
    # mysql-connector reads a row ahead, so fetchone() raises when the fourth row would be returned.
    (label, rows, error), after = direct["connector pure"]
    assert rows == ROWS[:3] and error == ERROR and after == ("after", [(1,)])
    assert direct["mysql CLI"][0][0] == 1
    assert "ERROR 1242 (21000) at line 1: Subquery returns more than 1 row" in direct["mysql CLI"][0][2]


@pytest.mark.parametrize("name", PROBES)
def test_the_mock_answers_as_mariadb_did(answers, name):
    direct, relayed, replayed, handwritten, _, armed = answers
    assert relayed[name] == direct[name], "through the recorder"
    assert replayed[name] == direct[name], "from the recorded trace"
    assert handwritten[name] == direct[name], "from result.error written by hand"
    assert armed[name] == direct[name], "from a fault armed over REST"


def test_the_recording_says_result_error(answers):
    recording = answers[4]
    entry = next(e for e in json.loads(recording.read_text())["stmts"] if e["stmt"] == STATEMENT)
    answer = entry.get("result") or entry["answers"][0]["result"]
    assert [[int(c) for c in row] for row in answer["rows"]] == [list(r) for r in ROWS]
    assert answer["error"] == {"code": 1242, "sql_state": "21000", "message": "Subquery returns more than 1 row"}


def test_x_protocol_rows_then_the_error(tmp_path):
    """MariaDB has no X Plugin: the X client's view is checked against the classic one above."""
    import mysqlx
    trace = tmp_path / "trace.json"
    trace.write_text(json.dumps(TRACE))
    xport = free_port()
    server = start_mock(tmp_path, "--filename", str(trace), "--xport", str(xport))
    try:
        session = mysqlx.get_session(host="127.0.0.1", port=xport, user=USER, password=PASSWORD, ssl_mode="DISABLED")
        result = session.sql(STATEMENT).execute()
        rows = []
        with pytest.raises(mysqlx.errors.OperationalError) as error:
            while (row := result.fetch_one()) is not None:
                rows.append((row[0], row[1]))
        assert rows == ROWS
        assert error.value.errno == 1242 and "Subquery returns more than 1 row" in error.value.msg
        assert session.sql("SELECT 1").execute().fetch_all()[0][0] == 1  # the session goes on
        session.close()
    finally:
        server.stop()
