#!/usr/bin/env python3
"""Where each microsecond of an ingest request goes: the release build in queue mode without a
handler (the store alone, as the `coregate fsync` target of ingest.py), wrk posting
Benchmarks/wrk/post.lua, and `perf record -g` (cpu-clock, so it works on VMs without hardware
counters) on the gateway during the measured run. Prints, per connection count, the server CPU
per request and its split by thread and by pipeline stage (classify.py), and keeps perf.data.

    COREGATE_BIN=.build-release/release/coregate python3 Benchmarks/profile/ingest.py --connections 1 64

Needs `perf` (Debian: linux-perf). The split is of samples, so it holds on a busy machine better
than any absolute figure; the CPU per request is the steadier of the two totals.
"""
import argparse
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import benchlib as b  # noqa: E402
sys.path.insert(0, str(HERE))
import classify  # noqa: E402


def profile(work, out, connections, seconds, warmup, fsync, frequency):
    gw = b.start_gateway(Path(work) / f"c{connections}-{uuid.uuid4().hex[:6]}", {"bench": b.tenant_toml()},
                         global_toml=f"power_loss_safe = {'true' if fsync else 'false'}\n")
    data = out / f"ingest-c{connections}.perf.data"
    try:
        url = gw.url("/webhooks/bench")
        b.wrk(url, connections, warmup, uuid.uuid4().hex[:8] + "w")
        recorder = subprocess.Popen(
            ["perf", "record", "-F", str(frequency), "-g", "-p", str(gw.proc.pid), "-o", str(data), "--",
             "sleep", str(seconds + 1)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cpu0 = b.cpu_seconds(gw.proc.pid)
        result = b.wrk(url, connections, seconds, uuid.uuid4().hex[:8])
        cpu = b.cpu_seconds(gw.proc.pid) - cpu0
        recorder.wait()
    finally:
        gw.stop()
    per_request = 1e6 * cpu / max(1, result["requests"])
    print(f"## {connections} connection(s): {result['requests_per_s']:.0f} req/s, p99 "
          f"{result['p99_us'] / 1000:.2f} ms, errors {result['errors']}, server CPU {per_request:.0f} µs/request, "
          f"load average {Path('/proc/loadavg').read_text().split()[0]}\n", flush=True)
    print(classify.split_recording(data, per_request), flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, nargs="+", default=[1, 64])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--no-fsync", action="store_true", help="power_loss_safe = false")
    parser.add_argument("--frequency", type=int, default=999, help="samples per second per CPU")
    parser.add_argument("--out", default=str(b.REPO / "var" / "profile"), help="folder for the perf.data files")
    args = parser.parse_args()
    b.require("wrk", "perf")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="coregate-profile-") as work:
        for connections in args.connections:
            profile(work, out, connections, args.seconds, args.warmup, not args.no_fsync, args.frequency)


if __name__ == "__main__":
    main()
