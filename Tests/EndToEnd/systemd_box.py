"""A real systemd to test coregate's units against, as an operator meets them.

Tests/Systemd/boot.sh boots systemd as PID 1 of private namespaces (a "box"), whose root is an
overlay of the host's: writes inside vanish when it stops. coregate goes in with the project's own
`make install DESTDIR=/proc/<pid>/root`, and the box shares the host's network, so a test posts
webhooks to 127.0.0.1 like any sender would.
"""
import http.client
import os
import subprocess
import time
from pathlib import Path

from harness import BIN, REPO, free_port

BOOT = REPO / "Tests" / "Systemd" / "boot.sh"


class Box:
    def __init__(self, folder):
        self.folder = Path(folder)
        self.pid = None
        self.port = free_port()

    @property
    def root(self):
        return Path(f"/proc/{self.pid}/root")

    def start(self):
        started = subprocess.run([str(BOOT), "start", str(self.folder)], capture_output=True, text=True)
        if started.returncode != 0:
            raise AssertionError(f"systemd did not boot:\n{started.stderr}\n{self.console()}")
        self.pid = int(started.stdout.split()[-1])

    def stop(self):
        subprocess.run([str(BOOT), "stop", str(self.folder)], capture_output=True, text=True)

    def console(self):
        path = self.folder / "console.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def run(self, *command, check=True, timeout=30, input=None):
        """Runs a command inside the box; returns the CompletedProcess (text)."""
        done = subprocess.run([str(BOOT), "run", str(self.folder), *command],
                              input=input, capture_output=True, text=True, timeout=timeout)
        if check and done.returncode != 0:
            raise AssertionError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
        return done

    def systemctl(self, *args, check=True):
        return self.run("systemctl", *args, check=check).stdout.strip()

    def show(self, unit, prop):
        return self.systemctl("show", "-p", prop, "--value", unit)

    def is_active(self, unit):
        return self.systemctl("is-active", unit, check=False)

    def journal(self, *matches):
        return self.run("journalctl", "--no-pager", "-o", "json", "-u", "coregate", *matches).stdout

    def path(self, path):
        """A path inside the box, reachable from the host."""
        return self.root / str(path).lstrip("/")

    def write(self, path, text, mode=0o644):
        target = self.path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        target.chmod(mode)
        return target

    def make(self, target, **variables):
        """`make install` and friends, run from the repository into the box's root."""
        args = ["make", "--no-print-directory", "-C", str(REPO), target, f"DESTDIR={self.root}"]
        args += [f"{k}={v}" for k, v in variables.items()]
        done = subprocess.run(args, capture_output=True, text=True)
        assert done.returncode == 0, f"make {target} failed:\n{done.stdout}{done.stderr}"
        return done.stdout

    def forget_coregate(self):
        """Hides whatever of coregate the host has installed: the box starts as a machine without it."""
        for leftover in ("usr/local/bin/coregate", "etc/coregate", "var/lib/coregate",
                         "etc/systemd/system/coregate.socket", "etc/systemd/system/coregate.service",
                         "etc/systemd/system/coregate.socket.d", "etc/systemd/system/coregate.service.d"):
            subprocess.run(["rm", "-rf", str(self.path(leftover))], check=True)
        self.systemctl("daemon-reload")

    def install(self):
        """`make install DESTDIR=` into the box's root, listening on a free port."""
        self.make("install", INSTALL_BIN=BIN)
        # The shipped port drop-in, pointed at a port that is free on this machine.
        example = (REPO / "systemd" / "coregate.socket.d" / "port.conf.example").read_text()
        self.write("/etc/systemd/system/coregate.socket.d/port.conf",
                   example.replace("0.0.0.0:9443", f"127.0.0.1:{self.port}"))
        self.systemctl("daemon-reload")

    def request(self, method, path, body=None, headers=None, timeout=10):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def post(self, path, body):
        return self.request("POST", path, body, {"Content-Type": "application/json"})


def eventually(check, timeout=10, interval=0.05):
    """Returns check()'s first truthy value; fails with the last value after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            assert value, f"still {value!r} after {timeout}s"
            return value
        time.sleep(interval)


def must_be_root():
    assert os.geteuid() == 0, "the systemd test boots systemd in namespaces: run it as root"
