"""Driver-matrix probe for Python drivers, written as their users write code.

Usage: probe_dbapi.py <driver> ; connection facts come from MATRIX_HOST, MATRIX_PORT, MATRIX_USER,
MATRIX_PASSWORD, MATRIX_DATABASE. Prints one JSON line per check: {"check", "ok", "detail"}.
Drivers: pymysql, connector-pure, connector-c, mysqlclient, aiomysql, asyncmy, sqlalchemy.
TLS checks use MATRIX_CA (the server's CA) and MATRIX_WRONG_CA (a CA that did not sign it);
caching_sha2_password is checked when MATRIX_SHA2_FULL_PORT / MATRIX_SHA2_FAST_PORT name servers
that take its full authentication and its fast path.
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
CA = os.environ.get("MATRIX_CA")
WRONG_CA = os.environ.get("MATRIX_WRONG_CA")
SHA2_PORTS = (os.environ.get("MATRIX_SHA2_FULL_PORT"), os.environ.get("MATRIX_SHA2_FAST_PORT"))

TYPES_SQL = ("SELECT 42 AS i, CAST(18446744073709551615 AS UNSIGNED) AS u, 'héllo wörld' AS s, 1.5e0 AS d, "
             "12.34 AS m, DATE '2024-01-02' AS dt, TIMESTAMP '2024-01-02 03:04:05.250000' AS ts, "
             "TIME '01:02:03' AS tm, X'00FF6162' AS b, NULL AS n")
TLS_SQL = "SHOW STATUS LIKE 'Ssl_cipher'"
# Server-side prepared statements: every type through the parameters and back in a binary row.
PARAMS_SQL = "SELECT ? AS i, ? AS u, ? AS s, ? AS d, ? AS m, ? AS dt, ? AS ts, ? AS tm, ? AS b, ? AS n"
# Several results (issue 17): two statements in one query, a stored procedure with two result sets
# and an OK, a batch whose second statement fails, and the syntax error without multi-statements.
MULTI_SQL = "SELECT 1 AS a; SELECT 2 AS b"
MULTI_EXPECTED = [[(1,)], [(2,)]]
CALL_SQL = "CALL two_sets()"
CALL_EXPECTED = [[(1,)], [(2,), (3,)], None]
BATCH_SQL = "SELECT 1 AS a; SELECT * FROM missing_table; SELECT 2 AS b"
EXPECTED = (42, 18446744073709551615, "héllo wörld", 1.5, decimal.Decimal("12.34"), datetime.date(2024, 1, 2),
            datetime.datetime(2024, 1, 2, 3, 4, 5, 250000), datetime.timedelta(hours=1, minutes=2, seconds=3),
            b"\x00\xffab", None)


def report(check, ok, detail=""):
    print(json.dumps({"check": check, "ok": None if ok is None else bool(ok), "detail": str(detail)[:300]}),
          flush=True)


def not_applicable(check, why):
    report(check, None, why)


def run(check, body):
    try:
        result = body()
        report(check, result is None or result is True, "" if result in (None, True) else result)
    except Exception as e:  # a failed check is reported, never fatal to the probe
        report(check, False, f"{type(e).__name__}: {e}")


def compare(row):
    row = tuple(bytes(v) if isinstance(v, (bytearray, memoryview)) else v for v in row)
    return True if row == EXPECTED else f"got {row!r}"


def rows_of(rows):
    return [tuple(r) for r in rows]


def result_sets(cursor):
    """Every result of the last query, as DB-API cursors give them: rows, or None for an OK."""
    out = [rows_of(cursor.fetchall()) if cursor.description else None]
    while cursor.nextset():
        out.append(rows_of(cursor.fetchall()) if cursor.description else None)
    return out


def expect(got, wanted):
    return True if got == wanted else f"got {got!r}"


def code_of(e):
    return getattr(e, "errno", None) or (e.args[0] if e.args else None)


def batch_error(cursor, execute=None):
    """BATCH_SQL: the first result, then error 1146 when the client moves to the second."""
    (execute or cursor.execute)(BATCH_SQL)
    first = rows_of(cursor.fetchall())
    if first != [(1,)]:
        return f"first result {first!r}"
    try:
        while cursor.nextset():
            pass
    except Exception as e:
        return True if code_of(e) == 1146 else f"code {code_of(e)}"
    return "no error raised"


def syntax_error(cursor):
    """MULTI_SQL on a connection without multi-statements: ER_PARSE_ERROR."""
    try:
        cursor.execute(MULTI_SQL)
        cursor.fetchall()
    except Exception as e:
        return True if code_of(e) == 1064 else f"code {code_of(e)}"
    return "no error raised"


def ssl_context(ca):
    import ssl
    return ssl.create_default_context(cafile=ca)


def cipher_of(rows):
    """The value of `SHOW STATUS LIKE 'Ssl_cipher'`: a TLS session's cipher, or a failure text."""
    rows = list(rows)
    cipher = rows[0][1] if rows else ""
    return True if cipher else f"not encrypted: Ssl_cipher {cipher!r}"


