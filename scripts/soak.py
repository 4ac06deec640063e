#!/usr/bin/env python3
"""make soak (issue 8): 64 clients connect, query and disconnect in a loop against a JavaScript
trace while the REST API changes globals and drops every connection every few seconds. Afterwards
the mock's resident memory must be back within 10% of its level after warm-up, and its open
descriptors back to the count before the first client.

Usage: scripts/soak.py [--seconds 120] [--clients 64] [--binary .build/release/mysql_server_mock]
"""
import argparse
import json
import multiprocessing
import os
import random
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "Tests" / "Integration"))
import conftest  # noqa: E402
from conftest import MockProcess, fd_count, free_port, rss_kib  # noqa: E402


def api(port, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/mock_server/{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read()


def client_process(port, threads, deadline, results):
    """One OS process running `threads` client loops (the GIL would serialize 64 threads in one)."""
    import pymysql

    counts = {"connections": 0, "queries": 0, "dropped": 0, "wrong": 0}
    lock = threading.Lock()

    def loop(seed):
        rng = random.Random(seed)
        while time.monotonic() < deadline:
            try:
                conn = pymysql.connect(host="127.0.0.1", port=port, user="root", password="", ssl_disabled=True,
                                       connect_timeout=10, read_timeout=10, write_timeout=10)
            except pymysql.err.OperationalError:
                with lock:
                    counts["dropped"] += 1
                time.sleep(0.01)
                continue
            done = 0
            try:
                cur = conn.cursor()
                for i in range(rng.randint(1, 8)):
                    choice = rng.random()
                    if choice < 0.4:
                        cur.execute("select @@port")
                        cur.fetchall()
                    elif choice < 0.7:
                        cur.execute("select statements")
                        # per-connection state: this connection's statement count so far
                        if cur.fetchall()[0][0] < i + 1:
                            with lock:
                                counts["wrong"] += 1
                    else:
                        n = rng.randint(1, 200)
                        cur.execute(f"rows {n}")
                        if len(cur.fetchall()) != n:
                            with lock:
                                counts["wrong"] += 1
                    done += 1
                conn.close()
            except (pymysql.err.OperationalError, pymysql.err.InterfaceError):
                with lock:
                    counts["dropped"] += 1  # the REST API closed it under us
            with lock:
                counts["connections"] += 1
                counts["queries"] += done

    workers = [threading.Thread(target=loop, args=(os.getpid() * 100 + i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    results.put(counts)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--warmup", type=float, default=None, help="seconds (default: 15%% of the run)")
    parser.add_argument("--drop-every", type=float, default=5.0)
    parser.add_argument("--binary", default=str(ROOT / ".build" / "release" / "mysql_server_mock"))
    args = parser.parse_args()
    conftest.BINARY = Path(args.binary)  # MockProcess starts this binary

    tmp = Path(tempfile.mkdtemp())
    port, http = free_port(), free_port()
    mock = MockProcess(["--filename", str(ROOT / "bench" / "soak.js"), "--port", str(port), "--bind-address",
                        "127.0.0.1", "--http-port", str(http), "--http-bind-address", "127.0.0.1"], tmp)
    pid = mock.proc.pid
    time.sleep(0.5)
    fds_before = fd_count(pid)
    rss_start = rss_kib(pid)

    started = time.monotonic()
    deadline = started + args.seconds
    warmup = args.warmup if args.warmup is not None else args.seconds * 0.15
    results = multiprocessing.Queue()
    processes = []
    per = [args.clients // 4 + (1 if i < args.clients % 4 else 0) for i in range(4)]
    for threads in per:
        p = multiprocessing.Process(target=client_process, args=(port, threads, deadline, results))
        p.start()
        processes.append(p)

    samples, api_calls, drops, api_errors = [], 0, 0, []
    last_drop = time.monotonic()
    rss_warm = None
    while time.monotonic() < deadline:
        time.sleep(0.5)
        try:
            api(http, "PATCH", "globals", {"port": random.randint(1, 65535), "tag": "t%d" % random.randint(0, 99)})
            api_calls += 1
            if time.monotonic() - last_drop >= args.drop_every:
                api(http, "DELETE", "connections")
                drops += 1
                last_drop = time.monotonic()
        except Exception as error:  # noqa: BLE001 - reported below
            api_errors.append(repr(error))
        samples.append((time.monotonic() - started, rss_kib(pid), fd_count(pid)))
        if rss_warm is None and time.monotonic() - started >= warmup:
            rss_warm = rss_kib(pid)
    for p in processes:
        p.join(timeout=60)
    totals = {"connections": 0, "queries": 0, "dropped": 0, "wrong": 0}
    while not results.empty():
        for k, v in results.get().items():
            totals[k] += v

    # Let the server notice every close, then measure.
    settle = time.monotonic() + 30
    while time.monotonic() < settle:
        _, body = api(http, "GET", "connections")
        if json.loads(body) == [] and fd_count(pid) <= fds_before:
            break
        time.sleep(0.2)
    time.sleep(1)
    rss_end, fds_end = rss_kib(pid), fd_count(pid)
    alive = mock.proc.poll() is None
    peak = max(s[1] for s in samples) if samples else rss_end
    mock.stop()

    ok_memory = rss_warm is not None and rss_end <= rss_warm * 1.10
    ok_fds = fds_end <= fds_before
    ok = alive and ok_memory and ok_fds and totals["wrong"] == 0 and not api_errors and totals["queries"] > 0
    rows = [
        ("duration", f"{args.seconds:.0f} s, {args.clients} clients, drop-all every {args.drop_every:.0f} s"),
        ("connections / queries", f"{totals['connections']} / {totals['queries']}"),
        ("connections dropped by the REST API or refused", str(totals["dropped"])),
        ("wrong answers", str(totals["wrong"])),
        ("REST calls (PATCH globals) / drop-alls / errors", f"{api_calls} / {drops} / {len(api_errors)}"),
        ("RSS at start / after warm-up / peak / at end (KiB)", f"{rss_start} / {rss_warm} / {peak} / {rss_end}"),
        ("RSS at end vs after warm-up", f"{(rss_end / rss_warm - 1) * 100:+.1f}% (limit +10%)" if rss_warm else "n/a"),
        ("descriptors before / at end", f"{fds_before} / {fds_end}"),
        ("process alive at the end", str(alive)),
        ("result", "PASS" if ok else "FAIL"),
    ]
    table = "| soak | value |\n|---|---|\n" + "".join(f"| {name} | {value} |\n" for name, value in rows)
    print(table, end="")
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y-%m-%dT%H%MZ", time.gmtime())
    text = f"# Soak {stamp}\n\nMachine: {os.cpu_count()} cores; `scripts/soak.py` against `{args.binary}`.\n\n{table}"
    (results / f"soak-{stamp}.md").write_text(text)
    (results / "soak-latest.md").write_text(text)
    for e in api_errors[:5]:
        print("REST error:", e)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
