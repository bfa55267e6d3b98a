#!/usr/bin/env python3
"""Durable ingest: wrk on loopback against coregate in queue mode, beside adnanh/webhook and nginx
`return 200`, same machine, same run, same request generator (wrk/post.lua: each request a new
On-Premises text message with a unique id, so coregate stores every one).

Targets:
  coregate+handler  queue mode, `power_loss_safe = false`, one handler (/bin/true, concurrency 4) matching every event: the
                    dispatcher spawns handlers while wrk posts, as in production. Answer after commit.
  coregate          queue mode, no handler, `power_loss_safe = false`: the store alone
                    (synchronous=NORMAL: a 200 survives a crash of the process, not a power loss).
  coregate fsync    the same with `power_loss_safe = true`, the default (synchronous=FULL: an fsync
                    per group commit, so a 200 also survives a power loss).
  python fsync      what a user would write instead (peers/starlette_receiver.py): Starlette on
                    uvicorn, 2 workers, one SQLite commit per request with synchronous=FULL (the
                    promise of "coregate fsync"), no verification, no queue.
  python            the same with synchronous=NORMAL (the promise of "coregate").
  webhook           adnanh/webhook 2.8 (Debian), a hook running /bin/true per request in the
                    background (it answers before the command ends), logging to a file; the run
                    counts the commands it failed to start (it does not bound them).
  nginx             `return 200` with an access log (Debian's default), worker_processes auto.
Also, once: coregate+handler at 8 connections posting one body over and over (all duplicates).

Each target runs --repeat times at each connection count (interleaved: all targets, then again),
and the table gives the median with the range.

Server CPU is user+system time, during the measured run only, of the server process, its live children (nginx workers) and its
reaped children (coregate's handlers, webhook's commands), read from /proc around the measured run:
CPU per request is steadier than requests/s on a machine shared with other work.

Each target gets a 2 s warm-up, then a measured run; coregate starts fresh (new state folder) for
each connection count. Targets are interleaved within each connection count to spread the noise.
"""
import argparse
import importlib.util
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib as b  # noqa: E402

HANDLER = ["/bin/true"]
# The figures of docs/performance.md before power_loss_safe became the default were taken without
# fsync; the targets other than "coregate fsync" keep that, so runs stay comparable.
NO_FSYNC = "power_loss_safe = false\n"



def webhook_run(webhook, connections, seconds, warmup):
    """webhook runs its commands in the background, unbounded: before the measured run the
    warm-up's commands must be done, and after it the run's own, to count how many failed."""
    def after():
        settle = webhook.settle()
        started, _, failed = webhook.counts()
        return {"commands_started": started - mark[0], "failed_commands": failed - mark[2],
                "commands_done_after_s": settle}

    run_id = uuid.uuid4().hex[:8]
    b.wrk(webhook.url, connections, warmup, run_id + "w")
    webhook.settle()
    mark = webhook.counts()
    return measure("webhook", webhook.url, webhook.pid, connections, seconds, 0, after=after)


def measure(name, url, pid, connections, seconds, warmup, mode="unique", after=None):
    run_id = uuid.uuid4().hex[:8]
    if warmup:
        b.wrk(url, connections, warmup, run_id + "w", mode)
    cpu0 = b.tree_cpu_seconds(pid)
    result = b.wrk(url, connections, seconds, run_id, mode)
    cpu = b.tree_cpu_seconds(pid) - cpu0
    result.update(target=name, connections=connections, mode=mode, server_cpu_s=cpu,
                  server_rss_kib=b.rss_kib(pid))
    if after:
        result.update(after())
    print(f"  {name:<18} c={connections:<3} {result['requests_per_s']:>9.0f} req/s  "
          f"p50 {result['p50_us'] / 1000:6.2f} ms  p99 {result['p99_us'] / 1000:7.2f} ms  "
          f"errors {result['errors']}  server CPU {cpu:5.1f} s"
          + (f"  backlog left {result['backlog_left']}" if "backlog_left" in result else "")
          + (f"  commands failed {result['failed_commands']} of {result['commands_started']}, all done "
             f"{result['commands_done_after_s']:.1f} s after the run" if "failed_commands" in result else ""), flush=True)
    return result


def coregate_run(work, label, handler, connections, seconds, warmup, mode="unique", global_toml=None):
    gw = b.start_gateway(
        Path(work) / f"{label}-c{connections}-{mode}-{uuid.uuid4().hex[:6]}",
        {"bench": b.tenant_toml(handler_command=handler)}, global_toml=global_toml)
    state = gw.workdir / "state"

    def after():
        counts = b.delivery_counts(state)
        return {"backlog_left": sum(counts.get(s, 0) for s in ("pending", "running", "retrying")),
                "delivered": counts.get("done", 0)}

    try:
        return measure(label, gw.url("/webhooks/bench"), gw.proc.pid, connections, seconds, warmup, mode,
                       after if handler else None)
    finally:
        gw.stop()


