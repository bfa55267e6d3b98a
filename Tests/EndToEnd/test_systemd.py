"""coregate under a real systemd 252, installed with `make install` and driven with systemctl.

Each test boots its own box (Tests/Systemd/boot.sh, about a second), so no test depends on what
another left behind. A machine that cannot boot systemd fails these tests; they never skip.
"""
import http.client
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

from harness import BIN, REPO, fixture_bytes
from systemd_box import Box, eventually, must_be_root

ONPREM = 'sender = "on-premises"\n'
TEXT = fixture_bytes("onprem-inbound-text.json")


@pytest.fixture
def bare_box():
    """A booted box on which coregate was never installed."""
    must_be_root()
    folder = tempfile.mkdtemp(prefix="box-")
    b = Box(folder)
    b.start()
    try:
        b.forget_coregate()
        yield b
    finally:
        b.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def box(bare_box):
    bare_box.install()
    return bare_box


def add_tenant(box, tenant_id, text=ONPREM):
    box.write(f"/etc/coregate/tenants/{tenant_id}.toml", text)


def serving(box, tenant="acme"):
    """Starts the socket and the service (by a first webhook); returns the service's MainPID."""
    add_tenant(box, tenant)
    box.systemctl("start", "coregate.socket")
    assert box.post(f"/webhooks/{tenant}", TEXT)[0] == 200
    return box.show("coregate.service", "MainPID")


def test_units_pass_systemd_analyze_verify(box):
    done = box.run("systemd-analyze", "verify", "/etc/systemd/system/coregate.socket",
                   "/etc/systemd/system/coregate.service", check=False)
    assert done.returncode == 0, done.stderr
    assert "coregate" not in done.stderr, done.stderr


