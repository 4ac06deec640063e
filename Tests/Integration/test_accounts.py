"""Accounts (`handshake.auth.users`): several users with their own passwords, a locked account, and
an expired password that leads to sandbox mode until the client resets it.

Every probe runs against MariaDB with the same three accounts and against the mock with a trace
whose greeting says MariaDB, and both must answer the same: the same error codes and messages,
the same statements refused in the sandbox, and the reset that lifts it for later logins too. The
MySQL wording (3118, 1862, ALTER USER in the sandbox) is checked against the mock alone."""
import json
import subprocess

import mysql.connector
import pymysql
import pytest

from conftest import rest_call, start_mock
from mariadb_server import answers_from_mariadb_then_mock

ACCOUNTS = {"app": "app-pw", "locked": "locked-pw", "old": "old-pw"}
ONE = {"columns": [{"name": "1", "type": "LONGLONG"}], "rows": [[1]]}


def trace(server_version):
    return {
        "handshake": {"greeting": {"server_version": server_version},
                      "auth": {"users": {"app": {"password": "app-pw"},
                                         "locked": {"password": "locked-pw", "locked": True},
                                         "old": {"password": "old-pw", "password_expired": True}}}},
        "fallback": "builtin:default",
        "stmts": [{"stmt": "SELECT 1", "result": ONE}, {"stmt_regex": "(?i)SET .*", "ok": {}}],
    }


class Target:
    def __init__(self, port, expire_again):
        self.port, self.expire_again = port, expire_again


def error(e):
    return (e.args[0], e.args[1]) if not hasattr(e, "errno") else (e.errno, e.msg)


def pymysql_probe(target):
    def login(user, password):
        try:
            return pymysql.connect(host="127.0.0.1", port=target.port, user=user, password=password)
        except pymysql.MySQLError as e:
            return error(e)

    def run(conn, statement):
        try:
            with conn.cursor() as cur:
                cur.execute(statement)
                return cur.fetchall()
        except pymysql.MySQLError as e:
            return error(e)

    target.expire_again()
    seen = [login("app", "wrong"), login("nobody", "x"), login("locked", "wrong"), login("locked", "locked-pw"),
            login("old", "wrong")]
    app = login("app", "app-pw")
    seen.append(run(app, "SELECT 1"))
    old = login("old", "old-pw")
    for statement in ["SELECT 1", "SET @a = 1", "/* why */ set autocommit=1", "ALTER USER CURRENT_USER() IDENTIFIED BY 'old-pw'",
                      "SELECT 1", "SET PASSWORD = PASSWORD('old-pw')", "SELECT 1"]:
        seen.append((statement, run(old, statement)))
    again = login("old", "old-pw")
    seen.append(("a later login", run(again, "SELECT 1")))
    target.expire_again()
    sandboxed = login("old", "old-pw")
    try:
        sandboxed.select_db("accounts")  # COM_INIT_DB
        seen.append(("COM_INIT_DB in the sandbox", "ok"))
    except pymysql.MySQLError as e:
        seen.append(("COM_INIT_DB in the sandbox", error(e)))
    sandboxed.ping()
    seen.append(("COM_PING in the sandbox", "ok"))
    sandboxed.close()
    for conn in (app, old, again):
        conn.close()
    return seen


def connector_probe(target, pure):
    def login(user, password):
        try:
            return mysql.connector.connect(host="127.0.0.1", port=target.port, user=user, password=password,
                                           use_pure=pure, ssl_disabled=True)
        except mysql.connector.Error as e:
            return error(e)

    def run(conn, statement):
        cur = conn.cursor()
        try:
            cur.execute(statement)
            return cur.fetchall() if cur.with_rows else []
        except mysql.connector.Error as e:
            return error(e)
        finally:
            cur.close()

    target.expire_again()
    seen = [login("app", "wrong"), login("locked", "locked-pw")]
    old = login("old", "old-pw")
    if isinstance(old, tuple):  # refused at login: nothing more to ask
        return seen + [old]
    for statement in ["SELECT 1", "SET @a = 1", "SET PASSWORD = PASSWORD('old-pw')", "SELECT 1"]:
        seen.append((statement, run(old, statement)))
    old.close()
    return seen


def cli_probe(target):
    def run(user, password, statements):
        out = subprocess.run(["mysql", "-h", "127.0.0.1", "-P", str(target.port), "-u", user, f"-p{password}",
                              "--skip-ssl", "-N", "-B", "-e", statements], capture_output=True, text=True, timeout=30)
        return out.returncode, out.stdout.strip(), out.stderr.strip()

    target.expire_again()
    return [run("locked", "locked-pw", "SELECT 1"), run("old", "old-pw", "SELECT 1"),
            run("old", "old-pw", "SET PASSWORD = PASSWORD('old-pw'); SELECT 1"), run("old", "old-pw", "SELECT 1")]


