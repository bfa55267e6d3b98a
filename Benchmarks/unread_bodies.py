#!/usr/bin/env python3
"""Memory under unauthenticated uploads (issue 12, item 2): 100 connections at once post to a path
no tenant has, each declaring a 4 MiB body and sending it whole without waiting for an answer, as a
careless or hostile client would. The gateway's RSS is read before, at its peak (VmHWM) and after.

A gateway that buffers bodies before routing holds up to 100 × 4 MiB at once; one that answers
404 on the head drops each body as it arrives. Also counts the answers the clients read: every
one should be a 404, never a reset.

    COREGATE_BIN=.build-release/release/coregate python3 Benchmarks/unread_bodies.py [--connections 100]
"""
import argparse
import socket
import tempfile
import threading
from pathlib import Path

import benchlib as b

BODY_SIZE = 4 << 20
CHUNK = b"x" * (64 << 10)


def upload(port, statuses):
    head = (f"POST /webhooks/nobody HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {BODY_SIZE}\r\n\r\n").encode()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
            s.sendall(head)
            sent = 0
            while sent < BODY_SIZE:
                s.sendall(CHUNK)
                sent += len(CHUNK)
            reply = s.recv(64)
            statuses.append(reply.split(b" ", 2)[1].decode() if reply.startswith(b"HTTP/1.1 ") else "no answer")
    except OSError as error:
        statuses.append(type(error).__name__)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="coregate-bodies-") as work:
        gw = b.start_gateway(Path(work), {"acme": 'sender = "on-premises"\n'})
        try:
            before = b.rss_kib(gw.proc.pid)
            statuses = []
            threads = [threading.Thread(target=upload, args=(gw.port, statuses)) for _ in range(args.connections)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            peak, after = b.rss_kib(gw.proc.pid, "VmHWM"), b.rss_kib(gw.proc.pid)
        finally:
            gw.stop()
    counts = {status: statuses.count(status) for status in sorted(set(statuses))}
    print(f"{args.connections} connections × {BODY_SIZE >> 20} MiB to an unknown path: "
          f"RSS {before / 1024:.0f} MiB before, {peak / 1024:.0f} MiB at peak, {after / 1024:.0f} MiB after; "
          f"answers {counts}")


if __name__ == "__main__":
    main()