def test_installed_configuration_passes_check(box):
    done = box.run("coregate", "check", check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_security_exposure_is_at_most_2_5_and_documented():
    # 2.5 since handlers run as their tenants' uids: the service keeps four capabilities for that.
    done = subprocess.run(["systemd-analyze", "security", "--offline=yes", "--no-pager",
                           str(REPO / "systemd" / "coregate.service")], capture_output=True, text=True)
    found = re.search(r"Overall exposure level for coregate.service: (\d+\.\d)", done.stdout)
    assert found, done.stdout + done.stderr
    assert float(found.group(1)) <= 2.5, done.stdout
    guide = (REPO / "docs" / "operator-guide.md").read_text()
    assert f"exposure level: {found.group(1)}" in guide, "docs/operator-guide.md records another exposure"
    readme = (REPO / "README.md").read_text()
    assert f"rates it **{found.group(1)}**" in readme, "README.md records another exposure"


def test_socket_listens_while_the_service_is_inactive(box):
    add_tenant(box, "acme")
    box.systemctl("start", "coregate.socket")
    assert box.is_active("coregate.socket") == "active"
    assert box.is_active("coregate.service") == "inactive"
    assert f"127.0.0.1:{box.port}" in box.show("coregate.socket", "Listen")


def test_first_webhook_starts_the_service_as_its_own_user(box):
    main_pid = serving(box)
    assert box.is_active("coregate.service") == "active"
    assert box.show("coregate.service", "TriggeredBy") == "coregate.socket"
    assert main_pid != "0"
    assert box.run("stat", "-c", "%U", f"/proc/{main_pid}").stdout.strip() == "coregate"


def test_request_log_reaches_the_journal_with_a_tenant_field(box):
    serving(box)
    journal = eventually(lambda: box.journal("TENANT=acme"), timeout=5)
    assert '"MESSAGE":"stored"' in journal
    assert '"REQUEST_ID":' in journal


def test_status_shows_the_status_line(box):
    serving(box)
    status = box.run("systemctl", "status", "--no-pager", "coregate.service").stdout
    assert re.search(r'Status: "1 tenants; .*listening on 127\.0\.0\.1:\d+', status), status
    assert "TriggeredBy: " in status and "coregate.socket" in status


def test_reload_adds_a_tenant_and_keeps_the_main_pid(box):
    main_pid = serving(box)
    assert box.post("/webhooks/globex", TEXT)[0] == 404
    add_tenant(box, "globex")
    box.systemctl("reload", "coregate.service")
    eventually(lambda: box.post("/webhooks/globex", TEXT)[0] == 200, timeout=5)
    assert box.show("coregate.service", "MainPID") == main_pid
    assert box.show("coregate.service", "NRestarts") == "0"


def test_broken_tenant_file_and_reload_keep_the_old_tenants_answering(box):
    main_pid = serving(box)
    add_tenant(box, "broken", 'sender = "carrier-pigeon"\n')
    box.systemctl("reload", "coregate.service")
    eventually(lambda: "last reload failed" in box.show("coregate.service", "StatusText"), timeout=5)
    assert box.is_active("coregate.service") == "active"
    assert box.show("coregate.service", "MainPID") == main_pid
    assert box.post("/webhooks/acme", TEXT)[0] == 200
    assert box.post("/webhooks/broken", TEXT)[0] == 404


def test_restart_under_steady_load_refuses_nothing_and_answers_no_5xx(box):
    first_pid = serving(box)
    outcomes, stop = [], threading.Event()

    def sender():
        # A new connection per webhook, as a Coreapp retrying alone would, 50 a second.
        while not stop.is_set():
            try:
                outcomes.append(box.post("/webhooks/acme", TEXT)[0])
            except OSError as error:
                outcomes.append(repr(error))
            time.sleep(0.02)

    thread = threading.Thread(target=sender)
    thread.start()
    try:
        time.sleep(0.3)
        box.systemctl("restart", "coregate.service")
        time.sleep(0.5)
    finally:
        stop.set()
        thread.join()
    assert box.show("coregate.service", "MainPID") not in ("0", first_pid)
    assert len(outcomes) > 20, outcomes
    assert all(o == 200 for o in outcomes), [o for o in outcomes if o != 200]


def test_load_credential_secret_guards_the_path_and_rotates_with_a_restart(box):
    box.write("/etc/coregate/credentials/acme-path-token", "first-token-0123456789\n", mode=0o600)
    box.write("/etc/systemd/system/coregate.service.d/credentials.conf",
              "[Service]\nLoadCredential=acme-path-token:/etc/coregate/credentials/acme-path-token\n")
    box.systemctl("daemon-reload")
    add_tenant(box, "acme", ONPREM + 'path_token = "credential:acme-path-token"\n')
    box.systemctl("start", "coregate.socket")
    assert box.post("/webhooks/acme/first-token-0123456789", TEXT)[0] == 200
    assert box.post("/webhooks/acme", TEXT)[0] == 404

    box.write("/etc/coregate/credentials/acme-path-token", "second-token-0123456789\n", mode=0o600)
    box.systemctl("restart", "coregate.service")
    assert box.post("/webhooks/acme/second-token-0123456789", TEXT)[0] == 200
    assert box.post("/webhooks/acme/first-token-0123456789", TEXT)[0] == 404


def test_state_folder_is_the_only_place_handlers_can_write(box):
    # Places the coregate user could write without the unit's sandbox: only the sandbox stops it.
    box.run("install", "-d", "-o", "coregate", "/srv/scratch", "/home/alice")
    main_pid = serving(box)
    # Handlers are children of the service: they see its mount namespace, as its user.
    as_handler = ["nsenter", "-t", main_pid, "-m", "--", "setpriv", "--reuid=coregate", "--regid=coregate",
                  "--clear-groups", "sh", "-c"]
    box.run(*as_handler, "mkdir -p /var/lib/coregate/tenants/acme && echo ok > /var/lib/coregate/tenants/acme/probe")
    for forbidden in ("/srv/scratch/probe", "/home/alice/probe", "/etc/coregate/probe"):
        done = box.run(*as_handler, f"echo no > {forbidden}", check=False)
        assert done.returncode != 0, f"a handler could write {forbidden}"
    assert box.run(*as_handler, "test -d /home/alice", check=False).returncode != 0, "ProtectHome= must hide /home"


def sandbox_properties():
    """The [Service] settings of coregate.service that make a process's sandbox, as systemd-run options."""
    not_sandbox = {"Type", "ExecStart", "ExecReload", "WatchdogSec", "Restart", "RestartSec", "KillMode", "TimeoutStopSec"}
    options, section = [], None
    for line in (REPO / "systemd" / "coregate.service").read_text().splitlines():
        if line.startswith("["):
            section = line
        elif section == "[Service]" and "=" in line and not line.startswith("#"):
            if line.split("=", 1)[0] not in not_sandbox:
                options += ["-p", line]
    return options


def run_as_handler(box, *command, stdin="", relaxed=()):
    """Runs a command in a transient service with the sandbox of coregate.service, plus drop-in lines."""
    relax = [option for line in relaxed for option in ("-p", line)]
    return box.run("systemd-run", "--wait", "--pipe", "--quiet", "--collect", *sandbox_properties(), *relax,
                   *command, input=stdin, check=False)


def test_python_handler_keeps_a_sqlite_file_in_its_state_folder_under_the_sandbox(box):
    handler = """
import json, os, socket, sqlite3, sys
event = json.load(sys.stdin)
folder = os.path.join(os.environ["STATE_DIRECTORY"], "tenants", "acme")
os.makedirs(folder, exist_ok=True)
with sqlite3.connect(os.path.join(folder, "seen.sqlite")) as db:
    db.execute("create table if not exists seen (id text)")
    db.execute("insert into seen values (?)", (event["id"],))
socket.socket(socket.AF_INET6, socket.SOCK_STREAM).close()  # it may reach the network
print("stored", event["id"])
"""
    done = run_as_handler(box, "python3", "-c", handler, stdin='{"id": "wamid.1"}\n')
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "stored wamid.1"
    assert box.path("/var/lib/coregate/tenants/acme/seen.sqlite").exists()


def test_jit_memory_is_refused_until_the_documented_drop_in_allows_it(box):
    # What Node.js and the JVM do at startup: ask for memory that is writable and executable.
    jit = "import mmap; mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)"
    assert run_as_handler(box, "python3", "-c", jit).returncode != 0
    guide = (REPO / "docs" / "operator-guide.md").read_text()
    assert "`MemoryDenyWriteExecute=no`" in guide
    done = run_as_handler(box, "python3", "-c", jit, relaxed=["MemoryDenyWriteExecute=no"])
    assert done.returncode == 0, done.stderr


def test_stop_closes_the_socket_and_the_service(box):
    serving(box)
    box.systemctl("stop", "coregate.socket", "coregate.service")
    assert box.is_active("coregate.socket") == "inactive"
    assert box.is_active("coregate.service") == "inactive"
    assert box.show("coregate.service", "ExecMainStatus") == "0", "SIGTERM must end in a clean exit"
    assert box.run("pgrep", "-x", "coregate", check=False).returncode == 1, "a coregate process outlived the stop"
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", box.port), timeout=2).close()


def test_stop_timeout_outlasts_the_longest_handler_timeout():
    unit = (REPO / "systemd" / "coregate.service").read_text()
    stop_timeout = int(re.search(r"^TimeoutStopSec=(\d+)s$", unit, re.M).group(1))
    request_grace, default_handler_timeout = 10, 30
    handler_timeouts = [default_handler_timeout]
    for tenant in (REPO / "tenants").glob("*.toml"):
        handler_timeouts += [int(t) for t in re.findall(r'^timeout = "(\d+)s"', tenant.read_text(), re.M)]
    assert stop_timeout > max(handler_timeouts) + request_grace


def test_make_install_on_the_box_itself_creates_the_user_and_loads_the_units(bare_box):
    # As an operator runs it: on the machine, no DESTDIR. The box has a private /tmp, where CI's
    # clone may live, so what install reads is copied into the box first.
    checkout = bare_box.path("/opt/coregate-src")
    for part in ("systemd", "docs", "tenants", "handlers"):
        shutil.copytree(REPO / part, checkout / part, symlinks=True)
    shutil.copy2(REPO / "Makefile", checkout / "Makefile")
    shutil.copy2(BIN, checkout / "coregate")
    make = ["make", "--no-print-directory", "-C", "/opt/coregate-src"]
    bare_box.run(*make, "install", "INSTALL_BIN=/opt/coregate-src/coregate")
    assert bare_box.run("getent", "passwd", "coregate").stdout.startswith("coregate:")
    # Loaded without a daemon-reload by hand; not started, as 8443 is the host's port too.
    assert bare_box.show("coregate.socket", "LoadState") == "loaded"
    assert bare_box.show("coregate.service", "ExecStart").startswith("{ path=/usr/local/bin/coregate ;")

    bare_box.run(*make, "uninstall")
    assert bare_box.show("coregate.service", "LoadState") == "not-found"
    assert not bare_box.path("/usr/local/bin/coregate").exists()
    assert bare_box.path("/etc/coregate/coregate.toml").exists()


def test_install_keeps_existing_configuration_and_uninstall_keeps_config_and_state(tmp_path):
    (tmp_path / "etc/coregate").mkdir(parents=True)
    (tmp_path / "etc/coregate/coregate.toml").write_text("# mine\n")
    (tmp_path / "var/lib/coregate").mkdir(parents=True)
    (tmp_path / "var/lib/coregate/queue.sqlite").write_text("events")

    def make(target, **variables):
        args = ["make", "--no-print-directory", "-C", str(REPO), target, f"DESTDIR={tmp_path}", "PREFIX=/opt/coregate"]
        done = subprocess.run(args + [f"{k}={v}" for k, v in variables.items()], capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    out = make("install", INSTALL_BIN=BIN)
    assert "not creating the coregate user" in out, "a packaging DESTDIR has no /etc/passwd to add a user to"
    assert (tmp_path / "opt/coregate/bin/coregate").stat().st_mode & 0o111
    service = (tmp_path / "etc/systemd/system/coregate.service").read_text()
    assert "ExecStart=/opt/coregate/bin/coregate serve" in service
    assert (tmp_path / "etc/coregate/coregate.toml").read_text() == "# mine\n"
    assert (tmp_path / "etc/coregate/tenants/acme.toml.example").exists()
    assert (tmp_path / "etc/coregate/credentials").stat().st_mode & 0o777 == 0o700

    make("uninstall")
    assert not (tmp_path / "opt/coregate/bin/coregate").exists()
    assert not (tmp_path / "etc/systemd/system/coregate.service").exists()
    assert not (tmp_path / "etc/systemd/system/coregate.socket").exists()
    assert (tmp_path / "etc/coregate/coregate.toml").read_text() == "# mine\n"
    assert (tmp_path / "var/lib/coregate/queue.sqlite").read_text() == "events"


HANDLER = """#!/bin/sh
read -r event
echo "handler saw $COREGATE_EVENT_ID" >&2
echo "$COREGATE_EVENT_ID" >> "$COREGATE_STATE_DIR/seen.txt"
{extra}
"""


def handler_tenant(box, extra="", concurrency=4):
    box.write("/etc/coregate/handlers/record.sh", HANDLER.format(extra=extra), mode=0o755)
    add_tenant(box, "acme", ONPREM + f"[delivery]\nconcurrency = {concurrency}\n"
               '[[handlers]]\nname = "record"\nevents = ["message.*"]\ncommand = ["handlers/record.sh"]\n')


def onprem_text(message_id):
    return ('{"contacts":[{"profile":{"name":"Dana"},"wa_id":"15550100777"}],"messages":[{"from":"15550100777",'
            f'"id":"{message_id}","timestamp":"1764072000","text":{{"body":"hi"}},"type":"text"}}]}}').encode()


def test_a_handlers_stderr_reaches_the_journal_with_tenant_and_handler_fields(box):
    handler_tenant(box)
    box.systemctl("start", "coregate.socket")
    assert box.post("/webhooks/acme", onprem_text("wamid.journal"))[0] == 200
    journal = eventually(lambda: "handler saw msg:wamid.journal" in (j := box.journal("TENANT=acme", "HANDLER=record")) and j)
    assert '"EVENT_ID":"msg:wamid.journal"' in journal
    seen = box.path("/var/lib/coregate/tenants/acme/seen.txt")
    assert eventually(lambda: seen.exists() and "msg:wamid.journal" in seen.read_text())


def test_queued_events_survive_a_restart(box):
    handler_tenant(box, extra="sleep 1", concurrency=1)
    box.systemctl("start", "coregate.socket")
    ids = [f"wamid.restart-{i}" for i in range(6)]
    for message_id in ids:
        assert box.post("/webhooks/acme", onprem_text(message_id))[0] == 200
    box.systemctl("restart", "coregate.service")
    seen = box.path("/var/lib/coregate/tenants/acme/seen.txt")
    eventually(lambda: seen.exists() and {f"msg:{m}" for m in ids} <= set(seen.read_text().split()), timeout=30)


def test_the_metrics_endpoint_answers(box):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        metrics_port = s.getsockname()[1]
    config = box.path("/etc/coregate/coregate.toml")
    box.write("/etc/coregate/coregate.toml", config.read_text() + f'metrics_listen = "127.0.0.1:{metrics_port}"\n')
    serving(box)
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", metrics_port, timeout=10)
    conn.request("GET", "/metrics")
    response = conn.getresponse()
    text = response.read().decode()
    assert response.status == 200
    assert 'coregate_http_requests_total{tenant="acme",status="200"} 1' in text


def test_the_shipped_socket_serves_https_once_a_certificate_is_set(box, pki):
    # As the socket unit's comment and the operator guide tell it: a certificate in coregate.toml,
    # its key handed over by LoadCredential=, and nothing changed in the socket unit.
    server = pki.server("box-server", serial=0x2001)
    box.write("/etc/coregate/tls/cert.pem", server.cert.read_text())
    box.write("/etc/coregate/credentials/tls.key", server.key.read_text(), mode=0o600)
    box.write("/etc/systemd/system/coregate.service.d/tls.conf",
              "[Service]\nLoadCredential=tls-key:/etc/coregate/credentials/tls.key\n")
    config = box.path("/etc/coregate/coregate.toml")
    box.write("/etc/coregate/coregate.toml", config.read_text() + 'tls_cert = "/etc/coregate/tls/cert.pem"\n'
              'tls_key = "/run/credentials/coregate.service/tls-key"\n')
    box.systemctl("daemon-reload")
    add_tenant(box, "acme")
    box.systemctl("start", "coregate.socket")

    context = ssl.create_default_context(cafile=str(pki.ca.cert))
    conn = http.client.HTTPSConnection("127.0.0.1", box.port, timeout=10, context=context)
    try:
        conn.request("POST", "/webhooks/acme", body=TEXT, headers={"Content-Type": "application/json"})
        assert conn.getresponse().status == 200
    finally:
        conn.close()
    assert "(https)" in box.show("coregate.service", "StatusText")
    # The same port refuses to speak plain HTTP: credentials never cross it in clear text.
    with pytest.raises((http.client.HTTPException, ConnectionError, TimeoutError)):
        box.post("/webhooks/acme", TEXT)


def test_the_installed_unit_leaves_descriptors_for_every_connection_and_handler(box):
    serving(box)
    # The defaults: 1,024 connections, and 16 handlers at 6 descriptors each beside the 64 of the runtime.
    assert int(box.show("coregate.service", "LimitNOFILESoft")) >= 1024 + 16 * 6 + 64
    assert "max_connections" not in box.journal(), "the shipped unit made coregate lower max_connections"


def test_idle_connections_past_max_connections_stop_neither_senders_nor_handlers(box):
    # A limit below what the default max_connections needs, and idle connections that never time
    # out on their own during the test: only coregate's own bounds keep the service working.
    box.write("/etc/systemd/system/coregate.service.d/nofile.conf", "[Service]\nLimitNOFILE=256\n")
    config = box.path("/etc/coregate/coregate.toml")
    box.write("/etc/coregate/coregate.toml", config.read_text() + 'idle_timeout = "60s"\nread_timeout = "60s"\n')
    box.systemctl("daemon-reload")
    handler_tenant(box)
    box.systemctl("start", "coregate.socket")
    assert box.post("/webhooks/acme", onprem_text("wamid.before-flood"))[0] == 200
    # 256 descriptors, less 64 + 16 handlers × 6: 96 connections at most.
    assert "serving at most 96 connections" in box.journal()

    idle = [socket.create_connection(("127.0.0.1", box.port), timeout=10) for _ in range(300)]
    try:
        assert box.post("/webhooks/acme", onprem_text("wamid.after-flood"))[0] == 200
        seen = box.path("/var/lib/coregate/tenants/acme/seen.txt")
        eventually(lambda: seen.exists() and "msg:wamid.after-flood" in seen.read_text(), timeout=30)
    finally:
        for s in idle:
            s.close()
    assert box.show("coregate.service", "NRestarts") == "0"


# What one tenant's handler tries: every place that is not its own, then its own folder and the
# secret its `env` hands it. One line per place, "yes" when it could read it, into its own folder.
ISOLATION_PROBE = """#!/bin/sh
read -r event
out="$COREGATE_STATE_DIR/probe.out"
service=$PPID
try() { if sh -c "$2" >/dev/null 2>&1; then echo "$1 yes"; else echo "$1 no"; fi >> "$out"; }
: > "$out"
echo "secret of $COREGATE_TENANT" > "$COREGATE_STATE_DIR/secret.txt"
echo "ids $(id -u) $(id -g) $(id -G) parent $service" >> "$out"
try own-folder "cat '$COREGATE_STATE_DIR/secret.txt'"
try other-folder "ls /var/lib/coregate/tenants/$OTHER"
try other-file "cat /var/lib/coregate/tenants/$OTHER/secret.txt"
try database "cat /var/lib/coregate/coregate.sqlite"
try state-listing "ls /var/lib/coregate"
try credentials "ls /run/credentials/coregate.service"
try other-credential "cat /run/credentials/coregate.service/$OTHER-secret"
try environ "cat /proc/$service/environ"
try other-tenant-file "cat /etc/coregate/tenants/$OTHER.toml"
echo "capabilities $(grep -E '^Cap(Inh|Prm|Eff|Amb):' /proc/self/status | awk '{print $2}' | sort -u | tr '\\n' ' ')" >> "$out"
echo "nice $(nice)" >> "$out"
echo "env-secret $MY_SECRET" >> "$out"
"""


def isolated_tenant(box, tenant, other):
    box.write(f"/etc/coregate/credentials/{tenant}-secret", f"{tenant}-s3cret-value\n", mode=0o600)
    add_tenant(box, tenant, ONPREM + '[[handlers]]\nname = "probe"\ncommand = ["handlers/probe.sh"]\n'
               f'env = {{ MY_SECRET = "credential:{tenant}-secret", OTHER = "{other}" }}\n')


def probe(box, tenant, message_id="wamid.probe"):
    assert box.post(f"/webhooks/{tenant}", onprem_text(message_id))[0] == 200
    out = box.path(f"/var/lib/coregate/tenants/{tenant}/probe.out")
    eventually(lambda: out.exists() and "env-secret" in out.read_text(), timeout=30)
    lines = out.read_text().splitlines()
    ids = lines[0].split()
    return {"uid": ids[1], "gid": ids[2], "groups": ids[3], "parent": ids[5]}, \
        dict(line.split(" ", 1) for line in lines[1:])


def test_a_tenants_handler_reaches_its_own_folder_and_secret_and_nothing_of_the_service_or_other_tenants(box):
    box.write("/etc/coregate/handlers/probe.sh", ISOLATION_PROBE, mode=0o755)
    box.write("/etc/systemd/system/coregate.service.d/credentials.conf",
              "[Service]\nLoadCredential=acme-secret:/etc/coregate/credentials/acme-secret\n"
              "LoadCredential=globex-secret:/etc/coregate/credentials/globex-secret\n")
    box.systemctl("daemon-reload")
    isolated_tenant(box, "acme", "globex")
    isolated_tenant(box, "globex", "acme")
    box.systemctl("start", "coregate.socket")

    globex, _ = probe(box, "globex")
    acme, reached = probe(box, "acme")

    main_pid = box.show("coregate.service", "MainPID")
    service_uid = box.run("id", "-u", "coregate").stdout.strip()
    assert acme["parent"] == main_pid, "the probe's parent is the service"
    assert acme["uid"] != globex["uid"] and service_uid not in (acme["uid"], globex["uid"]), (acme, globex, service_uid)
    assert 400000 <= int(acme["uid"]) <= 400999 and acme["gid"] == acme["uid"] and acme["groups"] == acme["uid"], acme
    # Everything it must not reach is there, readable by the service or root: only its uid stops it.
    for there in ("/var/lib/coregate/tenants/globex/secret.txt", "/var/lib/coregate/coregate.sqlite",
                  "/etc/coregate/tenants/globex.toml", f"/proc/{main_pid}/environ"):
        assert box.path(there).exists(), there
    assert box.run("cat", "/run/credentials/coregate.service/globex-secret").stdout.strip() == "globex-s3cret-value"
    # A queue handler as its tenant still runs below the service's CPU priority (set before its
    # uid changed: the service may not change another user's process).
    service_nice = int(box.run("ps", "-o", "ni=", "-p", main_pid).stdout)
    assert int(reached.pop("nice")) == min(19, service_nice + 10), reached
    assert reached == {
        "own-folder": "yes", "other-folder": "no", "other-file": "no", "database": "no", "state-listing": "no",
        "credentials": "no", "other-credential": "no", "environ": "no", "other-tenant-file": "no",
        "capabilities": "0000000000000000 ", "env-secret": "acme-s3cret-value",
    }, reached
    folder = box.run("stat", "-c", "%u %g %a", "/var/lib/coregate/tenants/acme").stdout.split()
    assert folder == [acme["uid"], acme["uid"], "700"], folder


def test_a_tenant_keeps_its_uid_across_a_restart(box):
    box.write("/etc/coregate/handlers/probe.sh", ISOLATION_PROBE, mode=0o755)
    box.write("/etc/systemd/system/coregate.service.d/credentials.conf",
              "[Service]\nLoadCredential=acme-secret:/etc/coregate/credentials/acme-secret\n")
    box.systemctl("daemon-reload")
    isolated_tenant(box, "acme", "globex")
    box.systemctl("start", "coregate.socket")
    before, _ = probe(box, "acme")
    box.path("/var/lib/coregate/tenants/acme/probe.out").unlink()
    box.systemctl("restart", "coregate.service")
    after, _ = probe(box, "acme", "wamid.probe-after-restart")
    assert after["uid"] == before["uid"]
    assert after["parent"] != before["parent"], "a new service process ran it"
