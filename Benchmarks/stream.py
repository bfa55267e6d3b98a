#!/usr/bin/env python3
"""Stream handlers (issue 13): events/s delivered end to end to a Python stream handler, beside
exec mode with /bin/true in the same run, and two runs that kill things and count what is lost.

Throughput: --events events (On-Premises text messages from 10,000 contacts) are posted in bodies
of 1,000, and the clock runs from the first post until the store counts every delivery done (read
from `delivery_count`, a WAL reader beside the service). The same for exec mode with /bin/true
at concurrency 4, with --exec-events events (a process per event is far slower: fewer events
keep the run short; the rate is what is compared).

Kill runs (--kill-events, 100,000 by default): the same posting while a thread SIGKILLs the
stream worker every --kill-every seconds; the handler appends each event id it answers `done` to
a file first (O_APPEND, one write per answer). At the end: every event's delivery is done in the
store, every id is in the file at least once (0 lost), and the ids in the file more than once
are the duplicates that at-least-once delivery costs. Then the same again with the gateway
itself killed (SIGKILL) once, mid-run, and started again on the same state folder.
"""
import argparse
import os
import signal
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib as b  # noqa: E402

WORKER = r'''#!/usr/bin/env python3
import json, os, sys
record = os.open(os.environ["RECORD"], os.O_WRONLY | os.O_APPEND | os.O_CREAT) if os.environ.get("RECORD") else None
out = sys.stdout
for line in sys.stdin:
    event_id = json.loads(line)["id"]
    if record is not None:
        os.write(record, (event_id + "\n").encode())
    out.write('{"id":%s,"status":"done"}\n' % json.dumps(event_id))
    out.flush()
'''


def stream_tenant(worker, record=None, workers=1, max_inflight=64):
    text = b.tenant_toml(handler_command=[str(worker)], events=["message.*"], timeout="30s")
    text += f'mode = "stream"\nworkers = {workers}\nmax_inflight = {max_inflight}\n'
    if record:
        text += f'env = {{ RECORD = "{record}" }}\n'
    return text


def post_all(gw, count, run_id, batch=1000):
    for first in range(0, count, batch):
        while True:
            try:
                status, answer = b.post(gw.url("/webhooks/bench"), b.onprem_body(first, min(batch, count - first), run_id))
            except OSError:
                return first  # the gateway went away (the kill run)
            if status == 200:
                break
            time.sleep(0.1)
    return count


def wait_done(state, count, timeout=900):
    began = time.monotonic()
    while True:
        counts = b.delivery_counts(state)
        if counts.get("done", 0) + counts.get("dead", 0) >= count:
            return counts
        if time.monotonic() - began > timeout:
            raise RuntimeError(f"deliveries not done after {timeout} s: {counts}")
        time.sleep(0.02)


def throughput(work, tenants, count):
    gw = b.start_gateway(Path(work) / f"run-{uuid.uuid4().hex[:6]}", tenants)
    state = gw.workdir / "state"
    try:
        cpu_before = b.cpu_seconds(gw.proc.pid, children=False)
        began = time.monotonic()
        post_all(gw, count, uuid.uuid4().hex[:8])
        ingested = time.monotonic()
        counts = wait_done(state, count)
        finished = time.monotonic()
        if counts.get("dead", 0) or counts.get("retrying", 0):
            raise RuntimeError(f"handler failures: {counts}")
        gateway_cpu = b.cpu_seconds(gw.proc.pid, children=False) - cpu_before
        return {"per_s": count / (finished - began), "ingest_s": ingested - began, "total_s": finished - began,
                "gateway_cpu_us_per_event": 1e6 * gateway_cpu / count}
    finally:
        gw.stop()


def worker_pids(worker):
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if str(worker).encode() in Path(f"/proc/{entry}/cmdline").read_bytes():
                    pids.append(int(entry))
            except OSError:
                pass
    return pids


class Killer(threading.Thread):
    """SIGKILLs every process of the worker script every `every` seconds until stopped."""

    def __init__(self, worker, every):
        super().__init__(daemon=True)
        self.worker, self.every, self.kills = worker, every, 0
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.wait(self.every):
            for pid in worker_pids(self.worker):
                try:
                    os.kill(pid, signal.SIGKILL)
                    self.kills += 1
                except ProcessLookupError:
                    pass


