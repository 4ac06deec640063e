"""Record and replay (issue 19) with real clients and a real MariaDB server.

Each client runs the same session three times: straight against MariaDB, through the recorder
(`--upstream` without a trace, `--record`), and against the mock replaying the recorded trace
after MariaDB has stopped. Every answer (values, types, column metadata, affected rows, insert
ids, error codes) must be the same each time. The database is made afresh before each live run,
so insert ids and contents repeat.
"""
import json
import signal
import socket
import subprocess
import threading
from decimal import Decimal

import mysql.connector
import pymysql
import pytest

from conftest import MockProcess, free_port, start_mock
from mariadb_server import MariaDB

USER, PASSWORD, DATABASE = "rec", "rec-pw", "shop"

SCHEMA = [
    f"DROP DATABASE IF EXISTS {DATABASE}",
    f"CREATE DATABASE {DATABASE}",
]

#: A table with a column of every common type, made by the clients themselves.
CREATE = """CREATE TABLE every_type (
    id INT AUTO_INCREMENT PRIMARY KEY, t TINYINT, s SMALLINT UNSIGNED, m MEDIUMINT, b BIGINT UNSIGNED,
    f FLOAT, d DOUBLE, dec_ DECIMAL(20,6), dt DATE, dtm DATETIME(6), ts TIMESTAMP NULL, tm TIME, y YEAR,
    c CHAR(3), v VARCHAR(20), bin BINARY(2), vb VARBINARY(4), bl BLOB, tx TEXT, e ENUM('a','b'),
    st SET('x','y'), bt BIT(8), j JSON)"""

INSERT = """INSERT INTO every_type (t, s, m, b, f, d, dec_, dt, dtm, ts, tm, y, c, v, bin, vb, bl, tx, e, st, bt, j)
VALUES (-7, 65535, -8388608, 18446744073709551615, 1.5, 2.25, 12345678901234.567891, '2024-02-29',
        '2024-02-29 12:34:56.789012', '2024-03-01 00:00:01', '-838:59:59', 2155, 'abc', 'héllo wörld',
        x'00ff', x'deadbeef', x'000102ff', 'long text', 'b', 'x,y', b'10101010', '{"k": [1, 2]}'),
       (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
        NULL, NULL, NULL, NULL, NULL)"""


def error_code(run):
    try:
        run()
    except (pymysql.MySQLError, mysql.connector.Error) as error:
        return getattr(error, "errno", None) or error.args[0]
    return None


def pymysql_session(port, user=USER, password=PASSWORD):
    """What a PyMySQL user does: create, insert, select every type, update, an error."""
    seen = []
    conn = pymysql.connect(host="127.0.0.1", port=port, user=user, password=password, database=DATABASE)
    with conn.cursor() as cur:
        cur.execute(CREATE)
        seen.append(("create", cur.rowcount))
        cur.execute("SELECT count(*) FROM every_type")  # the CLI asks again later, and gets 3
        seen.append(("count", cur.fetchall()))
        cur.execute(INSERT)
        seen.append(("insert", cur.rowcount, cur.lastrowid))
        cur.execute("SELECT * FROM every_type ORDER BY id")
        seen.append(("select", cur.description, cur.fetchall()))
        cur.execute("UPDATE every_type SET v = 'changed' WHERE id >= 1")
        seen.append(("update", cur.rowcount))
        seen.append(("error", error_code(lambda: cur.execute("SELECT nope FROM every_type"))))
        cur.execute("SELECT id, v FROM every_type ORDER BY id")
        seen.append(("after update", cur.fetchall()))
    conn.commit()
    seen.append(("server", conn.get_server_info()))
    conn.close()
    return seen


def connector_session(port, user=USER, password=PASSWORD):
    """What a mysql-connector-python user does, with a prepared statement."""
    seen = []
    conn = mysql.connector.connect(host="127.0.0.1", port=port, user=user, password=password, database=DATABASE,
                                   use_pure=True, ssl_disabled=True)
    cur = conn.cursor()
    cur.execute("INSERT INTO every_type (v, dec_) VALUES ('from connector', 0.5)")
    seen.append(("insert", cur.rowcount, cur.lastrowid))
    cur.execute("SELECT id, t, b, dec_, dt, dtm, tm, v, bl, j FROM every_type ORDER BY id")
    seen.append(("select", [column[:2] for column in cur.description], cur.fetchall()))
    seen.append(("error", error_code(lambda: cur.execute("INSERT INTO every_type (id) VALUES (1)"))))
    cur.close()
    prepared = conn.cursor(prepared=True)
    prepared.execute("SELECT id, v, dec_ FROM every_type WHERE id = %s", (1,))
    seen.append(("prepared", prepared.fetchall()))
    prepared.close()
    conn.commit()
    conn.close()
    return seen


