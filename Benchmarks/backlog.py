#!/usr/bin/env python3
"""A backlog of a million events: how fast coregate takes it in, whether ingest slows with it,
and the gateway's memory while it drains.

1. Fill. One tenant whose handler cannot keep up (`/bin/sleep 30`, concurrency 1), so nearly
   nothing drains. Bodies of --batch On-Premises text messages each (a Coreapp batches under
   load; one request is one group commit), unique ids, 10,000 contacts, posted on 2 connections
   until --events are stored. Reports events/s and the RSS over the fill.
2. Single-message ingest with that backlog in place: wrk (post.lua) at 8 connections.
3. Drain. A reload (SIGHUP) swaps the handler for /bin/true at concurrency 16; for --drain
   seconds the RSS (VmRSS) and the backlog are sampled every second. Draining a million at the
   spawn rate of this machine takes longer than a benchmark should, so the rest is extrapolated
   from the measured rate, and labelled so.
"""
import argparse
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib as b  # noqa: E402

UNFINISHED = ("pending", "running", "retrying")


class RSSSampler(threading.Thread):
    def __init__(self, pid, interval=0.5):
        super().__init__(daemon=True)
        self.pid, self.interval, self.samples, self._halt = pid, interval, [], threading.Event()

    def run(self):
        while not self._halt.is_set():
            self.samples.append((time.monotonic(), b.rss_kib(self.pid)))
            self._halt.wait(self.interval)

    def stop(self):
        self._halt.set()
        self.join()
        return [kib for _, kib in self.samples if kib]


def mib(kib):
    return kib / 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=5000, help="messages per request while filling")
    parser.add_argument("--drain", type=int, default=60, help="seconds of draining to measure")
    parser.add_argument("--wrk-seconds", type=int, default=10)
    parser.add_argument("--results", help="folder for backlog.json")
    args = parser.parse_args()
    b.require("wrk")
    result = {"events_target": args.events, "batch": args.batch}

    with tempfile.TemporaryDirectory(prefix="coregate-backlog-") as work:
        slow = b.tenant_toml(handler_command=["/bin/sleep", "30"], events=["message.*"], concurrency=1,
                             timeout="60s")
        gw = b.start_gateway(Path(work), {"bench": slow})
        pid, state = gw.proc.pid, gw.workdir / "state"
        url = gw.url("/webhooks/bench")
        try:
            time.sleep(1)
            result["rss_idle_kib"] = b.rss_kib(pid)

            # 1. Fill.
            run_id = uuid.uuid4().hex[:8]
            batches = list(range(0, args.events, args.batch))
            lock = threading.Lock()
            failures = []

            def poster():
                while True:
                    with lock:
                        if not batches or failures:
                            return
                        first = batches.pop(0)
                    body = b.onprem_body(first, min(args.batch, args.events - first), run_id)
                    status, answer = b.post(url, body)
                    if status != 200:
                        failures.append((status, answer))

            sampler = RSSSampler(pid)
            sampler.start()
            began = time.monotonic()
            threads = [threading.Thread(target=poster) for _ in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            fill_seconds = time.monotonic() - began
            fill_rss = sampler.stop()
            if failures:
                raise SystemExit(f"fill failed: {failures[0]}")
            counts = b.delivery_counts(state)
            backlog = sum(counts.get(s, 0) for s in UNFINISHED)
            result.update(fill_seconds=fill_seconds, fill_events_per_s=args.events / fill_seconds,
                          fill_rss_min_kib=min(fill_rss), fill_rss_max_kib=max(fill_rss), backlog_after_fill=backlog,
                          db_bytes=sum(p.stat().st_size for p in state.glob("coregate.sqlite*")))
            print(f"fill: {args.events} events in {fill_seconds:.1f} s = {result['fill_events_per_s']:.0f} events/s "
                  f"({args.batch} per request); backlog {backlog}; RSS {mib(min(fill_rss)):.1f}–{mib(max(fill_rss)):.1f} MiB; "
                  f"database {result['db_bytes'] / 2**20:.0f} MiB", flush=True)

            # 2. Single-message ingest on top of the backlog.
            sampler = RSSSampler(pid)
            sampler.start()
            single = b.wrk(url, 8, args.wrk_seconds, uuid.uuid4().hex[:8])
            wrk_rss = sampler.stop()
            result["ingest_on_backlog"] = single
            print(f"single-message ingest over a backlog of {backlog}: {single['requests_per_s']:.0f} req/s "
                  f"p50 {single['p50_us'] / 1000:.2f} ms p99 {single['p99_us'] / 1000:.2f} ms errors {single['errors']}; "
                  f"RSS max {mib(max(wrk_rss)):.1f} MiB", flush=True)

            # 3. Drain: swap the handler for a fast one and watch memory.
            (gw.tenants_dir / "bench.toml").write_text(
                b.tenant_toml(handler_command=["/bin/true"], events=["message.*"], concurrency=16))
            gw.reload()
            start_counts = b.delivery_counts(state)
            start_backlog = sum(start_counts.get(s, 0) for s in UNFINISHED)
            sampler = RSSSampler(pid, interval=1.0)
            sampler.start()
            began = time.monotonic()
            trace = []
            while time.monotonic() - began < args.drain:
                time.sleep(5)
                counts = b.delivery_counts(state)
                left = sum(counts.get(s, 0) for s in UNFINISHED)
                trace.append((round(time.monotonic() - began, 1), left, b.rss_kib(pid)))
                if left == 0:
                    break
            drain_seconds = time.monotonic() - began
            drain_rss = sampler.stop()
            end_backlog = trace[-1][1]
            drained = start_backlog - end_backlog
            rate = drained / drain_seconds
            result.update(drain_seconds=drain_seconds, drained=drained, drain_per_s=rate,
                          drain_rss_min_kib=min(drain_rss), drain_rss_max_kib=max(drain_rss),
                          drain_trace=trace, backlog_at_drain_start=start_backlog,
                          extrapolated_full_drain_s=(start_backlog / rate) if rate else None)
            print(f"drain: {drained} deliveries in {drain_seconds:.0f} s = {rate:.0f}/s (concurrency 16, /bin/true); "
                  f"RSS {mib(min(drain_rss)):.1f}–{mib(max(drain_rss)):.1f} MiB; "
                  f"a full drain of {start_backlog} would take ~{start_backlog / rate / 60:.0f} min (extrapolated)",
                  flush=True)
            for t, left, kib in trace:
                print(f"  t={t:>5}s backlog {left:>8} RSS {mib(kib):6.1f} MiB")
        finally:
            gw.stop(timeout=90)
    b.save(args.results, "backlog", result)


if __name__ == "__main__":
    main()