def dbapi(module, tls_options, reset=None, prepared=None, unsigned_as_signed=False, multi=None, single=None,
          call=None, **extra):
    """A DB-API 2 driver: `tls_options(ca)` gives its connect() arguments for TLS with
    verification of the server's certificate against `ca`; `reset(conn)` runs its session reset,
    if it has one; `prepared(conn)` gives a cursor that prepares statements on the server, if it
    has one. `unsigned_as_signed`: the driver reads BIGINT UNSIGNED in binary rows as signed (a
    driver bug, seen against MariaDB as well), so the probe reads it back as unsigned. `multi` and
    `single` are the connect() arguments with multi-statements on and off; `call(cursor)` runs
    CALL_SQL the driver's way and gives its results (default: execute, then nextset)."""
    def connect(port=PORT, **more):
        return module.connect(host=HOST, port=port, user=USER, password=PASSWORD, database=DATABASE,
                              **extra, **more)

    conn = None

    def login():
        nonlocal conn
        conn = connect()

    run("login", login)
    if conn is None:
        return
    cursor = conn.cursor()

    def sha2():
        full, fast = SHA2_PORTS
        with_tls = connect(port=int(full), **tls_options(CA))  # full authentication: the password over TLS
        with_tls.cursor().execute("SELECT 1")
        with_tls.close()
        connect(port=int(fast)).close()  # fast path: a scramble, no TLS needed

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

    def tls():
        secure = connect(**tls_options(CA))
        c = secure.cursor()
        c.execute(TLS_SQL)
        encrypted = cipher_of(c.fetchall())
        secure.close()
        try:
            connect(**tls_options(WRONG_CA)).close()
        except Exception:
            return encrypted
        return "a server certificate from another CA was accepted"

    def ping_and_reuse():
        conn.ping()
        cursor.execute(TYPES_SQL)
        cursor.fetchall()
        again = connect()
        again.cursor().execute("SELECT 7 AS a, 'x y' AS b")
        again.close()

    def unsigned(row):
        row = list(row)
        if unsigned_as_signed and row[1] == -1:
            row[1] += 1 << 64
        return row

    def server_prepared():
        cursor = prepared(conn)
        cursor.execute(TYPES_SQL)
        typed = compare(unsigned(cursor.fetchone()))
        if typed is not True:
            return f"typed values: {typed}"
        if unsigned_as_signed:
            # The C extension's binary binding is broken against MariaDB as much as against the
            # mock (an int past 2^63 fails, a timedelta arrives as 0, bytes as ''): typed rows only.
            cursor.close()
            return True
        cursor.execute(PARAMS_SQL, EXPECTED)
        bound = compare(unsigned(cursor.fetchone()))
        cursor.close()
        return True if bound is True else f"parameters: {bound}"

    def reset_session():
        reset(conn)
        cursor = conn.cursor()
        cursor.execute("SELECT 7 AS a, 'x y' AS b")
        row = tuple(cursor.fetchone())
        return True if row == (7, "x y") else f"got {row!r} after the reset"

    def multi_statement():
        with_multi = connect(**multi)
        c = with_multi.cursor()
        c.execute(MULTI_SQL)
        got = result_sets(c)
        with_multi.close()
        return expect(got, MULTI_EXPECTED)

    def call_results():
        c = conn.cursor()
        if call:
            return expect(call(c), CALL_EXPECTED)
        c.execute(CALL_SQL)
        return expect(result_sets(c), CALL_EXPECTED)

    def batch():
        with_multi = connect(**multi)
        outcome = batch_error(with_multi.cursor())
        with_multi.close()
        return outcome

    def multi_off():
        without = connect(**single)
        outcome = syntax_error(without.cursor())
        without.close()
        return outcome

    if all(SHA2_PORTS):
        run("caching_sha2 (fast, full)", sha2)
    run("typed values", types)
    run("parameters", params)
    run("multi-statement", multi_statement)
    run("CALL results", call_results)
    run("batch error", batch)
    run("multi off: 1064", multi_off)
    run("error", error)
    run("affected rows, insert id", write)
    run("TLS verified, wrong CA refused", tls)
    run("ping, reuse", ping_and_reuse)
    if prepared is None:
        not_applicable("prepared statements", "no server-side prepared statements")
    else:
        run("prepared statements", server_prepared)
    if reset is None:
        not_applicable("reset", "no reset API")
    else:
        run("reset", reset_session)
    conn.close()


