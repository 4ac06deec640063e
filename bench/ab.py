#!/usr/bin/env python3
"""`make bench-ab`: this build against another mock binary (say, the previous release), on the same
workloads, interleaved round by round so that a noisy machine shifts both alike.

For each workload, each round runs sysbench against A, then against B (the order alternates
between rounds), and records the rate and the server's CPU time per event (user + system, from
/proc/<pid>/stat): CPU per event is what the server itself spends and moves much less with the
machine's load than the rate does. Prints medians and B's ratios to A.

    .venv/bin/python bench/ab.py --baseline /tmp/mock-prev [--rounds 7] [--seconds 5]

Or one binary with two sets of options (say, to choose a default by measurement):

    .venv/bin/python bench/ab.py --a-args="--io-threads 1" --b-args="--io-threads 2"
"""
import argparse
import os
import shlex
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import BENCH, MOCK, Mock, sysbench  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")

WORKLOADS = [  # (name, sysbench script, threads, events per transaction)
    ("SELECT 1, 1 conn", "select1.lua", 1, 1),
    ("SELECT 1, 16 conn", "select1.lua", 16, 1),
    ("100x5 result, 16 conn", "rows100.lua", 16, 1),
    ("connect+auth+quit, 1 client", "connect.lua", 1, 1),
    ("connect+auth+quit, 8 clients", "connect.lua", 8, 1),
]


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def measure(server, script, threads, seconds, prefix=()):
    before = cpu_seconds(server.pid)
    rate, _ = sysbench(script, server.port, threads, seconds, prefix=prefix)
    spent = cpu_seconds(server.pid) - before
    return rate, spent / (rate * seconds) * 1e6  # events/s, server CPU µs per event


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline", type=Path, default=MOCK, help="the other mock binary (B); default: this build")
    parser.add_argument("--binary", type=Path, default=MOCK, help="this build (A)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--only", default="", help="run only workloads whose name contains this text")
    parser.add_argument("--pin", action="store_true",
                        help="servers on CPU 1 with --io-threads 1, sysbench on CPU 0 (taskset): less scheduler noise")
    parser.add_argument("--a-args", default="", help="more options for A (split as a shell would)")
    parser.add_argument("--b-args", default="", help="more options for B")
    args = parser.parse_args()
    trace = BENCH / "traces" / "bench.json"
    server_prefix, client_prefix, extra = ((), (), ())
    if args.pin:
        server_prefix, client_prefix, extra = (("taskset", "-c", "1"), ("taskset", "-c", "0"), ("--io-threads", "1"))
    a = Mock(trace, extra=(*extra, *shlex.split(args.a_args)), binary=args.binary, prefix=server_prefix)
    b = Mock(trace, extra=(*extra, *shlex.split(args.b_args)), binary=args.baseline, prefix=server_prefix)
    pinned = "; servers pinned to CPU 1 (--io-threads 1), sysbench to CPU 0" if args.pin else ""
    lines = [f"A: `{args.binary}` {args.a_args}, B: `{args.baseline}` {args.b_args}; {args.rounds} interleaved rounds of {args.seconds} s, "
             f"medians{pinned}.",
             "", "| workload | A rate | B rate | A ÷ B rate | A CPU µs/event | B CPU µs/event | B ÷ A CPU |",
             "|---|---|---|---|---|---|---|"]
    try:
        for name, script, threads, _ in (w for w in WORKLOADS if args.only in w[0]):
            results = {"A": [], "B": []}
            for round_ in range(args.rounds):
                order = [("A", a), ("B", b)] if round_ % 2 == 0 else [("B", b), ("A", a)]
                for label, server in order:
                    results[label].append(measure(server, script, threads, args.seconds, client_prefix))
            ra = statistics.median(r for r, _ in results["A"])
            rb = statistics.median(r for r, _ in results["B"])
            ca = statistics.median(c for _, c in results["A"])
            cb = statistics.median(c for _, c in results["B"])
            line = f"| {name} | {ra:.0f} | {rb:.0f} | {ra / rb:.3f}x | {ca:.1f} | {cb:.1f} | {cb / ca:.3f}x |"
            print(line, flush=True)
            lines.append(line)
    finally:
        a.stop()
        b.stop()
    print()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
