#!/usr/bin/env python3
"""HTTPS ingest beside plain HTTP, in one run of one gateway: requests/s that wrk gets from a
socket named `https` and from one named `http` (socket activation), on keep-alive connections
and with a new connection (so a new TLS handshake) for every request.

Run it with `make bench-https` (release build). The gateway logs at `warning`, so the numbers
are the transport's and the pipeline's, not the log file's. HTTP and HTTPS runs alternate and the
median of the rounds is shown, so a burst of load from elsewhere on the machine does not land on
one side only.
"""
import argparse
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Tests" / "EndToEnd"))
from harness import BIN, FIXTURES, Coregate, TLSFiles, connect_when_listening, free_port  # noqa: E402
from pki import PKI  # noqa: E402

TENANT = 'sender = "on-premises"\n[verify]\nallow_from = ["127.0.0.0/8"]\n'
LUA = """wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
{close}
local f = io.open("{body}", "rb")
wrk.body = f:read("*a")
f:close()
"""


def wrk(url, script, seconds, connections, threads):
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "-s", str(script), url],
                         capture_output=True, text=True, timeout=seconds + 60).stdout
    if "Non-2xx" in out or "Socket errors" in out and "connect 0, read 0, write 0, timeout 0" not in out:
        print(out, file=sys.stderr)
        raise SystemExit(f"wrk saw failed requests against {url}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="alternating HTTP and HTTPS runs per kind of connection")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="coregate-bench-https-") as tmp:
        work = Path(tmp)
        tenants = work / "conf" / "tenants"
        tenants.mkdir(parents=True)
        (tenants / "bench.toml").write_text(TENANT)
        server = PKI(work / "pki").server("server", serial=1)
        scripts = {}
        for mode, close in [("keep-alive", ""), ("new connection", 'wrk.headers["Connection"] = "close"')]:
            scripts[mode] = work / f"{mode.replace(' ', '-')}.lua"
            scripts[mode].write_text(LUA.format(close=close, body=FIXTURES / "onprem-inbound-text.json"))

        https_port, http_port = free_port(), free_port()
        gw = Coregate(work, tenants, tls=TLSFiles(server.cert, server.key, trusted_ca=None),
                      extra_args=["--log-level", "warning"],
                      launcher=["systemd-socket-activate", "-l", f"127.0.0.1:{https_port}", "-l", f"127.0.0.1:{http_port}",
                                "--fdname=https:http", "-E", "NOTIFY_SOCKET=" + str(work / "notify.sock"), "-E", "PATH"])
        try:
            connect_when_listening(https_port)
            gw.wait_ready(timeout=60)
            urls = {"http": f"http://127.0.0.1:{http_port}/webhooks/bench",
                    "https": f"https://127.0.0.1:{https_port}/webhooks/bench"}
            print(f"coregate {BIN}; wrk -t{args.threads} -c{args.connections} -d{args.seconds}s, median of "
                  f"{args.rounds} rounds, POST {FIXTURES.name}/onprem-inbound-text.json")
            print(f"{'connections':<16}{'http req/s':>12}{'https req/s':>13}{'https/http':>12}")
            for mode, script in scripts.items():
                rounds = {scheme: [] for scheme in urls}
                for _ in range(args.rounds):
                    for scheme, url in urls.items():
                        rounds[scheme].append(wrk(url, script, args.seconds, args.connections, args.threads))
                rates = {scheme: statistics.median(values) for scheme, values in rounds.items()}
                print(f"{mode:<16}{rates['http']:>12.0f}{rates['https']:>13.0f}{rates['https'] / rates['http']:>12.2f}")
        finally:
            status = gw.stop()
        if status != 0:
            raise SystemExit(f"coregate exited with {status}: {gw.log()[-2000:]}")


if __name__ == "__main__":
    main()
