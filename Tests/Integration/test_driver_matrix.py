"""The driver matrix (issue 15): one short probe per MySQL driver of eight ecosystems, written the
way that driver's users write code, against the mock. Every check is reported on its own, and the
run ends with a table, driver × check (see conftest.py). `make drivers-calibrate` runs the same
probes against a real MariaDB, so a check that fails there is a probe bug, not a mock bug."""
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBES = ROOT / "Tests" / "Drivers" / "probes"
TRACE = ROOT / "Tests" / "Drivers" / "matrix.json"
PYTHON = str(ROOT / ".venv" / "bin" / "python")

CERTS = ROOT / "Tests" / "Integration" / "certs"

CHECKS = ["login", "caching_sha2 (fast, full)", "typed values", "parameters", "error", "affected rows, insert id",
          "TLS verified, wrong CA refused", "ping, reuse", "reset", "prepared statements", "multi-statement",
          "CALL results", "batch error", "multi off: 1064"]

#: (driver, check) → why the check does not apply to that driver (the probe reports it as n/a, and a
#: probe that reports n/a anywhere else fails). caching_sha2_password against MariaDB, which has no
#: such plugin, is n/a for every driver.
NOT_APPLICABLE = {
    ("Node mysql", "caching_sha2 (fast, full)"): "mysqljs/mysql does not implement caching_sha2_password",
    ("mariadb CLI", "parameters"): "the CLI has no placeholders",
    ("mariadb CLI", "reset"): "the 10.11 CLI has no resetconnection command",
    **{(driver, "multi off: 1064"): "the driver always asks for multi-statements" for driver in (
        "mariadb CLI", "Python aiomysql", "Python asyncmy")},
    **{("Python SQLAlchemy", check): "SQLAlchemy's Result holds one result set (PyMySQL underneath is checked)"
       for check in ("multi-statement", "CALL results", "batch error", "multi off: 1064")},
    **{(driver, "prepared statements"): "the driver has no server-side prepared statements" for driver in (
        "Python PyMySQL", "Python mysqlclient", "Python aiomysql", "Python asyncmy", "Python SQLAlchemy",
        "Node mysql", "mariadb CLI")},
    **{(driver, "reset"): "the driver has no API for COM_RESET_CONNECTION or COM_CHANGE_USER" for driver in (
        "Python PyMySQL", "Python mysqlclient", "Python aiomysql", "Python asyncmy", "Python SQLAlchemy",
        "PHP PDO (mysqlnd)", "Perl DBD::MariaDB", "Perl DBD::mysql", "Ruby mysql2", "Go go-sql-driver/mysql")},
}

#: driver name → command line (run with MATRIX_* in the environment).
DRIVERS = {
    "Python PyMySQL": [PYTHON, str(PROBES / "probe_dbapi.py"), "pymysql"],
    "Python mysql-connector (pure)": [PYTHON, str(PROBES / "probe_dbapi.py"), "connector-pure"],
    "Python mysql-connector (C)": [PYTHON, str(PROBES / "probe_dbapi.py"), "connector-c"],
    "Python mysqlclient": [PYTHON, str(PROBES / "probe_dbapi.py"), "mysqlclient"],
    "Python aiomysql": [PYTHON, str(PROBES / "probe_dbapi.py"), "aiomysql"],
    "Python asyncmy": [PYTHON, str(PROBES / "probe_dbapi.py"), "asyncmy"],
    "Python SQLAlchemy": [PYTHON, str(PROBES / "probe_dbapi.py"), "sqlalchemy"],
    "PHP mysqli (mysqlnd)": ["php", str(PROBES / "probe.php"), "mysqli"],
    "PHP PDO (mysqlnd)": ["php", str(PROBES / "probe.php"), "pdo"],
    # Debian's node-mysql lives in /usr/share/nodejs, which not every node build searches.
    "Node mysql": ["env", "NODE_PATH=/usr/share/nodejs", "node", str(PROBES / "probe.js")],
    "Perl DBD::MariaDB": ["perl", str(PROBES / "probe.pl"), "MariaDB"],
    "Perl DBD::mysql": ["perl", str(PROBES / "probe.pl"), "mysql"],
    "Ruby mysql2": ["ruby", str(PROBES / "probe.rb")],
    # GOPATH mode over Debian's golang-github-go-sql-driver-mysql-dev: nothing is downloaded.
    "Go go-sql-driver/mysql": ["env", "GO111MODULE=off", "GOPATH=/usr/share/gocode",
                              "GOCACHE=/tmp/mock-matrix-gocache", "go", "run", str(PROBES / "go" / "probe.go")],
    "Java MariaDB Connector/J": ["java", "-cp", "/usr/share/java/mariadb-java-client.jar",
                                 str(PROBES / "java" / "Probe.java")],
    "mariadb CLI": [PYTHON, str(PROBES / "probe_cli.py")],
}

#: driver → check → (ok, detail), for the table printed at the end of the run; ok is None for n/a.
RESULTS: dict[str, dict[str, tuple[bool | None, str]]] = {}


