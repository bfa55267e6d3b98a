"""Harness for end-to-end tests and benchmarks: the real `coregate` binary on 127.0.0.1, driven like systemd drives it.

A test owns the NOTIFY_SOCKET, so it waits for READY=1 instead of polling a port, and it can assert
the sd_notify conversation itself.
"""
import http.client
import os
import signal
import socket
import ssl
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("COREGATE_BIN", REPO / ".build" / "debug" / "coregate"))
FIXTURES = REPO / "Tests" / "CoregateWhatsAppTests" / "Resources" / "fixtures"


def free_port(family=socket.AF_INET, host="127.0.0.1"):
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def connect_when_listening(port, host="127.0.0.1", timeout=10):
    """Connects once something listens on the port, and hangs up. Under systemd-socket-activate the
    connection is also what starts the service, which then accepts it."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection((host, port), timeout=timeout).close()
            return
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class NotifySocket:
    """A datagram socket standing in for systemd's notification socket; records every message."""

    def __init__(self, directory, name="notify.sock"):
        self.path = str(Path(directory) / name)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.2)
        self.messages = []
        self._cond = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self):
        while not self._closed:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            with self._cond:
                self.messages.append(data.decode())
                self._cond.notify_all()

    def wait_for(self, predicate, timeout=20, start=0):
        """Waits for a message (from index `start` on) that satisfies `predicate`; returns its index."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for i in range(start, len(self.messages)):
                    if predicate(self.messages[i]):
                        return i
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no matching sd_notify message within {timeout}s; got {self.messages}")
                self._cond.wait(remaining)

    def close(self):
        self._closed = True
        self.sock.close()


def fields(message):
    return dict(line.split("=", 1) for line in message.splitlines() if "=" in line)


@dataclass
class TLSFiles:
    """What a TLS test serves with (`--tls-cert`, `--tls-key`, `--client-ca` when set) and what its clients trust."""
    cert: Path
    key: Path
    trusted_ca: Path
    client_ca: Path = None

    def args(self):
        args = ["--tls-cert", str(self.cert), "--tls-key", str(self.key)]
        return args + (["--client-ca", str(self.client_ca)] if self.client_ca else [])

    def client_context(self, client_cert=None):
        """A client that checks the server against `trusted_ca` and presents `client_cert` (a (cert, key) pair) if given."""
        context = ssl.create_default_context(cafile=str(self.trusted_ca))
        if client_cert:
            context.load_cert_chain(str(client_cert[0]), str(client_cert[1]))
        return context


class Coregate:
    """One running gateway process; with `tls`, every `--listen` address serves HTTPS."""

    started = 0

    def __init__(self, workdir, tenants_dir, port=None, config=None, extra_args=(), env=None, launcher=(), tls=None):
        self.workdir = Path(workdir)
        self.port = port or free_port()
        self.tls = tls
        Coregate.started += 1
        self.notify = NotifySocket(self.workdir, f"notify-{Coregate.started}.sock")
        self.stderr_path = self.workdir / f"coregate-{Coregate.started}.stderr"
        args = [str(BIN), "serve", "--tenants-dir", str(tenants_dir), "--state-dir", str(self.workdir / "state")]
        if config:
            args += ["--config", str(config)]
        if not launcher:
            args += ["--listen", f"127.0.0.1:{self.port}"]
        if tls:
            args += tls.args()
        args += list(extra_args)
        base_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "NOTIFY_SOCKET": self.notify.path}
        base_env.update(env or {})
        self.stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(list(launcher) + args, env=base_env, stdout=self.stderr, stderr=self.stderr)

    def wait_ready(self, timeout=20):
        return self.notify.wait_for(lambda m: "READY=1" in m.splitlines(), timeout)

    def url(self, path):
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}{path}"

    def connection(self, port=None, host="127.0.0.1", timeout=10, client_cert=None):
        """A keep-alive connection to the gateway: HTTPS when it serves TLS."""
        if self.tls:
            return http.client.HTTPSConnection(
                host, port or self.port, timeout=timeout, context=self.tls.client_context(client_cert))
        return http.client.HTTPConnection(host, port or self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, port=None, host="127.0.0.1", timeout=10, client_cert=None):
        conn = self.connection(port, host, timeout, client_cert)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, resp.read(), dict(resp.getheaders())
        finally:
            conn.close()

    def post(self, path, body, headers=None, **options):
        h = {"Content-Type": "application/json"}
        h.update(headers or {})
        return self.request("POST", path, body, h, **options)

    def log(self):
        if not self.stderr.closed:
            self.stderr.flush()
        return self.stderr_path.read_text(errors="replace")

    def signal(self, sig):
        self.proc.send_signal(sig)

    def reload(self, timeout=20):
        """SIGHUP, then wait for the READY=1 that ends the reload; returns that message."""
        start = len(self.notify.messages)
        self.signal(signal.SIGHUP)
        i = self.notify.wait_for(lambda m: "READY=1" in m.splitlines(), timeout, start=start)
        return self.notify.messages[i]

    def stop(self, timeout=20):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        finally:
            self.notify.close()
            self.stderr.close()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.notify.close()
        self.stderr.close()


def write_tenant(tenants_dir, tenant_id, text):
    path = Path(tenants_dir) / f"{tenant_id}.toml"
    path.write_text(text)
    return path


def fixture_bytes(name):
    return (FIXTURES / name).read_bytes()


def onprem_text(message_id, sender="15550100777", text="hello", timestamp=1764072000, name="Dana"):
    """An On-Premises inbound text webhook body with the given message id."""
    import json
    return json.dumps({
        "contacts": [{"profile": {"name": name}, "wa_id": sender}],
        "messages": [{"from": sender, "id": message_id, "timestamp": str(timestamp),
                      "text": {"body": text}, "type": "text"}],
    }).encode()


def wait_until(predicate, timeout=30, interval=0.05, what="condition"):
    import time
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def lines(path):
    from pathlib import Path
    p = Path(path)
    return p.read_text().splitlines() if p.exists() else []


def cli(*args, tenants_dir=None, state_dir=None, env=None, check=True):
    """Runs a `coregate` verb against the same config and state a running gateway uses."""
    import subprocess
    argv = [str(BIN), *args]
    if tenants_dir:
        argv += ["--tenants-dir", str(tenants_dir)]
    if state_dir:
        argv += ["--state-dir", str(state_dir)]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=60,
                          env=env or {"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
    if check and proc.returncode != 0:
        raise AssertionError(f"{argv} failed ({proc.returncode}): {proc.stdout}{proc.stderr}")
    return proc


def handler_script(directory, name, body, interpreter="/bin/sh"):
    """Writes an executable handler script and returns its path."""
    from pathlib import Path
    path = Path(directory) / name
    path.write_text(f"#!{interpreter}\n{body}")
    path.chmod(0o755)
    return path
