"""`coregate run-handler`: one handler, once, by hand, with exactly the service's environment."""
import json
import subprocess

import pytest

from harness import BIN, FIXTURES, fixture_bytes, write_tenant

TENANT = '''sender = "on-premises"
[[handlers]]
name = "{name}"
events = {events}
command = {command}
timeout = "{timeout}"
env = {{ GREETING = "hello", SHARED = "file:secrets/shared" }}
'''

# Another tenant whose env must never reach the first one's handlers.
OTHER = '''sender = "on-premises"
path = "/webhooks/other"
[[handlers]]
name = "spy"
command = ["/usr/bin/env"]
env = { OTHER_TENANT_SECRET = "do-not-leak" }
'''

TEXT = FIXTURES / "onprem-inbound-text.json"
BATCH = FIXTURES / "onprem-inbound-batch-2contacts-3messages.json"


@pytest.fixture
def tenant(tenants, workdir):
    (workdir / "conf" / "secrets").mkdir()
    (workdir / "conf" / "secrets" / "shared").write_text("from-a-file\n")
    write_tenant(tenants, "other", OTHER)

    def _tenant(command, name="probe", events=("*",), timeout="10s"):
        write_tenant(tenants, "acme", TENANT.format(
            name=name, events=json.dumps(list(events)), command=json.dumps(command), timeout=timeout))
        return tenants
    return _tenant


def run_handler(tenants, workdir, *args, stdin=None, env=None, handler="probe"):
    base = {"PATH": "/usr/bin:/bin", "COREGATE_SENTINEL": "from-the-caller", "HOME": "/root"}
    base.update(env or {})
    return subprocess.run(
        [str(BIN), "run-handler", "--tenants-dir", str(tenants), "--state-dir", str(workdir / "state"),
         "--tenant", "acme", "--handler", handler, *map(str, args)],
        input=stdin, capture_output=True, timeout=30, env=base)


def handler_stdout(proc):
    """What the handler printed: the lines after `stdout (N bytes):`."""
    out = proc.stdout.decode()
    return out.split("):\n", 1)[1] if "):\n" in out else ""


def decoded(tenant="acme", fixture=TEXT):
    proc = subprocess.run([str(BIN), "decode", "--tenant", tenant, str(fixture)], capture_output=True, check=True)
    return proc.stdout


def test_the_handler_gets_exactly_the_services_environment(tenant, workdir):
    tenants = tenant(["/usr/bin/env"])
    proc = run_handler(tenants, workdir, TEXT, "--attempt", "3")
    assert proc.returncode == 0, proc.stderr
    env = dict(line.split("=", 1) for line in handler_stdout(proc).splitlines())
    line = decoded().splitlines()[0]
    assert env == {
        "COREGATE_TENANT": "acme",
        "COREGATE_HANDLER": "probe",
        "COREGATE_EVENT_ID": "msg:ABEGFVVQAQd3AgohzaU7PgTu9v5q",
        "COREGATE_EVENT_TYPE": "message.text",
        "COREGATE_ATTEMPT": "3",
        "COREGATE_STATE_DIR": str(workdir / "state" / "tenants" / "acme"),
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(line) + 1),
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "GREETING": "hello",
        "SHARED": "from-a-file",
    }
    # Neither the caller's environment nor another tenant's handler env gets in.
    assert b"from-the-caller" not in proc.stdout + proc.stderr
    assert b"do-not-leak" not in proc.stdout


def test_stdin_is_the_event_line_whatever_form_it_was_given_in(tenant, workdir):
    tenants = tenant(["/bin/cat"])
    line = decoded().splitlines()[0]
    # A normalized event, as decode prints it, reaches the handler byte for byte, with one newline.
    assert handler_stdout(run_handler(tenants, workdir, stdin=line + b"\n")) == (line + b"\n").decode()
    # Indented, it is written back on one line, keys and numbers as they were.
    indented = json.dumps(json.loads(line), indent=2).encode()
    assert handler_stdout(run_handler(tenants, workdir, "-", stdin=indented)) == (line + b"\n").decode()
    # A webhook body is decoded as the service decodes it for this tenant (received_at is now).
    from_body = json.loads(handler_stdout(run_handler(tenants, workdir, TEXT)))
    expected = json.loads(line)
    from_body.pop("received_at"), expected.pop("received_at")
    assert from_body == expected