def kill_run(work, worker, count, every, kill_gateway):
    folder = Path(work) / f"kill-{uuid.uuid4().hex[:6]}"
    record = folder / "answered.txt"
    tenants = {"bench": stream_tenant(worker, record=record)}
    gw = b.start_gateway(folder, tenants)
    state = gw.workdir / "state"
    run_id = uuid.uuid4().hex[:8]
    killer = Killer(worker, every)
    killer.start()
    restarts = 0
    began = time.monotonic()
    try:
        posted = 0
        if kill_gateway:
            # Post half, let delivery get going, kill the gateway, start it again, post the rest.
            posted = post_all(gw, count // 2, run_id)
            time.sleep(1)
            gw.kill()
            restarts += 1
            gw = b.start_gateway(folder, tenants)
            post_ids_from = posted
            for first in range(post_ids_from, count, 1000):
                status, answer = b.post(gw.url("/webhooks/bench"), b.onprem_body(first, min(1000, count - first), run_id))
                assert status == 200, answer
        else:
            post_all(gw, count, run_id)
        counts = wait_done(state, count)
    finally:
        killer.stopped.set()
        killer.join()
        gw.stop()
    answered = Counter(record.read_text().split())
    expected = {f"msg:wamid.{run_id}-{n}" for n in range(count)}
    lost = len(expected - set(answered))
    duplicates = sum(n - 1 for n in answered.values() if n > 1)
    return {"events": count, "done": counts.get("done", 0), "dead": counts.get("dead", 0), "lost": lost,
            "duplicates": duplicates, "worker_kills": killer.kills, "gateway_kills": restarts,
            "seconds": time.monotonic() - began}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--exec-events", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--kill-events", type=int, default=100_000)
    parser.add_argument("--kill-every", type=float, default=1.0)
    parser.add_argument("--results", help="folder for stream.json")
    args = parser.parse_args()
    b.require("python3")

    with tempfile.TemporaryDirectory(prefix="coregate-stream-") as work:
        worker = Path(work) / "answer-all.py"
        worker.write_text(WORKER)
        worker.chmod(0o755)
        stream, execs = [], []
        for _ in range(args.repeat):
            stream.append(throughput(work, {"bench": stream_tenant(worker)}, args.events))
            execs.append(throughput(work, {"bench": b.tenant_toml(handler_command=["/bin/true"], concurrency=4)},
                                    args.exec_events))
            print(f"  stream {stream[-1]['per_s']:.0f} events/s (gateway {stream[-1]['gateway_cpu_us_per_event']:.0f} µs/event), "
                  f"exec /bin/true {execs[-1]['per_s']:.0f} events/s", flush=True)
        stream_rate = statistics.median(s["per_s"] for s in stream)
        exec_rate = statistics.median(e["per_s"] for e in execs)
        kills = [kill_run(work, worker, args.kill_events, args.kill_every, kill_gateway=False),
                 kill_run(work, worker, args.kill_events, args.kill_every, kill_gateway=True)]
        for k in kills:
            print(f"  kill run ({k['worker_kills']} worker kills, {k['gateway_kills']} gateway kills): "
                  f"{k['done']} of {k['events']} done, {k['lost']} lost, {k['duplicates']} duplicates, "
                  f"{k['dead']} dead", flush=True)

    print()
    print(f"stream handler (Python): {stream_rate:,.0f} events/s end to end; exec /bin/true: {exec_rate:,.0f} events/s; "
          f"ratio {stream_rate / exec_rate:.1f}×")
    b.save(args.results, "stream", {"events": args.events, "exec_events": args.exec_events, "repeat": args.repeat,
                                    "stream_per_s": stream_rate, "exec_per_s": exec_rate,
                                    "samples": {"stream": stream, "exec": execs}, "kills": kills})
    if any(k["lost"] or k["dead"] or k["done"] != k["events"] for k in kills):
        sys.exit("events were lost")


if __name__ == "__main__":
    main()
