#!/usr/bin/env python3
"""Stream handler (mode = "stream"): one long-lived process reads one event per line and writes
one answer line per event. This one logs each text to the journal, keeps a count per contact in
memory, and appends each event id to $COREGATE_STATE_DIR/stream-echo.txt."""
import json, os, sys

seen = {}
with open(os.path.join(os.environ["COREGATE_STATE_DIR"], "stream-echo.txt"), "a") as log:
    for line in sys.stdin:  # ends when coregate closes stdin: exit then
        event = json.loads(line)
        contact = event.get("contact") or {}  # a status or error event has none
        who = contact.get("wa_id") or contact.get("user_id") or "nobody"
        seen[who] = seen.get(who, 0) + 1
        text = (event.get("message") or {}).get("text")
        if text:
            print(f"{who} wrote: {text}", file=sys.stderr)  # → the journal
        log.write(event["id"] + "\n")
        log.flush()  # written before it is answered: done means done
        answer = {"id": event["id"], "status": "done", "detail": f"event {seen[who]} of {who}"}
        print(json.dumps(answer), flush=True)  # one line per event, flushed
