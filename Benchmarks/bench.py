#!/usr/bin/env python3
"""`make bench`: every benchmark against the release build, then one summary.

Each part runs as its own script (each also runs alone: see its --help) and leaves JSON in the
results folder; the summary is built from those files and printed, and written beside them as
summary.md, ready to paste into docs/performance.md.

  ingest.py    wrk: coregate queue mode vs a Starlette receiver, adnanh/webhook, nginx `return 200`
  backlog.py   a million-event backlog: fill rate, ingest on top of it, RSS while it drains
  handlers.py  handler executions/s vs a C posix_spawn+pipe loop
  stream.py    events/s to a Python stream handler vs exec mode; kill runs that count lost events
  startup.py   exec→READY=1 and idle RSS, 1 and 1,000 tenants
  decode/      decoder throughput vs JSONSerialization (its own release build)

--quick shortens every part (a smoke test of the scripts, not numbers to publish).
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def machine():
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem_kib = int(Path("/proc/meminfo").read_text().split()[1])

    def version(cmd):
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
            return (out.stdout + out.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return "?"

    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": f"{cpu}, {os.cpu_count()} cores", "memory_gib": round(mem_kib / 2**20, 1),
        "kernel": platform.release(), "swift": version(["swift", "--version"]),
        "wrk": version(["wrk", "-v"]), "nginx": version(["nginx", "-v"]), "webhook": version(["webhook", "-version"]),
        "gcc": version(["gcc", "--version"]), "commit": version(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"]),
    }


def fsync_ms(folder, count=200):
    """Mean time of one 4 KiB O_DSYNC write where the state lives: the price of power_loss_safe."""
    path = Path(folder) / "fsync-probe"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_DSYNC, 0o600)
    try:
        began = time.monotonic()
        for _ in range(count):
            os.write(fd, b"\0" * 4096)
        return round((time.monotonic() - began) / count * 1000, 2)
    finally:
        os.close(fd)
        path.unlink()


def loadavg():
    return Path("/proc/loadavg").read_text().split()[0]


def run(part, cmd, results, log):
    print(f"\n=== {part} (load average {loadavg()}) ===", flush=True)
    began = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO)
    lines = []
    for line in proc.stdout:
        print(line, end="", flush=True)
        lines.append(line)
    rc = proc.wait()
    log[part] = {"rc": rc, "seconds": round(time.monotonic() - began), "load_after": loadavg(), "output": "".join(lines)}
    if rc != 0:
        print(f"!!! {part} failed with exit status {rc}", flush=True)
    return rc == 0


def load(results, name):
    path = Path(results) / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def ingest_summary(ingest):
    rows = ingest["medians"]
    out = ["## Durable ingest (queue mode), wrk on loopback, "
           f"{ingest['seconds']} s per run after a {ingest['warmup']} s warm-up, median of {ingest['repeat']} "
           "(range in brackets)", "",
           "| connections | target | req/s | p50 ms | p99 ms | errors | server CPU µs/req |",
           "|---|---|---|---|---|---|---|"]
    by = {(r["target"], r["connections"], r["mode"]): r for r in rows}
    for r in sorted(rows, key=lambda r: (r["mode"] == "duplicate", r["connections"])):
        name = r["target"] + (" (all duplicates)" if r["mode"] == "duplicate" else "")
        extra = f" (backlog left {r['backlog_left']})" if "backlog_left" in r else ""
        if "failed_commands" in r:
            extra = f" ({r['failed_commands']} of {r['commands_started']} commands failed to start)"
        out.append(f"| {r['connections']} | {name}{extra} | {r['requests_per_s']:.0f} "
                   f"[{r['requests_per_s_min']:.0f}–{r['requests_per_s_max']:.0f}] | {r['p50_us'] / 1000:.2f} | "
                   f"{r['p99_us'] / 1000:.2f} | {r['errors']} | {r['cpu_us_per_request']:.0f} |")
    out += ["", "Ratios of the medians (targets for `coregate fsync`: ≥ 2× the python receiver at every count, "
            "≥ 30% of nginx at 8 and 64, ≤ 50 µs CPU and p99 < 10 ms at 64):", ""]

    def ratio(a, b_, c):
        x, y = by.get((a, c, "unique")), by.get((b_, c, "unique"))
        return x["requests_per_s"] / y["requests_per_s"] if x and y else None

    for c in sorted({r["connections"] for r in rows}):
        parts = []
        for a, b_, fmt in (("coregate fsync", "python fsync", "{:.2f}× python fsync"),
                           ("coregate fsync", "python", "{:.2f}× python without fsync"),
                           ("coregate", "python", "store without fsync {:.2f}× python without fsync")):
            value = ratio(a, b_, c)
            if value is not None:
                parts.append(fmt.format(value))
        for a in ("coregate fsync", "coregate", "coregate+handler"):
            value = ratio(a, "nginx", c)
            if value is not None:
                parts.append(f"{a} {100 * value:.0f}% of nginx")
        fsync = by.get(("coregate fsync", c, "unique"))
        if fsync:
            parts.append(f"coregate fsync {fsync['cpu_us_per_request']:.0f} µs CPU/request, p99 {fsync['p99_us'] / 1000:.1f} ms")
        out.append(f"- {c} connection(s): " + "; ".join(parts))
    out.append("")
    return out


def summary(results, info, log):
    out = [f"# coregate benchmarks, {info['date']}", "",
           f"Machine: {info['cpu']}, {info['memory_gib']} GiB, Linux {info['kernel']}; {info['swift']}; "
           f"commit {info['commit']}.",
           f"Anchors: {info['nginx']}; {info['webhook']}; {info['wrk']}.",
           f"One 4 KiB O_DSYNC write in the temporary folder (where the benchmarks keep state): {info.get('fsync_ms', '?')} ms.",
           "Load average before/after each part: "
           + ", ".join(f"{k} {v.get('load_before', '?')}→{v['load_after']}" for k, v in log.items()) + ".", ""]

    postgres = load(results, "postgres")
    if postgres:
        sys.path.insert(0, str(HERE))
        import postgres as pg
        out += ["## Ingest on PostgreSQL beside SQLite (store only, no handler)", "", "```", pg.table(postgres["rows"]), "```", ""]

    ingest = load(results, "ingest")
    if ingest:
        out += ingest_summary(ingest)

    backlog = load(results, "backlog")
    if backlog:
        s = backlog["ingest_on_backlog"]
        out += ["## A backlog of a million events", "",
                f"- fill: {backlog['events_target']:,} events in {backlog['fill_seconds']:.1f} s = "
                f"**{backlog['fill_events_per_s']:,.0f} events/s** ({backlog['batch']} messages per request); "
                f"RSS {backlog['fill_rss_min_kib'] / 1024:.0f}–{backlog['fill_rss_max_kib'] / 1024:.0f} MiB; "
                f"database {backlog['db_bytes'] / 2**20:.0f} MiB",
                f"- single-message ingest over a backlog of {backlog['backlog_after_fill']:,}: "
                f"**{s['requests_per_s']:,.0f} req/s**, p50 {s['p50_us'] / 1000:.2f} ms, p99 {s['p99_us'] / 1000:.2f} ms "
                "(wrk, 8 connections)",
                f"- drain (/bin/true, concurrency 16): {backlog['drained']:,} deliveries in {backlog['drain_seconds']:.0f} s "
                f"= {backlog['drain_per_s']:,.0f}/s; **RSS {backlog['drain_rss_min_kib'] / 1024:.0f}–"
                f"{backlog['drain_rss_max_kib'] / 1024:.0f} MiB** while draining; the whole backlog would take "
                f"~{backlog['extrapolated_full_drain_s'] / 60:.0f} min at that rate (extrapolated, not measured)", ""]

    handlers = load(results, "handlers")
    if handlers:
        out += [f"## Handler executions/s (/bin/true), {handlers['events']} events, median of {handlers['repeat']}", "",
                "| concurrency | C posix_spawn loop | same, spawns serialized | queue, end to end | ratio | direct mode (wrk) | ratio |",
                "|---|---|---|---|---|---|---|"]
        for r in handlers["rows"]:
            out.append(f"| {r['concurrency']} | {r['anchor_per_s']:.0f}/s | {r['anchor_serialized_per_s']:.0f}/s | "
                       f"{r['queue_per_s']:.0f}/s | "
                       f"**{r['queue_per_s'] / r['anchor_per_s']:.2f}** | {r['direct_per_s']:.0f}/s | "
                       f"{r['direct_per_s'] / r['anchor_per_s']:.2f} |")
        out.append("")
        if handlers.get("scaling"):
            out += ["Dispatcher cost as configured tenants grow (one busy at concurrency 4, the rest idle):", "",
                    "| tenants | queue drain | gateway CPU per delivery (handlers excluded) |", "|---|---|---|"]
            for r in handlers["scaling"]:
                out.append(f"| {r['tenants']} | {r['drain_per_s']:.0f}/s | {r['gateway_cpu_us_per_delivery']:.0f} µs |")
            out.append("")

    stream = load(results, "stream")
    if stream:
        out += [f"## Stream handlers, {stream['events']:,} events, median of {stream['repeat']}", "",
                "| Python stream handler | exec mode, /bin/true (concurrency 4) | ratio |", "|---|---|---|",
                f"| {stream['stream_per_s']:,.0f} events/s | {stream['exec_per_s']:,.0f} events/s | "
                f"**{stream['stream_per_s'] / stream['exec_per_s']:.1f}×** |", "",
                "| run | events | done | lost | duplicates | dead | worker SIGKILLs | gateway SIGKILLs |",
                "|---|---|---|---|---|---|---|---|"]
        for k in stream["kills"]:
            name = "worker killed" + (", gateway killed once" if k["gateway_kills"] else "")
            out.append(f"| {name} | {k['events']:,} | {k['done']:,} | {k['lost']} | {k['duplicates']} | {k['dead']} | "
                       f"{k['worker_kills']} | {k['gateway_kills']} |")
        out.append("")

    startup = load(results, "startup")
    if startup:
        out += [f"## Start-up and idle memory (median of {startup['runs']})", "",
                "| tenant files | exec → READY=1 | idle RSS |", "|---|---|---|"]
        for r in startup["rows"]:
            out.append(f"| {r['tenants']} | {r['ready_ms']:.0f} ms | {r['idle_rss_kib'] / 1024:.1f} MiB |")
        out.append("")

    if "decode" in log:
        out += ["## Decoder throughput (Benchmarks/decode)", "", "```"]
        out += [line for line in log["decode"]["output"].splitlines()
                if "events/s" in line or line.startswith(("mix:", "decode /"))]
        out += ["```", ""]

    failed = [k for k, v in log.items() if v["rc"] != 0]
    if failed:
        out += [f"**Failed parts: {', '.join(failed)}** (see the output above).", ""]
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--results", default=str(REPO / "var" / "bench"))
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", nargs="+", choices=["ingest", "postgres", "backlog", "handlers", "stream", "startup", "decode"])
    args = parser.parse_args()
    results = Path(args.results)
    results.mkdir(parents=True, exist_ok=True)
    for old in results.glob("*.json"):
        old.unlink()
    py = sys.executable
    r = ["--results", str(results)]
    parts = {
        "ingest": [py, str(HERE / "ingest.py"), *r] + (["--seconds", "3", "--warmup", "1", "--repeat", "1"] if args.quick else []),
        # Under a private PostgreSQL server of its own, started and removed around it.
        "postgres": [str(REPO / "Tests" / "PostgreSQL" / "with-server.sh"), py, str(HERE / "postgres.py"), *r]
        + (["--seconds", "3", "--warmup", "1"] if args.quick else []),
        "backlog": [py, str(HERE / "backlog.py"), *r] + (["--events", "50000", "--drain", "10", "--wrk-seconds", "3"]
                                                         if args.quick else []),
        "handlers": [py, str(HERE / "handlers.py"), *r] + (["--events", "500", "--repeat", "1", "--direct-seconds", "2",
                                                            "--tenant-counts", "1", "100"]
                                                           if args.quick else []),
        "stream": [py, str(HERE / "stream.py"), *r] + (["--events", "10000", "--exec-events", "500", "--repeat", "1",
                                                        "--kill-events", "10000", "--kill-every", "1"]
                                                       if args.quick else []),
        "startup": [py, str(HERE / "startup.py"), *r] + (["--runs", "1", "--tenants", "1", "100"] if args.quick else []),
        "decode": [str(HERE / "decode" / "run.sh")] + (["--seconds", "1"] if args.quick else []),
    }
    info = machine()
    import tempfile
    info["fsync_ms"] = fsync_ms(tempfile.gettempdir())
    log = {}
    for part, cmd in parts.items():
        if args.only and part not in args.only:
            continue
        before = loadavg()
        run(part, cmd, results, log)
        log[part]["load_before"] = before
    text = summary(results, info, log)
    (results / "summary.md").write_text(text + "\n")
    (results / "log.json").write_text(json.dumps({"machine": info, "parts": log}, indent=2))
    print("\n" + "=" * 78 + "\n" + text)
    sys.exit(1 if any(v["rc"] for v in log.values()) else 0)


if __name__ == "__main__":
    main()
