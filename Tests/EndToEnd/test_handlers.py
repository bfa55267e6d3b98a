"""SPEC §7 and §8 (direct) through the real gateway: what a handler gets, and how its end is judged."""
import json
import os
import subprocess
import time
from pathlib import Path

from harness import cli, handler_script, lines, onprem_text, wait_until, write_tenant

EXPECTED_ENV = {
    "COREGATE_TENANT", "COREGATE_EVENT_ID", "COREGATE_EVENT_TYPE", "COREGATE_HANDLER", "COREGATE_ATTEMPT",
    "COREGATE_STATE_DIR", "CONTENT_TYPE", "CONTENT_LENGTH", "PATH", "LANG",
}


def tenant(handler, *, name="h", mode="queue", timeout="10s", env=None, max_attempts=1, concurrency=4, backoff="100ms"):
    env_line = "env = { " + ", ".join(f'{k} = "{v}"' for k, v in (env or {}).items()) + " }\n" if env else ""
    return (
        'sender = "on-premises"\n'
        f'[delivery]\nmode = "{mode}"\nmax_attempts = {max_attempts}\nconcurrency = {concurrency}\n'
        f'backoff_initial = "{backoff}"\nbackoff_max = "{backoff}"\n'
        f'[[handlers]]\nname = "{name}"\nevents = ["*"]\ncommand = ["{handler}"]\ntimeout = "{timeout}"\n{env_line}'
    )


def shown(workdir, tenants, message_id):
    return cli("events", "show", "msg:" + message_id, tenants_dir=tenants, state_dir=workdir / "state").stdout


def wait_for_outcome(workdir, tenants, message_id, word, timeout=20):
    return wait_until(lambda: word in (s := shown(workdir, tenants, message_id)) and s, timeout=timeout,
                      what=f"{word} in the attempts of {message_id}")


def test_a_handler_gets_exactly_its_environment(workdir, tenants, start):
    dump = workdir / "env.json"
    handler = handler_script(workdir, "env.py", (
        "import json, os, sys\nsys.stdin.read()\n"
        f"json.dump(dict(os.environ), open('{dump}', 'w'))\n"
    ), interpreter="/usr/bin/env python3")
    write_tenant(tenants, "acme", tenant(handler, env={"ACME_ONLY": "yes"}))
    write_tenant(tenants, "other", tenant(handler, env={"OTHER_SECRET": "never-in-acme"}))
    gw = start(env={"COREGATE_SENTINEL": "leaked", "HOME": "/root", "SECRET_OF_THE_SERVICE": "x"})
    assert gw.post("/webhooks/acme", onprem_text("wamid.env"))[0] == 200
    env = wait_until(lambda: dump.exists() and dump.stat().st_size and json.loads(dump.read_text()), what="env dump")
    assert set(env) - {"PWD", "SHLVL", "_"} == EXPECTED_ENV | {"ACME_ONLY"}, sorted(env)
    assert env["COREGATE_TENANT"] == "acme" and env["COREGATE_HANDLER"] == "h"
    assert env["COREGATE_EVENT_ID"] == "msg:wamid.env" and env["COREGATE_EVENT_TYPE"] == "message.text"
    assert env["COREGATE_ATTEMPT"] == "1" and env["CONTENT_TYPE"] == "application/json"
    assert env["COREGATE_STATE_DIR"] == str(workdir / "state" / "tenants" / "acme")
    assert Path(env["COREGATE_STATE_DIR"]).is_dir()


def test_stdin_is_the_event_and_a_newline_then_end_of_input(workdir, tenants, start):
    out = workdir / "stdin.bin"
    length = workdir / "length.txt"
    handler = handler_script(workdir, "cat.sh", f'cat > {out}\necho "$CONTENT_LENGTH" > {length}\n')
    write_tenant(tenants, "acme", tenant(handler))
    gw = start()
    gw.post("/webhooks/acme", onprem_text("wamid.stdin", text="héllo"))
    wait_until(lambda: lines(length), what="the handler to finish reading")
    data = out.read_bytes()
    assert data.endswith(b"}\n") and data.count(b"\n") == 1
    event = json.loads(data)
    assert event["id"] == "msg:wamid.stdin" and event["message"]["text"] == "héllo" and event["version"] == 1
    assert int(lines(length)[0]) == len(data)


