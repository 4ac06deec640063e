"""A cluster of mock servers in one process (issue 20), driven the way a failover test drives
MySQL Router's metadata servers: one configuration file, one trace for every node, REST to stop and
start nodes while clients keep querying."""
import json
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pymysql
import pytest

from conftest import BINARY, MockProcess, free_port

TRACE = Path(__file__).parent / "traces" / "cluster" / "metadata_gr.js"
MEMBERS = ("select member_id, member_host, member_port, member_state, member_role "
           "from performance_schema.replication_group_members")


def configuration(tmp_path, ports, http, extra_node=None):
    nodes = [{"name": name, "port": port, "filename": str(TRACE), "role": role}
             for (name, role), port in zip((("a", "PRIMARY"), ("b", "SECONDARY"), ("c", "SECONDARY")), ports)]
    nodes[2]["xport"] = free_port()
    config = {"bind_address": "127.0.0.1", "http_port": http,
              "globals": {"gr_id": "uuid-group", "primary_id": 0,
                          "gr_nodes": [[f"uuid-{n}", p, "ONLINE"] for n, p in zip("abc", ports)]},
              "nodes": nodes}
    path = tmp_path / "cluster.json"
    path.write_text(json.dumps(config))
    return path


class Cluster:
    def __init__(self, tmp_path):
        self.ports = [free_port() for _ in range(3)]
        self.http = free_port()
        self.process = MockProcess(["--cluster", str(configuration(tmp_path, self.ports, self.http))], tmp_path)

    def api(self, method, path, body=None):
        from conftest import rest_call
        return rest_call(self.http, method, path, body)


@pytest.fixture
def cluster(tmp_path):
    started = Cluster(tmp_path)
    yield started
    started.process.stop()


def query(port, statement, timeout=2):
    conn = pymysql.connect(host="127.0.0.1", port=port, user="router", password="", connect_timeout=timeout,
                           read_timeout=timeout)
    try:
        with conn.cursor() as cur:
            cur.execute(statement)
            return cur.fetchall()
    finally:
        conn.close()


def test_every_node_serves_the_metadata_trace_from_one_file(cluster):
    status, nodes = cluster.api("GET", "nodes")
    assert [(n["name"], n["port"], n["role"], n["state"]) for n in nodes] == [
        ("a", cluster.ports[0], "PRIMARY", "running"), ("b", cluster.ports[1], "SECONDARY", "running"),
        ("c", cluster.ports[2], "SECONDARY", "running")]
    for name, port in zip("abc", cluster.ports):
        assert query(port, "select @@port") == ((port,),)
        assert query(port, "select node_name, node_role") == ((name, "PRIMARY" if name == "a" else "SECONDARY"),)
        members = query(port, MEMBERS)
        assert [(m[2], m[4]) for m in members] == [(cluster.ports[0], "PRIMARY"), (cluster.ports[1], "SECONDARY"),
                                                   (cluster.ports[2], "SECONDARY")]
        assert query(port, "select @@group_replication_group_name") == (("uuid-group",),)
    # Counters are per node: md_query_count lives in each node's own globals.
    assert cluster.api("GET", "nodes/b/globals/md_query_count") == (200, 1)


def test_a_node_stops_and_starts_while_a_client_loop_runs(cluster):
    """The loop queries all three nodes over and over; node b is stopped and started over REST.
    The loop must see exactly: connection refused on b while it is stopped, nothing else."""
    failures = {name: [] for name in "abc"}
    answered = {name: 0 for name in "abc"}
    stop = threading.Event()
    phase = {"b_stopped": False}

    def loop():
        while not stop.is_set():
            for name, port in zip("abc", cluster.ports):
                try:
                    query(port, "select @@port", timeout=1)
                    answered[name] += 1
                except pymysql.MySQLError as error:
                    failures[name].append((error.args[0], phase["b_stopped"]))

    thread = threading.Thread(target=loop)
    thread.start()
    time.sleep(0.5)
    status, node = cluster.api("POST", "nodes/b/stop")
    assert status == 200 and node["state"] == "stopped"
    phase["b_stopped"] = True
    time.sleep(0.5)
    before_start = len(failures["b"])
    phase["b_stopped"] = False
    status, node = cluster.api("POST", "nodes/b/start")
    assert status == 200 and node["state"] == "running" and node["port"] == cluster.ports[1]
    time.sleep(0.5)
    stop.set()
    thread.join()
    assert failures["a"] == [] and failures["c"] == []
    assert before_start > 0, "the loop never saw b stopped"
    # Every failure on b: connection refused (2003), and only while b was stopped (one in flight
    # at the moment of the start may land just after the flag changed).
    assert {code for code, _ in failures["b"]} == {2003}
    assert len([1 for _, stopped in failures["b"] if not stopped]) <= 1
    assert answered["b"] > 0 and answered["a"] > 10 and answered["c"] > 10


