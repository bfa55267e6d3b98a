#!/usr/bin/env python3
"""Echo bot: logs every inbound message to the journal and, with --reply, answers a text with
its own words, quoting it, after marking it read.

It asks coregate to send the answer by printing {"reply": ACTION} lines: coregate sends them
through the tenant's [reply] API once this run exits 0, with retries, and never for a run that
fails. So there is no HTTP client, no token and no list of answered ids here.
"""
import json, sys

event = json.load(sys.stdin)
if event["decode_error"]:  # an item coregate could not decode: nothing to echo, but say so
    sys.exit(print(f"{event['type']} that could not be decoded: {event['decode_error']}", file=sys.stderr))
text, contact = event["message"].get("text"), event["contact"]
print(f"{event['type']} from {contact['name'] or contact['wa_id'] or contact['user_id']}" + (f": {text}" if text else ""), file=sys.stderr)
if "--reply" in sys.argv and text is not None:
    print(json.dumps({"reply": {"mark_read": True}}))
    print(json.dumps({"reply": {"text": f"You wrote: {text}", "quote": True}}))
