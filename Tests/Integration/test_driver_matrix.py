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

CHECKS = ["login", "typed values", "parameters", "error", "affected rows, insert id", "ping, reuse"]

#: driver name → command line (run with MATRIX_* in the environment).
DRIVERS = {
    "Python PyMySQL": [PYTHON, str(PROBES / "probe_dbapi.py"), "pymysql"],
    "Python mysql-connector (pure)": [PYTHON, str(PROBES / "probe_dbapi.py"), "connector-pure"],
    "Python mysql-connector (C)": [PYTHON, str(PROBES / "probe_dbapi.py"), "connector-c"],
    "Python mysqlclient": [PYTHON, str(PROBES / "probe_dbapi.py"), "mysqlclient"],
    "Python aiomysql": [PYTHON, str(PROBES / "probe_dbapi.py"), "aiomysql"],
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
}

#: driver → check → (ok, detail), for the table printed at the end of the run.
RESULTS: dict[str, dict[str, tuple[bool, str]]] = {}


def run_probe(argv, port, database="matrix", timeout=120):
    env = dict(os.environ, MATRIX_HOST="127.0.0.1", MATRIX_PORT=str(port), MATRIX_USER="probe",
               MATRIX_PASSWORD="probe-pw", MATRIX_DATABASE=database)
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
    server = MariaDB("probe", "probe-pw", "matrix")
    yield server
    server.stop()


def reset_items(server):
    server.execute("DROP TABLE IF EXISTS matrix.items",
                   "CREATE TABLE matrix.items (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(10)) AUTO_INCREMENT=42")


@pytest.fixture(scope="module")
def matrix_server(tmp_path_factory):
    from conftest import MockProcess, free_port
    port = free_port()
    server = MockProcess(["--filename", str(TRACE), "--port", str(port), "--bind-address", "127.0.0.1"],
                         tmp_path_factory.mktemp("matrix"))
    server.port = port
    yield server
    server.stop()


#: The same probes against MariaDB (calibration), driver → check → (ok, detail).
CALIBRATION: dict[str, dict[str, tuple[bool, str]]] = {}


@pytest.mark.parametrize("driver", list(DRIVERS))
def test_driver(matrix_server, mariadb, driver):
    """Every check passes against the mock, and the same probe passes against MariaDB (so a
    failure is the mock's, never the probe's)."""
    reset_items(mariadb)
    real = run_probe(DRIVERS[driver], mariadb.port)
    CALIBRATION[driver] = real
    results = run_probe(DRIVERS[driver], matrix_server.port)
    RESULTS[driver] = results
    probe_bugs = {check: detail for check, (ok, detail) in real.items() if not ok}
    assert not probe_bugs, f"the probe fails against MariaDB too (a probe bug): {probe_bugs}"
    failed = {check: detail for check, (ok, detail) in results.items() if not ok}
    missing = [check for check in CHECKS if check not in results]
    assert not failed and not missing, f"failed against the mock: {failed}; not run: {missing}"


def table(results=None):
    """The matrix as a Markdown table (✓ passed, ✗ failed, · not run)."""
    results = RESULTS if results is None else results
    lines = ["| driver | " + " | ".join(CHECKS) + " |", "|---|" + "---|" * len(CHECKS)]
    for driver, checks in results.items():
        cells = []
        for check in CHECKS:
            ok = checks.get(check)
            cells.append("·" if ok is None else ("✓" if ok[0] else "✗"))
        lines.append(f"| {driver} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
