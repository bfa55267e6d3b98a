"""Stream handlers (SPEC §7b) through the real binary: queue and direct mode, per-contact order,
a worker killed from outside, the gateway killed and restarted, reload, stop, run-handler."""
import json
import os
import signal
import time

from harness import cli, handler_script, lines, onprem_text, wait_until, write_tenant

# Records "event-id pid" before answering, so a test sees which process took each event.
RECORDER = r'''
import json, os, sys
out = open(os.environ["OUT"], "a")
for line in sys.stdin:
    event = json.loads(line)
    out.write(event["id"] + " " + str(os.getpid()) + "\n")
    out.flush()
    print(json.dumps({"id": event["id"], "status": "done"}), flush=True)
'''


def stream_tenant(handler, *, mode="queue", workers=1, max_inflight=64, timeout="10s", env=None, max_attempts=50):
    env = dict(env or {})
    return (
        'sender = "on-premises"\n'
        f'[delivery]\nmode = "{mode}"\nmax_attempts = {max_attempts}\n'
        'backoff_initial = "50ms"\nbackoff_max = "200ms"\n'
        '[[handlers]]\nname = "s"\nevents = ["message.*"]\n'
        f'command = ["{handler}"]\ntimeout = "{timeout}"\nmode = "stream"\n'
        f'workers = {workers}\nmax_inflight = {max_inflight}\n'
        + ("env = { " + ", ".join(f'{k} = "{v}"' for k, v in env.items()) + " }\n" if env else "")
    )


def batch(first, count, contacts=10):
    """One On-Premises body with `count` text messages from `contacts` senders."""
    return json.dumps({
        "contacts": [{"profile": {"name": "C"}, "wa_id": f"1555000{c:04d}"} for c in range(contacts)],
        "messages": [{"from": f"1555000{(first + i) % contacts:04d}", "id": f"wamid.s{first + i:06d}",
                      "timestamp": str(1764072000 + first + i), "text": {"body": "hi"}, "type": "text"}
                     for i in range(count)],
    }).encode()


def recorded(out):
    return [line.split() for line in lines(out)]


def pids_of(path):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    if str(path).encode() in f.read():
                        with open(f"/proc/{entry}/stat") as stat:
                            if stat.read().split()[2] != "Z":
                                found.append(int(entry))
            except OSError:
                pass
    return found


def test_queue_mode_delivers_every_event_in_contact_order_through_one_process_per_worker(start, tenants, workdir):
    out = workdir / "got.txt"
    handler = handler_script(workdir, "rec.py", RECORDER, interpreter="/usr/bin/env python3")
    write_tenant(tenants, "acme", stream_tenant(handler, workers=2, env={"OUT": out}))
    gw = start()
    for first in range(0, 1000, 250):
        status, body, _ = gw.post("/webhooks/acme", batch(first, 250))
        assert status == 200, body
    wait_until(lambda: len(lines(out)) >= 1000, what="1000 answers")
    rows = recorded(out)
    assert sorted(r[0] for r in rows) == sorted(f"msg:wamid.s{i:06d}" for i in range(1000)), "each event once"
    assert len({r[1] for r in rows}) == 2, "two workers, each one process for all its events"
    # Each contact's events reached the handler in the order they arrived.
    for contact in range(10):
        theirs = [int(r[0].rsplit("s", 1)[1]) for r in rows if int(r[0].rsplit("s", 1)[1]) % 10 == contact]
        assert theirs == sorted(theirs)
    assert "stream worker started" in gw.log()


