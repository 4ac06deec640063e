#!/usr/bin/env python3
"""`make bench`: the mock against MariaDB on this machine, side by side, in one run.

Starts the mock (release build) and a MariaDB server from a temporary data directory, both on
127.0.0.1 with user bench/benchpw (mysql_native_password), measures with sysbench (3 repeats,
medians) and Python clients, and writes a Markdown table to bench/results/.
"""
import argparse
import json
import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import pymysql

import router_traces
import tls_logins

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
MOCK = ROOT / ".build" / "release" / "mysql_server_mock"
NIO_FLOOR = ROOT / ".build" / "release" / "NIOFloor"
C_FLOOR = ROOT / ".build" / "release" / "CEpollFloor"
USER, PASSWORD, DB = "bench", "benchpw", "bench"
sys.path.insert(0, str(ROOT / "Tests" / "Integration"))
from conftest import free_port, rss_kib  # noqa: E402
from mariadb_server import MariaDB as RealMariaDB, stop_process, wait_for_port  # noqa: E402


class Mock:
    def __init__(self, trace, extra=(), binary=MOCK, prefix=()):
        self.port = free_port()
        self.proc = subprocess.Popen([*prefix, str(binary), "--filename", str(trace), "--bind-address", "127.0.0.1",
                                      "--port", str(self.port), "--max-packet-size", str(64 << 20), *extra],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port, proc=self.proc)
        self.pid = self.proc.pid

    def stop(self):
        stop_process(self.proc)