def cli_session(port, user=USER, password=PASSWORD):
    """The `mysql` CLI in batch mode: its own connect-time query, a result, an error."""
    argv = ["mysql", f"--user={user}", f"--password={password}", "--host=127.0.0.1", f"--port={port}",
            "--protocol=TCP", "--skip-ssl", "--batch", DATABASE]
    out = subprocess.run(argv + ["-e", "SELECT id, v, e, st, hex(bin) FROM every_type ORDER BY id; SELECT count(*) FROM every_type"],
                         capture_output=True, text=True, timeout=30)
    error = subprocess.run(argv + ["-e", "DELETE FROM missing_table"], capture_output=True, text=True, timeout=30)
    return [("out", out.returncode, out.stdout), ("error", error.returncode, error.stderr.strip())]


SESSIONS = [pymysql_session, connector_session, cli_session]


def run_all(port):
    return [session(port) for session in SESSIONS]


def recorder(tmp_path, upstream_port, path, extra=()):
    return start_mock(tmp_path, "--upstream", f"127.0.0.1:{upstream_port}", "--upstream-user", USER,
                      "--upstream-password", PASSWORD, "--record", str(path), *extra)


def replay(tmp_path, path):
    return start_mock(tmp_path, "--filename", str(path))


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """Runs the sessions live, through the recorder, then against the replay (MariaDB stopped).
    Returns (direct, relayed, replayed, trace path, tmp)."""
    tmp = tmp_path_factory.mktemp("record")
    db = MariaDB(USER, PASSWORD, DATABASE)
    try:
        db.execute(*SCHEMA)
        direct = run_all(db.port)
        db.execute(*SCHEMA)
        path = tmp / "recorded.json"
        rec = recorder(tmp, db.port, path)
        relayed = run_all(rec.port)
        assert rec.stop() == 0, rec.output()
    finally:
        db.stop()
    mock = replay(tmp, path)
    try:
        replayed = run_all(mock.port)
    finally:
        mock.stop()
    return direct, relayed, replayed, path, tmp


def test_the_recorder_relays_exactly_what_the_server_answers(recorded):
    direct, relayed, _, _, _ = recorded
    for session, live, through in zip(SESSIONS, direct, relayed):
        assert through == live, session.__name__


def test_the_replay_answers_as_the_live_server_did(recorded):
    direct, _, replayed, _, _ = recorded
    pymysql_seen = dict((item[0], item[1:]) for item in direct[0])
    # The answers are the real ones (not empty): every type came back.
    description, rows = pymysql_seen["select"]
    assert len(description) == 23 and rows[0][7] == Decimal("12345678901234.567891") and rows[0][15] == b"\x00\xff"
    assert pymysql_seen["insert"] == (2, 1) and pymysql_seen["error"] == (1054,)
    for session, live, again in zip(SESSIONS, direct, replayed):
        assert again == live, session.__name__


def test_the_trace_is_readable_and_has_no_password(recorded):
    _, _, _, path, _ = recorded
    text = path.read_text()
    trace = json.loads(text)
    assert trace["handshake"]["auth"] == {"username": USER}
    assert "MariaDB" in trace["handshake"]["greeting"]["server_version"]
    assert PASSWORD not in text
    statements = [entry["stmt"] for entry in trace["stmts"]]
    assert "SET @@session.autocommit = OFF" in statements  # mysql-connector's own
    assert "SELECT id, v, dec_ FROM every_type WHERE id = 1" in statements  # the prepared statement's execution
    # One line per statement.
    assert len([line for line in text.splitlines() if line.startswith('    {"stmt": ')]) == len(statements)
    # The count before the inserts and the CLI's after them: both kept, in order.
    changed = {entry["stmt"]: entry["answers"] for entry in trace["stmts"] if "answers" in entry}
    counts = [answer["result"]["rows"] for answer in changed["SELECT count(*) FROM every_type"]]
    assert counts == [[["0"]], [["3"]]]