def test_a_worker_killed_from_outside_is_restarted_and_nothing_is_lost(start, tenants, workdir):
    out = workdir / "got.txt"
    handler = handler_script(workdir, "rec.py", RECORDER, interpreter="/usr/bin/env python3")
    write_tenant(tenants, "acme", stream_tenant(handler, env={"OUT": out}))
    gw = start()
    wait_until(lambda: pids_of(handler), what="the worker")
    first = pids_of(handler)[0]
    os.kill(first, signal.SIGKILL)
    wait_until(lambda: "reason=exited" in gw.log() and "killed by signal 9" in gw.log(), what="the log to say why")
    wait_until(lambda: pids_of(handler) and pids_of(handler)[0] != first, what="a new worker")
    for first_id in range(0, 200, 100):
        assert gw.post("/webhooks/acme", batch(first_id, 100))[0] == 200
    wait_until(lambda: len({r[0] for r in recorded(out)}) == 200, what="every event")


def test_the_gateway_killed_mid_run_and_restarted_loses_no_event(start, tenants, workdir):
    out = workdir / "got.txt"
    handler = handler_script(workdir, "slow.py", RECORDER.replace("out.flush()", "out.flush(); __import__('time').sleep(0.002)"),
                             interpreter="/usr/bin/env python3")
    write_tenant(tenants, "acme", stream_tenant(handler, env={"OUT": out}))
    gw = start()
    for first in range(0, 2000, 500):
        assert gw.post("/webhooks/acme", batch(first, 500))[0] == 200
    wait_until(lambda: len(lines(out)) > 100, what="some answers")
    gw.kill()
    # Its worker sees end of input when the gateway dies, and exits.
    wait_until(lambda: not pids_of(handler), what="the orphaned worker to exit")
    gw = start()
    wait_until(lambda: len({r[0] for r in recorded(out)}) == 2000, timeout=60, what="every event after the restart")
    def done():
        table = cli("stats", tenants_dir=tenants, state_dir=workdir / "state").stdout.splitlines()
        header, row = table[0].split("\t"), table[1].split("\t")
        return dict(zip(header, row))["DONE"] == "2000"
    wait_until(done, what="every delivery recorded done")


def test_direct_mode_answers_200_after_the_worker_said_done_and_503_after_failed(start, tenants, workdir):
    handler = handler_script(workdir, "verdict.py", r'''
import json, sys
for line in sys.stdin:
    event = json.loads(line)
    status = "failed" if "fail" in event["message"]["text"] else "done"
    print(json.dumps({"id": event["id"], "status": status, "detail": "said " + status}), flush=True)
''', interpreter="/usr/bin/env python3")
    write_tenant(tenants, "acme", stream_tenant(handler, mode="direct"))
    gw = start()
    assert gw.post("/webhooks/acme", onprem_text("wamid.d1", text="all good"))[0] == 200
    status, body, _ = gw.post("/webhooks/acme", onprem_text("wamid.d2", text="please fail"))
    assert status == 503, body
    assert len(pids_of(handler)) == 1, "both went through the one worker"


def test_reload_replaces_only_changed_stream_handlers(start, tenants, workdir):
    out = workdir / "got.txt"
    handler = handler_script(workdir, "rec.py", RECORDER, interpreter="/usr/bin/env python3")
    text = stream_tenant(handler, env={"OUT": out})
    write_tenant(tenants, "acme", text)
    write_tenant(tenants, "other", text.replace('name = "s"', 'name = "t"'))
    gw = start()
    wait_until(lambda: len(pids_of(handler)) == 2, what="two workers")
    before = set(pids_of(handler))
    write_tenant(tenants, "acme", text.replace('timeout = "10s"', 'timeout = "20s"'))
    gw.reload()

    def replaced():
        now = set(pids_of(handler))
        return now if len(now) == 2 and len(now - before) == 1 else None
    after = wait_until(replaced, what="the changed one replaced")
    time.sleep(0.5)
    assert set(pids_of(handler)) == after, "the unchanged handler's worker kept running, and only two run"
    assert gw.post("/webhooks/acme", onprem_text("wamid.r1"))[0] == 200
    wait_until(lambda: recorded(out) and recorded(out)[-1][1] in {str(p) for p in after - before})