def test_stopping_with_sessions_dropped_or_hanging(cluster):
    port = cluster.ports[1]
    open_session = pymysql.connect(host="127.0.0.1", port=port, user="router", password="", read_timeout=1)
    cluster.api("POST", "nodes/b/stop", {"sessions": "drop"})
    with pytest.raises(pymysql.MySQLError) as dropped:
        open_session.cursor().execute("select @@port")
    assert dropped.value.args[0] in (2006, 2013)
    cluster.api("POST", "nodes/b/start")
    hanging = pymysql.connect(host="127.0.0.1", port=port, user="router", password="", read_timeout=1)
    status, node = cluster.api("POST", "nodes/b/stop", {"sessions": "hang"})
    assert status == 200 and node["sessions"] == 1
    start = time.monotonic()
    with pytest.raises(pymysql.MySQLError) as hung:
        hanging.cursor().execute("select @@port")
    assert hung.value.args[0] == 2013 and "timed out" in str(hung.value) and time.monotonic() - start >= 0.9
    with pytest.raises(pymysql.MySQLError) as refused:
        query(port, "select @@port")
    assert refused.value.args[0] == 2003
    cluster.api("POST", "nodes/b/start")
    assert query(port, "select @@port") == ((port,),)
    assert cluster.api("POST", "nodes/b/stop", {"sessions": "sometimes"})[0] == 422


def test_roles_globals_and_traces_change_over_rest(cluster):
    # A failover as a test scripts it: the shared globals say who is primary, the nodes' roles follow.
    assert cluster.api("PATCH", "globals", {"primary_id": 2})[0] == 204
    assert cluster.api("PATCH", "nodes/c", {"role": "PRIMARY"})[1]["role"] == "PRIMARY"
    assert cluster.api("PATCH", "nodes/a", {"role": "SECONDARY"})[1]["role"] == "SECONDARY"
    for port in cluster.ports:
        roles = [(m[2], m[4]) for m in query(port, MEMBERS)]
        assert roles[2] == (cluster.ports[2], "PRIMARY") and roles[0][1] == "SECONDARY"
    assert query(cluster.ports[2], "select node_name, node_role") == (("c", "PRIMARY"),)
    # A node's own global hides the shared one, for that node only.
    assert cluster.api("PUT", "nodes/a/globals/gr_id", "uuid-other")[0] == 204
    assert query(cluster.ports[0], "select @@group_replication_group_name") == (("uuid-other",),)
    assert query(cluster.ports[1], "select @@group_replication_group_name") == (("uuid-group",),)
    status, shared = cluster.api("GET", "globals/mock_nodes")
    assert [n["role"] for n in shared] == ["SECONDARY", "SECONDARY", "PRIMARY"]
    # Another trace for one node's new connections.
    other = Path(cluster.process.tmp) / "other.json"
    other.write_text(json.dumps({"fallback": "builtin:default", "stmts": [{"stmt": "select @@port", "result": {
        "columns": [{"name": "@@port", "type": "LONG"}], "rows": [[1]]}}]}))
    assert cluster.api("PUT", "nodes/b/trace", {"filename": str(other)})[0] == 200
    assert query(cluster.ports[1], "select @@port") == ((1,),)
    assert query(cluster.ports[0], "select @@port") == ((cluster.ports[0],),)
    status, text = cluster.api("PUT", "nodes/b/trace", {"filename": "/nonexistent.json"})
    assert status == 422 and "kept the previous trace" in text
    # GET a node's trace: its status, with the failed load after the one that worked.
    status, trace = cluster.api("GET", "nodes/b/trace")
    assert status == 200 and trace["name"] == str(other) and trace["reloads"] == 1
    assert "/nonexistent.json" in trace["last_reload_failure"]["error"]
    assert cluster.api("GET", "nodes/a/trace")[1]["reloads"] == 0
    # A cluster's health names its nodes (the dashboard offers them).
    assert cluster.api("GET", "health") == (200, {"status": "ok", "nodes": ["a", "b", "c"]})
    # Each node's own API: journal and faults.
    status, journal = cluster.api("GET", "nodes/b/journal")
    assert any(e["stmt"] == "select @@port" for e in journal["entries"])
    assert cluster.api("POST", "nodes/a/faults", {"fault": "close"})[0] == 201
    with pytest.raises(pymysql.MySQLError):
        query(cluster.ports[0], "select @@port")
    assert query(cluster.ports[1], "select @@port") == ((1,),)
    assert cluster.api("GET", "nodes/zz")[0] == 404


