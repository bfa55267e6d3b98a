#!/usr/bin/env python3
"""Where the gateway's CPU goes, per stored request: reads `perf script` output of a profile taken
with `perf record -g` (Benchmarks/profile/ingest.py), gives each sample to the pipeline stage of
its nearest frame that names one (so a malloc under the decoder counts as decoding), and scales
each stage's share of the samples by the server CPU per request measured in the same run.

    perf script -F comm,tid,ip,sym -i ingest.perf.data | classify.py --cpu-us-per-request 171
"""
import argparse
import collections
import sys

# What the kernel does for the process, told by its own frames: checked first, anywhere in the stack.
KERNEL = [
    (("do_fsync", "fdatasync"), "fsync (power_loss_safe)"),
    (("futex_wait", "futex_wake", "do_futex"), "futex: threads parked and woken (hand-offs)"),
    (("do_epoll", "ep_poll", "epoll_ctl"), "epoll (event loop waits and registrations)"),
    (("tcp_sendmsg", "do_writev"), "socket write, kernel (the answer)"),
    (("tcp_recvmsg", "sock_read_iter"), "socket read, kernel (the request)"),
    (("eventfd_write", "eventfd_read"), "waking an event loop from another thread"),
    (("__x64_sys_pwrite64",), "SQLite WAL write, kernel"),
    (("__x64_sys_fcntl",), "SQLite file locks (fcntl), kernel"),
    (("vfs_statx",), "stat of /etc/localtime (the log line's local time)"),
    (("ksys_write",), "write(2) of a log line, kernel"),
]
# Then leaf first: the first frame that matches names the stage. Mangled Swift names are matched by
# the substrings of their module and type names.
STAGES = [
    ("wakeupSelector", "waking an event loop from another thread"),
    # Before the log markers: the stream thread's root frame (StreamPool.init's closure) names
    # Logging.Logger among its parameter types.
    ("12StreamAnswer", "stream: answer lines parsed"),
    ("10StreamPool", "stream: pipes, answers held, events sent"),
    ("10Dispatcher", "dispatcher: scheduling, judging, logging per run"),
    ("StreamLogHandler", "log line"),
    ("$s7Logging6Logger", "log line"),  # methods of Logger, not functions that take one
    ("CoregateSystemd", "log line"),
    ("AccessLog", "log line"),
    ("10Prometheus", "metrics"),
    ("GatewayMetrics", "metrics"),
    ("jsonLine", "event JSON line"),
    ("JSONWriter", "event JSON line"),
    ("16CoregateWhatsApp", "decode"),
    ("sqlite3", "SQLite"),
    ("4GRDB", "GRDB (statements, arguments, transactions)"),
    ("13CoregateStore", "store (group commit, insertion)"),
    ("14CoregateVerify", "verification"),
    ("11CoregateKit8Delivery", "enqueue (events to rows)"),
    ("11CoregateKit7Gateway", "gateway (route, checks, body stage)"),
    ("11CoregateKit", "gateway (route, checks, body stage)"),
    ("RequestHandlerC5write", "answer: NIO write path"),
    ("RequestHandler", "request handler (head, body, answer hand-off)"),
    ("llhttp", "HTTP parse"),
    ("HTTPDecoder", "HTTP parse"),
    ("HTTPParser", "HTTP parse"),
    ("swift_task", "Swift concurrency runtime (tasks, actors, continuations)"),
    ("swift_job", "Swift concurrency runtime (tasks, actors, continuations)"),
    ("swift_continuation", "Swift concurrency runtime (tasks, actors, continuations)"),
    ("_dispatch", "Dispatch (GRDB's queue, the cooperative pool)"),
    ("8NIOPosix", "NIO: channel reads, writes, event loop"),
    ("7NIOCore", "NIO: channel reads, writes, event loop"),
    ("8NIOHTTP1", "NIO: channel reads, writes, event loop"),
]


def samples(stream):
    """(thread name, thread id, frames leaf first) for each sample."""
    comm, frames = None, []
    for line in stream:
        line = line.rstrip("\n")
        if not line.strip():
            if comm is not None:
                yield comm[0], comm[1], frames
            comm, frames = None, []
        elif not line.startswith("\t"):
            name, tid = line.strip().rsplit(None, 1)
            comm, frames = (name, tid), []
        else:
            parts = line.strip().split(None, 1)
            frames.append(parts[1] if len(parts) > 1 else parts[0])
    if comm is not None:
        yield comm[0], comm[1], frames


THREADS = {
    "coregate-exec": "handler threads (spawn, supervise, pump)",
    "coregate-queue": "dispatcher thread (rounds)",
    "coregate-stream": "stream workers' thread",
    "coregate-commit": "commit thread (group commit)",
}


def thread_kind(name, tid, commit_threads):
    # Recordings of builds before the threads named themselves: the commit thread is told by its frames.
    if tid in commit_threads:
        return "commit thread (group commit)"
    if name in THREADS:
        return THREADS[name]
    if name.startswith("NIO-"):
        return "event loops"
    if "overcommit" in name:
        return "GRDB's writer queue"
    if "default-qos" in name:
        return "cooperative pool"
    return name


def stage(frames):
    for markers, name in KERNEL:
        if any(marker in frame for frame in frames for marker in markers):
            return name
    for frame in frames:
        for marker, name in STAGES:
            if marker in frame:
                return name
    if frames and frames[0].startswith(("malloc", "cfree", "_int_", "unlink_chunk", "malloc_consolidate")):
        return "malloc and free (caller not unwound)"
    return "other"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cpu-us-per-request", type=float, required=True)
    args = parser.parse_args()
    by_stage, by_thread, total = collections.Counter(), collections.Counter(), 0
    recorded = list(samples(sys.stdin))
    commit_threads = {tid for _, tid, frames in recorded if any("EventWriterC5serve" in f for f in frames)}
    for name, tid, frames in recorded:
        total += 1
        by_stage[stage(frames)] += 1
        by_thread[thread_kind(name, tid, commit_threads)] += 1
    scale = args.cpu_us_per_request / max(1, total)
    print(f"{total} samples; {args.cpu_us_per_request:.0f} µs of server CPU per request\n")
    print("| thread | share | µs/request |\n|---|---|---|")
    for name, n in by_thread.most_common():
        print(f"| {name} | {100 * n / total:.0f}% | {n * scale:.1f} |")
    print("\n| stage | share | µs/request |\n|---|---|---|")
    for name, n in by_stage.most_common():
        print(f"| {name} | {100 * n / total:.1f}% | {n * scale:.1f} |")



def split_recording(data, cpu_us_per_unit):
    """The report this script prints, for the perf recording `data` (what the profile scripts run)."""
    import subprocess
    script = subprocess.run(["perf", "script", "-F", "comm,tid,ip,sym", "-i", str(data)],
                            capture_output=True, text=True)
    return subprocess.run([sys.executable, __file__, "--cpu-us-per-request", f"{cpu_us_per_unit:.1f}"],
                          input=script.stdout, capture_output=True, text=True).stdout


if __name__ == "__main__":
    main()