def test_exit_codes_become_distinct_recorded_outcomes(workdir, tenants, start):
    handler = handler_script(workdir, "exit.sh", (
        'read -r event\n'
        'case "$COREGATE_EVENT_ID" in\n'
        '  *ok) exit 0 ;; *retry) exit 75 ;; *three) exit 3 ;; *signal) kill -KILL $$ ;; *slow) sleep 30 ;;\n'
        'esac\n'
    ))
    write_tenant(tenants, "acme", tenant(handler, timeout="1s", max_attempts=2, backoff="30s"))
    gw = start()
    for name in ["ok", "retry", "three", "signal", "slow"]:
        assert gw.post("/webhooks/acme", onprem_text(f"wamid.{name}", sender=f"1555{name}"))[0] == 200
    assert "h: done" in wait_for_outcome(workdir, tenants, "wamid.ok", "succeeded")
    retry = wait_for_outcome(workdir, tenants, "wamid.retry", "retry-requested")
    assert "exit 75" in retry and "h: retrying" in retry
    assert "exit 3" in wait_for_outcome(workdir, tenants, "wamid.three", "failed")
    assert "signal 9" in wait_for_outcome(workdir, tenants, "wamid.signal", "signaled")
    assert "h: retrying" in wait_for_outcome(workdir, tenants, "wamid.slow", "timed-out")


def test_the_timeout_kills_the_whole_process_group(workdir, tenants, start):
    marker = f"coregate-grandchild-{os.getpid()}"
    handler = handler_script(workdir, "spawner.sh", (
        f"python3 -c 'import time; time.sleep(300)' {marker} &\n"
        "trap '' TERM\nsleep 60\n"
    ))
    write_tenant(tenants, "acme", tenant(handler, timeout="1s"))
    gw = start()
    gw.post("/webhooks/acme", onprem_text("wamid.group"))
    wait_until(lambda: subprocess.run(["pgrep", "-f", marker], capture_output=True).returncode == 0,
               what="the grandchild to start")
    wait_for_outcome(workdir, tenants, "wamid.group", "timed-out", timeout=15)
    wait_until(lambda: subprocess.run(["pgrep", "-f", marker], capture_output=True).returncode != 0, timeout=5,
               what="the grandchild to be killed with its group")


def test_a_handler_that_never_reads_stdin_does_not_hang_the_gateway(workdir, tenants, start, ):
    handler = handler_script(workdir, "deaf.sh", "exit 0\n")
    config = workdir / "conf" / "coregate.toml"
    config.write_text('max_body = "8MiB"\n')
    write_tenant(tenants, "acme", tenant(handler))
    gw = start(config=config)
    big = "x" * (3 << 20)
    assert gw.post("/webhooks/acme", onprem_text("wamid.deaf", text=big))[0] == 200
    wait_for_outcome(workdir, tenants, "wamid.deaf", "succeeded")
    assert gw.post("/webhooks/acme", onprem_text("wamid.after"))[0] == 200


def test_huge_stdout_and_stderr_stay_bounded(workdir, tenants, start):
    handler = handler_script(workdir, "loud.sh", (
        "head -c 30000000 /dev/zero | tr '\\0' 'o'\n"
        "head -c 30000000 /dev/zero | tr '\\0' 'e' >&2\n"
        "echo; echo >&2; echo last line >&2\n"
    ))
    write_tenant(tenants, "acme", tenant(handler, timeout="60s"))
    gw = start()
    gw.post("/webhooks/acme", onprem_text("wamid.loud"))
    detail = wait_for_outcome(workdir, tenants, "wamid.loud", "succeeded", timeout=60)
    stdout_line = next(l for l in detail.splitlines() if "stdout:" in l)
    assert 60_000 < len(stdout_line) < 70_000, len(stdout_line)
    rss_kib = int(next(l for l in Path(f"/proc/{gw.proc.pid}/status").read_text().splitlines()
                       if l.startswith("VmRSS")).split()[1])
    assert rss_kib < 200_000, f"{rss_kib} KiB after 60 MB of handler output"
    log = gw.log()
    assert "last line" in log and "more bytes cut" in log


def test_a_missing_command_is_a_failed_attempt_with_a_reason(workdir, tenants, start):
    write_tenant(tenants, "acme", tenant(workdir / "no-such-handler"))
    gw = start()
    assert gw.post("/webhooks/acme", onprem_text("wamid.missing"))[0] == 200
    detail = wait_for_outcome(workdir, tenants, "wamid.missing", "not-started")
    assert "no-such-handler" in detail and "h: dead" in detail
    assert gw.post("/webhooks/acme", onprem_text("wamid.still-up"))[0] == 200


def test_direct_mode_answers_200_only_when_every_handler_succeeds(workdir, tenants, start):
    handler = handler_script(workdir, "direct.sh", 'read -r e\n[ "${COREGATE_EVENT_ID%bad}" = "$COREGATE_EVENT_ID" ]\n')
    write_tenant(tenants, "acme", tenant(handler, mode="direct"))
    gw = start()
    status, body, _ = gw.post("/webhooks/acme", onprem_text("wamid.good"))
    assert status == 200 and json.loads(body)["status"] == "delivered"
    status, body, _ = gw.post("/webhooks/acme", onprem_text("wamid.bad"))
    assert status == 503 and json.loads(body)["failures"] == 1


