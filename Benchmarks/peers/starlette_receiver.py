"""What a user would write instead of coregate: a Starlette app on uvicorn that stores each
webhook's messages in SQLite and answers 200 after the commit. No signature check, no tenants,
no delivery queue. Run by Benchmarks/ingest.py as

    RECEIVER_DB=/path/receiver.sqlite RECEIVER_FSYNC=1 uvicorn starlette_receiver:app --workers 2

RECEIVER_FSYNC=1 commits with synchronous=FULL (a 200 survives a power loss, as coregate's
`power_loss_safe = true`), 0 with synchronous=NORMAL (survives a crash of the process only).
WAL either way, so the two workers' readers never block each other; writes take turns.
"""
import json
import os
import sqlite3

from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

db = sqlite3.connect(os.environ["RECEIVER_DB"], isolation_level=None, check_same_thread=False, timeout=10)
db.execute("PRAGMA journal_mode = WAL")
db.execute("PRAGMA synchronous = " + ("FULL" if os.environ.get("RECEIVER_FSYNC") == "1" else "NORMAL"))
db.execute("CREATE TABLE IF NOT EXISTS event (id TEXT PRIMARY KEY, contact TEXT, body BLOB NOT NULL)")


async def receive(request):
    payload = json.loads(await request.body())
    rows = [(m["id"], m.get("from"), json.dumps(m)) for m in payload.get("messages", [])]
    with db:  # one transaction per request, committed before the answer
        db.execute("BEGIN IMMEDIATE")
        db.executemany("INSERT OR IGNORE INTO event (id, contact, body) VALUES (?, ?, ?)", rows)
    return JSONResponse({"status": "accepted", "events": len(rows)})


app = Starlette(routes=[Route("/webhooks/{tenant}", receive, methods=["POST"])])
