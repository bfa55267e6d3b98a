#!/usr/bin/env python3
"""Echo bot: logs every inbound text to the journal and, with --reply, answers it.

The answer goes through the Coreapp API when COREAPP_URL and COREAPP_TOKEN are set; without them
it is only printed, and stdout is kept with the attempt. Each event is answered once: its id is
stable, so a redelivered event (at least once!) is recognised in $COREGATE_STATE_DIR.
"""
import json, os, sys, urllib.request

event = json.load(sys.stdin)
message, contact = event["message"], event["contact"]
if event["decode_error"]:  # an item coregate could not decode: nothing to echo, but say so
    print(f"{event['type']} that could not be decoded: {event['decode_error']}", file=sys.stderr)
    sys.exit(0)
text = message.get("text")  # only message.text has one
who = contact["name"] or contact["wa_id"] or contact["user_id"]
print(f"{event['type']} from {who}" + (f": {text}" if text else ""), file=sys.stderr)  # → the journal
replied = os.path.join(os.environ["COREGATE_STATE_DIR"], "echo-bot-replied.txt")
done = open(replied).read().split("\n") if os.path.exists(replied) else []
if "--reply" not in sys.argv or text is None or event["id"] in done:
    sys.exit(0)

# A user known only by a username has no phone number: the reply goes to their user id.
to = {"to": message["from"]} if message["from"] else {"recipient": message["from_user_id"]}
reply = {**to, "type": "text", "text": {"body": f"You wrote: {text}"}}
url, token = os.environ.get("COREAPP_URL"), os.environ.get("COREAPP_TOKEN")
if url and token:
    request = urllib.request.Request(
        url.rstrip("/") + "/v1/messages", data=json.dumps(reply).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        urllib.request.urlopen(request, timeout=5).close()
    except OSError as error:  # unreachable, or an HTTP error status: try again later
        print(f"cannot reach the Coreapp: {error}", file=sys.stderr)
        sys.exit(75)
print("replied:" if url and token else "would reply:", json.dumps(reply))
with open(replied, "a") as log:
    log.write(event["id"] + "\n")
