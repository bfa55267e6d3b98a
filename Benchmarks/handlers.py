#!/usr/bin/env python3
"""Handler executions per second through the gateway, beside a plain C posix_spawn+pipe loop
(spawn_anchor.c, built here with gcc -O2) in the same run.

Queue mode, end to end: --events events (On-Premises text messages, one contact each, so no
per-contact lane holds another back) are posted in bodies of 500, and the clock runs from the
first post until the store counts every delivery done (read from `delivery_count` in the SQLite
file, a WAL reader beside the service). The handler is /bin/true; the anchor spawns the same
program with a pipe on stdin (the event written, then EOF) and one on stdout (read to EOF), in its
own process group, and reaps it: what the gateway's runner does, without the store, the claim,
the logging and the async machinery. Parallelism matches: tenant `concurrency` = anchor threads.

Direct mode: wrk (post.lua) at as many connections as the tenant's concurrency; each request
runs the handler once before its answer, so requests/s = executions/s including HTTP.

The anchor also runs with -s: its posix_spawn calls serialized behind one lock, as swift-subprocess
did them (one spawning thread per process) before the gateway spawned from any thread.

Dispatcher cost: the queue run again with 1, 10, 100 and 1,000 configured tenants, one busy and
the rest idle (a handler each, no events); the gateway's own CPU per delivery (handlers excluded)
should stay flat as tenants grow.

Tenants' uids (--handler-uids RANGE, as root): the queue run again with `handler_uids` set, so
each handler is spawned by the clone that sets its tenant's ids instead of by posix_spawn; the
ratio to the plain queue run of the same round is the cost of setting handlers apart.

Each measurement runs --repeat times, interleaved with the anchor; the median is reported.
"""
import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib as b  # noqa: E402

HANDLER = ["/bin/true"]
FIXTURE = b.REPO / "Tests" / "CoregateWhatsAppTests" / "Resources" / "fixtures" / "onprem-inbound-text.json"


def build_anchor(work):
    exe = Path(work) / "spawn_anchor"
    subprocess.run(["gcc", "-O2", "-pthread", "-o", str(exe), str(b.HERE / "spawn_anchor.c")], check=True)
    return exe


def anchor(exe, jobs, count, serialized=False):
    out = subprocess.run([str(exe), *(["-s"] if serialized else []), "-j", str(jobs), "-n", str(count),
                          "-i", str(FIXTURE), "--", *HANDLER],
                         capture_output=True, text=True, check=True).stdout
    fields = dict(kv.split("=") for kv in out.split())
    if int(fields["failures"]):
        raise RuntimeError(f"anchor failures: {out}")
    return float(fields["per_second"])


def queue_run(work, concurrency, count, batch=500, idle_tenants=0, handler_uids=None):
    tenants = {"bench": b.tenant_toml(handler_command=HANDLER, concurrency=concurrency)}
    # Configured queue tenants with a handler but no events: what a box with many numbers has.
    tenants.update({f"idle{i:04d}": b.tenant_toml(handler_command=HANDLER) for i in range(idle_tenants)})
    global_toml = f'handler_uids = "{handler_uids}"\n' if handler_uids else None
    gw = b.start_gateway(Path(work) / f"queue-{uuid.uuid4().hex[:6]}", tenants, global_toml)
    state = gw.workdir / "state"
    run_id = uuid.uuid4().hex[:8]
    bodies = [b.onprem_body(first, min(batch, count - first), run_id, contacts=count)
              for first in range(0, count, batch)]
    try:
        began = time.monotonic()
        for body in bodies:
            status, answer = b.post(gw.url("/webhooks/bench"), body)
            assert status == 200, answer
        ingested = time.monotonic()
        done_at_ingest = b.delivery_counts(state).get("done", 0)
        cpu_at_ingest = b.cpu_seconds(gw.proc.pid, children=False)
        while True:
            counts = b.delivery_counts(state)
            if counts.get("done", 0) + counts.get("dead", 0) >= count:
                break
            if time.monotonic() - began > 600:
                raise RuntimeError(f"deliveries not done after 600 s: {counts}")
            time.sleep(0.02)
        finished = time.monotonic()
        drained = count - done_at_ingest
        gateway_cpu = b.cpu_seconds(gw.proc.pid, children=False) - cpu_at_ingest
        if counts.get("dead", 0) or counts.get("retrying", 0):
            raise RuntimeError(f"handler failures: {counts}")
        return {"end_to_end_per_s": count / (finished - began),
                "drain_per_s": drained / (finished - ingested),
                "gateway_cpu_us_per_delivery": 1e6 * gateway_cpu / max(1, drained),
                "ingest_s": ingested - began, "total_s": finished - began}
    finally:
        gw.stop()


