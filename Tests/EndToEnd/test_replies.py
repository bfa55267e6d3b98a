"""Issue 14 through the real binary: handlers ask for replies, coregate sends them to a fake Graph
API or a fake Coreapp on loopback, once, with retries, dead letters, replay, metrics and crashes.

Each test posts a webhook to a running gateway, lets a real handler process print its actions, and
then reads what the fake API received (method, path, token, body) and what `coregate events show`
says, so it fails if an action is lost, sent twice, sent from a failed attempt, or sent wrong."""
import json
import os
import signal
import urllib.request

from fake_api import FakeAPI, hang, hold, status
from harness import cli, free_port, handler_script, onprem_text, wait_until, write_tenant

NUMBER = "106540352242922"
TOKEN = "EAAG-test-token"


def cloud_body(message_id, wa_id="15550100777", user_id=None, text="hi"):
    contact = {"profile": {"name": "Ada"}}
    message = {"id": message_id, "timestamp": "1764072000", "type": "text", "text": {"body": text}}
    if wa_id:
        contact["wa_id"] = wa_id
        message["from"] = wa_id
    if user_id:
        contact["user_id"] = user_id
        message["from_user_id"] = user_id
    value = {"messaging_product": "whatsapp",
             "metadata": {"display_phone_number": "15550009999", "phone_number_id": NUMBER},
             "contacts": [contact], "messages": [message]}
    return json.dumps({"object": "whatsapp_business_account",
                       "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": value}]}]}).encode()


def tenant(workdir, handler, *, sender="cloud", api=None, reply="", mode="queue", max_attempts=3):
    token_file = workdir / "token"
    token_file.write_text(TOKEN + "\n")
    base = f'base_url = "{api.url}"\n' if api else ""
    numbers = f'phone_number_ids = ["{NUMBER}"]\n' if sender == "cloud" else ""
    return (
        f'sender = "{sender}"\n{numbers}'
        f'[delivery]\nmode = "{mode}"\nmax_attempts = {max_attempts}\nbackoff_initial = "50ms"\nbackoff_max = "200ms"\n'
        f'[reply]\ntoken = "file:{token_file}"\n{base}timeout = "1s"\nbackoff_initial = "50ms"\nbackoff_max = "200ms"\n{reply}'
        f'[[handlers]]\nname = "bot"\nevents = ["message.*"]\ncommand = ["{handler}"]\ntimeout = "60s"\n'
    )


def prints(workdir, *lines, name="bot.sh", then="exit 0"):
    """A handler that prints these stdout lines (reply lines among them), then runs `then`."""
    body = "".join(f"printf '%s\\n' '{line}'\n" for line in lines) + then + "\n"
    return handler_script(workdir, name, body)


def reply(action):
    return json.dumps({"reply": action})


def show(workdir, tenants, event_id):
    return cli("events", "show", event_id, tenants_dir=tenants, state_dir=workdir / "state").stdout


def test_an_exec_handlers_text_reply_is_posted_once_to_the_graph_api_quoting_the_message(workdir, tenants, start):
    handler = prints(workdir, "thinking about it", reply({"text": "You wrote: hi", "quote": True}))
    with FakeAPI() as api:
        write_tenant(tenants, "acme", tenant(workdir, handler, api=api))
        gw = start()
        assert gw.post("/webhooks/acme", cloud_body("wamid.IN-1"))[0] == 200
        [request] = api.wait_for(1)
        assert request.method == "POST"
        assert request.path == f"/v26.0/{NUMBER}/messages"
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        assert request.json == {
            "messaging_product": "whatsapp", "recipient_type": "individual", "to": "15550100777",
            "context": {"message_id": "wamid.IN-1"}, "type": "text", "text": {"body": "You wrote: hi"}}
        shown = wait_until(lambda: (s := show(workdir, tenants, "msg:wamid.IN-1")) and "sent wamid.OUT-1" in s and s,
                           what="the sent record")
        assert "thinking about it" in shown, "other stdout stays with the attempt"
        # A later event of the same customer is answered after it, and the first is not sent again.
        gw.post("/webhooks/acme", cloud_body("wamid.IN-2"))
        requests = api.wait_for(2)
        assert [r.json["context"]["message_id"] for r in requests] == ["wamid.IN-1", "wamid.IN-2"]