def test_recording_a_replay_gives_the_same_trace(recorded):
    _, _, _, path, tmp = recorded
    mock = replay(tmp, path)
    again = tmp / "again.json"
    try:
        rec = recorder(tmp, mock.port, again)
        run_all(rec.port)
        assert rec.stop() == 0
    finally:
        mock.stop()
    assert json.loads(again.read_text()) == json.loads(path.read_text())


def test_upstream_fallback_answers_what_the_trace_does_not(tmp_path):
    """A trace plus a live server: the trace's answers never reach the server; the journal says
    which answers came from upstream; TLS on the upstream leg verified against the test CA."""
    from test_driver_matrix import CERTS
    db = MariaDB(USER, PASSWORD, DATABASE, extra_args=(
        f"--ssl-ca={CERTS / 'ca-cert.pem'}", f"--ssl-cert={CERTS / 'server-cert.pem'}",
        f"--ssl-key={CERTS / 'server-key.pem'}"))
    trace = tmp_path / "trace.json"
    trace.write_text(json.dumps({"stmts": [
        {"stmt": "SELECT @@version", "result": {"columns": [{"name": "@@version", "type": "STRING"}], "rows": [["mocked"]]}},
    ]}))
    port, http = free_port(), free_port()
    mock = MockProcess(["--filename", str(trace), "--port", str(port), "--http-port", str(http), "--bind-address",
                        "127.0.0.1", "--upstream", f"127.0.0.1:{db.port}", "--upstream-user", USER,
                        "--upstream-password", PASSWORD, "--upstream-ssl-mode", "VERIFY_CA",
                        "--upstream-ssl-ca", str(CERTS / "ca-cert.pem")], tmp_path)
    try:
        conn = pymysql.connect(host="127.0.0.1", port=port, user="anyone", password="", database=DATABASE)
        with conn.cursor() as cur:
            cur.execute("SELECT @@version")
            assert cur.fetchall() == (("mocked",),)
            cur.execute("SHOW STATUS LIKE 'Ssl_cipher'")
            name, cipher = cur.fetchone()
            assert name == "Ssl_cipher" and cipher, "the upstream leg is not encrypted"
            cur.execute("SELECT DATABASE(), CURRENT_USER()")
            assert cur.fetchone() == (DATABASE, f"{USER}@%")
        conn.close()
        import urllib.request
        journal = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{http}/api/v1/mock_server/journal").read())
        by = {entry["stmt"]: entry["answered_by"] for entry in journal["entries"]}
        assert by["SELECT @@version"] == "stmts[0]"
        assert by["SELECT DATABASE(), CURRENT_USER()"] == "upstream"
        # Recording was not asked for: nothing kept until started over REST.
        status = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{http}/api/v1/mock_server/recording/status").read())
        assert status == {"recording": False, "statements": 0}
    finally:
        mock.stop()
        db.stop()


# --- Failures -------------------------------------------------------------------------------

def packet(seq, payload):
    return len(payload).to_bytes(3, "little") + bytes([seq]) + payload


GREETING = packet(0, b"\x0a" + b"5.7.99-fake\x00" + (7).to_bytes(4, "little") + b"abcdefgh" + b"\x00"
                  + (0xA205).to_bytes(2, "little") + b"\x21" + (2).to_bytes(2, "little") + (0x0008).to_bytes(2, "little")
                  + b"\x15" + b"\x00" * 10 + b"ijklmnopqrst\x00" + b"mysql_native_password\x00")
OK = b"\x00\x00\x00\x02\x00\x00\x00"


class FakeUpstream:
    """A server that logs clients in and then misbehaves on purpose, one way per query, in order:
    closes in the middle of a result set, answers with a packet that is not a response, then
    behaves (OK, one affected row)."""

    def __init__(self, misbehave=True):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.queries = 0 if misbehave else 2
        self.lock = threading.Lock()
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self.session, args=(conn,), daemon=True).start()

    def session(self, conn):
        with conn:
            conn.sendall(GREETING)
            conn.recv(65536)  # login
            conn.sendall(packet(2, OK))
            while True:
                query = conn.recv(65536)
                if not query:
                    return
                if query[5:9] == b"SET ":  # PyMySQL's own at connect (SET NAMES, SET AUTOCOMMIT)
                    conn.sendall(packet(1, OK))
                    continue
                with self.lock:
                    self.queries += 1
                    number = self.queries
                if number == 1:
                    conn.sendall(packet(1, b"\x02"))  # two columns follow… and then nothing
                    conn.shutdown(socket.SHUT_RDWR)
                    return
                if number == 2:
                    conn.sendall(packet(1, b"\xfe\x00"))  # neither a column count nor an OK
                    continue
                conn.sendall(packet(1, b"\x00\x01\x00\x02\x00\x00\x00"))  # OK, 1 affected row

    def close(self):
        # shutdown first: it wakes the thread blocked in accept() and stops the listening (close
        # alone leaves the socket listening until accept() returns).
        try:
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()


