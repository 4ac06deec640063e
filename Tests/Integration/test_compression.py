"""The compressed classic protocol (issue 21) with real clients: the `mysql` CLI with --compress,
mysql-connector-python with compress=True (pure and C extension), with TLS and without, and a
result larger than 16 MiB. Each probe runs against MariaDB as well (it speaks zlib compression),
so a probe bug is never taken for a mock bug: both must give the same answers."""
import json
import subprocess

import mysql.connector
import pytest

from conftest import BINARY, MockProcess, free_port
from mariadb_server import MariaDB

USER, PASSWORD, DATABASE = "zip", "zip-pw", "zipdb"
BIG = 17 * 1024 * 1024  # more than one 16 MiB packet
STATEMENTS = ["SELECT 1 AS one", "SELECT 'compressed' AS word, 42 AS n",
              "SELECT REPEAT('ab', 500) AS long_text", f"SELECT REPEAT('x', {BIG}) AS big"]


def trace():
    def result(name, type_, cell):
        return {"result": {"columns": [{"name": name, "type": type_}], "rows": [[cell]]}}
    return {"fallback": "builtin:default", "stmts": [
        {"stmt": STATEMENTS[0], **result("one", "LONGLONG", 1)},
        {"stmt": STATEMENTS[1], "result": {"columns": [{"name": "word", "type": "VAR_STRING"},
                                                        {"name": "n", "type": "LONGLONG"}],
                                            "rows": [["compressed", 42]]}},
        {"stmt": STATEMENTS[2], **result("long_text", "VAR_STRING", "ab" * 500)},
        {"stmt": STATEMENTS[3], **result("big", "LONG_BLOB", "x" * BIG)},
    ]}


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    yield from _servers(tmp_path_factory)


def _servers(tmp_path_factory):
    """The mock (TLS offered) and MariaDB (TLS offered, big packets allowed), both with the user."""
    from test_driver_matrix import CERTS
    tmp = tmp_path_factory.mktemp("compression")
    path = tmp / "trace.json"
    path.write_text(json.dumps(trace()))
    port = free_port()
    mock = MockProcess(["--filename", str(path), "--port", str(port), "--bind-address", "127.0.0.1",
                        "--ssl-mode", "PREFERRED", "--ssl-cert", str(CERTS / "server-cert.pem"),
                        "--ssl-key", str(CERTS / "server-key.pem"), "--verbose"], tmp)
    mock.port = port
    maria = MariaDB(USER, PASSWORD, DATABASE, extra_args=(
        "--max-allowed-packet=64M", f"--ssl-ca={CERTS / 'ca-cert.pem'}", f"--ssl-cert={CERTS / 'server-cert.pem'}",
        f"--ssl-key={CERTS / 'server-key.pem'}"))
    ports = Ports(mock=mock.port, MariaDB=maria.port)
    ports.mock = mock
    yield ports
    mock.stop()
    maria.stop()


class Ports(dict):
    """Server name → port, with the mock process as `.mock`."""