def test_mark_read_typing_and_a_message_object_go_in_order_to_a_user_known_only_by_id(workdir, tenants, start):
    image = {"type": "image", "image": {"link": "https://example.com/a.png", "caption": "1.50 €"}}
    handler = prints(workdir, reply({"mark_read": True, "typing": True}),
                     reply({"message": {"messaging_product": "whatsapp", **image}}),
                     reply({"text": "there you go"}))
    with FakeAPI() as api:
        write_tenant(tenants, "acme", tenant(workdir, handler, api=api, reply='api_version = "v25.0"\n'))
        gw = start()
        gw.post("/webhooks/acme", cloud_body("wamid.IN-U", wa_id=None, user_id="US.13491208655302741918"))
        requests = api.wait_for(3)
        assert {r.path for r in requests} == {f"/v25.0/{NUMBER}/messages"}
        assert [r.json for r in requests] == [
            {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.IN-U",
             "typing_indicator": {"type": "text"}},
            {"messaging_product": "whatsapp", "recipient_type": "individual",
             "recipient": "US.13491208655302741918", **image},
            {"messaging_product": "whatsapp", "recipient_type": "individual",
             "recipient": "US.13491208655302741918", "type": "text", "text": {"body": "there you go"}},
        ]
        shown = wait_until(lambda: (s := show(workdir, tenants, "msg:wamid.IN-U")).count(": sent ") == 3 and s,
                           what="three sent records")
        assert "mark_read: sent (no message id)" in shown


def test_an_on_premises_tenant_replies_through_its_coreapp(workdir, tenants, start):
    handler = prints(workdir, reply({"mark_read": True, "typing": True}), reply({"text": "hello", "quote": True}))
    with FakeAPI() as coreapp:
        write_tenant(tenants, "acme", tenant(workdir, handler, sender="on-premises", api=coreapp))
        gw = start()
        gw.post("/webhooks/acme", onprem_text("wamid.OP-1"))
        read, text = coreapp.wait_for(2)
        assert (read.method, read.path, read.json) == ("PUT", "/v1/messages/wamid.OP-1", {"status": "read"})
        assert (text.method, text.path) == ("POST", "/v1/messages")
        assert text.headers["Authorization"] == f"Bearer {TOKEN}"
        assert text.json == {"recipient_type": "individual", "to": "15550100777",
                             "context": {"message_id": "wamid.OP-1"}, "type": "text", "text": {"body": "hello"}}


def test_only_the_attempt_that_succeeds_sends_its_replies(workdir, tenants, start):
    # For FLAKY, attempt 1 asks to be retried (75), attempt 2 fails (1), attempt 3 succeeds; each prints a reply.
    handler = handler_script(workdir, "flaky.sh", (
        """printf '{"reply": {"text": "attempt %s"}}\\n' "$COREGATE_ATTEMPT"\n"""
        'case $COREGATE_EVENT_ID:$COREGATE_ATTEMPT in msg:wamid.FLAKY:1) exit 75;; msg:wamid.FLAKY:2) exit 1;; esac\n'))
    with FakeAPI() as api:
        write_tenant(tenants, "acme", tenant(workdir, handler, api=api))
        gw = start()
        gw.post("/webhooks/acme", cloud_body("wamid.FLAKY"))
        [request] = api.wait_for(1)
        assert request.json["text"] == {"body": "attempt 3"}
        # The same customer's next reply comes after; nothing of attempts 1 and 2 came before it.
        gw.post("/webhooks/acme", cloud_body("wamid.AFTER"))
        requests = api.wait_for(2)
        assert [r.json["text"]["body"] for r in requests] == ["attempt 3", "attempt 1"]


def test_a_reply_that_cannot_be_sent_fails_the_attempt_and_sends_nothing(workdir, tenants, start):
    handler = prints(workdir, reply({"text": "fine"}), reply({"txt": "typo"}))
    with FakeAPI() as api:
        write_tenant(tenants, "acme", tenant(workdir, handler, api=api, max_attempts=1))
        gw = start()
        gw.post("/webhooks/acme", cloud_body("wamid.BAD"))
        shown = wait_until(lambda: (s := show(workdir, tenants, "msg:wamid.BAD")) and "dead" in s and s,
                           what="the dead letter")
        assert "bad-reply" in shown and "stdout line 2: an action needs one of" in shown, shown
        # A later good reply of the same customer goes out, and is the only request.
        write_tenant(tenants, "acme", tenant(workdir, prints(workdir, reply({"text": "good"}), name="good.sh"), api=api))
        gw.reload()
        gw.post("/webhooks/acme", cloud_body("wamid.GOOD"))
        [request] = api.wait_for(1)
        assert request.json["text"] == {"body": "good"}