TARGETS = ["coregate+handler", "coregate", "coregate fsync", "python fsync", "python", "webhook", "nginx"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, nargs="+", default=[1, 8, 64])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each target at each connection count")
    parser.add_argument("--targets", nargs="+", choices=TARGETS, default=TARGETS)
    parser.add_argument("--no-duplicates", action="store_true", help="skip the all-duplicates run")
    parser.add_argument("--results", help="folder for ingest.json")
    args = parser.parse_args()
    b.require("wrk", "webhook", "nginx")
    if {"python", "python fsync"} & set(args.targets) and not all(
            importlib.util.find_spec(m) for m in ("starlette", "uvicorn")):
        sys.exit("the python receiver needs starlette and uvicorn (make bench installs them)")

    rows = []
    with tempfile.TemporaryDirectory(prefix="coregate-ingest-") as work:
        nginx = b.Nginx(work) if "nginx" in args.targets else None
        webhook = b.Webhook(work) if "webhook" in args.targets else None
        peers = {name: b.PythonReceiver(work, fsync=name.endswith("fsync"))
                 for name in ("python fsync", "python") if name in args.targets}
        runs = {
            "coregate+handler": lambda c: coregate_run(work, "coregate+handler", HANDLER, c, args.seconds, args.warmup,
                                                       global_toml=NO_FSYNC),
            "coregate": lambda c: coregate_run(work, "coregate", None, c, args.seconds, args.warmup,
                                               global_toml=NO_FSYNC),
            "coregate fsync": lambda c: coregate_run(work, "coregate fsync", None, c, args.seconds, args.warmup,
                                                     global_toml="power_loss_safe = true\n"),
            "python fsync": lambda c: measure("python fsync", peers["python fsync"].url, peers["python fsync"].pid, c,
                                              args.seconds, args.warmup),
            "python": lambda c: measure("python", peers["python"].url, peers["python"].pid, c, args.seconds, args.warmup),
            "webhook": lambda c: webhook_run(webhook, c, args.seconds, args.warmup),
            "nginx": lambda c: measure("nginx", nginx.url, nginx.pid, c, args.seconds, args.warmup),
        }
        try:
            for c in args.connections:
                print(f"{c} connection(s):", flush=True)
                for repetition in range(args.repeat):
                    for target in TARGETS:
                        if target in args.targets:
                            rows.append(dict(runs[target](c), repetition=repetition))
            if "coregate+handler" in args.targets and not args.no_duplicates:
                print("duplicates only:", flush=True)
                rows.append(coregate_run(work, "coregate+handler", HANDLER, 8, args.seconds, args.warmup, "duplicate",
                                         global_toml=NO_FSYNC))
        finally:
            for server in [nginx, webhook, *peers.values()]:
                if server:
                    server.stop()

    print()
    print(table(medians(rows)))
    b.save(args.results, "ingest", {"rows": rows, "medians": medians(rows), "seconds": args.seconds,
                                    "warmup": args.warmup, "repeat": args.repeat})


def medians(rows):
    """One row per (target, connections, mode): the median run by requests/s, with the range of
    requests/s over the runs and the median of each other figure."""
    groups = {}
    for r in rows:
        groups.setdefault((r["target"], r["connections"], r["mode"]), []).append(r)
    out = []
    for runs in groups.values():
        rates = sorted(r["requests_per_s"] for r in runs)
        row = dict(sorted(runs, key=lambda r: r["requests_per_s"])[len(runs) // 2])
        for key in ("p50_us", "p99_us"):
            row[key] = statistics.median(r[key] for r in runs)
        row["cpu_us_per_request"] = statistics.median(cpu_per_request_us(r) for r in runs)
        row.update(runs=len(runs), requests_per_s_min=rates[0], requests_per_s_max=rates[-1])
        out.append(row)
    return out


def cpu_per_request_us(row):
    """Server CPU (its threads, workers and reaped children: handlers, hook commands) per request."""
    return 1e6 * row["server_cpu_s"] / row["requests"] if row["requests"] else 0


def table(rows):
    """The medians, each beside the python receiver of the same promise and nginx."""
    by = {(r["target"], r["connections"], r["mode"]): r for r in rows}
    lines = [f"{'conns':>5} {'target':<24} {'req/s (median, range)':>26} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6} "
             f"{'CPU µs/req':>10} {'vs python':>9} {'vs nginx':>9}"]
    for r in sorted(rows, key=lambda r: (r["mode"] == "duplicate", r["connections"], TARGETS.index(r["target"]))):
        peer = by.get(("python fsync" if r["target"] == "coregate fsync" else "python", r["connections"], "unique"))
        nginx = by.get(("nginx", r["connections"], "unique"))
        vs_peer = f"{r['requests_per_s'] / peer['requests_per_s']:.2f}x" if peer and r["target"].startswith("coregate") else "-"
        vs_nginx = f"{100 * r['requests_per_s'] / nginx['requests_per_s']:.0f}%" if nginx else "-"
        name = r["target"] + (" (dups)" if r["mode"] == "duplicate" else "")
        rate = f"{r['requests_per_s']:.0f} [{r['requests_per_s_min']:.0f}-{r['requests_per_s_max']:.0f}]"
        lines.append(f"{r['connections']:>5} {name:<24} {rate:>26} {r['p50_us'] / 1000:>8.2f} "
                     f"{r['p99_us'] / 1000:>8.2f} {r['errors']:>6} {r['cpu_us_per_request']:>10.0f} {vs_peer:>9} "
                     f"{vs_nginx:>9}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
