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
  webhook           adnanh/webhook 2.8 (Debian), a hook running /bin/true per request in the
                    background (it answers before the command ends), logging to a file; the run
                    counts the commands it failed to start (it does not bound them).
  nginx             `return 200` with an access log (Debian's default), worker_processes auto.
Also, once: coregate+handler at 8 connections posting one body over and over (all duplicates).

Server CPU is user+system time, during the measured run only, of the server process, its live children (nginx workers) and its
reaped children (coregate's handlers, webhook's commands), read from /proc around the measured run:
CPU per request is steadier than requests/s on a machine shared with other work.

Each target gets a 2 s warm-up, then a measured run; coregate starts fresh (new state folder) for
each connection count. Targets are interleaved within each connection count to spread the noise.
"""
import argparse
import json
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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, nargs="+", default=[1, 8, 64])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--results", help="folder for ingest.json")
    args = parser.parse_args()
    b.require("wrk", "webhook", "nginx")

    rows = []
    with tempfile.TemporaryDirectory(prefix="coregate-ingest-") as work:
        nginx = b.Nginx(work)
        webhook = b.Webhook(work)
        try:
            for c in args.connections:
                print(f"{c} connection(s):", flush=True)
                rows.append(coregate_run(work, "coregate+handler", HANDLER, c, args.seconds, args.warmup,
                                         global_toml=NO_FSYNC))
                rows.append(coregate_run(work, "coregate", None, c, args.seconds, args.warmup,
                                         global_toml=NO_FSYNC))
                rows.append(coregate_run(work, "coregate fsync", None, c, args.seconds, args.warmup,
                                         global_toml="power_loss_safe = true\n"))
                rows.append(webhook_run(webhook, c, args.seconds, args.warmup))
                rows.append(measure("nginx", nginx.url, nginx.pid, c, args.seconds, args.warmup))
            print("duplicates only:", flush=True)
            rows.append(coregate_run(work, "coregate+handler", HANDLER, 8, args.seconds, args.warmup, "duplicate",
                                     global_toml=NO_FSYNC))
        finally:
            nginx.stop()
            webhook.stop()

    print()
    print(table(rows))
    b.save(args.results, "ingest", {"rows": rows, "seconds": args.seconds, "warmup": args.warmup})


def cpu_per_request_us(row):
    """Server CPU (its threads, workers and reaped children: handlers, hook commands) per request."""
    return 1e6 * row["server_cpu_s"] / row["requests"] if row["requests"] else 0


def table(rows):
    by = {(r["target"], r["connections"], r["mode"]): r for r in rows}
    lines = [f"{'conns':>5} {'target':<24} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6} "
             f"{'CPU µs/req':>10} {'vs webhook':>10} {'vs nginx':>9}"]
    for r in rows:
        hook = by.get(("webhook", r["connections"], "unique"))
        nginx = by.get(("nginx", r["connections"], "unique"))
        vs_hook = f"{r['requests_per_s'] / hook['requests_per_s']:.2f}x" if hook else "-"
        vs_nginx = f"{100 * r['requests_per_s'] / nginx['requests_per_s']:.0f}%" if nginx else "-"
        name = r["target"] + (" (dups)" if r["mode"] == "duplicate" else "")
        lines.append(f"{r['connections']:>5} {name:<24} {r['requests_per_s']:>9.0f} {r['p50_us'] / 1000:>8.2f} "
                     f"{r['p99_us'] / 1000:>8.2f} {r['errors']:>6} {cpu_per_request_us(r):>10.0f} {vs_hook:>10} "
                     f"{vs_nginx:>9}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