def metric(metrics_port, name, **labels):
    text = urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).read().decode()
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0 if want else None


def test_429_500_a_timeout_and_a_rate_limit_code_are_retried_until_sent_once(workdir, tenants, start):
    handler = prints(workdir, reply({"text": "patience"}))
    script = [status(429, {"error": {"message": "slow down"}}), status(500, b"oops"), hang(3),
              status(400, {"error": {"message": "throughput reached", "code": 130429}})]
    metrics_port = free_port()
    config = workdir / "coregate.toml"
    config.write_text(f'metrics_listen = "127.0.0.1:{metrics_port}"\n')
    with FakeAPI(script=script) as api:
        write_tenant(tenants, "acme", tenant(workdir, handler, api=api, reply="max_attempts = 8\n"))
        gw = start(config=config)
        gw.post("/webhooks/acme", cloud_body("wamid.RETRY"))
        requests = api.wait_for(5)
        assert len({r.body for r in requests}) == 1, "every try sends the same action"
        shown = wait_until(lambda: (s := show(workdir, tenants, "msg:wamid.RETRY")) and "sent wamid.OUT-1" in s and s,
                           what="the sent record")
        assert "after 5 tries" in shown, shown
        assert metric(metrics_port, "coregate_reply_actions_total", tenant="acme", result="retry") == 4
        assert metric(metrics_port, "coregate_reply_actions_total", tenant="acme", result="sent") == 1
        assert len(api.requests) == 5


def test_a_refusal_is_a_dead_letter_at_once_keeping_the_answer_and_replay_sends_it(workdir, tenants, start):
    refusal = {"error": {"message": "Re-engagement message", "type": "OAuthException", "code": 131047}}
    handler = prints(workdir, reply({"text": "too late?"}))
    metrics_port = free_port()
    config = workdir / "coregate.toml"
    config.write_text(f'metrics_listen = "127.0.0.1:{metrics_port}"\n')
    with FakeAPI(script=[status(400, refusal)]) as api:
        write_tenant(tenants, "acme", tenant(workdir, handler, api=api))
        gw = start(config=config)
        gw.post("/webhooks/acme", cloud_body("wamid.REFUSED"))
        shown = wait_until(lambda: (s := show(workdir, tenants, "msg:wamid.REFUSED")) and "dead after" in s and s,
                           what="the dead action")
        assert "dead after 1 try: HTTP 400:" in shown and "131047" in shown and "Re-engagement message" in shown
        assert metric(metrics_port, "coregate_reply_actions_total", tenant="acme", result="failed") == 1
        action = shown.split("coregate replay --action ")[1].split()[0]
        out = cli("replay", "--action", action, tenants_dir=tenants, state_dir=workdir / "state").stdout
        assert "sending 1 reply actions again" in out
        requests = api.wait_for(2)
        assert requests[0].body == requests[1].body
        wait_until(lambda: "sent wamid.OUT-1 after 1 try" in show(workdir, tenants, "msg:wamid.REFUSED"),
                   what="the replayed action sent")
        assert metric(metrics_port, "coregate_reply_actions_total", tenant="acme", result="sent") == 1


def test_after_max_attempts_tries_the_action_is_dead_with_the_last_answer(workdir, tenants, start):
    handler = prints(workdir, reply({"text": "anyone?"}))
    with FakeAPI(script=[status(503, b"down")] * 3) as api:
        write_tenant(tenants, "acme", tenant(workdir, handler, api=api, reply="max_attempts = 3\n"))
        gw = start()
        gw.post("/webhooks/acme", cloud_body("wamid.DOWN"))
        api.wait_for(3)
        shown = wait_until(lambda: (s := show(workdir, tenants, "msg:wamid.DOWN")) and "dead after" in s and s,
                           what="the dead action")
        assert "dead after 3 tries: HTTP 503: down" in shown


