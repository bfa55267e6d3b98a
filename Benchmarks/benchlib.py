"""Shared pieces of the benchmarks: the gateway and the anchors as processes, wrk, /proc readings.

Everything runs on 127.0.0.1 on ports picked free at run time, in private temporary folders; no
system service is started or stopped.
"""
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "Tests" / "EndToEnd"))
os.environ.setdefault("COREGATE_BIN", str(REPO / ".build-release" / "release" / "coregate"))
import harness  # noqa: E402
from harness import Coregate  # noqa: E402

LUA = HERE / "wrk" / "post.lua"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# 18091 belongs to a host process on the machines this was written on; never pick it.
RESERVED_PORTS = {18091}


def free_port():
    while True:
        port = harness.free_port()
        if port not in RESERVED_PORTS:
            return port


def rss_kib(pid, field="VmRSS"):
    """The process's resident memory now, or with field="VmHWM" at its peak so far."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except FileNotFoundError:
        pass
    return 0


def cpu_seconds(pid, children=True):
    """User + system CPU of the process and, unless `children` is false, of its reaped children
    (handlers, spawned commands)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        # Gone between the listing of /proc and the read: a command webhook spawned, say.
        return 0.0
    # After the ")": state is fields[0], so utime is [11], stime [12], cutime [13], cstime [14].
    return sum(int(fields[i]) for i in ((11, 12, 13, 14) if children else (11, 12))) / CLOCK_TICKS


def children(pid):
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


def tree_cpu_seconds(pid):
    """CPU of a process and its live children (nginx's workers), each with its reaped children."""
    return cpu_seconds(pid) + sum(cpu_seconds(kid) for kid in children(pid))


def wrk(url, connections, seconds, run_id, mode="unique", threads=None):
    """One wrk run with post.lua; returns its RESULT as a dict with requests_per_s added."""
    threads = threads or min(connections, 2)
    cmd = [
        "wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--latency", "--timeout", "10s",
        "-s", str(LUA), url, "--", run_id, mode,
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line[len("RESULT "):])
            result["requests_per_s"] = result["requests"] / (result["duration_us"] / 1e6)
            result["errors"] = sum(v for k, v in result.items() if k.startswith("err_"))
            return result
    raise RuntimeError(f"wrk printed no RESULT line:\n{out.stdout}\n{out.stderr}")


def tenant_toml(handler_command=None, events=("message.*", "status.*"), concurrency=4, mode="queue",
                max_backlog=10_000_000, timeout="30s"):
    text = (
        'sender = "on-premises"\n'
        'description = "benchmark tenant"\n'
        "[verify]\n"
        'allow_from = ["127.0.0.0/8"]\n'
        "[delivery]\n"
        f'mode = "{mode}"\n'
        f"concurrency = {concurrency}\n"
        f"max_backlog = {max_backlog}\n"
    )
    if handler_command:
        text += (
            "[[handlers]]\n"
            'name = "h"\n'
            f"events = {json.dumps(list(events))}\n"
            f"command = {json.dumps(list(handler_command))}\n"
            f'timeout = "{timeout}"\n'
        )
    return text


def start_gateway(workdir, tenants, global_toml=None):
    """`tenants`: {tenant id: toml text}. Returns a ready Coregate (harness) with .tenants_dir set."""
    workdir = Path(workdir)
    tenants_dir = workdir / "tenants"
    tenants_dir.mkdir(parents=True, exist_ok=True)
    for tenant_id, text in tenants.items():
        (tenants_dir / f"{tenant_id}.toml").write_text(text)
    config = None
    if global_toml is not None:
        config = workdir / "global.toml"
        config.write_text(global_toml)
    gw = Coregate(workdir, tenants_dir, port=free_port(), config=config)
    gw.wait_ready(timeout=60)
    gw.tenants_dir = tenants_dir
    return gw


def delivery_counts(state_dir):
    """{state: count} over all tenants, read from the triggers' exact counts (a WAL reader)."""
    db = Path(state_dir) / "coregate.sqlite"
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        rows = conn.execute("SELECT state, SUM(n) FROM delivery_count GROUP BY state").fetchall()
    finally:
        conn.close()
    return {state: n for state, n in rows}


def onprem_body(first, count, run_id, contacts=10_000):
    """An On-Premises inbound body carrying `count` text messages with unique ids, from up to
    `contacts` contacts (a Coreapp batches messages like this under load)."""
    messages, seen = [], {}
    for n in range(first, first + count):
        contact = str(15550000000 + n % contacts)
        seen[contact] = True
        messages.append(
            f'{{"from":"{contact}","id":"wamid.{run_id}-{n}","timestamp":"1718371205","type":"text",'
            f'"text":{{"body":"Hi! Is the Friday pickup slot still open? #{n}"}}}}')
    profiles = ",".join(f'{{"profile":{{"name":"Contact {c}"}},"wa_id":"{c}"}}' for c in seen)
    return f'{{"contacts":[{profiles}],"messages":[{",".join(messages)}]}}'.encode()