def test_stop_closes_stdin_and_the_worker_exits_on_end_of_input(start, tenants, workdir):
    marker = workdir / "eof.txt"
    handler = handler_script(workdir, "eof.py", f'''
import json, sys
for line in sys.stdin:
    print(json.dumps({{"id": json.loads(line)["id"], "status": "done"}}), flush=True)
open("{marker}", "w").write("end of input")
''', interpreter="/usr/bin/env python3")
    write_tenant(tenants, "acme", stream_tenant(handler))
    gw = start()
    wait_until(lambda: pids_of(handler), what="the worker")
    assert gw.stop() == 0
    assert marker.read_text() == "end of input"
    assert not pids_of(handler)


def test_stderr_lines_reach_the_log_tagged_with_tenant_and_handler(start, tenants, workdir):
    handler = handler_script(workdir, "talk.py", r'''
import json, sys
for line in sys.stdin:
    event = json.loads(line)
    print("working on " + event["id"], file=sys.stderr, flush=True)
    print(json.dumps({"id": event["id"], "status": "done"}), flush=True)
''', interpreter="/usr/bin/env python3")
    write_tenant(tenants, "acme", stream_tenant(handler))
    gw = start()
    assert gw.post("/webhooks/acme", onprem_text("wamid.t1"))[0] == 200
    wait_until(lambda: "working on msg:wamid.t1" in gw.log())
    line = next(l for l in gw.log().splitlines() if "working on msg:wamid.t1" in l)
    assert "tenant=acme" in line and "handler=s" in line


def test_run_handler_sends_one_event_through_the_protocol(tenants, workdir):
    handler = handler_script(workdir, "env.py", r'''
import json, os, sys
for line in sys.stdin:
    event = json.loads(line)
    detail = os.environ["COREGATE_PROTOCOL"] + " " + os.environ["COREGATE_TENANT"] + " " + str("COREGATE_EVENT_ID" in os.environ)
    print(json.dumps({"id": event["id"], "status": "retry", "detail": detail}), flush=True)
''', interpreter="/usr/bin/env python3")
    write_tenant(tenants, "acme", stream_tenant(handler))
    body = workdir / "body.json"
    body.write_bytes(onprem_text("wamid.rh"))
    proc = cli("run-handler", "--tenant", "acme", "--handler", "s", str(body), tenants_dir=tenants,
               state_dir=workdir / "state", check=False)
    assert proc.returncode == 75, proc.stdout + proc.stderr
    assert "outcome: retry requested" in proc.stdout
    assert "ndjson-v1 acme False" in proc.stdout


def test_a_stream_answers_actions_are_sent_as_replies_and_a_bad_one_fails_only_its_event(workdir, tenants, start):
    from fake_api import FakeAPI
    from test_replies import NUMBER, cloud_body, tenant as reply_tenant
    handler = handler_script(workdir, "replier.py", r'''
import json, sys
for line in sys.stdin:
    event = json.loads(line)
    text = event["message"]["text"]
    action = {"txt": "typo"} if text == "bad" else {"text": "You wrote: " + text}
    print(json.dumps({"id": event["id"], "status": "done", "actions": [action]}), flush=True)
''', interpreter="/usr/bin/env python3")
    with FakeAPI() as api:
        text = reply_tenant(workdir, handler, api=api, max_attempts=1).replace('timeout = "60s"\n', 'timeout = "60s"\nmode = "stream"\n')
        write_tenant(tenants, "acme", text)
        gw = start()
        assert gw.post("/webhooks/acme", cloud_body("wamid.S-1", text="hello"))[0] == 200
        [request] = api.wait_for(1)
        assert request.path == f"/v26.0/{NUMBER}/messages"
        assert request.json["text"] == {"body": "You wrote: hello"} and request.json["to"] == "15550100777"
        assert gw.post("/webhooks/acme", cloud_body("wamid.S-2", wa_id="15550100888", text="bad"))[0] == 200
        wait_until(lambda: "outcome=bad-reply" in gw.log(), what="a bad-reply attempt")
        assert len(pids_of(handler)) == 1 and "reason=" not in gw.log(), "the worker was not restarted"
        assert len(api.requests) == 1