PROBES = {
    "PyMySQL": pymysql_probe,
    "mysql-connector pure": lambda t: connector_probe(t, pure=True),
    "mysql-connector C": lambda t: connector_probe(t, pure=False),
    "mysql CLI": cli_probe,
}


@pytest.fixture(scope="module")
def answers(tmp_path_factory):
    """MariaDB re-expires the password with ALTER USER before each probe; the mock forgets the
    resets sessions made when the trace is reloaded, as the trace says the password again."""
    mariadb, mocked, mock = answers_from_mariadb_then_mock(
        tmp_path_factory.mktemp("accounts"), PROBES,
        lambda db: trace(pymysql.connect(unix_socket=str(db.sock), user="root").get_server_info()),
        user="admin", password="admin-pw", database="accounts",
        setup=["CREATE USER 'app'@'%' IDENTIFIED BY 'app-pw'",
               "CREATE USER 'locked'@'%' IDENTIFIED BY 'locked-pw' ACCOUNT LOCK",
               "CREATE USER 'old'@'%' IDENTIFIED BY 'old-pw'"],
        mariadb_target=lambda db: Target(db.port, lambda: db.execute("ALTER USER 'old'@'%' PASSWORD EXPIRE")),
        mock_target=lambda mock: Target(mock.port, lambda: rest_call(mock.http, "POST", "trace/reload")),
        http=True)
    yield mariadb, mocked
    mock.stop()


def test_mariadb_answers_as_the_probes_expect(answers):
    mariadb, _ = answers
    denied = "Access denied for user '{}'@'127.0.0.1' (using password: YES)"
    must = (1820, "You must SET PASSWORD before executing this statement")
    assert mariadb["PyMySQL"] == [
        (1045, denied.format("app")), (1045, denied.format("nobody")), (1045, denied.format("locked")),
        (4151, "Access denied, this account is locked"), (1045, denied.format("old")), ((1,),),
        ("SELECT 1", must), ("SET @a = 1", []), ("/* why */ set autocommit=1", []),
        ("ALTER USER CURRENT_USER() IDENTIFIED BY 'old-pw'", must), ("SELECT 1", must),
        ("SET PASSWORD = PASSWORD('old-pw')", []), ("SELECT 1", ((1,),)), ("a later login", ((1,),)),
        ("COM_INIT_DB in the sandbox", must), ("COM_PING in the sandbox", "ok"),
    ]


@pytest.mark.parametrize("name", list(PROBES))
def test_the_mock_answers_logins_as_mariadb_does(answers, name):
    mariadb, mock = answers
    assert mock[name] == mariadb[name]


def test_mysql_wording_and_clients_that_cannot_handle_an_expired_password(tmp_path):
    path = tmp_path / "mysql.json"
    path.write_text(json.dumps(trace("8.0.36")))
    mock = start_mock(tmp_path, "--filename", str(path))
    try:
        with pytest.raises(pymysql.MySQLError) as locked:
            pymysql.connect(host="127.0.0.1", port=mock.port, user="locked", password="locked-pw")
        assert error(locked.value) == (3118, "Access denied for user 'locked'@'127.0.0.1'. Account is locked.")
        # MySQL disconnects a client without CLIENT_CAN_HANDLE_EXPIRED_PASSWORDS (PyMySQL's default)...
        with pytest.raises(pymysql.MySQLError) as refused:
            pymysql.connect(host="127.0.0.1", port=mock.port, user="old", password="old-pw")
        assert error(refused.value) == (1862, "Your password has expired. To log in you must change it using a "
                                              "client that supports expired passwords.")
        # ... and sandboxes one that sets it; there ALTER USER resets the password.
        conn = pymysql.connect(host="127.0.0.1", port=mock.port, user="old", password="old-pw",
                               client_flag=1 << 22)
        with conn.cursor() as cur:
            with pytest.raises(pymysql.MySQLError) as must:
                cur.execute("SELECT 1")
            assert error(must.value) == (1820, "You must reset your password using ALTER USER statement before "
                                               "executing this statement.")
            with pytest.raises(pymysql.MySQLError):
                conn.select_db("accounts")
            cur.execute("ALTER USER USER() IDENTIFIED BY 'new'")
            cur.execute("SELECT 1")
            assert cur.fetchall() == ((1,),)
        conn.close()
        # The reset holds for the account's later logins, even without the flag.
        later = pymysql.connect(host="127.0.0.1", port=mock.port, user="old", password="old-pw")
        later.close()
    finally:
        mock.stop()