class Nginx:
    """A private nginx (own prefix, config, pid and logs) answering `return 200` on one port."""

    def __init__(self, workdir):
        self.dir = Path(workdir) / "nginx"
        for sub in ("logs", "tmp"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        conf = self.dir / "nginx.conf"
        d = self.dir
        conf.write_text(f"""
daemon off;
worker_processes auto;
pid {d}/nginx.pid;
error_log {d}/logs/error.log warn;
events {{ worker_connections 4096; }}
http {{
    # The default format and an access log, as Debian's stock nginx.conf has it.
    access_log {d}/logs/access.log;
    client_body_temp_path {d}/tmp/body;
    proxy_temp_path {d}/tmp/proxy;
    fastcgi_temp_path {d}/tmp/fastcgi;
    uwsgi_temp_path {d}/tmp/uwsgi;
    scgi_temp_path {d}/tmp/scgi;
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{self.port};
        location / {{
            default_type application/json;
            return 200 '{{"status":"accepted"}}';
        }}
    }}
}}
""")
        self.proc = subprocess.Popen(
            ["nginx", "-p", str(d), "-c", str(conf), "-e", str(d / "logs" / "error.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port)
        self.pid = self.proc.pid
        self.url = f"http://127.0.0.1:{self.port}/webhooks/bench"

    def stop(self):
        stop_process(self.proc)


class Webhook:
    """adnanh/webhook (Debian's `webhook`) with one hook that runs /bin/true per request.

    Without `include-command-output-in-response`, webhook answers at once and runs the command in
    the background: the same shape as coregate's queue mode (accept, then run the handler), minus
    the durable store. It logs to a file (-logfile, which is -verbose: a few lines per request,
    as coregate and nginx log each request), because that log is the only place that says when
    a command failed to start: webhook does not bound its background commands, and under load
    they run out of file descriptors while the client has had its 200 (`failed_commands`).
    """

    def __init__(self, workdir, command="/bin/true"):
        self.dir = Path(workdir) / "webhook"
        self.dir.mkdir(parents=True, exist_ok=True)
        hooks = self.dir / "hooks.json"
        hooks.write_text(json.dumps([{
            "id": "bench", "execute-command": command, "command-working-directory": str(self.dir),
            "response-message": '{"status":"accepted"}', "http-methods": ["POST"],
        }]))
        self.port = free_port()
        self.log = self.dir / "webhook.log"
        self.proc = subprocess.Popen(
            ["webhook", "-hooks", str(hooks), "-ip", "127.0.0.1", "-port", str(self.port), "-nopanic",
             "-logfile", str(self.log)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port)
        self.pid = self.proc.pid
        self.url = f"http://127.0.0.1:{self.port}/hooks/bench"

    def counts(self):
        """(commands started, finished, failed) so far, from the log; a failed one also finishes."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return text.count(" executing "), text.count(" finished handling "), text.count(" error occurred: ")

    def settle(self, timeout=120):
        """Waits until every command started has finished; returns how long that took."""
        began = time.monotonic()
        while time.monotonic() - began < timeout:
            started, finished, _ = self.counts()
            if finished >= started:
                break
            time.sleep(0.2)
        return time.monotonic() - began

    def stop(self):
        stop_process(self.proc)


class PythonReceiver:
    """The hand-written peer (peers/starlette_receiver.py): Starlette on uvicorn, 2 worker
    processes, a SQLite commit per request; `fsync` says whether that commit waits for one. Its
    access log (uvicorn's default) goes to a file, as every target logs each request."""

    def __init__(self, workdir, fsync, workers=2):
        self.dir = Path(workdir) / f"python-{'fsync' if fsync else 'nofsync'}"
        self.dir.mkdir(parents=True, exist_ok=True)
        db = self.dir / "receiver.sqlite"
        # Created here, once, so two workers starting together never race to turn WAL on.
        setup = sqlite3.connect(db)
        setup.execute("PRAGMA journal_mode = WAL")
        setup.close()
        self.port = free_port()
        self.log = open(self.dir / "access.log", "wb")
        env = dict(os.environ, RECEIVER_DB=str(db), RECEIVER_FSYNC="1" if fsync else "0")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "starlette_receiver:app", "--app-dir", str(HERE / "peers"),
             "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(workers)],
            env=env, stdout=self.log, stderr=subprocess.STDOUT)
        wait_port(self.port, timeout=60)
        self.pid = self.proc.pid
        self.url = f"http://127.0.0.1:{self.port}/webhooks/bench"

    def stop(self):
        stop_process(self.proc)
        self.log.close()


def wait_port(port, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def stop_process(proc, timeout=20):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def post(url, body, timeout=120):
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return resp.status, resp.read()


def require(*tools):
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        sys.exit(f"missing tools: {' '.join(missing)} (make bench installs them)")
    if not Path(os.environ["COREGATE_BIN"]).exists():
        sys.exit(f"no coregate binary at {os.environ['COREGATE_BIN']}: swift build -c release --scratch-path .build-release")


def save(results_dir, name, data):
    if results_dir:
        Path(results_dir).mkdir(parents=True, exist_ok=True)
        (Path(results_dir) / f"{name}.json").write_text(json.dumps(data, indent=2))
