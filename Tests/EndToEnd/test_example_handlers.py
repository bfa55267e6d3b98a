"""Every example in handlers/ through the real gateway: a webhook goes in, and each example's own
effect is waited for: a CSV row, a file, a request to a local server, a line in the log.

The examples run from the repository by absolute path, under their own shebang interpreters, so a
missing interpreter or a broken example fails here."""
import csv
import json
import os
import sqlite3
import subprocess

from harness import BIN, FIXTURES, REPO, cli, fixture_bytes, free_port, onprem_text, wait_until, write_tenant
from fake_api import FakeAPI

HANDLERS = REPO / "handlers"

# Each example and the test below that proves it works: a new example needs a test here.
EXAMPLES = {
    "echo-bot.py": "test_echo_bot_logs_the_text_and_replies_through_the_coreapp_api",
    "log-status.sh": "test_receipts_land_in_a_csv_once_each",
    "forward.sh": "test_forwarder_posts_the_event_as_it_came",
    "opt-out.pl": "test_opt_out_keeps_a_list_of_customers_who_wrote_stop",
    "contacts.js": "test_contacts_keeps_one_card_per_customer",
    "helpdesk-ticket.rb": "test_helpdesk_ticket_asks_for_a_retry_until_the_helpdesk_is_up",
    "stream-echo.py": "test_stream_echo_answers_every_event_from_one_process",
    "stream-tally.js": "test_stream_tally_counts_event_types_in_one_process",
    "stream-audit.rb": "test_stream_audit_writes_one_line_per_event_and_fails_a_message_without_sender",
}

TENANT = '''sender = "on-premises"
[delivery]
backoff_initial = "100ms"
backoff_max = "500ms"
max_attempts = 50
'''


def handler(name, program, events, **env):
    lines = [
        "[[handlers]]",
        f'name = "{name}"',
        f"events = {json.dumps(events)}",
        f"command = {json.dumps([str(HANDLERS / program)] + (['--reply'] if program == 'echo-bot.py' else []))}",
        'timeout = "10s"',
    ]
    if program.startswith("stream-"):
        lines.append('mode = "stream"')
    if env:
        lines.append("env = { " + ", ".join(f"{k} = {json.dumps(v)}" for k, v in env.items()) + " }")
    return "\n".join(lines) + "\n"


def state(workdir, *parts):
    return workdir.joinpath("state", "tenants", "shop", *parts)


def delivered(gw, handler_name, event_id):
    """Whether the gateway's log says the handler is done with the event."""
    return any(f"event_id={event_id} " in line and f"handler={handler_name} outcome=succeeded" in line
               for line in gw.log().splitlines())


def done_in_store(workdir, handler_name, event_id):
    """Whether the store has the handler's delivery of the event done: a stream handler's success
    is logged at debug only (one line per event would flood the journal at its rates)."""
    db = sqlite3.connect(f"file:{workdir / 'state' / 'coregate.sqlite'}?mode=ro", uri=True, timeout=10)
    try:
        row = db.execute("SELECT d.state FROM delivery AS d JOIN event AS e ON e.seq = d.event_seq "
                         "WHERE e.id = ? AND d.handler = ?", (event_id, handler_name)).fetchone()
    finally:
        db.close()
    return row is not None and row[0] == "done"


def post_ok(gw, body):
    status, answer, _ = gw.post("/webhooks/shop", body)
    assert status == 200, answer
    return json.loads(answer)


def run_again(tenants, workdir, handler_name, fixture):
    """Runs a handler by hand on an event it has already had, as a redelivery would."""
    return cli("run-handler", "--tenant", "shop", "--handler", handler_name, str(FIXTURES / fixture),
               tenants_dir=tenants, state_dir=workdir / "state")


def test_every_example_is_executable_has_a_shebang_and_is_tested_here():
    present = sorted(p.name for p in HANDLERS.iterdir())
    assert present == sorted(EXAMPLES), "an example without a test (or a test without its example)"
    for name, test in EXAMPLES.items():
        path = HANDLERS / name
        assert os.access(path, os.X_OK), f"{name} is not executable"
        assert path.read_bytes().startswith(b"#!"), f"{name} has no #! line"
        assert test in globals(), test


