"""Response templates: an answer that takes groups of the statement's `stmt.regex` (`$match`) and
facts of the client's session (`$session`), so one entry answers a family of statements as a real
server would.

The probes ask MariaDB for rows of a table by id (a text query with the id written in by the
client, and a prepared statement with the id as a parameter), and for CONNECTION_ID() and
DATABASE(); the mock answers the same from one regex entry with `$match` and one entry with
`$session`. Both must give the same."""
import subprocess

import mysql.connector
import pymysql
import pytest

from mariadb_server import answers_from_mariadb_then_mock

USER, PASSWORD, DATABASE = "templ", "templ-pw", "templ"
BY_ID = "SELECT id, name FROM users WHERE id = %s"
IDS = [1, 7, 42, 99]

TRACE = {
    "fallback": "builtin:default",
    "stmts": [
        {"stmt.regex": r"SELECT id, name FROM users WHERE id = (?<id>\d+)",
         "result": {"columns": [{"name": "id", "type": "LONG", "table": "users"},
                                {"name": "name", "type": "VAR_STRING", "table": "users"}],
                    "rows": [[{"$match": "id"}, {"$match": "id"}]]}},
        {"stmt": "SELECT CONNECTION_ID(), DATABASE()",
         "result": {"columns": [{"name": "CONNECTION_ID()", "type": "LONGLONG"}, {"name": "DATABASE()", "type": "VAR_STRING"}],
                    "rows": [[{"$session": "connection_id"}, {"$session": "schema"}]]}},
        {"stmt.regex": r"UPDATE users SET name = '([^']*)' WHERE id = (\d+)",
         "ok": {"affected_rows": 1, "message": {"$match": 1}}},
    ],
}


def pymysql_probe(port):
    conn = pymysql.connect(host="127.0.0.1", port=port, user=USER, password=PASSWORD, database=DATABASE)
    seen = []
    with conn.cursor() as cur:
        for i in IDS:
            cur.execute(BY_ID, (i,))
            seen.append(cur.fetchall())
        cur.execute("SELECT CONNECTION_ID(), DATABASE()")
        (connection_id, schema), = cur.fetchall()
        seen.append(("connection id is the greeting's", connection_id == conn.thread_id(), schema))
    conn.close()
    return seen


def connector_probe(port, pure):
    conn = mysql.connector.connect(host="127.0.0.1", port=port, user=USER, password=PASSWORD, database=DATABASE,
                                   use_pure=pure, ssl_disabled=True)
    seen = []
    cur = conn.cursor(prepared=True)
    for i in IDS:
        cur.execute(BY_ID.replace("%s", "?"), (i,))
        seen.append([tuple(v.decode() if isinstance(v, (bytes, bytearray)) else v for v in row) for row in cur.fetchall()])
    cur.close()
    cur = conn.cursor()
    cur.execute("SELECT CONNECTION_ID(), DATABASE()")
    (connection_id, schema), = cur.fetchall()
    seen.append(("connection id is the greeting's", connection_id == conn.connection_id, schema))
    cur.close()
    conn.close()
    return seen


def cli_probe(port):
    out = subprocess.run(["mysql", "-h", "127.0.0.1", "-P", str(port), "-u", USER, f"-p{PASSWORD}", "--skip-ssl",
                          "-N", "-B", DATABASE, "-e", "; ".join(BY_ID % i for i in IDS)],
                         capture_output=True, text=True, timeout=30)
    return out.returncode, out.stdout, out.stderr


PROBES = {
    "PyMySQL": pymysql_probe,
    "mysql-connector pure, prepared": lambda port: connector_probe(port, pure=True),
    "mysql-connector C, prepared": lambda port: connector_probe(port, pure=False),
    "mysql CLI": cli_probe,
}


@pytest.fixture(scope="module")
def answers(tmp_path_factory):
    mariadb, mocked, mock = answers_from_mariadb_then_mock(
        tmp_path_factory.mktemp("templates"), PROBES, TRACE, user=USER, password=PASSWORD, database=DATABASE,
        setup=[f"CREATE TABLE {DATABASE}.users (id INT PRIMARY KEY, name VARCHAR(16))",
               f"INSERT INTO {DATABASE}.users SELECT seq, seq FROM {DATABASE}.seq_1_to_100"])
    yield mariadb, mocked, mock
    mock.stop()


def test_mariadb_answers_as_the_probes_expect(answers):
    mariadb, _, _ = answers
    assert mariadb["PyMySQL"] == [((i, str(i)),) for i in IDS] + [("connection id is the greeting's", True, DATABASE)]
    assert mariadb["mysql CLI"] == (0, "".join(f"{i}\t{i}\n" for i in IDS), "")


@pytest.mark.parametrize("name", list(PROBES))
def test_one_entry_answers_every_id_as_mariadb_does(answers, name):
    mariadb, mock, _ = answers
    assert mock[name] == mariadb[name]


def test_a_group_fills_an_ok_packets_message(answers):
    """MariaDB's UPDATE says "Rows matched: 1  Changed: 1  Warnings: 0" in the OK packet's info; here
    the mock's message is the group, as mysqlclient's `info()` reads it."""
    import MySQLdb
    _, _, mock = answers
    conn = MySQLdb.connect(host="127.0.0.1", port=mock.port, user=USER, password=PASSWORD)
    cur = conn.cursor()
    assert cur.execute("UPDATE users SET name = 'Grace Hopper' WHERE id = 7") == 1
    assert conn.info() == "Grace Hopper"
    cur.close()
    conn.close()
