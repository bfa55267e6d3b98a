"""A fake HTTP API on 127.0.0.1 that records every request and answers each from a script the
test sets: an HTTP status and body, a hang past the client's timeout, or a hold released by the
test. It stands for the senders' send APIs (the Cloud API's Graph endpoint, a Coreapp's
`/v1/messages`) and for the downstream services example handlers post to."""
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Request:
    method: str
    path: str
    headers: dict
    body: bytes

    @property
    def json(self):
        return json.loads(self.body)


def ok():
    """What the API answers a sent message: a new wamid for each."""
    return ("ok",)


def status(code, body):
    return ("status", code, json.dumps(body).encode() if not isinstance(body, bytes) else body)


def hang(seconds):
    """No answer for this long: the gateway's timeout must end the try."""
    return ("hang", seconds)


def hold():
    """No answer until the test calls release(); the request is recorded first."""
    return ("hold",)


class FakeAPI:
    def __init__(self, port=0, script=()):
        self.requests = []
        self.script = list(script)
        self.sent = 0
        self._cond = threading.Condition()
        self._released = threading.Event()
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with api._cond:
                    api.requests.append(Request(self.command, self.path, dict(self.headers), body))
                    step = api.script.pop(0) if api.script else ok()
                    api._cond.notify_all()
                if step[0] == "hang":
                    time.sleep(step[1])
                    self.close_connection = True
                    return
                if step[0] == "hold":
                    api._released.wait(60)
                    step = ok()
                if step[0] == "ok":
                    with api._cond:
                        api.sent += 1
                        number = api.sent
                    answer = (b'{"success":true}' if b'"status":"read"' in body else json.dumps(
                        {"messaging_product": "whatsapp", "contacts": [{"input": "x", "wa_id": "x"}],
                         "messages": [{"id": f"wamid.OUT-{number}"}]}).encode())
                    code = 200
                else:
                    code, answer = step[1], step[2]
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            do_POST = do_PUT = _serve

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._released.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def release(self):
        self._released.set()

    def wait_for(self, count, timeout=30):
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.requests) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"{len(self.requests)} of {count} requests within {timeout}s: {self.requests}")
                self._cond.wait(remaining)
            return list(self.requests)