def run_probe(argv, port, database="matrix", sha2_ports=None, timeout=120):
    """Runs one probe; check → (ok, detail), ok None when the probe says the check does not apply.
    Without `sha2_ports` (full, fast) the probe skips caching_sha2_password."""
    env = dict(os.environ, MATRIX_HOST="127.0.0.1", MATRIX_PORT=str(port), MATRIX_USER="probe",
               MATRIX_PASSWORD="probe-pw", MATRIX_DATABASE=database, MATRIX_CA=str(CERTS / "ca-cert.pem"),
               MATRIX_WRONG_CA=str(CERTS / "other-ca-cert.pem"))
    if sha2_ports:
        env["MATRIX_SHA2_FULL_PORT"], env["MATRIX_SHA2_FAST_PORT"] = map(str, sha2_ports)
    out = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env, cwd=str(PROBES))
    results = {}
    for line in out.stdout.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        results[entry["check"]] = (entry["ok"], entry.get("detail", ""))
    if not results:
        results["login"] = (False, (out.stderr or out.stdout).strip()[-300:])
    return results


@pytest.fixture(scope="module")
def mariadb():
    """A real MariaDB with what the probes expect: database `matrix`, user `probe`, and a table
    `items` whose next id is 42."""
    if shutil.which("mariadbd") is None:
        pytest.fail("mariadbd is not installed: run scripts/setup.sh test")
    from mariadb_server import MariaDB
    server = MariaDB("probe", "probe-pw", "matrix", extra_args=(
        f"--ssl-ca={CERTS / 'ca-cert.pem'}", f"--ssl-cert={CERTS / 'server-cert.pem'}",
        f"--ssl-key={CERTS / 'server-key.pem'}"))
    yield server
    server.stop()


def reset_items(server):
    server.execute("DROP TABLE IF EXISTS matrix.items",
                   "CREATE TABLE matrix.items (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(10)) AUTO_INCREMENT=42",
                   "DROP PROCEDURE IF EXISTS matrix.two_sets",
                   "CREATE PROCEDURE matrix.two_sets() BEGIN SELECT 1 AS x; SELECT 2 AS y UNION ALL SELECT 3; END")


#: The mock's side of TLS: the test CA's certificate for 127.0.0.1, offered (PREFERRED) to every client.
MOCK_TLS = ["--ssl-mode", "PREFERRED", "--ssl-cert", str(CERTS / "server-cert.pem"),
            "--ssl-key", str(CERTS / "server-key.pem")]


@pytest.fixture(scope="module")
def matrix_servers(tmp_path_factory):
    """The mock with the matrix trace, and two more for caching_sha2_password: full authentication
    (a cache miss) and the fast path (a hit). All offer TLS."""
    from conftest import MockProcess, free_port
    servers = []
    for trace in (TRACE, TRACE.with_name("matrix-sha2-full.json"), TRACE.with_name("matrix-sha2-fast.json")):
        port = free_port()
        server = MockProcess(["--filename", str(trace), "--port", str(port), "--bind-address", "127.0.0.1",
                              *MOCK_TLS], tmp_path_factory.mktemp("matrix"))
        server.port = port
        servers.append(server)
    yield servers
    for server in servers:
        server.stop()


#: The same probes against MariaDB (calibration), driver → check → (ok, detail).
CALIBRATION: dict[str, dict[str, tuple[bool, str]]] = {}


@pytest.mark.parametrize("driver", list(DRIVERS))
def test_driver(matrix_servers, mariadb, driver):
    """Every check passes against the mock, and the same probe passes against MariaDB (so a
    failure is the mock's, never the probe's). A check may be n/a only where NOT_APPLICABLE says
    why (and caching_sha2_password against MariaDB)."""
    main, sha2_full, sha2_fast = matrix_servers
    reset_items(mariadb)
    real = run_probe(DRIVERS[driver], mariadb.port)
    CALIBRATION[driver] = real
    results = run_probe(DRIVERS[driver], main.port, sha2_ports=(sha2_full.port, sha2_fast.port))
    RESULTS[driver] = results
    probe_bugs = {check: detail for check, (ok, detail) in real.items() if ok is False}
    assert not probe_bugs, f"the probe fails against MariaDB too (a probe bug): {probe_bugs}"
    failed = {check: detail for check, (ok, detail) in results.items() if ok is False}
    expected_na = {check for (d, check) in NOT_APPLICABLE if d == driver}
    wrongly_na = {check: detail for check, (ok, detail) in results.items() if ok is None and check not in expected_na}
    missing = [check for check in CHECKS if check not in results]
    assert not failed and not missing and not wrongly_na, (
        f"failed against the mock: {failed}; not run: {missing}; n/a without a reason: {wrongly_na}")


def table(results=None):
    """The matrix as a Markdown table (✓ passed, ✗ failed, n/a does not apply, · not run)."""
    results = RESULTS if results is None else results
    lines = ["| driver | " + " | ".join(CHECKS) + " |", "|---|" + "---|" * len(CHECKS)]
    for driver, checks in results.items():
        cells = []
        for check in CHECKS:
            ok = checks.get(check)
            cells.append("·" if ok is None else ("n/a" if ok[0] is None else ("✓" if ok[0] else "✗")))
        lines.append(f"| {driver} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