def test_the_handler_guide_inlines_every_example_as_it_is():
    guide = (REPO / "docs" / "handler-guide.md").read_text()
    for name in EXAMPLES:
        heading = f": `handlers/{name}`\n"
        assert heading in guide, f"the guide has no section for {name}"
        section = guide.split(heading, 1)[1]
        code = section.split("```", 2)[1].split("\n", 1)[1]
        assert code == (HANDLERS / name).read_text(), f"the guide's copy of {name} differs from the file"


def test_the_repository_tenants_check_without_a_single_warning():
    proc = subprocess.run([str(BIN), "check", "--tenants-dir", str(REPO / "tenants")],
                          capture_output=True, text=True, timeout=30, env={"PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "warning" not in proc.stdout, proc.stdout


def test_echo_bot_logs_the_text_and_replies_through_the_coreapp_api(start, tenants, workdir):
    token = workdir / "coreapp-token"
    token.write_text("example-token\n")
    with FakeAPI() as coreapp:
        write_tenant(tenants, "shop", TENANT + f'[reply]\ntoken = "file:{token}"\nbase_url = "{coreapp.url}"\n'
                     + handler("bot", "echo-bot.py", ["message.*"]))
        gw = start()
        post_ok(gw, fixture_bytes("onprem-inbound-text.json"))
        # The bot's stderr line reaches the gateway's log, tagged with the handler.
        wait_until(lambda: "message.text from Dana Whitlock: Hi! Is the Friday pickup slot still open?" in gw.log())
        read, reply = coreapp.wait_for(2)
        assert (read.method, read.path, json.loads(read.body)) == (
            "PUT", "/v1/messages/ABEGFVVQAQd3AgohzaU7PgTu9v5q", {"status": "read"})
        assert (reply.method, reply.path) == ("POST", "/v1/messages")
        assert reply.headers["Authorization"] == "Bearer example-token"
        assert json.loads(reply.body) == {
            "recipient_type": "individual", "to": "15550100777",
            "context": {"message_id": "ABEGFVVQAQd3AgohzaU7PgTu9v5q"},
            "type": "text", "text": {"body": "You wrote: Hi! Is the Friday pickup slot still open?"}}
        wait_until(lambda: delivered(gw, "bot", "msg:ABEGFVVQAQd3AgohzaU7PgTu9v5q"))
        # An image is logged but not answered.
        post_ok(gw, fixture_bytes("onprem-inbound-image-caption.json"))
        wait_until(lambda: delivered(gw, "bot", "msg:ABEGFVVQAQd3AgoDkYBo3Do03y6W"))
        assert "message.image from Priya Raman" in gw.log()
        # Run by hand, it shows the replies it asks for and sends nothing.
        shown = run_again(tenants, workdir, "bot", "onprem-inbound-text.json").stdout
        assert '{"reply": {"text": "You wrote: Hi! Is the Friday pickup slot still open?", "quote": true}}' in shown
        assert 'would send (mark_read): {"status":"read"}' in shown, shown
        assert "example-token" not in gw.log()
    assert len(coreapp.requests) == 2


def test_receipts_land_in_a_csv_once_each(start, tenants, workdir):
    write_tenant(tenants, "shop", TENANT + handler("receipts", "log-status.sh", ["status.*", "error"]))
    gw = start()
    for fixture in ["onprem-status-delivered.json", "onprem-status-failed.json", "onprem-errors-notification.json"]:
        post_ok(gw, fixture_bytes(fixture))
    receipts = state(workdir, "receipts.csv")
    wait_until(lambda: receipts.exists() and len(receipts.read_text().splitlines()) == 5)
    # Different customers' events may run side by side, so rows come in any order.
    rows = {row["event_id"]: row for row in csv.DictReader(receipts.open())}
    assert rows.pop("status:gBEGFVVQAQd3Agkl_X-ICLLqTvu:delivered") == {
        "event_id": "status:gBEGFVVQAQd3Agkl_X-ICLLqTvu:delivered", "occurred_at": "2024-06-14T15:46:44Z",
        "status": "delivered", "message_id": "gBEGFVVQAQd3Agkl_X-ICLLqTvu", "recipient": "15550100777",
        "error_code": ""}
    failed = rows.pop("status:gBEGFVVQAQd3Agk099DdhSZAfq_:failed")
    assert (failed["status"], failed["message_id"], failed["recipient"], failed["error_code"]) == (
        "failed", "gBEGFVVQAQd3Agk099DdhSZAfq_", "447700900456", "470")
    assert all(event_id.startswith("error:") for event_id in rows)
    assert sorted((r["status"], r["occurred_at"], r["message_id"], r["error_code"]) for r in rows.values()) == [
        ("error", "", "", "1014"), ("error", "", "", "400")]
    # Delivered again (at least once), the same receipt is not written twice.
    assert post_ok(gw, fixture_bytes("onprem-status-delivered.json"))["duplicates"] == 1
    run_again(tenants, workdir, "receipts", "onprem-status-delivered.json")
    assert len(receipts.read_text().splitlines()) == 5


def test_forwarder_posts_the_event_as_it_came(start, tenants, workdir):
    with FakeAPI() as downstream:
        write_tenant(tenants, "shop", TENANT + handler(
            "forward", "forward.sh", ["*"], FORWARD_URL=downstream.url + "/events"))
        gw = start()
        post_ok(gw, fixture_bytes("onprem-inbound-location.json"))
        request = downstream.wait_for(1)[0]
    assert request.path == "/events"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Coregate-Event-Id"] == "msg:ABEGFVVQAQd3AgoldHeEe-qfq_xT"
    event = json.loads(request.body)
    assert event["type"] == "message.location" and event["tenant"] == "shop"
    assert event["message"]["location"]["latitude"] == 51.507412
    assert request.body.endswith(b"}\n"), "the forwarded body is the event line as the handler read it"


def test_opt_out_keeps_a_list_of_customers_who_wrote_stop(start, tenants, workdir):
    write_tenant(tenants, "shop", TENANT + handler("opt-out", "opt-out.pl", ["message.text"]))
    gw = start()
    listed = state(workdir, "opted-out.txt")
    post_ok(gw, onprem_text("ABGGstop1", sender="15550100001", text="Stop!"))
    post_ok(gw, onprem_text("ABGGstop2", sender="15550100002", text="unsubscribe"))
    wait_until(lambda: listed.exists() and listed.read_text() == "15550100001\n15550100002\n")
    post_ok(gw, onprem_text("ABGGstart1", sender="15550100001", text="START"))
    post_ok(gw, onprem_text("ABGGother", sender="15550100003", text="Will you stop by?"))
    wait_until(lambda: delivered(gw, "opt-out", "msg:ABGGstart1") and delivered(gw, "opt-out", "msg:ABGGother"))
    assert "15550100001 opted back in" in gw.log()
    assert listed.read_text() == "15550100002\n", "only a whole-word STOP opts out"


def test_contacts_keeps_one_card_per_customer(start, tenants, workdir):
    write_tenant(tenants, "shop", TENANT + handler("contacts", "contacts.js", ["message.*"]))
    gw = start()
    post_ok(gw, fixture_bytes("onprem-inbound-image-caption.json"))  # Priya, 1718373101
    post_ok(gw, fixture_bytes("onprem-inbound-location.json"))  # Priya again, later: 1718376002
    card_path = state(workdir, "contacts", "447700900456.json")
    wait_until(lambda: card_path.exists() and json.loads(card_path.read_text())["last_type"] == "message.location")
    card = json.loads(card_path.read_text())
    assert card == {
        "wa_id": "447700900456", "user_id": None, "name": "Priya Raman", "first_seen": "2024-06-14T13:51:41Z",
        "last_seen": "2024-06-14T14:40:02Z", "last_type": "message.location",
        "last_event": "msg:ABEGFVVQAQd3AgoldHeEe-qfq_xT"}


def test_helpdesk_ticket_asks_for_a_retry_until_the_helpdesk_is_up(start, tenants, workdir):
    port = free_port()
    write_tenant(tenants, "shop", TENANT + handler(
        "helpdesk", "helpdesk-ticket.rb", ["message.*"], HELPDESK_URL=f"http://127.0.0.1:{port}/api/tickets"))
    gw = start()
    post_ok(gw, fixture_bytes("onprem-inbound-text.json"))
    # Nothing listens yet: the handler exits 75 and the queue keeps the event.
    wait_until(lambda: "attempt 1: helpdesk unreachable" in gw.log())
    wait_until(lambda: "handler=helpdesk outcome=retry-requested" in gw.log())
    with FakeAPI(port=port) as helpdesk:
        ticket = helpdesk.wait_for(1)[0]
        wait_until(lambda: delivered(gw, "helpdesk", "msg:ABEGFVVQAQd3AgohzaU7PgTu9v5q"))
    assert len(helpdesk.requests) == 1, "one ticket, opened on the first attempt that reached the helpdesk"
    assert ticket.path == "/api/tickets"
    assert ticket.headers["Idempotency-Key"] == "msg:ABEGFVVQAQd3AgohzaU7PgTu9v5q"
    body = json.loads(ticket.body)
    assert body["subject"] == "WhatsApp text from Dana Whitlock"
    assert body["body"] == "Hi! Is the Friday pickup slot still open?"
    assert body["requester"] == "15550100777"


def test_the_examples_take_username_users_group_statuses_and_items_that_could_not_be_decoded(start, tenants, workdir):
    """The 2026 Cloud API: no phone number, a participant in the status id, a null body."""
    cloud = 'sender = "cloud"\n' + TENANT.split("\n", 1)[1]
    token = workdir / "graph-token"
    token.write_text("t\n")
    with FakeAPI() as graph, FakeAPI() as helpdesk:
        write_tenant(tenants, "shop", cloud + f'[reply]\ntoken = "file:{token}"\nbase_url = "{graph.url}"\n'
                     + handler("bot", "echo-bot.py", ["message.*"])
                     + handler("contacts", "contacts.js", ["message.*"])
                     + handler("helpdesk", "helpdesk-ticket.rb", ["message.*"], HELPDESK_URL=helpdesk.url + "/t")
                     + handler("opt-out", "opt-out.pl", ["message.text"])
                     + handler("receipts", "log-status.sh", ["status.*", "error"]))
        gw = start()
        for fixture in ["cloud-inbound-username-no-phone.json", "cloud-status-group-participants.json",
                        "cloud-mixed-malformed-items.json"]:
            post_ok(gw, fixture_bytes(fixture))
        # Three texts, each marked read, then answered.
        replies = [json.loads(r.body) for r in graph.wait_for(6)]
        tickets = [json.loads(r.body) for r in helpdesk.wait_for(4)]
    sheena = "US.13491208655302741918"
    texts = [r for r in replies if r.get("type") == "text"]
    assert {(r.get("to"), r.get("recipient"), r["text"]["body"]) for r in texts} >= {
        (None, sheena, "You wrote: Does it come in another color?")}
    assert all(r.get("to") in (None, "15550100777") for r in texts)
    assert len([r for r in replies if r.get("status") == "read"]) == 3
    assert {t["requester"] for t in tickets} == {sheena, "US.20571349908412736651", "15550100777", None}
    assert "entry[0].changes[0].value.messages[1].id is missing" in [t["body"] for t in tickets]
    card = wait_until(lambda: (p := state(workdir, "contacts", sheena + ".json")).exists() and json.loads(p.read_text()))
    assert (card["wa_id"], card["user_id"], card["name"]) == (None, sheena, "Sheena Nelson")
    receipts = state(workdir, "receipts.csv")
    wait_until(lambda: receipts.exists() and len(receipts.read_text().splitlines()) == 6)
    rows = list(csv.DictReader(receipts.open()))
    group = "wamid.HBgSMTIwMzYzMDQxMjM0NTY3ODkwFQIAERgSNkY3MDgxOTJBM0I0QzVENkU3AA=="
    assert sorted((r["status"], r["message_id"]) for r in rows) == sorted([
        ("delivered", group), ("delivered", group), ("read", "wamid.HBgLMTU1NTAxMDA3NzcVAgARGBI0QjVDNkQ3RThGMDExMjIzMzQ0NQA="),
        ("status.unknown", ""), ("error", "")])
    for name in ["bot", "contacts", "opt-out"]:
        assert f"handler={name} outcome=failed" not in gw.log(), name


def worker_pids(script):
    """Pids of running processes whose command line names the example."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    if str(HANDLERS / script).encode() in f.read():
                        pids.append(int(entry))
            except OSError:
                pass
    return pids


STREAM_FIXTURES = ["onprem-inbound-text.json", "onprem-inbound-image-caption.json", "onprem-inbound-location.json",
                   "onprem-status-delivered.json"]


def test_stream_echo_answers_every_event_from_one_process(start, tenants, workdir):
    write_tenant(tenants, "shop", TENANT + handler("echo", "stream-echo.py", ["*"]))
    gw = start()
    ids = [event["id"] for fixture in STREAM_FIXTURES for event in decoded(fixture)]
    for fixture in STREAM_FIXTURES:
        post_ok(gw, fixture_bytes(fixture))
    for event_id in ids:
        wait_until(lambda: done_in_store(workdir, "echo", event_id), what=event_id)
    assert sorted(state(workdir, "stream-echo.txt").read_text().split()) == sorted(ids)
    assert "15550100777 wrote: Hi! Is the Friday pickup slot still open?" in gw.log()
    assert len(worker_pids("stream-echo.py")) == 1, "one process took every event"
    # Stopping the gateway closes the worker's stdin; it exits on end of input.
    gw.stop()
    wait_until(lambda: not worker_pids("stream-echo.py"), what="the worker to exit")


def test_stream_tally_counts_event_types_in_one_process(start, tenants, workdir):
    write_tenant(tenants, "shop", TENANT + handler("tally", "stream-tally.js", ["*"]))
    gw = start()
    for fixture in STREAM_FIXTURES + ["onprem-inbound-text.json"]:  # the last is a redelivery: no new event
        post_ok(gw, fixture_bytes(fixture))
    tally = state(workdir, "tally.json")
    expected = {"message.text": 1, "message.image": 1, "message.location": 1, "status.delivered": 1}
    wait_until(lambda: tally.exists() and json.loads(tally.read_text()) == expected, what="the tally")
    ids = [event["id"] for fixture in STREAM_FIXTURES for event in decoded(fixture)]
    wait_until(lambda: all(done_in_store(workdir, "tally", event_id) for event_id in ids), what="every event done")
    assert len(worker_pids("stream-tally.js")) == 1


def test_stream_audit_writes_one_line_per_event_and_fails_a_message_without_sender(start, tenants, workdir):
    write_tenant(tenants, "shop", TENANT.replace("max_attempts = 50", "max_attempts = 2")
                 + handler("audit", "stream-audit.rb", ["*"]))
    gw = start()
    for fixture in STREAM_FIXTURES:
        post_ok(gw, fixture_bytes(fixture))
    audit = state(workdir, "audit.log")
    wait_until(lambda: audit.exists() and len(audit.read_text().splitlines()) == 4, what="four audit lines")
    rows = [line.split("\t") for line in audit.read_text().splitlines()]
    assert ["msg:ABEGFVVQAQd3AgohzaU7PgTu9v5q", "message.text", "15550100777"] in rows
    # A message with no sender at all cannot be audited: the worker answers failed, twice, then it is dead.
    nobody = json.dumps({"messages": [{"id": "wamid.nobody", "timestamp": "1764072000", "type": "text",
                                       "text": {"body": "?"}}]}).encode()
    post_ok(gw, nobody)
    wait_until(lambda: "handler=audit outcome=failed" in gw.log() and "dead letter" in gw.log(), what="a dead letter")
    assert len(worker_pids("stream-audit.rb")) == 1, "a failed answer does not restart the worker"


def decoded(fixture):
    """The events coregate makes of a fixture, as `coregate decode` prints them."""
    proc = subprocess.run([str(BIN), "decode", "--tenant", "shop", "--sender", "on-premises", str(FIXTURES / fixture)],
                          capture_output=True, text=True, timeout=30, check=True)
    return [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
