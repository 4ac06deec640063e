"""LOAD DATA LOCAL INFILE: the server asks the client for a file (0xFB and its name), the client
sends it in packets up to an empty one, and then the statement's answer comes. A trace says
`"local_infile": true` (the file the statement names) or `{"filename": …}` (another one).

Every probe runs against MariaDB and against the mock (whose greeting says MariaDB, so that its
refusal is worded as MariaDB words it) and must see the same; the journal shows what was sent."""
import json
import subprocess
import urllib.request

import mysql.connector
import pymysql
import pytest

from conftest import start_mock
from mariadb_server import MariaDB

USER, PASSWORD, DATABASE = "loader", "loader-pw", "loading"
DATA = "1,a\n2,b\n3,c\n"


def statement(path):
    return f"LOAD DATA LOCAL INFILE '{path}' INTO TABLE t FIELDS TERMINATED BY ','"


def trace(path):
    return {
        "fallback": "builtin:default",
        "handshake": {"greeting": {"server_version": "5.5.5-10.11.6-MariaDB-0+deb12u1"}},
        "stmts": [
            {"stmt": statement(path), "local_infile": True,
             "ok": {"affected_rows": 3, "message": "Records: 3  Deleted: 0  Skipped: 0  Warnings: 0"}},
            {"stmt": statement("/nonexistent/file.csv"), "local_infile": True, "ok": {}},
        ],
    }


def pymysql_probe(port, path):
    seen = []
    on = pymysql.connect(host="127.0.0.1", port=port, user=USER, password=PASSWORD, database=DATABASE, local_infile=True)
    with on.cursor() as cur:
        cur.execute(statement(path))
        seen.append(("loaded", cur.rowcount))
        # A file the client cannot read: PyMySQL sends none, says so itself, and the session goes on.
        with pytest.raises(pymysql.MySQLError) as error:
            cur.execute(statement("/nonexistent/file.csv"))
        seen.append(("missing", error.value.args[0]))
        cur.execute("SELECT 1")
        seen.append(("after", cur.fetchall()))
    on.close()
    off = pymysql.connect(host="127.0.0.1", port=port, user=USER, password=PASSWORD, database=DATABASE)
    with off.cursor() as cur:
        with pytest.raises(pymysql.MySQLError) as error:
            cur.execute(statement(path))
        seen.append(("refused", error.value.args))
        cur.execute("SELECT 1")
        seen.append(("after", cur.fetchall()))
    off.close()
    return seen


def connector_probe(port, path, pure):
    seen = []
    on = mysql.connector.connect(host="127.0.0.1", port=port, user=USER, password=PASSWORD, database=DATABASE,
                                 allow_local_infile=True, use_pure=pure, ssl_disabled=True)
    cur = on.cursor()
    cur.execute(statement(path))
    seen.append(("loaded", cur.rowcount))
    on.close()
    off = mysql.connector.connect(host="127.0.0.1", port=port, user=USER, password=PASSWORD, database=DATABASE,
                                  use_pure=pure, ssl_disabled=True)
    with pytest.raises(mysql.connector.Error) as error:
        off.cursor().execute(statement(path))
    seen.append(("refused", error.value.errno, error.value.msg))
    off.close()
    return seen


def cli_probe(port, path):
    argv = ["mysql", f"--user={USER}", f"--password={PASSWORD}", "--host=127.0.0.1", f"--port={port}",
            "--protocol=TCP", "--skip-ssl", "--batch", DATABASE]
    on = subprocess.run(argv + ["--local-infile=1", "-e", statement(path)], capture_output=True, text=True, timeout=30)
    off = subprocess.run(argv + ["--local-infile=0", "-e", statement(path)], capture_output=True, text=True, timeout=30)
    return [(on.returncode, on.stdout, on.stderr), (off.returncode, off.stderr.strip())]


PROBES = {
    "pymysql": pymysql_probe,
    "connector pure": lambda port, path: connector_probe(port, path, pure=True),
    "connector C": lambda port, path: connector_probe(port, path, pure=False),
    "mysql CLI": cli_probe,
}


