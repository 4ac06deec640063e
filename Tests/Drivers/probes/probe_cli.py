"""Driver-matrix probe for the `mariadb` command-line client (Debian's mariadb-client), run the
way shell scripts and people at a terminal run it: `mariadb -h … -P … -u … -p… db -e "…"`, and
`mariadb-admin ping`.

Usage: probe_cli.py ; connection facts from the MATRIX_* environment variables (see
probe_dbapi.py). Prints one JSON line per check: {"check", "ok", "detail"}; ok null for n/a.
"""
import json
import os
import subprocess

HOST = os.environ.get("MATRIX_HOST", "127.0.0.1")
PORT = os.environ["MATRIX_PORT"]
USER = os.environ.get("MATRIX_USER", "probe")
PASSWORD = os.environ.get("MATRIX_PASSWORD", "probe-pw")
DATABASE = os.environ.get("MATRIX_DATABASE", "matrix")
CA = os.environ.get("MATRIX_CA")
WRONG_CA = os.environ.get("MATRIX_WRONG_CA")
SHA2_PORTS = (os.environ.get("MATRIX_SHA2_FULL_PORT"), os.environ.get("MATRIX_SHA2_FAST_PORT"))

TYPES_SQL = ("SELECT 42 AS i, CAST(18446744073709551615 AS UNSIGNED) AS u, 'héllo wörld' AS s, 1.5e0 AS d, "
             "12.34 AS m, DATE '2024-01-02' AS dt, TIMESTAMP '2024-01-02 03:04:05.250000' AS ts, "
             "TIME '01:02:03' AS tm, X'00FF6162' AS b, NULL AS n")
# --batch output: tab-separated, NULL as NULL; --binary-as-hex prints the VARBINARY as 0x….
EXPECTED = "42\t18446744073709551615\théllo wörld\t1.5\t12.34\t2024-01-02\t2024-01-02 03:04:05.250000\t01:02:03\t" \
           "0x00FF6162\tNULL\n"


def report(check, ok, detail=""):
    print(json.dumps({"check": check, "ok": None if ok is None else bool(ok), "detail": str(detail)[:300]}),
          flush=True)


def mariadb(*args, port=PORT, tool="mariadb"):
    """Runs the client with the connection options, then `args`."""
    argv = [tool, "-h", HOST, "-P", str(port), "-u", USER, f"-p{PASSWORD}"]
    if tool == "mariadb":
        argv += ["--batch", "--skip-column-names", DATABASE]
    return subprocess.run(argv + list(args), capture_output=True, text=True, timeout=60)


def tls(ca):
    return ["--ssl-ca", ca, "--ssl-verify-server-cert"]


def run(check, body):
    try:
        result = body()
        report(check, result is True, "" if result is True else result)
    except Exception as e:  # a failed check is reported, never fatal to the probe
        report(check, False, f"{type(e).__name__}: {e}")


def expect(out, stdout):
    if out.returncode != 0:
        return f"exit {out.returncode}: {out.stderr.strip()}"
    return True if out.stdout == stdout else f"got {out.stdout!r}"


def main():
    login = mariadb("-e", "SELECT 1")
    report("login", login.returncode == 0, login.stderr.strip())
    if login.returncode != 0:
        return

    def sha2():
        full, fast = SHA2_PORTS
        done = expect(mariadb(*tls(CA), "-e", "SELECT 1", port=full), "1\n")  # the password over TLS
        return done if done is not True else expect(mariadb("--skip-ssl", "-e", "SELECT 1", port=fast), "1\n")

    def error():
        out = mariadb("-e", "SELECT * FROM missing_table")
        return True if out.returncode == 1 and "ERROR 1146 (42S02) at line 1" in out.stderr else \
            f"exit {out.returncode}: {out.stderr.strip()}"

    def secure():
        out = mariadb(*tls(CA), "-e", "SHOW STATUS LIKE 'Ssl_cipher'")
        if out.returncode != 0 or not out.stdout.strip().split("\t")[1:] or not out.stdout.split("\t")[1].strip():
            return f"not encrypted: {out.stdout!r} {out.stderr.strip()}"
        wrong = mariadb(*tls(WRONG_CA), "-e", "SELECT 1")
        return True if wrong.returncode != 0 else "a server certificate from another CA was accepted"

    def ping_and_reuse():
        ping = mariadb("ping", tool="mariadb-admin")
        if ping.stdout.strip() != "mysqld is alive":
            return f"ping: {ping.stdout.strip()} {ping.stderr.strip()}"
        # `connect` reconnects within one session, as at the prompt.
        return expect(mariadb("-e", "SELECT 1; connect; SELECT 2"), "1\n2\n")

    if all(SHA2_PORTS):
        run("caching_sha2 (fast, full)", sha2)
    run("typed values", lambda: expect(mariadb("--binary-as-hex", "-e", TYPES_SQL), EXPECTED))
    report("parameters", None, "the CLI has no placeholders")
    run("error", error)
    run("affected rows, insert id", lambda: expect(
        mariadb("-e", "INSERT INTO items (name) VALUES ('a'), ('b'); SELECT ROW_COUNT(), LAST_INSERT_ID()"),
        "2\t42\n"))
    run("TLS verified, wrong CA refused", secure)
    run("ping, reuse", ping_and_reuse)
    report("reset", None, "the 10.11 CLI has no resetconnection command")
    report("prepared statements", None, "the CLI sends text queries only")
    # Several results (issue 17). The CLI cuts its input at its delimiter and sends each piece as
    # one query: with --delimiter '//' a piece of two statements goes to the server as one.
    run("multi-statement", lambda: expect(mariadb("--delimiter=//", "-e", "SELECT 1 AS a; SELECT 2 AS b//"),
                                          "1\n2\n"))
    run("CALL results", lambda: expect(mariadb("-e", "CALL two_sets()"), "1\n2\n3\n"))

    def batch():
        out = mariadb("--delimiter=//", "-e", "SELECT 1 AS a; SELECT * FROM missing_table; SELECT 2 AS b//")
        if out.stdout != "1\n":
            return f"got {out.stdout!r}"
        return True if out.returncode == 1 and "ERROR 1146" in out.stderr else f"exit {out.returncode}: {out.stderr}"

    run("batch error", batch)
    report("multi off: 1064", None, "the CLI always asks for multi-statements")


if __name__ == "__main__":
    main()