def cli(port, statements, compress=True, tls=False):
    argv = ["mysql", f"--user={USER}", f"--password={PASSWORD}", "--host=127.0.0.1", f"--port={port}",
            "--protocol=TCP", "--batch", "--max-allowed-packet=64M"]
    argv += ["--compress"] if compress else []
    argv += ["--ssl", "--ssl-verify-server-cert=0"] if tls else ["--skip-ssl"]
    out = subprocess.run(argv + ["-e", "; ".join(statements)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout


def connector(port, use_pure, tls, compress=True):
    kwargs = dict(host="127.0.0.1", port=port, user=USER, password=PASSWORD, use_pure=use_pure,
                  compress=compress)
    if tls:
        kwargs.update(ssl_verify_cert=False)
    else:
        kwargs.update(ssl_disabled=True)
    conn = mysql.connector.connect(**kwargs)
    cur = conn.cursor()
    answers = []
    for statement in STATEMENTS:
        cur.execute(statement)
        rows = cur.fetchall()
        answers.append((statement[:40], [d[0] for d in cur.description],
                        [[len(c) if isinstance(c, (bytes, bytearray, str)) and len(c) > 1000 else c for c in r]
                         for r in rows]))
    conn.close()
    return answers


@pytest.mark.parametrize("tls", [False, True])
def test_mysql_cli_with_compress_gets_the_same_answers(servers, tls):
    outputs = {name: cli(port, STATEMENTS[:3], tls=tls) for name, port in servers.items()}
    assert outputs["mock"] == outputs["MariaDB"]
    assert "compressing with zlib" in servers.mock.output()  # really compressed, not just negotiated
    assert "compressed\t42" in outputs["mock"]
    # Without --compress, the same again.
    assert cli(servers["mock"], STATEMENTS[:3], compress=False) == outputs["mock"]


def test_mysql_cli_with_compress_and_a_result_over_16_mib(servers):
    for name, port in servers.items():
        out = cli(port, [STATEMENTS[3]])
        assert out.splitlines()[1] == "x" * BIG, name


@pytest.mark.parametrize("use_pure", [True, False], ids=["pure", "C extension"])
@pytest.mark.parametrize("tls", [False, True], ids=["plain", "TLS"])
def test_mysql_connector_with_compress_gets_the_same_answers(servers, use_pure, tls):
    if not use_pure:
        pytest.importorskip("_mysql_connector")
    answers = {name: connector(port, use_pure, tls) for name, port in servers.items()}
    assert answers["mock"] == answers["MariaDB"]
    assert answers["mock"][3][2] == [[BIG]]
    assert connector(servers["mock"], use_pure, tls, compress=False) == answers["mock"]


def test_the_server_compresses_only_when_asked_and_offered(tmp_path):
    path = tmp_path / "t.json"
    path.write_text(json.dumps(trace()))
    port = free_port()
    mock = MockProcess(["--filename", str(path), "--port", str(port), "--bind-address", "127.0.0.1",
                        "--protocol-compression-algorithms", "uncompressed"], tmp_path)
    try:
        # The CLI asks for compression; the server does not offer it: an uncompressed session.
        assert "compressed\t42" in cli(port, [STATEMENTS[1]])
    finally:
        mock.stop()
    out = subprocess.run([str(BINARY), "--protocol-compression-algorithms",
                          "zlib,lz77"], capture_output=True, text=True, timeout=30)
    assert out.returncode != 0 and "invalid value 'lz77' in --protocol-compression-algorithms" in out.stderr


@pytest.mark.parametrize("algorithm", ["deflate_stream", "zstd_stream"])
@pytest.mark.parametrize("tls", [False, True], ids=["plain", "TLS"])
def test_x_protocol_compression_with_mysqlx(tmp_path, algorithm, tls):
    """mysqlx-connector-python with compression required: large statements and results go
    compressed both ways (several messages in one Compression message), answers unchanged."""
    import mysqlx
    from test_driver_matrix import CERTS
    port, xport = free_port(), free_port()
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"stmts": [
        {"stmt": "SELECT '" + "q" * 3000 + "' AS big_question",
         "result": {"columns": [{"name": "a", "type": "VAR_STRING"}], "rows": [["y" * 5000], ["z" * 5000]]}},
        {"stmt": "SELECT 1", "result": {"columns": [{"name": "1", "type": "LONGLONG"}], "rows": [[1]]}}]}))
    mock = MockProcess(["--filename", str(path), "--port", str(port), "--xport", str(xport), "--bind-address",
                        "127.0.0.1", "--ssl-mode", "PREFERRED", "--ssl-cert", str(CERTS / "server-cert.pem"),
                        "--ssl-key", str(CERTS / "server-key.pem"), "--verbose"], tmp_path)
    try:
        session = mysqlx.get_session(host="127.0.0.1", port=xport, user="u", password="",
                                     ssl_mode="REQUIRED" if tls else "DISABLED", compression="required",
                                     compression_algorithms=[algorithm])
        for _ in range(3):
            rows = session.sql("SELECT '" + "q" * 3000 + "' AS big_question").execute().fetch_all()
            assert [r[0] for r in rows] == ["y" * 5000, "z" * 5000]
            assert session.sql("SELECT 1").execute().fetch_all()[0][0] == 1
        session.close()
        log = mock.output()
    finally:
        mock.stop()
    assert "SELECT '" + "q" * 3000 in log  # the compressed statement arrived whole


def test_connector_j_with_use_compression(servers):
    """Connector/J (Debian's libmariadb-java) with useCompression=true, a big result included."""
    import shutil
    from test_driver_matrix import PROBES
    if shutil.which("java") is None:
        pytest.fail("java is not installed: run scripts/setup.sh test")
    outputs = {}
    for name, port in servers.items():
        out = subprocess.run(["java", "-cp", "/usr/share/java/mariadb-java-client.jar",
                              str(PROBES / "java" / "CompressionProbe.java"), str(port), USER, PASSWORD, *STATEMENTS],
                             capture_output=True, text=True, timeout=180)
        assert out.returncode == 0, (name, out.stderr[-2000:])
        outputs[name] = out.stdout
    assert outputs["mock"] == outputs["MariaDB"]
    assert f"<{BIG} chars>" in outputs["mock"]