def test_a_direct_mode_success_sends_its_reply(workdir, tenants, start):
    handler = prints(workdir, reply({"text": "direct"}))
    with FakeAPI() as api:
        write_tenant(tenants, "acme", tenant(workdir, handler, api=api, mode="direct"))
        gw = start()
        assert gw.post("/webhooks/acme", cloud_body("wamid.DIRECT"))[0] == 200
        [request] = api.wait_for(1)
        assert request.json["text"] == {"body": "direct"}


def test_a_crash_between_the_attempt_and_the_send_loses_and_duplicates_nothing(workdir, tenants, start):
    """kill -9 while the API is unreachable: the action was recorded with the attempt and is sent
    once after the restart."""
    handler = prints(workdir, reply({"text": "survivor"}))
    port = free_port()
    api_url = f"http://127.0.0.1:{port}"

    class Unreachable:
        url = api_url

    write_tenant(tenants, "acme", tenant(workdir, handler, api=Unreachable, reply="max_attempts = 100\n"))
    gw = start()
    gw.post("/webhooks/acme", cloud_body("wamid.CRASH-1"))
    wait_until(lambda: "waiting, " in show(workdir, tenants, "msg:wamid.CRASH-1"), what="a failed try")
    gw.proc.send_signal(signal.SIGKILL)
    gw.proc.wait()
    with FakeAPI(port=port) as api:
        gw2 = start(port=gw.port)
        # The same customer's next reply goes out after the first: once it is here, the first is done.
        gw2.post("/webhooks/acme", cloud_body("wamid.CRASH-2"))
        requests = api.wait_for(2)
        assert [r.json["text"]["body"] for r in requests] == ["survivor", "survivor"]
        assert [r.json.get("to") for r in requests] == ["15550100777"] * 2
        wait_until(lambda: "sent wamid.OUT-2" in show(workdir, tenants, "msg:wamid.CRASH-2"), what="the second sent")
        assert len(api.requests) == 2
        assert "sent wamid.OUT-1 after" in show(workdir, tenants, "msg:wamid.CRASH-1")


def test_a_crash_while_the_handler_runs_sends_only_the_rerun_replies(workdir, tenants, start):
    """kill -9 after the handler printed its reply but before the attempt was recorded: that reply
    was never stored, and the rerun's reply is sent once."""
    pid_file = workdir / "attempt-1.pid"
    handler = handler_script(workdir, "slow.sh", (
        """printf '{"reply": {"text": "from attempt %s"}}\\n' "$COREGATE_ATTEMPT"\n"""
        f'[ "$COREGATE_EVENT_ID:$COREGATE_ATTEMPT" = msg:wamid.MID-1:1 ] && echo $$ > {pid_file}.tmp && mv {pid_file}.tmp {pid_file} && exec sleep 300\n'
        "exit 0\n"))
    with FakeAPI() as api:
        write_tenant(tenants, "acme", tenant(workdir, handler, api=api))
        gw = start()
        gw.post("/webhooks/acme", cloud_body("wamid.MID-1"))
        wait_until(pid_file.exists, what="attempt 1 running, its reply printed")
        gw.proc.send_signal(signal.SIGKILL)
        gw.proc.wait()
        os.kill(int(pid_file.read_text()), signal.SIGKILL)
        gw2 = start(port=gw.port)
        gw2.post("/webhooks/acme", cloud_body("wamid.MID-2"))
        requests = api.wait_for(2)
        assert [r.json["text"]["body"] for r in requests] == ["from attempt 2", "from attempt 1"]


def test_a_crash_after_the_api_took_the_action_but_before_its_record_sends_it_again(workdir, tenants, start):
    """The documented limit: the API answered (or was about to) when the gateway died, so the
    store still holds the action as unsent, and it goes out once more after the restart — never
    lost, and at most one extra copy per crash."""
    handler = prints(workdir, reply({"text": "maybe twice"}))
    with FakeAPI(script=[hold()]) as api:
        write_tenant(tenants, "acme", tenant(workdir, handler, api=api, reply="max_attempts = 100\n"))
        gw = start()
        gw.post("/webhooks/acme", cloud_body("wamid.WINDOW"))
        api.wait_for(1)
        gw.proc.send_signal(signal.SIGKILL)
        gw.proc.wait()
        api.release()
        start(port=gw.port)
        requests = api.wait_for(2)
        assert requests[0].body == requests[1].body
        wait_until(lambda: "sent wamid.OUT-" in show(workdir, tenants, "msg:wamid.WINDOW"), what="the record")
        assert len(api.requests) == 2
