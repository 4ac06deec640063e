"""GET /metrics: the server's counters in Prometheus's text format, read by the Prometheus
project's own Python parser (prometheus-client from PyPI), as a scraper would."""
import json
import urllib.request

import mysqlx
import pymysql
import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import free_port, rest_call, start_mock

TRACE = {
    "handshake": {"auth": {"username": "app", "password": "secret"}},
    "scenarios": {"failover": {"initial": "primary", "states": ["secondary"]}},
    "stmts": [
        {"stmt": "select 1", "result": {"columns": [{"name": "1", "type": "LONG"}], "rows": [[1]]}},
        {"stmt": "select slowly", "exec_time": 120, "ok": {}},
        {"stmt": "boom", "error": {"code": 1146, "message": "no table"}},
        {"stmt": "hang up", "fault": "close", "ok": {}},
        {"stmt": "fail over", "new_state": "secondary", "ok": {}},
        {"stmt_regex": "SET .*", "ok": {}},
    ],
}


def scrape(http, path="/metrics"):
    with urllib.request.urlopen(f"http://127.0.0.1:{http}{path}") as response:
        assert response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
        text = response.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples, text


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))))


@pytest.fixture
def server(tmp_path):
    trace = tmp_path / "metrics.json"
    trace.write_text(json.dumps(TRACE))
    xport = free_port()
    server = start_mock(tmp_path, "--filename", str(trace), "--xport", str(xport), http=True)
    server.trace, server.xport = trace, xport
    yield server
    server.stop()


def connect(server, password="secret"):
    return pymysql.connect(host="127.0.0.1", port=server.port, user="app", password=password)


def test_a_scrape_counts_what_clients_did(server):
    samples, _ = scrape(server.http)
    assert value(samples, "mysql_server_mock_connections_total", protocol="classic") == 0
    assert value(samples, "mysql_server_mock_scenario_state", scenario="failover", state="primary") == 1

    conn = connect(server)
    with conn.cursor() as cur:
        cur.execute("select 1")
        cur.execute("select 1")
        cur.execute("select slowly")
        with pytest.raises(pymysql.MySQLError):
            cur.execute("boom")
        with pytest.raises(pymysql.MySQLError):
            cur.execute("select nothing")
        cur.execute("fail over")
        samples, _ = scrape(server.http)
        assert value(samples, "mysql_server_mock_connections_open", protocol="classic") == 1
        with pytest.raises(pymysql.MySQLError):
            cur.execute("hang up")
    conn.close()
    with pytest.raises(pymysql.MySQLError) as refused:
        connect(server, password="wrong")
    assert refused.value.args[0] == 1045

    samples, text = scrape(server.http)
    assert value(samples, "mysql_server_mock_connections_total", protocol="classic") == 2
    assert value(samples, "mysql_server_mock_connections_open", protocol="classic") == 0
    # PyMySQL sends SET NAMES at login (an ok); then the statements above.
    assert value(samples, "mysql_server_mock_statements_total", protocol="classic", response="result") == 2
    assert value(samples, "mysql_server_mock_statements_total", protocol="classic", response="error") == 2
    assert value(samples, "mysql_server_mock_statements_total", protocol="classic", response="ok") == 4
    assert value(samples, "mysql_server_mock_unmatched_statements_total", protocol="classic") == 1
    assert value(samples, "mysql_server_mock_faults_total", fault="close") == 1
    assert value(samples, "mysql_server_mock_server_errors_total", protocol="classic", code="1045") == 1
    assert value(samples, "mysql_server_mock_scenario_state", scenario="failover", state="secondary") == 1
    assert value(samples, "mysql_server_mock_scenario_state", scenario="failover", state="primary") == 0
    # The histogram: 8 statements, the one with exec_time 120 ms in the 0.5 s bucket, not below.
    assert value(samples, "mysql_server_mock_statement_duration_seconds_count") == 8
    assert value(samples, "mysql_server_mock_statement_duration_seconds_bucket", le="+Inf") == 8
    assert value(samples, "mysql_server_mock_statement_duration_seconds_bucket", le="0.1") == 7
    assert value(samples, "mysql_server_mock_statement_duration_seconds_bucket", le="0.5") == 8
    assert value(samples, "mysql_server_mock_statement_duration_seconds_sum") >= 0.12
    # Under the API's prefix too, and a journal reset leaves the counters alone.
    assert rest_call(server.http, "DELETE", "journal")[0] == 200
    again, _ = scrape(server.http, "/api/v1/mock_server/metrics")
    assert value(again, "mysql_server_mock_statement_duration_seconds_count") == 8


def test_x_sessions_and_reloads(server):
    session = mysqlx.get_session(host="127.0.0.1", port=server.xport, user="app", password="secret",
                                 ssl_mode="DISABLED")
    assert session.sql("select 1").execute().fetch_all()[0][0] == 1
    session.close()
    server.trace.write_text("{broken")
    assert rest_call(server.http, "POST", "trace/reload")[0] == 422
    server.trace.write_text(json.dumps(TRACE))
    assert rest_call(server.http, "POST", "trace/reload")[0] == 200
    samples, _ = scrape(server.http)
    assert value(samples, "mysql_server_mock_connections_total", protocol="x") == 1
    assert value(samples, "mysql_server_mock_statements_total", protocol="x", response="result") == 1
    assert value(samples, "mysql_server_mock_trace_reloads_total") == 1
    assert value(samples, "mysql_server_mock_trace_reload_failures_total") == 1
    assert value(samples, "mysql_server_mock_trace_loaded_timestamp_seconds") > 1.7e9


def test_metrics_need_the_token_and_only_answer_get(tmp_path):
    server = start_mock(tmp_path, "--http-auth-token", "t0k", http=True)
    try:
        with pytest.raises(urllib.error.HTTPError) as denied:
            scrape(server.http)
        assert denied.value.code == 401
        request = urllib.request.Request(f"http://127.0.0.1:{server.http}/metrics",
                                         headers={"Authorization": "Bearer t0k"})
        with urllib.request.urlopen(request) as response:
            families = {f.name for f in text_string_to_metric_families(response.read().decode())}
        assert "mysql_server_mock_statements" in families
        post = urllib.request.Request(f"http://127.0.0.1:{server.http}/metrics", method="POST", data=b"",
                                      headers={"Authorization": "Bearer t0k"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(post)
        assert refused.value.code == 405
    finally:
        server.stop()