def test_upstream_failures_give_that_client_a_clear_error_and_the_recorder_goes_on(tmp_path):
    fake = FakeUpstream()
    path = tmp_path / "after-failures.json"
    rec = recorder(tmp_path, fake.port, path)
    try:
        conn = pymysql.connect(host="127.0.0.1", port=rec.port, user=USER, password="")
        with conn.cursor() as cur:
            with pytest.raises(pymysql.MySQLError) as lost:
                cur.execute("SELECT a, b FROM t")
            assert lost.value.args[0] == 2013 and "Lost connection to upstream" in lost.value.args[1]
            with pytest.raises(pymysql.MySQLError) as garbage:
                cur.execute("SELECT a, b FROM t")
            assert garbage.value.args[0] == 2027 and "Malformed packet" in garbage.value.args[1]
            # Another client is not disturbed, and the recorder keeps recording.
            other = pymysql.connect(host="127.0.0.1", port=rec.port, user=USER, password="")
            with other.cursor() as cur2:
                assert cur2.execute("UPDATE t SET a = 1") == 1
            other.close()
        conn.close()
        # Upstream gone entirely: a clear 2003 (PyMySQL meets it at its SET NAMES in connect()).
        fake.close()
        with pytest.raises(pymysql.MySQLError) as down:
            pymysql.connect(host="127.0.0.1", port=rec.port, user=USER, password="", connect_timeout=5)
        assert down.value.args[0] == 2003
        assert f"upstream MySQL server on '127.0.0.1:{fake.port}' (Connection refused" in down.value.args[1]
        assert rec.stop() == 0
    finally:
        fake.close()
    # The trace written after the failures is valid, has only the real answer, and replays.
    trace = json.loads(path.read_text())
    assert [entry["stmt"] for entry in trace["stmts"]] == ["SET NAMES utf8mb4", "SET AUTOCOMMIT = 0", "UPDATE t SET a = 1"]
    mock = replay(tmp_path, path)
    try:
        conn = pymysql.connect(host="127.0.0.1", port=mock.port, user=USER, password="")
        with conn.cursor() as cur:
            assert cur.execute("UPDATE t SET a = 1") == 1
        conn.close()
    finally:
        mock.stop()


def test_recording_over_rest_start_stop_reset_read(tmp_path):
    fake = FakeUpstream(misbehave=False)
    port, http = free_port(), free_port()
    mock = MockProcess(["--port", str(port), "--http-port", str(http), "--bind-address", "127.0.0.1",
                        "--upstream", f"127.0.0.1:{fake.port}"], tmp_path)
    api = f"http://127.0.0.1:{http}/api/v1/mock_server/recording"
    import urllib.request

    def call(method, suffix=""):
        request = urllib.request.Request(api + suffix, method=method)
        with urllib.request.urlopen(request) as response:
            body = response.read().decode()
            return json.loads(body) if body else None

    try:
        conn = pymysql.connect(host="127.0.0.1", port=port, user="someone", password="")
        cur = conn.cursor()
        cur.execute("UPDATE a SET x = 1")
        # Without --filename, recording is on from the start.
        assert call("GET", "/status") == {"recording": True, "statements": 3}
        assert call("POST", "/stop") == {"recording": False, "statements": 3}
        cur.execute("UPDATE b SET x = 1")
        assert [entry["stmt"] for entry in call("GET")["stmts"]] == ["SET NAMES utf8mb4", "SET AUTOCOMMIT = 0", "UPDATE a SET x = 1"]
        assert call("DELETE") is None
        assert call("GET")["stmts"] == []
        assert call("POST", "/start")["recording"] is True
        cur.execute("UPDATE c SET x = 1")
        trace = call("GET")
        assert [entry["stmt"] for entry in trace["stmts"]] == ["UPDATE c SET x = 1"]
        assert trace["handshake"]["auth"] == {"username": "someone"}
        conn.close()
    finally:
        mock.stop()
        fake.close()
