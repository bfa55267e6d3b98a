#!/usr/bin/env python3
"""Where the gateway's CPU goes per event delivered to a stream handler (issue 13): the release
build, the throughput part of Benchmarks/stream.py (bodies of 1,000 messages posted one after
another, the Python worker answering every event), and `perf record -g` (cpu-clock) on the
gateway from the first post until the store counts every delivery done (DWARF call graphs: with
frame pointers most of the stream thread's stacks end in [unknown]). Prints the gateway's,
the worker's and the poster's CPU per event, the gateway's split by thread and by stage
(classify.py), and keeps perf.data. With --ingest-only the tenant has no handler: what storing
the events alone costs, the share of ingest in the stream figure.

    COREGATE_BIN=.build-release/release/coregate python3 Benchmarks/profile/stream.py --events 50000

Needs `perf` (Debian: linux-perf).
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import benchlib as b  # noqa: E402
import stream as s  # noqa: E402  (Benchmarks/stream.py: this folder is not on the path yet)
sys.path.insert(0, str(HERE))
import classify  # noqa: E402


def profile(work, out, events, frequency, ingest_only, record):
    worker = Path(work) / "answer-all.py"
    worker.write_text(s.WORKER)
    worker.chmod(0o755)
    tenant = b.tenant_toml() if ingest_only else s.stream_tenant(worker)
    gw = b.start_gateway(Path(work) / f"run-{uuid.uuid4().hex[:6]}", {"bench": tenant})
    state = gw.workdir / "state"
    name = "stream-ingest" if ingest_only else "stream"
    data = out / f"{name}.perf.data"
    try:
        if not ingest_only:
            for _ in range(100):  # the worker starts with the service; its pid is read before the run
                pids = s.worker_pids(worker)
                if pids:
                    break
                time.sleep(0.05)
        pids = [] if ingest_only else s.worker_pids(worker)
        recorder = None
        if record:
            recorder = subprocess.Popen(
                ["perf", "record", "-F", str(frequency), "--call-graph", "dwarf,16384", "-p", str(gw.proc.pid),
                 "-o", str(data)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(0.5)
        gateway0 = b.cpu_seconds(gw.proc.pid, children=False)
        worker0 = sum(b.cpu_seconds(p, children=False) for p in pids)
        poster0 = sum(os.times()[:2])
        began = time.monotonic()
        s.post_all(gw, events, uuid.uuid4().hex[:8])
        ingested = time.monotonic()
        poster = sum(os.times()[:2]) - poster0
        if ingest_only:
            finished = ingested
        else:
            counts = s.wait_done(state, events)
            finished = time.monotonic()
            if counts.get("dead", 0) or counts.get("retrying", 0):
                raise RuntimeError(f"handler failures: {counts}")
        gateway = b.cpu_seconds(gw.proc.pid, children=False) - gateway0
        worker_cpu = sum(b.cpu_seconds(p, children=False) for p in pids) - worker0
        if recorder:
            recorder.send_signal(2)
            recorder.wait()
    finally:
        gw.stop()
    per_event = 1e6 * gateway / events
    print(f"## {'ingest only (no handler)' if ingest_only else 'stream handler'}: {events} events, "
          f"{events / (finished - began):.0f} events/s end to end (ingest {ingested - began:.1f} s of "
          f"{finished - began:.1f} s); CPU per event: gateway {per_event:.1f} µs, "
          f"worker {1e6 * worker_cpu / events:.1f} µs, poster {1e6 * poster / events:.1f} µs; "
          f"load average {' '.join(Path('/proc/loadavg').read_text().split()[:3])}\n", flush=True)
    if record:
        print(classify.split_recording(data, per_event), flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--ingest-only", action="store_true", help="no handler: the cost of storing the events")
    parser.add_argument("--no-perf", action="store_true", help="CPU figures only")
    parser.add_argument("--frequency", type=int, default=499, help="samples per second per CPU")
    parser.add_argument("--out", default=str(b.REPO / "var" / "profile"), help="folder for the perf.data files")
    args = parser.parse_args()
    b.require("python3", *(() if args.no_perf else ("perf",)))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="coregate-profile-") as work:
        profile(work, out, args.events, args.frequency, args.ingest_only, not args.no_perf)


if __name__ == "__main__":
    main()
