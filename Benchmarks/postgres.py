#!/usr/bin/env python3
"""Durable ingest on PostgreSQL (issue 15), beside SQLite, same machine, same run, same request
generator as ingest.py (wrk/post.lua: each request a new message, so every one is stored).

Targets, all queue mode with no handler (the store alone), each with a fresh database or state folder:
  sqlite            the SQLite file, `power_loss_safe = true` (an fsync per group commit)
  postgresql x1     one node on a private PostgreSQL server (synchronous_commit on: the server
                    fsyncs its WAL before each commit returns)
  postgresql x2     two nodes on that database, the connections split between them, as behind
                    a load balancer; requests/s is the sum, p99 the worse of the two

The server is the one Tests/PostgreSQL/with-server.sh starts (initdb in a temporary folder, on
loopback, default settings apart from max_connections); run this under it, as bench.py does.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import threading
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib as b  # noqa: E402

SERVER = os.environ.get("COREGATE_TEST_POSTGRESQL")
PASSWORD = os.environ.get("COREGATE_TEST_POSTGRESQL_PASSWORD", "")


def create_database():
    name = "bench_" + uuid.uuid4().hex[:10]
    subprocess.run(["psql", "-q", SERVER, "-c", f"CREATE DATABASE {name}"], check=True,
                   env={**os.environ, "PGPASSWORD": PASSWORD}, capture_output=True)
    return SERVER.rsplit("/", 1)[0] + "/" + name


def measure(label, gateways, connections, seconds, warmup):
    """wrk against each gateway at once, the connections split evenly; the sums and the worst p99."""
    share = max(1, connections // len(gateways))
    results = [None] * len(gateways)
    run_id = uuid.uuid4().hex[:8]

    def one(i, gw, rid, duration):
        results[i] = b.wrk(gw.url("/webhooks/bench"), share, duration, rid + str(i))

    for phase, duration in (("w", warmup), ("", seconds)):
        if not duration:
            continue
        threads = [threading.Thread(target=one, args=(i, gw, run_id + phase, duration)) for i, gw in enumerate(gateways)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    row = {
        "target": label, "connections": connections, "nodes": len(gateways),
        "requests_per_s": sum(r["requests_per_s"] for r in results),
        "requests": sum(r["requests"] for r in results),
        "errors": sum(r["errors"] for r in results),
        "p50_us": max(r["p50_us"] for r in results), "p99_us": max(r["p99_us"] for r in results),
    }
    print(f"  {label:<15} c={connections:<3} {row['requests_per_s']:>9.0f} req/s  p50 {row['p50_us'] / 1000:6.2f} ms  "
          f"p99 {row['p99_us'] / 1000:7.2f} ms  errors {row['errors']}", flush=True)
    return row


def run(work, label, connections, seconds, warmup, global_toml, nodes):
    base = Path(work) / f"{label.replace(' ', '-')}-c{connections}-{uuid.uuid4().hex[:6]}"
    gateways = []
    try:
        for n in range(nodes):
            gateways.append(b.start_gateway(base / f"node{n}", {"bench": b.tenant_toml(handler_command=None)},
                                            global_toml=global_toml))
        return measure(label, gateways, connections, seconds, warmup)
    finally:
        for gw in gateways:
            gw.stop()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, nargs="+", default=[8, 64])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--results", help="folder for postgres.json")
    args = parser.parse_args()
    b.require("wrk", "psql")
    if not SERVER:
        sys.exit("no PostgreSQL server: run under Tests/PostgreSQL/with-server.sh")

    rows = []
    with tempfile.TemporaryDirectory(prefix="coregate-pg-bench-") as work:
        secret = Path(work) / "store-password"
        secret.write_text(PASSWORD)

        def store(url):
            return f'store = "{url}"\nstore_password = "file:{secret}"\n'

        for c in args.connections:
            print(f"{c} connections:", flush=True)
            rows.append(run(work, "sqlite", c, args.seconds, args.warmup, "power_loss_safe = true\n", 1))
            rows.append(run(work, "postgresql x1", c, args.seconds, args.warmup, store(create_database()), 1))
            rows.append(run(work, "postgresql x2", c, args.seconds, args.warmup, store(create_database()), 2))

    print()
    print(table(rows))
    b.save(args.results, "postgres", {"rows": rows, "seconds": args.seconds, "warmup": args.warmup})


def table(rows):
    sqlite = {r["connections"]: r for r in rows if r["target"] == "sqlite"}
    lines = [f"{'conns':>5} {'target':<15} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6} {'vs sqlite':>9}"]
    for r in rows:
        anchor = sqlite.get(r["connections"])
        ratio = f"{r['requests_per_s'] / anchor['requests_per_s']:.2f}x" if anchor else "-"
        lines.append(f"{r['connections']:>5} {r['target']:<15} {r['requests_per_s']:>9.0f} {r['p50_us'] / 1000:>8.2f} "
                     f"{r['p99_us'] / 1000:>8.2f} {r['errors']:>6} {ratio:>9}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
