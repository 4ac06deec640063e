"""Driver-matrix probe for Python drivers, written as their users write code.

Usage: probe_dbapi.py <driver> ; connection facts come from MATRIX_HOST, MATRIX_PORT, MATRIX_USER,
MATRIX_PASSWORD, MATRIX_DATABASE. Prints one JSON line per check: {"check", "ok", "detail"}.
Drivers: pymysql, connector-pure, connector-c, mysqlclient, aiomysql, sqlalchemy.
"""
import asyncio
import datetime
import decimal
import json
import os
import sys
import traceback

HOST = os.environ.get("MATRIX_HOST", "127.0.0.1")
PORT = int(os.environ["MATRIX_PORT"])
USER = os.environ.get("MATRIX_USER", "probe")
PASSWORD = os.environ.get("MATRIX_PASSWORD", "probe-pw")
DATABASE = os.environ.get("MATRIX_DATABASE", "matrix")

TYPES_SQL = ("SELECT 42 AS i, CAST(18446744073709551615 AS UNSIGNED) AS u, 'héllo wörld' AS s, 1.5e0 AS d, "
             "12.34 AS m, DATE '2024-01-02' AS dt, TIMESTAMP '2024-01-02 03:04:05.250000' AS ts, "
             "TIME '01:02:03' AS tm, X'616263' AS b, NULL AS n")
EXPECTED = (42, 18446744073709551615, "héllo wörld", 1.5, decimal.Decimal("12.34"), datetime.date(2024, 1, 2),
            datetime.datetime(2024, 1, 2, 3, 4, 5, 250000), datetime.timedelta(hours=1, minutes=2, seconds=3),
            b"abc", None)


def report(check, ok, detail=""):
    print(json.dumps({"check": check, "ok": bool(ok), "detail": str(detail)[:300]}), flush=True)


def run(check, body):
    try:
        result = body()
        report(check, result is None or result is True, "" if result in (None, True) else result)
    except Exception as e:  # a failed check is reported, never fatal to the probe
        report(check, False, f"{type(e).__name__}: {e}")


def compare(row):
    row = tuple(bytes(v) if isinstance(v, (bytearray, memoryview)) else v for v in row)
    return True if row == EXPECTED else f"got {row!r}"


def dbapi(module, **extra):
    def connect():
        return module.connect(host=HOST, port=PORT, user=USER, password=PASSWORD, database=DATABASE, **extra)

    conn = None

    def login():
        nonlocal conn
        conn = connect()

    run("login", login)
    if conn is None:
        return
    cursor = conn.cursor()

    def types():
        cursor.execute(TYPES_SQL)
        return compare(cursor.fetchone())

    def params():
        cursor.execute("SELECT %s AS a, %s AS b", (7, "x y"))
        row = tuple(cursor.fetchone())
        return True if row == (7, "x y") else f"got {row!r}"

    def error():
        try:
            cursor.execute("SELECT * FROM missing_table")
        except Exception as e:
            code = getattr(e, "errno", None) or (e.args[0] if e.args else None)
            state = getattr(e, "sqlstate", None)
            if code != 1146:
                return f"code {code}"
            if state is not None and state != "42S02":
                return f"sqlstate {state}"
            return True
        return "no error raised"

    def write():
        cursor.execute("INSERT INTO items (name) VALUES ('a'), ('b')")
        got = (cursor.rowcount, cursor.lastrowid)
        return True if got == (2, 42) else f"got {got}"

    def ping_and_reuse():
        conn.ping()
        cursor.execute("SELECT 42 AS i, CAST(18446744073709551615 AS UNSIGNED) AS u, 'héllo wörld' AS s, 1.5e0 AS d, "
                       "12.34 AS m, DATE '2024-01-02' AS dt, TIMESTAMP '2024-01-02 03:04:05.250000' AS ts, "
                       "TIME '01:02:03' AS tm, X'616263' AS b, NULL AS n")
        cursor.fetchall()
        conn.close()
        again = connect()
        again.close()

    run("typed values", types)
    run("parameters", params)
    run("error", error)
    run("affected rows, insert id", write)
    run("ping, reuse", ping_and_reuse)