@pytest.mark.parametrize("script,timeout,status,outcome", [
    ("exit 0", "10s", 0, "outcome: succeeded"),
    ("exit 75", "10s", 75, "outcome: retry requested (exit 75)"),
    ("exit 3", "10s", 1, "outcome: failed (exit 3)"),
    ("kill -KILL $$", "10s", 1, "outcome: killed by signal 9"),
    ("sleep 30", "1s", 1, "outcome: timed out"),
])
def test_exit_status_mirrors_the_outcome(tenant, workdir, script, timeout, status, outcome):
    tenants = tenant(["/bin/sh", "-c", "echo 'said on stderr' >&2; echo out; " + script], timeout=timeout)
    proc = run_handler(tenants, workdir, TEXT)
    assert proc.returncode == status, proc.stdout + proc.stderr
    assert outcome in proc.stdout.decode()
    assert "stderr: said on stderr" in proc.stderr.decode()
    assert handler_stdout(proc) == "out\n"


def test_a_missing_program_could_not_start(tenant, workdir):
    tenants = tenant(["/nonexistent/handler"])
    proc = run_handler(tenants, workdir, TEXT)
    assert proc.returncode == 1
    assert "could not start: /nonexistent/handler does not exist" in proc.stdout.decode()


def test_each_event_of_a_batch_runs_and_index_picks_one(tenant, workdir):
    tenants = tenant(["/bin/sh", "-c", 'echo "$COREGATE_EVENT_ID"'])
    proc = run_handler(tenants, workdir, BATCH)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.decode().count("outcome: succeeded") == 3
    proc = run_handler(tenants, workdir, BATCH, "--index", "2")
    assert proc.stdout.decode().count("outcome: succeeded") == 1
    assert "event 1 of 1" in proc.stdout.decode()
    # Several normalized events, one a line, as decode prints them.
    proc = run_handler(tenants, workdir, stdin=decoded(fixture=BATCH))
    assert proc.stdout.decode().count("outcome: succeeded") == 3


@pytest.mark.parametrize("first,second,third,status", [
    (0, 0, 0, 0),
    (0, 75, 0, 75),
    (75, 4, 0, 1),  # a failure outweighs a retry, whatever their order
    (4, 75, 75, 1),
])
def test_the_worst_outcome_of_several_runs_is_the_exit_status(tenant, workdir, first, second, third, status):
    tenants = tenant(["/bin/sh", "-c", f'''case "$COREGATE_EVENT_ID" in
        *03-bV3mZ_m3Wb) exit {first};; *5tQJNyMvTQIA4) exit {second};; *) exit {third};; esac'''])
    proc = run_handler(tenants, workdir, BATCH)
    assert proc.stdout.decode().count("outcome:") == 3, "every event runs, even after a failure"
    assert proc.returncode == status


def test_events_the_handler_does_not_take_are_skipped(tenant, workdir):
    tenants = tenant(["/bin/sh", "-c", "exit 0"], events=["status.*"])
    proc = run_handler(tenants, workdir, TEXT)
    assert proc.returncode == 1
    assert "skipped: acme/probe takes status.*" in proc.stdout.decode()
    assert "takes none of the events" in proc.stderr.decode()


def test_an_event_for_another_tenant_is_refused(tenant, workdir):
    tenants = tenant(["/bin/sh", "-c", "exit 0"])
    proc = run_handler(tenants, workdir, stdin=decoded(tenant="local"))
    assert proc.returncode == 1
    assert "is for tenant local, not acme" in proc.stderr.decode()


def test_unknown_tenant_or_handler_and_bad_input_are_clear_errors(tenant, workdir):
    tenants = tenant(["/bin/sh", "-c", "exit 0"])
    proc = run_handler(tenants, workdir, TEXT, handler="nope")
    assert proc.returncode == 1 and "tenant acme has no handler nope; its handlers are: probe" in proc.stderr.decode()
    proc = run_handler(tenants, workdir, stdin=b"this is not json")
    assert proc.returncode == 1 and "invalid JSON" in proc.stderr.decode()
    # A cloud envelope for an on-premises tenant is refused, as the service would refuse it.
    proc = run_handler(tenants, workdir, FIXTURES / "cloud-envelope-messages.json")
    assert proc.returncode == 1 and "expects on-premises" in proc.stderr.decode()