@pytest.fixture(scope="module")
def answers(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("local-infile")
    data = tmp / "data.csv"
    data.write_text(DATA)
    db = MariaDB(USER, PASSWORD, DATABASE)
    try:
        db.execute(f"CREATE TABLE {DATABASE}.t (id INT, v VARCHAR(10))")
        direct = {name: probe(db.port, data) for name, probe in PROBES.items()}
    finally:
        db.stop()
    path = tmp / "trace.json"
    path.write_text(json.dumps(trace(data)))
    server = start_mock(tmp, "--filename", str(path), http=True)
    try:
        mocked = {name: probe(server.port, data) for name, probe in PROBES.items()}
        with urllib.request.urlopen(f"http://127.0.0.1:{server.http}/api/v1/mock_server/journal") as response:
            journal = json.loads(response.read())["entries"]
    finally:
        server.stop()
    return direct, mocked, journal, data


def test_mariadb_asks_for_the_file_and_refuses_clients_that_cannot_send_it(answers):
    direct = answers[0]
    assert direct["pymysql"][0] == ("loaded", 3)
    assert direct["pymysql"][3] == ("refused", (4166, "The used command is not allowed because the MariaDB server or "
                                                      "client has disabled the local infile capability"))
    assert direct["connector pure"][0] == ("loaded", 3)
    assert direct["mysql CLI"][0][0] == 0


@pytest.mark.parametrize("name", PROBES)
def test_the_mock_answers_as_mariadb_did(answers, name):
    direct, mocked = answers[0], answers[1]
    assert mocked[name] == direct[name]


def test_the_journal_keeps_what_the_client_sent(answers):
    journal, data = answers[2], answers[3]
    loads = [e for e in journal if e["stmt"] == statement(data)]
    sent = [e["local_infile"] for e in loads if "local_infile" in e]
    # PyMySQL, connector pure, connector C and the CLI each sent the file once; connector C without
    # allow_local_infile says it can but then sends nothing (an empty packet) and raises 2068 itself.
    whole = {"filename": str(data), "bytes": len(DATA), "data": DATA, "data_truncated": False}
    empty = {"filename": str(data), "bytes": 0, "data": "", "data_truncated": False}
    assert sent == [whole, whole, whole, empty, whole]
    # The refused ones are in the journal with the error they got.
    refused = [e for e in loads if "local_infile" not in e]
    assert refused and all(e["error"]["code"] == 4166 for e in refused)


def test_a_server_may_ask_for_another_file_and_the_wording_follows_the_greeting(tmp_path):
    """What a malicious server could do, for testing a client's defences: ask for a file the
    statement did not name. PyMySQL sends it; the journal shows it. With a MySQL greeting (the
    default), a client that cannot send files gets MySQL's 3948."""
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the server\n")
    config = {"fallback": "builtin:default", "stmts": [
        {"stmt": "SELECT 'harmless'", "local_infile": {"filename": str(secret)}, "ok": {}},
        {"stmt": "LOAD DATA LOCAL INFILE 'x.csv' INTO TABLE t", "local_infile": True, "ok": {}},
        {"stmt": "LOAD DATA INTO TABLE t", "local_infile": True, "ok": {}},
    ]}
    path = tmp_path / "trace.json"
    path.write_text(json.dumps(config))
    server = start_mock(tmp_path, "--filename", str(path), http=True)
    port, http = server.port, server.http
    try:
        on = pymysql.connect(host="127.0.0.1", port=port, user="u", password="", local_infile=True)
        with on.cursor() as cur:
            cur.execute("SELECT 'harmless'")
            # A trace entry whose statement names no file says what is wrong with the entry.
            with pytest.raises(pymysql.MySQLError) as error:
                cur.execute("LOAD DATA INTO TABLE t")
            assert error.value.args[0] == 1064 and "local_infile: the statement names no file" in error.value.args[1]
        on.close()
        off = pymysql.connect(host="127.0.0.1", port=port, user="u", password="")
        with off.cursor() as cur, pytest.raises(pymysql.MySQLError) as error:
            cur.execute("LOAD DATA LOCAL INFILE 'x.csv' INTO TABLE t")
        assert error.value.args == (3948, "Loading local data is disabled; this must be enabled on both the client "
                                          "and server sides")
        off.close()
        with urllib.request.urlopen(f"http://127.0.0.1:{http}/api/v1/mock_server/journal") as response:
            journal = json.loads(response.read())["entries"]
    finally:
        server.stop()
    harmless = next(e for e in journal if e["stmt"] == "SELECT 'harmless'")
    assert harmless["local_infile"] == {"filename": str(secret), "bytes": 19, "data": "not for the server\n",
                                        "data_truncated": False}