def aiomysql_probe():
    import aiomysql

    async def main():
        pool = None

        async def login():
            nonlocal pool
            pool = await aiomysql.create_pool(host=HOST, port=PORT, user=USER, password=PASSWORD, db=DATABASE,
                                              minsize=1, maxsize=2)

        async def arun(check, body):
            try:
                result = await body()
                report(check, result is None or result is True, "" if result in (None, True) else result)
            except Exception as e:
                report(check, False, f"{type(e).__name__}: {e}")

        await arun("login", login)
        if pool is None:
            return

        async def types():
            async with pool.acquire() as conn, conn.cursor() as cur:
                await cur.execute(TYPES_SQL)
                return compare(await cur.fetchone())

        async def params():
            async with pool.acquire() as conn, conn.cursor() as cur:
                await cur.execute("SELECT %s AS a, %s AS b", (7, "x y"))
                row = tuple(await cur.fetchone())
                return True if row == (7, "x y") else f"got {row!r}"

        async def error():
            async with pool.acquire() as conn, conn.cursor() as cur:
                try:
                    await cur.execute("SELECT * FROM missing_table")
                except Exception as e:
                    return True if e.args[0] == 1146 else f"code {e.args[0]}"
                return "no error raised"

        async def write():
            async with pool.acquire() as conn, conn.cursor() as cur:
                await cur.execute("INSERT INTO items (name) VALUES ('a'), ('b')")
                got = (cur.rowcount, cur.lastrowid)
                return True if got == (2, 42) else f"got {got}"

        async def reuse():
            for _ in range(3):
                async with pool.acquire() as conn:
                    await conn.ping()
            pool.close()
            await pool.wait_closed()

        await arun("typed values", types)
        await arun("parameters", params)
        await arun("error", error)
        await arun("affected rows, insert id", write)
        await arun("ping, reuse", reuse)

    asyncio.run(main())


def sqlalchemy_probe():
    import sqlalchemy as sa
    from urllib.parse import quote_plus
    engine = sa.create_engine(f"mysql+pymysql://{USER}:{quote_plus(PASSWORD)}@{HOST}:{PORT}/{DATABASE}",
                              pool_size=2, pool_pre_ping=True)
    conn = None

    def login():
        nonlocal conn
        conn = engine.connect()

    run("login", login)
    if conn is None:
        return
    run("typed values", lambda: compare(conn.execute(sa.text(TYPES_SQL)).one()))

    def params():
        row = tuple(conn.execute(sa.text("SELECT :a AS a, :b AS b"), {"a": 7, "b": "x y"}).one())
        return True if row == (7, "x y") else f"got {row!r}"

    def error():
        try:
            conn.execute(sa.text("SELECT * FROM missing_table"))
        except sa.exc.DBAPIError as e:
            conn.rollback()
            return True if e.orig.args[0] == 1146 else f"code {e.orig.args[0]}"
        return "no error raised"

    def write():
        result = conn.execute(sa.text("INSERT INTO items (name) VALUES ('a'), ('b')"))
        got = (result.rowcount, result.lastrowid)
        return True if got == (2, 42) else f"got {got}"

    def reuse():
        conn.close()
        for _ in range(3):
            with engine.connect() as c:
                c.execute(sa.text("SELECT 42 AS i, CAST(18446744073709551615 AS UNSIGNED) AS u, 'héllo wörld' AS s, "
                                  "1.5e0 AS d, 12.34 AS m, DATE '2024-01-02' AS dt, "
                                  "TIMESTAMP '2024-01-02 03:04:05.250000' AS ts, TIME '01:02:03' AS tm, "
                                  "X'616263' AS b, NULL AS n")).all()
        engine.dispose()

    run("parameters", params)
    run("error", error)
    run("affected rows, insert id", write)
    run("ping, reuse", reuse)


def main():
    driver = sys.argv[1]
    try:
        if driver == "pymysql":
            import pymysql
            dbapi(pymysql)
        elif driver in ("connector-pure", "connector-c"):
            import mysql.connector
            dbapi(mysql.connector, use_pure=(driver == "connector-pure"))
        elif driver == "mysqlclient":
            import MySQLdb
            MySQLdb.connect.__defaults__  # noqa: B018 (import check)

            class Adapter:
                @staticmethod
                def connect(host, port, user, password, database):
                    return MySQLdb.connect(host=host, port=port, user=user, password=password, database=database,
                                           charset="utf8mb4")
            dbapi(Adapter)
        elif driver == "aiomysql":
            aiomysql_probe()
        elif driver == "sqlalchemy":
            sqlalchemy_probe()
        else:
            report("login", False, f"unknown driver {driver}")
    except Exception:
        report("login", False, traceback.format_exc(limit=2))


if __name__ == "__main__":
    main()