def test_direct_mode_past_the_bound_waits_then_answers_503(workdir, tenants, start):
    holding = workdir / "holding"
    handler = handler_script(workdir, "hold.sh", f"read -r e\ntouch {holding}\nsleep 3\n")
    config = workdir / "conf" / "coregate.toml"
    config.write_text('direct_wait = "500ms"\n')
    write_tenant(tenants, "acme", tenant(handler, mode="direct", concurrency=1))
    gw = start(config=config)
    import threading
    first = {}
    t = threading.Thread(target=lambda: first.update(status=gw.post("/webhooks/acme", onprem_text("wamid.hold1"))[0]))
    t.start()
    # The second request must find the only slot taken; after a fixed sleep it might not be yet.
    wait_until(holding.exists, what="the first handler holding the slot")
    began = time.monotonic()
    status, body, _ = gw.post("/webhooks/acme", onprem_text("wamid.hold2"))
    waited = time.monotonic() - began
    assert status == 503 and json.loads(body) == {"error": "handlers busy, retry later"}
    assert 0.4 < waited < 2.5, waited
    t.join()
    assert first["status"] == 200


def test_direct_mode_runs_only_what_did_not_succeed_when_the_sender_retries(workdir, tenants, start):
    runs = workdir / "runs.txt"
    steady = handler_script(workdir, "steady.sh", f'read -r e\necho steady >> {runs}\n')
    # Fails on its first run only, as a handler whose backend was briefly down.
    flaky = handler_script(workdir, "flaky.sh", (
        f'read -r e\necho flaky >> {runs}\n'
        f'[ -e {workdir}/flaky-ran ] && exit 0\ntouch {workdir}/flaky-ran\nexit 1\n'))
    write_tenant(tenants, "acme", tenant(steady, mode="direct") + (
        f'[[handlers]]\nname = "flaky"\nevents = ["*"]\ncommand = ["{flaky}"]\n'))
    gw = start()
    body = onprem_text("wamid.retried")

    assert gw.post("/webhooks/acme", body)[0] == 503
    assert sorted(lines(runs)) == ["flaky", "steady"]
    # The success is recorded, visible to the operator, before the sender's retry comes.
    def recorded():
        return cli("events", "show", "msg:wamid.retried", state_dir=workdir / "state", check=False).stdout

    wait_until(lambda: "h: done" in recorded(), what="the recorded success")

    status, answer, _ = gw.post("/webhooks/acme", body)
    assert status == 200, answer
    assert sorted(lines(runs)) == ["flaky", "flaky", "steady"], "steady succeeded before and is not run again"
    wait_until(lambda: "flaky: done" in recorded(), what="flaky's success")

    assert gw.post("/webhooks/acme", body)[0] == 200
    assert len(lines(runs)) == 3, "a redelivery of a request that fully succeeded runs nothing"


def niceness(pid):
    """The nice value of a process, from /proc (field 19 of stat)."""
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


def test_queue_handlers_run_below_the_gateways_cpu_priority_and_direct_ones_at_it(workdir, tenants, start):
    # What the handler and a child it forks see, written where the test can read it.
    handler = handler_script(workdir, "nice.sh", (
        'read -r e\nsh -c nice > "$COREGATE_STATE_DIR/child"\nnice > "$COREGATE_STATE_DIR/own"\n'
    ))
    write_tenant(tenants, "queued", tenant(handler))
    write_tenant(tenants, "live", tenant(handler, mode="direct"))
    gw = start()
    own = niceness(gw.proc.pid)
    assert gw.post("/webhooks/live", onprem_text("wamid.live"))[0] == 200
    assert gw.post("/webhooks/queued", onprem_text("wamid.queued"))[0] == 200
    state = workdir / "state" / "tenants"
    wait_until(lambda: lines(state / "queued" / "own"), what="the queued handler to run")
    assert [int(lines(state / "queued" / f)[0]) for f in ("own", "child")] == [min(19, own + 10)] * 2
    assert [int(lines(state / "live" / f)[0]) for f in ("own", "child")] == [own] * 2


def test_the_gateways_threads_go_by_their_roles_in_ps_and_perf(workdir, tenants, start):
    # A handler that runs until told, so its thread and the queue's are there to be looked at.
    release = workdir / "release"
    handler = handler_script(workdir, "wait.sh", f'cat >/dev/null\nwhile [ ! -e "{release}" ]; do sleep 0.05; done\n')
    write_tenant(tenants, "acme", tenant(handler))
    gw = start()
    assert gw.post("/webhooks/acme", onprem_text("wamid.threads"))[0] == 200

    def names():
        return {(task / "comm").read_text().strip() for task in Path(f"/proc/{gw.proc.pid}/task").iterdir()}

    try:
        # (Group commit's thread, coregate-commit, ends after a moment without commits: not asked for.)
        wait_until(lambda: "coregate-exec" in names(), what="a handler thread named coregate-exec")
        assert "coregate-queue" in names(), names()
    finally:
        release.touch()