def async_probe(module, multi_flag):
    """aiomysql or asyncmy: a pool, as asyncio applications use them; `multi_flag` is the driver's
    CLIENT_MULTI_STATEMENTS constant."""
    async def main():
        pool = None

        async def connect(port=PORT, ca=None, **options):
            if ca:
                options["ssl"] = ssl_context(ca)
            return await module.connect(host=HOST, port=port, user=USER, password=PASSWORD, db=DATABASE, **options)

        async def sets(cur):
            out = [rows_of(await cur.fetchall()) if cur.description else None]
            while await cur.nextset():
                out.append(rows_of(await cur.fetchall()) if cur.description else None)
            return out

        async def login():
            nonlocal pool
            pool = await module.create_pool(host=HOST, port=PORT, user=USER, password=PASSWORD, db=DATABASE,
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

        async def sha2():
            full, fast = SHA2_PORTS
            conn = await connect(int(full), CA)
            async with conn.cursor() as cur:
                await cur.execute("SELECT 1")
            conn.close()
            (await connect(int(fast))).close()

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

        async def tls():
            conn = await connect(ca=CA)
            async with conn.cursor() as cur:
                await cur.execute(TLS_SQL)
                encrypted = cipher_of(await cur.fetchall())
            conn.close()
            try:
                (await connect(ca=WRONG_CA)).close()
            except Exception:
                return encrypted
            return "a server certificate from another CA was accepted"

        async def reuse():
            for _ in range(3):
                async with pool.acquire() as conn:
                    await conn.ping()
            pool.close()
            await pool.wait_closed()

        async def multi_statement():
            conn = await connect(client_flag=multi_flag)
            async with conn.cursor() as cur:
                await cur.execute(MULTI_SQL)
                got = await sets(cur)
            conn.close()
            return expect(got, MULTI_EXPECTED)

        async def call_results():
            async with pool.acquire() as conn, conn.cursor() as cur:
                await cur.execute(CALL_SQL)
                return expect(await sets(cur), CALL_EXPECTED)

        async def batch():
            conn = await connect(client_flag=multi_flag)
            try:
                async with conn.cursor() as cur:
                    await cur.execute(BATCH_SQL)
                    first = rows_of(await cur.fetchall())
                    if first != [(1,)]:
                        return f"first result {first!r}"
                    try:
                        while await cur.nextset():
                            pass
                    except Exception as e:
                        return True if code_of(e) == 1146 else f"code {code_of(e)}"
                    return "no error raised"
            finally:
                conn.close()

        if all(SHA2_PORTS):
            await arun("caching_sha2 (fast, full)", sha2)
        await arun("typed values", types)
        await arun("parameters", params)
        await arun("multi-statement", multi_statement)
        await arun("CALL results", call_results)
        await arun("batch error", batch)
        not_applicable("multi off: 1064", "the driver always sets CLIENT_MULTI_STATEMENTS")
        await arun("error", error)
        await arun("affected rows, insert id", write)
        await arun("TLS verified, wrong CA refused", tls)
        await arun("ping, reuse", reuse)
        not_applicable("prepared statements", "no server-side prepared statements")
        not_applicable("reset", "no reset API")

    asyncio.run(main())


def sqlalchemy_probe():
    import sqlalchemy as sa
    from urllib.parse import quote_plus

    def engine_for(port=PORT, **options):
        return sa.create_engine(f"mysql+pymysql://{USER}:{quote_plus(PASSWORD)}@{HOST}:{port}/{DATABASE}",
                                pool_size=2, pool_pre_ping=True, **options)

    engine = engine_for()
    conn = None

    def login():
        nonlocal conn
        conn = engine.connect()

    run("login", login)
    if conn is None:
        return

    def sha2():
        full, fast = SHA2_PORTS
        for e in (engine_for(int(full), connect_args={"ssl": {"ca": CA}}), engine_for(int(fast))):
            with e.connect() as c:
                c.execute(sa.text("SELECT 1")).all()
            e.dispose()

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

    def tls():
        secure = engine_for(connect_args={"ssl": {"ca": CA}})
        with secure.connect() as c:
            encrypted = cipher_of(c.execute(sa.text(TLS_SQL)).all())
        secure.dispose()
        wrong = engine_for(connect_args={"ssl": {"ca": WRONG_CA}})
        try:
            with wrong.connect():
                pass
        except sa.exc.OperationalError:
            return encrypted
        finally:
            wrong.dispose()
        return "a server certificate from another CA was accepted"

    def reuse():
        conn.close()
        for _ in range(3):
            with engine.connect() as c:
                c.execute(sa.text(TYPES_SQL)).all()
        engine.dispose()

    if all(SHA2_PORTS):
        run("caching_sha2 (fast, full)", sha2)
    run("typed values", lambda: compare(conn.execute(sa.text(TYPES_SQL)).one()))
    run("parameters", params)
    # SQLAlchemy's Result holds one result set: its users reach the others through the DB-API
    # cursor of the raw connection, which is PyMySQL's (checked in its own row).
    for check in ("multi-statement", "CALL results", "batch error", "multi off: 1064"):
        not_applicable(check, "SQLAlchemy's Result holds one result set (PyMySQL underneath is checked)")
    run("error", error)
    run("affected rows, insert id", write)
    run("TLS verified, wrong CA refused", tls)
    run("ping, reuse", reuse)
    not_applicable("prepared statements", "PyMySQL underneath has no server-side prepared statements")
    not_applicable("reset", "no reset API (the pool's reset on return is a ROLLBACK)")


def main():
    driver = sys.argv[1]
    try:
        if driver == "pymysql":
            import pymysql
            from pymysql.constants import CLIENT
            dbapi(pymysql, lambda ca: {"ssl_ca": ca, "ssl_verify_cert": True, "ssl_verify_identity": True},
                  multi={"client_flag": CLIENT.MULTI_STATEMENTS}, single={})
        elif driver in ("connector-pure", "connector-c"):
            import mysql.connector
            from mysql.connector.constants import ClientFlag

            def call(cursor):
                cursor.callproc("two_sets")
                return [rows_of(r.fetchall()) for r in cursor.stored_results()] + [None]

            dbapi(mysql.connector, lambda ca: {"ssl_ca": ca, "ssl_verify_cert": True, "ssl_verify_identity": True},
                  reset=lambda conn: conn.reset_session(), prepared=lambda conn: conn.cursor(prepared=True),
                  multi={}, single={"client_flags": [-ClientFlag.MULTI_STATEMENTS]}, call=call,
                  unsigned_as_signed=(driver == "connector-c"), use_pure=(driver == "connector-pure"))
        elif driver == "mysqlclient":
            import MySQLdb
            dbapi(MySQLdb, lambda ca: {"ssl_mode": "VERIFY_IDENTITY", "ssl": {"ca": ca}}, charset="utf8mb4",
                  multi={}, single={"multi_statements": False})
        elif driver == "aiomysql":
            import aiomysql
            from pymysql.constants import CLIENT
            async_probe(aiomysql, CLIENT.MULTI_STATEMENTS)
        elif driver == "asyncmy":
            import asyncmy
            from asyncmy.constants import CLIENT
            async_probe(asyncmy, CLIENT.MULTI_STATEMENTS)
        elif driver == "sqlalchemy":
            sqlalchemy_probe()
        else:
            report("login", False, f"unknown driver {driver}")
    except Exception:
        report("login", False, traceback.format_exc(limit=2))

if __name__ == "__main__":
    main()