def direct_run(work, concurrency, seconds):
    gw = b.start_gateway(Path(work) / f"direct-{uuid.uuid4().hex[:6]}",
                         {"bench": b.tenant_toml(handler_command=HANDLER, concurrency=concurrency, mode="direct")})
    try:
        b.wrk(gw.url("/webhooks/bench"), concurrency, 1, "warm")
        result = b.wrk(gw.url("/webhooks/bench"), concurrency, seconds, uuid.uuid4().hex[:8])
        if result["errors"]:
            raise RuntimeError(f"direct mode errors: {result}")
        return result
    finally:
        gw.stop()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--direct-seconds", type=int, default=5)
    parser.add_argument("--tenant-counts", type=int, nargs="+", default=[1, 10, 100, 1000],
                        help="configured tenants for the dispatcher-cost rows (one of them busy)")
    parser.add_argument("--results", help="folder for handlers.json")
    parser.add_argument("--handler-uids", help="also run the queue with handler_uids set to this range (needs root)")
    args = parser.parse_args()
    b.require("gcc", "wrk")

    rows = []
    with tempfile.TemporaryDirectory(prefix="coregate-handlers-") as work:
        # Tenants' uids pass through it to their folders.
        Path(work).chmod(0o711)
        exe = build_anchor(work)
        for c in args.concurrency:
            anchors, serialized, queue, direct, isolated = [], [], [], [], []
            for _ in range(args.repeat):
                anchors.append(anchor(exe, c, args.events))
                serialized.append(anchor(exe, c, args.events, serialized=True))
                queue.append(queue_run(work, c, args.events))
                direct.append(direct_run(work, c, args.direct_seconds)["requests_per_s"])
                if args.handler_uids:
                    isolated.append(queue_run(work, c, args.events, handler_uids=args.handler_uids))
                    print(f"  concurrency {c}: queue as tenants' uids {isolated[-1]['end_to_end_per_s']:.0f}/s "
                          f"(drain {isolated[-1]['drain_per_s']:.0f}/s)", flush=True)
                print(f"  concurrency {c}: anchor {anchors[-1]:.0f}/s (spawns serialized {serialized[-1]:.0f}/s), queue end to end "
                      f"{queue[-1]['end_to_end_per_s']:.0f}/s (drain {queue[-1]['drain_per_s']:.0f}/s), "
                      f"direct {direct[-1]:.0f}/s", flush=True)
            row = {
                "concurrency": c,
                "anchor_per_s": statistics.median(anchors),
                "anchor_serialized_per_s": statistics.median(serialized),
                "queue_per_s": statistics.median(q["end_to_end_per_s"] for q in queue),
                "queue_drain_per_s": statistics.median(q["drain_per_s"] for q in queue),
                "direct_per_s": statistics.median(direct),
                "samples": {"anchor": anchors, "anchor_serialized": serialized, "queue": queue, "direct": direct,
                            "queue_tenant_uids": isolated},
            }
            if isolated:
                row["queue_tenant_uids_per_s"] = statistics.median(q["end_to_end_per_s"] for q in isolated)
                row["queue_tenant_uids_cpu_us"] = statistics.median(q["gateway_cpu_us_per_delivery"] for q in isolated)
                row["queue_cpu_us"] = statistics.median(q["gateway_cpu_us_per_delivery"] for q in queue)
            rows.append(row)

        # The dispatcher's cost per delivery as configured tenants grow: one busy, the rest idle.
        scaling = []
        for tenants in args.tenant_counts:
            runs = [queue_run(work, 4, args.events, idle_tenants=tenants - 1) for _ in range(args.repeat)]
            scaling.append({"tenants": tenants,
                            "drain_per_s": statistics.median(r["drain_per_s"] for r in runs),
                            "gateway_cpu_us_per_delivery": statistics.median(r["gateway_cpu_us_per_delivery"] for r in runs),
                            "samples": runs})
            print(f"  {tenants} tenants: drain {scaling[-1]['drain_per_s']:.0f}/s, gateway CPU "
                  f"{scaling[-1]['gateway_cpu_us_per_delivery']:.0f} µs per delivery", flush=True)

    print()
    print(table(rows))
    if args.handler_uids:
        print()
        print(isolation_table(rows))
    print()
    print(scaling_table(scaling))
    b.save(args.results, "handlers", {"rows": rows, "scaling": scaling, "events": args.events, "repeat": args.repeat})


def table(rows):
    lines = [f"{'concurrency':>11} {'C anchor/s':>10} {'(serial spawn)':>14} {'queue e2e/s':>11} {'ratio':>6} "
             f"{'direct/s':>9} {'ratio':>6}"]
    for r in rows:
        lines.append(f"{r['concurrency']:>11} {r['anchor_per_s']:>10.0f} {r['anchor_serialized_per_s']:>14.0f} "
                     f"{r['queue_per_s']:>11.0f} "
                     f"{r['queue_per_s'] / r['anchor_per_s']:>6.2f} {r['direct_per_s']:>9.0f} "
                     f"{r['direct_per_s'] / r['anchor_per_s']:>6.2f}")
    return "\n".join(lines)


def isolation_table(rows):
    lines = [f"{'concurrency':>11} {'queue e2e/s':>11} {'as tenant uids/s':>16} {'ratio':>6} "
             f"{'gateway CPU µs/delivery':>24} {'as tenant uids':>15}"]
    for r in rows:
        lines.append(f"{r['concurrency']:>11} {r['queue_per_s']:>11.0f} {r['queue_tenant_uids_per_s']:>16.0f} "
                     f"{r['queue_tenant_uids_per_s'] / r['queue_per_s']:>6.2f} {r['queue_cpu_us']:>24.0f} "
                     f"{r['queue_tenant_uids_cpu_us']:>15.0f}")
    return "\n".join(lines)


def scaling_table(rows):
    lines = [f"{'tenants':>8} {'drain/s':>8} {'gateway CPU µs/delivery':>24}"]
    for r in rows:
        lines.append(f"{r['tenants']:>8} {r['drain_per_s']:>8.0f} {r['gateway_cpu_us_per_delivery']:>24.0f}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