def test_x_protocol_on_a_node(cluster):
    import mysqlx
    status, nodes = cluster.api("GET", "nodes")
    xport = nodes[2]["xport"]
    session = mysqlx.get_session(host="127.0.0.1", port=xport, user="router", password="", ssl_mode="DISABLED")
    assert session.sql("select node_name, node_role").execute().fetch_all()[0][0] == "c"
    session.close()


@pytest.mark.parametrize("config,message", [
    ({"nodes": []}, "nodes: expected a non-empty array"),
    ({"nodes": [{"name": "a", "port": 70000}]}, "nodes[0].port: expected a port number"),
    ({"nodes": [{"name": "a"}, {"name": "a"}]}, 'nodes[1].name: "a" is used twice'),
    ({"nodes": [{"name": "a", "filename": "missing.js"}]}, "node a:"),
    ({"nodes": [{"name": "a"}], "extra": 1}, 'unknown member "extra"'),
])
def test_bad_cluster_files_are_refused_with_the_reason(tmp_path, config, message):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(config))
    out = subprocess.run([str(BINARY), "--cluster", str(path)], capture_output=True, text=True, timeout=30)
    assert out.returncode == 1 and message in out.stderr, out.stderr


def test_cluster_excludes_single_node_options(tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"nodes": [{"name": "a"}]}))
    out = subprocess.run([str(BINARY), "--cluster", str(path), "--port", "3306"], capture_output=True, text=True,
                         timeout=30)
    assert out.returncode != 0 and "--port cannot be given with it" in out.stderr


def test_one_scrape_gives_every_nodes_counters(cluster):
    """GET /metrics of a cluster: each sample labelled with its node (read by prometheus-client's
    parser); a node's own counters under nodes/{name}/metrics."""
    from prometheus_client.parser import text_string_to_metric_families
    query(cluster.ports[0], "select @@port")
    query(cluster.ports[1], "select @@port")
    query(cluster.ports[1], "select @@port")
    with urllib.request.urlopen(f"http://127.0.0.1:{cluster.http}/metrics") as response:
        parsed = list(text_string_to_metric_families(response.read().decode()))
    families = {f.name: f for f in parsed}
    connections = {s.labels["node"]: s.value for s in families["mysql_server_mock_connections"].samples
                   if s.name == "mysql_server_mock_connections_total" and s.labels["protocol"] == "classic"}
    assert connections == {"a": 1, "b": 2, "c": 0}
    # The samples of one family come together, whatever the number of nodes.
    names = [f.name for f in parsed]
    assert len(names) == len(set(names)) and "mysql_server_mock_statement_duration_seconds" in names
    with urllib.request.urlopen(f"http://127.0.0.1:{cluster.http}/api/v1/mock_server/nodes/b/metrics") as response:
        node = {f.name: f for f in text_string_to_metric_families(response.read().decode())}
    assert [s.value for s in node["mysql_server_mock_connections"].samples
            if s.labels == {"protocol": "classic"} and s.name.endswith("_total")] == [2]
