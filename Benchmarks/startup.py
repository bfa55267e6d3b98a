#!/usr/bin/env python3
"""Start-up and idle cost of `coregate serve`: time from exec to READY=1 with N tenant files,
and the resident memory once idle. Prints a small table; `make bench` runs it on the release build."""
import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Tests" / "EndToEnd"))
from harness import Coregate  # noqa: E402

TENANT = '''sender = "{sender}"
description = "benchmark tenant {i}"
phone_number_ids = ["{number}"]
[delivery]
mode = "queue"
[[handlers]]
name = "log"
events = ["message.*", "status.*"]
command = ["/bin/true"]
timeout = "10s"
'''


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def measure(count, runs):
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        tenants = work / "conf" / "tenants"
        tenants.mkdir(parents=True)
        for i in range(count):
            sender = "cloud" if i % 2 else "on-premises"
            (tenants / f"t{i:05d}.toml").write_text(TENANT.format(sender=sender, i=i, number=100000000000 + i))
        ready, rss = [], []
        for run in range(runs):
            run_dir = work / f"run{run}"
            run_dir.mkdir()
            began = time.monotonic()
            gw = Coregate(run_dir, tenants)
            gw.wait_ready(timeout=120)
            ready.append(time.monotonic() - began)
            time.sleep(1.0)
            rss.append(rss_kib(gw.proc.pid))
            gw.stop()
        ready.sort()
        rss.sort()
        return ready[len(ready) // 2], rss[len(rss) // 2]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tenants", type=int, nargs="+", default=[1, 1000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--results", help="folder for startup.json")
    args = parser.parse_args()
    print(f"{'tenants':>8} {'exec→READY=1 (median)':>22} {'idle RSS (median)':>18}")
    rows = []
    for count in args.tenants:
        seconds, kib = measure(count, args.runs)
        rows.append({"tenants": count, "ready_ms": seconds * 1000, "idle_rss_kib": kib})
        print(f"{count:>8} {seconds * 1000:>19.0f} ms {kib / 1024:>15.1f} MiB")
    if args.results:
        Path(args.results).mkdir(parents=True, exist_ok=True)
        (Path(args.results) / "startup.json").write_text(json.dumps({"rows": rows, "runs": args.runs}, indent=2))


if __name__ == "__main__":
    main()