class Relay:
    """The mock as a recorder in front of `upstream_port` (`--upstream` without a trace: every
    statement relayed, every answer recorded)."""

    def __init__(self, upstream_port, binary=MOCK):
        self.port = free_port()
        self.proc = subprocess.Popen([str(binary), "--bind-address", "127.0.0.1", "--port", str(self.port),
                                      "--upstream", f"127.0.0.1:{upstream_port}", "--upstream-user", USER,
                                      "--upstream-password", PASSWORD, "--upstream-ssl-mode", "DISABLED"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port, proc=self.proc)
        self.pid = self.proc.pid

    def stop(self):
        stop_process(self.proc)


class Floor:
    """A canned-packet responder: Benchmarks/NIOFloor (SwiftNIO, the mock's listener set-up, no
    mock logic) or Benchmarks/CEpollFloor (a C epoll loop, the issue's calibration). The least a
    server of that kind spends per statement and per connection here."""

    def __init__(self, binary):
        self.port = free_port()
        self.proc = subprocess.Popen([str(binary), str(self.port)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_for_port(self.port, proc=self.proc)
        self.pid = self.proc.pid

    def stop(self):
        stop_process(self.proc)


class Limit:
    """The limit server of ../shared/bench-limit (a C epoll responder with precomputed answers for
    the trace's exact statements and a real native-password check), built for `trace` in a
    temporary folder: what any server reaches on this machine with this load generator."""

    def __init__(self, source, trace, threads=1):
        self.threads = threads
        self.dir = Path(tempfile.mkdtemp(prefix="bench-limit-"))
        shutil.copytree(source, self.dir / "limit")
        subprocess.run(["make", "-C", str(self.dir / "limit"), f"TRACE={trace}"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.port = free_port()
        self.proc = subprocess.Popen([str(self.dir / "limit" / "limit"), "--port", str(self.port),
                                      "--threads", str(threads), "--filename", str(trace)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port, proc=self.proc)
        self.pid = self.proc.pid

    def stop(self):
        stop_process(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)


CERTS = ROOT / "Tests" / "Integration" / "certs"
#: The server side of TLS, for the mock and for MariaDB alike (the test CA's certificate for 127.0.0.1).
MOCK_TLS = ("--ssl-mode", "PREFERRED", "--ssl-cert", str(CERTS / "server-cert.pem"),
            "--ssl-key", str(CERTS / "server-key.pem"))


class MariaDB(RealMariaDB):
    def __init__(self):
        super().__init__(USER, PASSWORD, DB, extra_args=(
            "--max-connections=12000", f"--ssl-ca={CERTS / 'ca-cert.pem'}",
            f"--ssl-cert={CERTS / 'server-cert.pem'}", f"--ssl-key={CERTS / 'server-key.pem'}"))
        # The prepared point select's table: 1,000 rows, `c` as the mock's trace answers it.
        self.execute(f"CREATE TABLE {DB}.sbtest1 (id INT PRIMARY KEY, c CHAR(120) NOT NULL)",
                     f"INSERT INTO {DB}.sbtest1 SELECT seq, '{POINT_SELECT_C}' FROM {DB}.seq_1_to_1000")


POINT_SELECT_C = ("68487932199-96439406143-93774651418-41631865787-96406072701-20604855487-25459966574-"
                  "28203206787-41238978918-19503783441")


def prepared_statements_kib(pid, port, connections=100, statements=100):
    """KiB a connection holding `statements` prepared statements adds over an idle one: the
    server's RSS growth after each of `connections` connections prepares them, per connection."""
    conns = [pymysql.connect(host="127.0.0.1", port=port, user=USER, password=PASSWORD, database=DB,
                             ssl_disabled=True) for _ in range(connections)]
    time.sleep(0.5)
    before = rss_kib(pid)
    for conn in conns:
        for _ in range(statements):
            conn._execute_command(0x16, "SELECT c FROM sbtest1 WHERE id = ?")  # COM_STMT_PREPARE
            ok = conn._read_packet()._data
            columns, params = int.from_bytes(ok[5:7], "little"), int.from_bytes(ok[7:9], "little")
            for _ in range(params + (1 if params else 0) + columns + (1 if columns else 0)):
                conn._read_packet()
    time.sleep(0.5)
    after = rss_kib(pid)
    for conn in conns:
        conn.close()
    return (after - before) / connections


def tls_connect(driver, port, seconds):
    """Connect + TLS with certificate verification + login + quit, one client in a loop for
    `seconds`, as `driver` does it: (connections per second, p50 connect latency in ms)."""
    ca = str(CERTS / "ca-cert.pem")
    if driver == "mysql-connector (pure)":
        import mysql.connector

        def connect():
            return mysql.connector.connect(host="127.0.0.1", port=port, user=USER, password=PASSWORD,
                                           use_pure=True, ssl_ca=ca, ssl_verify_cert=True)
    elif driver == "mysqlclient":
        import MySQLdb

        def connect():
            return MySQLdb.connect(host="127.0.0.1", port=port, user=USER, password=PASSWORD,
                                   ssl_mode="VERIFY_IDENTITY", ssl={"ca": ca})
    else:
        def connect():
            return pymysql.connect(host="127.0.0.1", port=port, user=USER, password=PASSWORD, ssl_ca=ca,
                                   ssl_verify_cert=True, ssl_verify_identity=True)
    latencies = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(latencies) < 5:
        start = time.perf_counter()
        conn = connect()
        latencies.append(time.perf_counter() - start)
        conn.close()
    return len(latencies) / sum(latencies), statistics.median(latencies) * 1000


def sysbench(script, port, threads, seconds, percentile=99, prefix=(), extra=(), env=None):
    out = subprocess.run(
        [*prefix, "sysbench", str(BENCH / script), "--db-driver=mysql", "--mysql-host=127.0.0.1", f"--mysql-port={port}",
         f"--mysql-user={USER}", f"--mysql-password={PASSWORD}", f"--mysql-db={DB}", f"--threads={threads}",
         f"--time={seconds}", f"--percentile={percentile}", "--mysql-ignore-errors=all", *extra, "run"],
        capture_output=True, text=True, timeout=seconds + 120, env={**os.environ, **(env or {})})
    text = out.stdout
    tps = re.search(r"transactions:\s+\d+\s+\(([\d.]+) per sec", text)
    pct = re.search(r"\d+th percentile:\s+([\d.]+)", text)
    errors = re.search(r"ignored errors:\s+(\d+)", text)
    if out.returncode != 0 or not tps:
        raise RuntimeError(f"sysbench {script} failed:\n{out.stdout}\n{out.stderr}")
    if errors and int(errors.group(1)) > 0:
        raise RuntimeError(f"sysbench {script}: {errors.group(1)} errors:\n{text}")
    return float(tps.group(1)), float(pct.group(1)) if pct else None


def statement_ms(port, statement, runs=20):
    """Round trip of one (large) statement on an open connection, whatever the answer: median ms."""
    conn = pymysql.connect(host="127.0.0.1", port=port, user=USER, password=PASSWORD, ssl_disabled=True,
                           max_allowed_packet=64 << 20)
    times = []
    try:
        for _ in range(runs):
            start = time.perf_counter()
            try:
                with conn.cursor() as cursor:
                    cursor.execute(statement)
                    cursor.fetchall()
            except pymysql.MySQLError:
                pass
            times.append((time.perf_counter() - start) * 1000)
    finally:
        conn.close()
    return statistics.median(times)


def median_of(repeats, fn):
    values = [fn() for _ in range(repeats)]
    return statistics.median(values)


def idle_connections_kib(pid, count, port):
    before = rss_kib(pid)
    conns = [pymysql.connect(host="127.0.0.1", port=port, user=USER, password=PASSWORD, database=DB,
                             ssl_disabled=True)
             for _ in range(count)]
    time.sleep(0.5)
    after = rss_kib(pid)
    for c in conns:
        c.close()
    return before, (after - before) / count


def startup_ms(trace, runs=10, binary=MOCK):
    times = []
    for _ in range(runs):
        port = free_port()
        start = time.perf_counter()
        proc = subprocess.Popen([str(binary), "--filename", str(trace), "--bind-address", "127.0.0.1", "--port", str(port)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(port, proc=proc)
        times.append((time.perf_counter() - start) * 1000)
        stop_process(proc)
    return statistics.median(times)


def cluster_startup_ms(nodes=10, runs=10, binary=MOCK):
    """From exec of `--cluster` with `nodes` nodes (each its own port and its own copy of the
    metadata JavaScript trace) until it says READY=1: every node listening, every trace loaded."""
    trace = ROOT / "Tests" / "Integration" / "traces" / "cluster" / "metadata_gr.js"
    folder = Path(tempfile.mkdtemp(prefix="bench-cluster-"))
    times = []
    try:
        for run in range(runs):
            config = folder / f"cluster-{run}.json"
            config.write_text(json.dumps({"bind_address": "127.0.0.1", "nodes": [
                {"name": f"n{i}", "port": free_port(), "filename": str(trace), "role": "SECONDARY"} for i in range(nodes)]}))
            notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            notify.bind(str(folder / f"notify-{run}.sock"))
            notify.settimeout(30)
            start = time.perf_counter()
            proc = subprocess.Popen([str(binary), "--cluster", str(config)], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL,
                                    env={**os.environ, "NOTIFY_SOCKET": str(folder / f"notify-{run}.sock")})
            message = notify.recv(64)
            times.append((time.perf_counter() - start) * 1000)
            notify.close()
            stop_process(proc)
            if message != b"READY=1":
                raise RuntimeError(f"the cluster said {message!r}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return statistics.median(times)


def mariadb_startup_ms():
    """From exec of mariadbd (data directory already made) until its port accepts."""
    data = Path(tempfile.mkdtemp(prefix="bench-mariadb-start-"))
    subprocess.run(["mariadb-install-db", "--no-defaults", f"--datadir={data}/data", "--user=root",
                    "--auth-root-authentication-method=normal", "--skip-test-db"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    port = free_port()
    start = time.perf_counter()
    proc = subprocess.Popen(["mariadbd", "--no-defaults", f"--datadir={data}/data", f"--socket={data}/s.sock",
                             f"--port={port}", "--bind-address=127.0.0.1", "--user=root", "--skip-log-bin",
                             f"--pid-file={data}/p.pid", f"--log-error={data}/e.log"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(port, proc=proc)
    elapsed = (time.perf_counter() - start) * 1000
    stop_process(proc)
    shutil.rmtree(data, ignore_errors=True)
    return elapsed


def ratio(mock, other, higher_is_better=True):
    if not other or not mock:
        return "n/a"
    return f"{mock / other:.2f}x" if higher_is_better else f"{other / mock:.2f}x"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=5, help="length of each sysbench run")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--idle", type=int, default=1000, help="idle connections for the memory measurement")
    parser.add_argument("--scale", type=int, default=10000, help="idle connections the mock must hold")
    parser.add_argument("--baseline", type=Path,
                        help="another mock binary (say, the previous release build) measured on the same workloads "
                             "in the same run; the baseline column shows this build's rate over the baseline's")
    parser.add_argument("--limit-source", type=Path, default=ROOT.parent / "shared" / "bench-limit",
                        help="folder of the limit server (built with the benchmark trace); skipped when missing")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = max(2 * args.scale + 1024, soft)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard) if hard != resource.RLIM_INFINITY else wanted, hard))

    json_trace = BENCH / "traces" / "bench.json"
    js_trace = BENCH / "traces" / "bench.js"
    rows = []  # (measurement, mock, mariadb, ratio, baseline, limit, NIO floor, C floor, target, met)
    baseline_ratios = []  # (measurement, this build over the baseline, higher is better)

    def add(name, mock, maria, r, target="", met="", floors=("", ""), baseline="", limit=""):
        rows.append((name, mock, maria, r, baseline, limit, *floors, target, met))
        print(f"  {name}: mock {mock}, MariaDB {maria}, {r}; baseline {baseline or '-'}, limit {limit or '-'}, "
              f"NIO floor {floors[0] or '-'}, C epoll floor {floors[1] or '-'} {target} {met}", flush=True)

    def floor_runs(measure, d):
        """The two floors on the same workload, as 'rate (ratio to MariaDB)'."""
        return tuple(f"{v:.0f} ({ratio(v, d)})" for v in (measure(f.port) for f in floors))

    def baseline_run(name, m, measure, higher_is_better=True):
        """The baseline binary on the same workload, as 'value (this build's ratio)'."""
        if base is None:
            return ""
        try:
            b = measure(base.port)
        except RuntimeError:  # an older build without the feature (say, prepared statements)
            return "fails"
        r = m / b if higher_is_better else b / m
        baseline_ratios.append((name, r))
        return f"{b:.0f} ({r:.3f}x)" if higher_is_better else f"{b:.3f} ({r:.3f}x)"

    def limit_run(measure, higher_is_better=True):
        """The limit server on the same workload at its best thread count: (value, text)."""
        if not limits:
            return None, ""
        values = [(measure(lim.port), lim.threads) for lim in limits]
        v, threads = (max if higher_is_better else min)(values)
        return v, f"{v:.3f} ({threads} thr.)" if not higher_is_better else f"{v:.0f} ({threads} thr.)"

    def targets(parts):
        """'≥ 1.1x MariaDB; ≥ 0.9x limit' and met / missed for [(text, met)], parts without a
        measurement (None) left out."""
        parts = [(t, ok) for t, ok in parts if ok is not None]
        return "; ".join(t for t, _ in parts), ("met" if all(ok for _, ok in parts) else "missed") if parts else ""

    maria = MariaDB()
    mock = Mock(json_trace)
    base = Mock(json_trace, binary=args.baseline) if args.baseline else None
    limits = [Limit(args.limit_source, json_trace, threads) for threads in (1, 2)] if args.limit_source.is_dir() else []
    floors = (Floor(NIO_FLOOR), Floor(C_FLOOR))
    try:
        T, R = args.seconds, args.repeats

        def rate(script, threads, scale=1, extra=(), env=None):
            return lambda port: median_of(R, lambda: sysbench(script, port, threads, T, extra=extra, env=env)[0]) * scale

        def latency(pct):
            return lambda port: median_of(R, lambda: sysbench("select1.lua", port, 1, T, pct)[1])

        def throughput(name, script, threads, target_threads, target, scale=1, with_floors=True, limit_target=None):
            """A rate workload: the mock, MariaDB and every comparison column; the targets (a ratio
            to MariaDB, and one to the limit server) apply at `target_threads` only."""
            measure = rate(script, threads, scale)
            m, d = measure(mock.port), measure(maria.port)
            lv, ltext = limit_run(measure)
            targeted = threads == target_threads
            t, met = targets([(f"≥ {target}x MariaDB", m / d >= target)]
                             + ([(f"≥ {limit_target}x limit", m / lv >= limit_target if lv else None)]
                                if limit_target else [])) if targeted else ("", "")
            add(name, f"{m:.0f}", f"{d:.0f}", ratio(m, d), t, met,
                floor_runs(measure, d) if with_floors else ("", ""), baseline_run(name, m, measure),
                f"{ltext}, mock {m / lv:.2f}x" if lv else "")

        print("SELECT 1 ...", flush=True)
        for threads in (1, 16):
            throughput(f"SELECT 1, {threads} conn (q/s)", "select1.lua", threads, 16, 1.1, limit_target=0.9)
        for pct in (50, 99):
            measure = latency(pct)
            m, d = measure(mock.port), measure(maria.port)
            lv, ltext = limit_run(measure, higher_is_better=False) if pct == 50 else (None, "")
            name = f"SELECT 1 p{pct} latency, 1 conn (ms)"
            t, met = targets([("≤ MariaDB", m <= d), ("≤ 1.15x limit", m <= 1.15 * lv if lv else None)]) \
                if pct == 50 else ("", "")
            add(name, f"{m:.3f}", f"{d:.3f}", ratio(m, d, False), t, met,
                baseline=baseline_run(name, m, measure, False),
                limit=f"{ltext}, mock {m / lv:.2f}x" if lv else "")
        print("relaying ...", flush=True)
        relay = Relay(maria.port)
        # socat: a byte relay that decodes nothing, the least a relay in front of MariaDB adds here.
        socat_port = free_port()
        socat = subprocess.Popen(["socat", f"TCP-LISTEN:{socat_port},bind=127.0.0.1,reuseaddr,fork,nodelay",
                                  f"TCP:127.0.0.1:{maria.port},nodelay"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for_port(socat_port, proc=socat)
            # Interleaved with MariaDB direct, so that the machine's load moves all alike.
            runs = [[sysbench("select1.lua", port, 1, T, 50)[1] for port in (relay.port, maria.port, socat_port)]
                    for _ in range(R)]
            r, d, s = (statistics.median(run[i] for run in runs) for i in range(3))
            added, socat_added = (r - d) * 1000, (s - d) * 1000
            add(f"SELECT 1 p50 latency through the recorder (--upstream, recording) vs MariaDB direct, 1 conn (ms; "
                f"{added:.0f} µs added)", f"{r:.3f}", f"{d:.3f}", ratio(r, d, False), "< 50 µs added",
                "met" if added < 50 else "missed", limit=f"socat {s:.3f} ({socat_added:.0f} µs added)")
        finally:
            relay.stop()
            stop_process(socat)
        print("100 x 5 rows ...", flush=True)
        for threads in (1, 16):
            throughput(f"100x5 result, {threads} conn (rows/s)", "rows100.lua", threads, 16, 1.5, scale=100,
                       with_floors=False, limit_target=0.8)
        print("compressed 100 x 5 rows ...", flush=True)
        compressed = rate("rows100.lua", 16, scale=100, extra=("--mysql-compression=on",))
        m, d = compressed(mock.port), compressed(maria.port)
        add("100x5 result, 16 conn, compressed (zlib, --mysql-compression) (rows/s)", f"{m:.0f}", f"{d:.0f}",
            ratio(m, d), "≥ 1.0x MariaDB", "met" if m >= d else "missed")
        print("prepared point select ...", flush=True)
        for threads in (1, 16):
            measure = rate("point_select_ps.lua", threads, extra=("--db-ps-mode=auto",))
            m, d = measure(mock.port), measure(maria.port)
            name = f"prepared point select, {threads} conn (q/s)"
            targeted = threads == 16
            add(name, f"{m:.0f}", f"{d:.0f}", ratio(m, d), "≥ 1.0x" if targeted else "",
                ("met" if m >= d else "missed") if targeted else "", baseline=baseline_run(name, m, measure))
        print("connect cycles ...", flush=True)
        for threads in (1, 8):
            throughput(f"connect+auth+quit, {threads} clients (/s)", "connect.lua", threads, 8, 1.1, limit_target=0.9)
        print("--io-threads ...", flush=True)
        # The default thread count against the other one, for the two workloads it moves most.
        other_threads = 1 if (os.cpu_count() or 1) > 1 else 2
        alt = Mock(json_trace, ["--io-threads", str(other_threads)])
        try:
            for name, script, threads in (("SELECT 1, 16 conn (q/s)", "select1.lua", 16),
                                          ("connect+auth+quit, 8 clients (/s)", "connect.lua", 8)):
                # Interleaved, so that the machine's load moves both alike.
                pairs = [(sysbench(script, mock.port, threads, T)[0], sysbench(script, alt.port, threads, T)[0])
                         for _ in range(R)]
                m, a = statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)
                add(f"{name} with --io-threads {other_threads} (the default's ratio)", f"{a:.0f}", "",
                    f"{m / a:.2f}x", "default ≥ 0.97x", "met" if m / a >= 0.97 else "missed")
        finally:
            alt.stop()

        print("matching ...", flush=True)
        traces = Path(tempfile.mkdtemp(prefix="bench-traces-"))
        (traces / "router-1000.json").write_text(json.dumps(router_traces.router_trace(1000)))
        (traces / "router-1.json").write_text(json.dumps(router_traces.router_trace(1)))
        (traces / "router-style.js").write_text(router_traces.JS_TRACE)
        big, one = Mock(traces / "router-1000.json"), Mock(traces / "router-1.json")
        try:
            env = {"BENCH_STATEMENT": router_traces.STATEMENT}
            for threads in (1, 16):
                measure = rate("statement.lua", threads, env=env)
                b, o = measure(big.port), measure(one.port)  # each a median of R runs
                add(f"matching: 1,000-entry trace, its last entry, {threads} conn (q/s; ratio to a 1-entry trace)",
                    f"{b:.0f}", "", f"{b / o:.2f}x", "≥ 0.8x", "met" if b / o >= 0.8 else "missed",
                    limit=f"1-entry: {o:.0f}")
            for label, statement in (("matched", router_traces.big_statement(1 << 20, matching=True)),
                                     ("refused", router_traces.big_statement(1 << 20, matching=False))):
                ms = statement_ms(big.port, statement)
                add(f"matching: 1 MiB statement {label}, 1,000-entry trace (ms, median of 20)", f"{ms:.2f}", "", "",
                    "< 5 ms", "met" if ms < 5 else "missed")
        finally:
            big.stop()
            one.stop()

        print("JavaScript traces ...", flush=True)
        js_router = Mock(traces / "router-style.js")
        try:
            for name, script, threads, scale in (("SELECT 1, 1 conn (q/s)", "select1.lua", 1, 1),
                                                 ("SELECT 1, 16 conn (q/s)", "select1.lua", 16, 1),
                                                 ("100x5 result, 16 conn (rows/s)", "rows100.lua", 16, 100)):
                pairs = [(sysbench(script, js_router.port, threads, T)[0] * scale,
                          sysbench(script, mock.port, threads, T)[0] * scale) for _ in range(R)]
                j, n = statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)
                add(f"JavaScript trace (Router style), {name}; ratio to the JSON trace", f"{j:.0f}", "",
                    f"{j / n:.2f}x", "≥ 0.8x", "met" if j / n >= 0.8 else "missed", limit=f"JSON: {n:.0f}")
        finally:
            js_router.stop()
            shutil.rmtree(traces, ignore_errors=True)

        print("TLS logins ...", flush=True)
        tls_mock = Mock(json_trace, MOCK_TLS)
        try:
            for driver in ("mysql-connector (pure)", "PyMySQL", "mysqlclient"):
                # Rounds interleaved, the order alternating: these rows are bound by the client's CPU,
                # which the machine's load moves more than either server.
                runs = {tls_mock: [], maria: []}
                for round in range(max(R, 5)):
                    order = (tls_mock, maria) if round % 2 == 0 else (maria, tls_mock)
                    for server in order:
                        runs[server].append(tls_connect(driver, server.port, max(1, T // 2)))
                results = {server: (statistics.median(r[0] for r in rs), statistics.median(r[1] for r in rs))
                           for server, rs in runs.items()}
                (m, m50), (d, d50) = results[tls_mock], results[maria]
                add(f"TLS connect+verify+login+quit, {driver}, 1 client (/s)", f"{m:.0f}", f"{d:.0f}", ratio(m, d),
                    "≥ 1.0x", "met" if m >= 0.97 * d else "missed")
                add(f"TLS connect p50 latency, {driver} (ms)", f"{m50:.2f}", f"{d50:.2f}", ratio(m50, d50, False),
                    "≤ MariaDB", "met" if m50 <= 1.03 * d50 else "missed")
            for resume in (False, True):
                runs = {tls_mock: [], maria: []}
                for round in range(R):
                    order = (tls_mock, maria) if round % 2 == 0 else (maria, tls_mock)
                    for server in order:
                        runs[server].append(tls_logins.rate(server.port, USER, PASSWORD, str(CERTS / "ca-cert.pem"),
                                                            8, max(2, T // 2), resume))
                (m, m_resumed), (d, d_resumed) = ((statistics.median(r[0] for r in runs[s]),
                                                   statistics.median(r[1] for r in runs[s])) for s in (tls_mock, maria))
                mode = "resumption on" if resume else "resumption off"
                add(f"TLS connect+verify+login+quit, 8 clients, {mode} (/s; share resumed mock / MariaDB: "
                    f"{m_resumed:.0%} / {d_resumed:.0%})", f"{m:.0f}", f"{d:.0f}", ratio(m, d), "≥ 1.0x",
                    "met" if m >= d else "missed")
        finally:
            tls_mock.stop()
        print("p99 at 64 connections ...", flush=True)
        _, p99 = sysbench("select1.lua", mock.port, 64, T, 99)
        add("SELECT 1 p99 latency, 64 conn (ms)", f"{p99:.3f}", "", "", "< 5 ms", "met" if p99 < 5 else "missed")
        print("memory ...", flush=True)
        idle, per = idle_connections_kib(mock.pid, args.idle, mock.port)
        d_idle, d_per = idle_connections_kib(maria.pid, args.idle, maria.port)
        add("resident memory idle (KiB), JSON trace", f"{idle}", f"{d_idle}", "")
        add(f"KiB per idle connection ({args.idle}), JSON trace", f"{per:.1f}", f"{d_per:.1f}", ratio(per, d_per, False),
            "≤ 16", "met" if per <= 16 else "missed")
        ps = prepared_statements_kib(mock.pid, mock.port)
        d_ps = prepared_statements_kib(maria.pid, maria.port)
        add("KiB a connection's 100 prepared statements add (100 connections)", f"{ps:.1f}", f"{d_ps:.1f}",
            ratio(ps, d_ps, False), "≤ 16", "met" if ps <= 16 else "missed")
    finally:
        mock.stop()
        for f in floors:
            f.stop()
        for other in (base, *limits):
            if other is not None:
                other.stop()

    js = Mock(js_trace)
    try:
        idle, per = idle_connections_kib(js.pid, args.idle, js.port)
        add("resident memory idle (KiB), JavaScript trace", f"{idle}", "", "")
        add(f"KiB per idle connection ({args.idle}), JavaScript trace", f"{per:.1f}", f"{d_per:.1f}",
            ratio(per, d_per, False), "≤ 64", "met" if per <= 64 else "missed")
    finally:
        js.stop()

    print("scale ...", flush=True)
    mock = Mock(json_trace, ["--max-connections", str(args.scale + 100)])  # the default limit is 10,000
    try:
        socks = []
        try:
            for _ in range(args.scale):
                conn = pymysql.connect(host="127.0.0.1", port=mock.port, user=USER, password=PASSWORD, ssl_disabled=True)
                socks.append(conn)
            held = len(socks)
            conn = pymysql.connect(host="127.0.0.1", port=mock.port, user=USER, password=PASSWORD, ssl_disabled=True)
            conn.ping()
            conn.close()
        finally:
            for s in socks:
                s.close()
        add("idle connections held (then one more served)", f"{held}", "", "", f"{args.scale}",
            "met" if held == args.scale else "missed")
    finally:
        mock.stop()
    maria.stop()

    m_start = startup_ms(json_trace)
    d_start = mariadb_startup_ms()
    b_start = ""
    if args.baseline:
        b = startup_ms(json_trace, binary=args.baseline)
        baseline_ratios.append(("start-up", b / m_start))
        b_start = f"{b:.1f} ({b / m_start:.3f}x)"
    add("start-up until the port accepts (ms)", f"{m_start:.1f}", f"{d_start:.1f}", ratio(m_start, d_start, False),
        "≤ 15", "met" if m_start <= 15 else "missed", baseline=b_start)
    c_start = cluster_startup_ms()
    add("10-node cluster start-up until READY=1, JavaScript metadata trace on each node (ms)", f"{c_start:.1f}",
        f"{d_start:.1f} (one server)", ratio(c_start, d_start, False), "< 100", "met" if c_start < 100 else "missed")

    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H%MZ")
    lines = [f"# mysql-server-mock benchmark, {stamp}", "",
             f"Machine: {os.cpu_count()} cores, {os.uname().sysname} {os.uname().release}; sysbench "
             f"{args.seconds} s runs, median of {args.repeats}; mock release build; MariaDB "
             f"{subprocess.run(['mariadbd', '--version'], capture_output=True, text=True).stdout.split()[2]}.", "",
             "| measurement | mock | MariaDB | ratio (mock better when > 1) | baseline (this build ÷ baseline) "
             "| limit server, best of 1 and 2 threads (mock ÷ limit); other comparisons | NIO floor (ratio) | C epoll floor (ratio) | target | |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    lines += [f"| {n} | {m} | {d} | {r} | {b} | {lim} | {nf} | {cf} | {t} | {x} |"
              for n, m, d, r, b, lim, nf, cf, t, x in rows]
    if baseline_ratios:
        worst = min(baseline_ratios, key=lambda item: item[1])
        lines += ["", f"Baseline: `{args.baseline}`. Slowest workload against it: {worst[0]} at {worst[1]:.3f}x "
                  f"({'within' if worst[1] >= 0.97 else 'more than'} 3% of the baseline)."]
    lines += ["", "Floors: canned packets (the mock's greeting, OK, the SELECT 1 result set), no trace, state "
              "machine, registry, journal or timers. NIO floor: `Benchmarks/NIOFloor`, on SwiftNIO with the "
              "mock's listener set-up. C epoll floor: `Benchmarks/CEpollFloor`, the issue's calibration, one "
              "epoll loop per thread. Both close on COM_QUIT, as the mock does."]
    text = "\n".join(lines) + "\n"
    out = BENCH / "results" / f"{stamp}.md"
    out.write_text(text)
    (BENCH / "results" / "latest.md").write_text(text)
    print()
    print(text)
    print(f"written to {out}")


if __name__ == "__main__":
    main()
