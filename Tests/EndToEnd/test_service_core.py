"""Issue 2 through the real binary: HTTP answers, limits, keep-alive, socket activation,
the sd_notify conversation, reload, graceful stop."""
import json
import signal
import socket
import subprocess
import time

import pytest

from harness import BIN, Coregate, fields, fixture_bytes, free_port, onprem_text, write_tenant

ONPREM = 'sender = "on-premises"\n'
TEXT = "onprem-inbound-text.json"


def limits_config(workdir, **keys):
    path = workdir / "conf" / "coregate.toml"
    lines = [f'{k} = {json.dumps(v)}' for k, v in keys.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def raw_exchange(port, payload, timeout=5):
    """Sends raw bytes, returns everything the server sends until it closes or goes quiet."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(payload)
        chunks = []
        try:
            while True:
                data = s.recv(65536)
                if not data:
                    break
                chunks.append(data)
        except socket.timeout:
            pass
        return b"".join(chunks)


def test_http_answers_for_route_method_and_body(start, tenants):
    write_tenant(tenants, "acme", ONPREM)
    gw = start()

    status, body, headers = gw.post("/webhooks/acme", fixture_bytes(TEXT))
    assert status == 200, body
    assert json.loads(body)["events"] == 1

    assert gw.post("/webhooks/nobody", fixture_bytes(TEXT))[0] == 404
    assert gw.post("/webhooks/acme/extra", fixture_bytes(TEXT))[0] == 404
    status, body, _ = gw.request("GET", "/webhooks/acme")
    assert status == 405 and json.loads(body) == {"error": "method not allowed"}
    assert gw.request("PUT", "/webhooks/acme", b"{}")[0] == 405
    assert gw.request("GET", "/webhooks/nobody")[0] == 404, "an unknown path must not reveal which methods exist"

    status, body, _ = gw.post("/webhooks/acme", b"this is not json")
    assert status == 400
    assert b"\n" not in body.strip() and "error" in json.loads(body)


def test_request_id_is_echoed_or_generated(start, tenants):
    write_tenant(tenants, "acme", ONPREM)
    gw = start()
    _, _, headers = gw.post("/webhooks/acme", fixture_bytes(TEXT), {"X-Request-Id": "abc-123"})
    assert headers["x-request-id"] == "abc-123"
    _, _, first = gw.post("/webhooks/acme", fixture_bytes(TEXT))
    _, _, second = gw.post("/webhooks/acme", fixture_bytes(TEXT))
    assert len(first["x-request-id"]) == 16 and first["x-request-id"] != second["x-request-id"]
    # A hostile id (header injection attempt, too long) is replaced, not echoed.
    _, _, headers = gw.post("/webhooks/acme", fixture_bytes(TEXT), {"X-Request-Id": "x" * 500})
    assert headers["x-request-id"] != "x" * 500
    assert "abc-123" in gw.log(), "the request id must appear in the log"


def test_body_limit_with_content_length_answers_413_before_reading(start, tenants, workdir):
    write_tenant(tenants, "acme", ONPREM)
    gw = start(config=limits_config(workdir, max_body="1KiB"))
    # Only the head is sent: a 413 must come back without the body ever arriving.
    head = b"POST /webhooks/acme HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000000\r\n\r\n"
    reply = raw_exchange(gw.port, head)
    assert reply.startswith(b"HTTP/1.1 413"), reply
    # Exactly at the limit is still fine (the body is then not JSON: 400, not 413).
    assert gw.post("/webhooks/acme", b" " * 1024)[0] == 400
    assert gw.post("/webhooks/acme", b" " * 1025)[0] == 413


def test_chunked_body_is_cut_off_past_the_limit(start, tenants, workdir):
    write_tenant(tenants, "acme", ONPREM)
    gw = start(config=limits_config(workdir, max_body="1KiB"))
    with socket.create_connection(("127.0.0.1", gw.port), timeout=5) as s:
        s.sendall(b"POST /webhooks/acme HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        reply = b""
        for _ in range(100):  # 100 chunks of 512 bytes: far past the limit if nobody stops us
            try:
                s.sendall(b"200\r\n" + b"a" * 512 + b"\r\n")
            except (BrokenPipeError, ConnectionResetError):
                break
            time.sleep(0.01)
        s.settimeout(2)
        try:
            while chunk := s.recv(65536):
                reply += chunk
        except (socket.timeout, ConnectionResetError):
            pass
    assert reply.startswith(b"HTTP/1.1 413"), reply
    # The server is still answering.
    assert gw.post("/webhooks/acme", fixture_bytes(TEXT))[0] == 200


def test_keep_alive_serves_several_requests_on_one_connection(start, tenants):
    write_tenant(tenants, "acme", ONPREM)
    gw = start()
    body = fixture_bytes(TEXT)
    request = (
        b"POST /webhooks/acme HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )
    with socket.create_connection(("127.0.0.1", gw.port), timeout=5) as s:
        replies = []
        for _ in range(3):
            s.sendall(request)
            data = b""
            while b"}" not in data.split(b"\r\n\r\n", 1)[-1]:
                data += s.recv(65536)
            replies.append(data)
    assert all(r.startswith(b"HTTP/1.1 200") for r in replies), replies
    assert all(b"connection: keep-alive" in r.lower() for r in replies)
    # Pipelined: two requests in one write, two answers in order.
    reply = raw_exchange(gw.port, request + request, timeout=2)
    assert reply.count(b"HTTP/1.1 200") == 2


def test_slowloris_client_is_dropped(start, tenants, workdir):
    write_tenant(tenants, "acme", ONPREM)
    gw = start(config=limits_config(workdir, read_timeout="1s", idle_timeout="2s"))
    began = time.monotonic()
    closed_after = None
    with socket.create_connection(("127.0.0.1", gw.port), timeout=5) as s:
        header = b"POST /webhooks/acme HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200
        for byte in header:
            try:
                s.sendall(bytes([byte]))
                s.settimeout(0.05)
                if s.recv(1) == b"":
                    closed_after = time.monotonic() - began
                    break
            except socket.timeout:
                continue
            except (BrokenPipeError, ConnectionResetError):
                closed_after = time.monotonic() - began
                break
    assert closed_after is not None, "a client trickling its headers was never dropped"
    assert closed_after < 4, closed_after
    assert gw.post("/webhooks/acme", fixture_bytes(TEXT))[0] == 200


def test_idle_keep_alive_connection_is_closed(start, tenants, workdir):
    write_tenant(tenants, "acme", ONPREM)
    gw = start(config=limits_config(workdir, idle_timeout="1s"))
    with socket.create_connection(("127.0.0.1", gw.port), timeout=5) as s:
        began = time.monotonic()
        assert s.recv(1) == b""
        assert time.monotonic() - began < 4


def test_socket_activation_with_two_sockets(workdir, tenants):
    write_tenant(tenants, "acme", ONPREM)
    port4, port6 = free_port(), free_port(socket.AF_INET6, "::1")
    gw = Coregate(
        workdir, tenants,
        launcher=[
            "systemd-socket-activate", "-l", f"127.0.0.1:{port4}", "-l", f"[::1]:{port6}",
            "--fdname=http:http6", "-E", "NOTIFY_SOCKET", "-E", "PATH",
        ],
    )
    try:
        time.sleep(0.5)
        assert gw.proc.poll() is None
        # systemd-socket-activate starts the service on the first connection; that request must be served.
        status, _, _ = gw.request("POST", "/webhooks/acme", fixture_bytes(TEXT), port=port4)
        assert status == 200
        gw.wait_ready()
        assert gw.request("POST", "/webhooks/acme", fixture_bytes(TEXT), port=port6, host="::1")[0] == 200
        assert "fd 3 (http)" in gw.log() and "fd 4 (http6)" in gw.log()
        assert "--listen" not in " ".join(gw.proc.args[gw.proc.args.index(str(BIN)):])
    finally:
        assert gw.stop() == 0


def test_sd_notify_conversation_in_order(start, tenants):
    write_tenant(tenants, "acme", ONPREM)
    gw = start()
    ready = gw.notify.messages[gw.wait_ready()]
    assert "STATUS=" in ready and "1 tenants" in fields(ready)["STATUS"]
    gw.reload()
    assert gw.stop() == 0
    kinds = []
    for m in gw.notify.messages:
        f = fields(m)
        for key in ("READY", "RELOADING", "STOPPING"):
            if key in f:
                kinds.append(key)
        if "RELOADING" in f:
            assert int(f["MONOTONIC_USEC"]) > 0
    assert kinds == ["READY", "RELOADING", "READY", "STOPPING"], gw.notify.messages


def test_watchdog_pings_when_asked(workdir, tenants, start):
    write_tenant(tenants, "acme", ONPREM)
    gw = start(env={"WATCHDOG_USEC": "400000"})
    gw.notify.wait_for(lambda m: m == "WATCHDOG=1", timeout=5)


def test_reload_adds_a_tenant_and_a_broken_reload_keeps_the_old_config(start, tenants):
    write_tenant(tenants, "acme", ONPREM)
    gw = start()
    pid = gw.proc.pid
    assert gw.post("/webhooks/globex", fixture_bytes(TEXT))[0] == 404

    write_tenant(tenants, "globex", ONPREM)
    ready = gw.reload()
    assert "2 tenants" in fields(ready)["STATUS"]
    assert gw.post("/webhooks/globex", fixture_bytes(TEXT))[0] == 200

    write_tenant(tenants, "broken", 'sender = "on-premises"\nmystery_key = 1\n')
    write_tenant(tenants, "newcomer", ONPREM)
    ready = gw.reload()
    status_line = fields(ready)["STATUS"]
    assert "reload failed" in status_line and "broken.toml:2" in status_line, status_line
    assert gw.proc.poll() is None and gw.proc.pid == pid
    assert gw.post("/webhooks/acme", fixture_bytes(TEXT))[0] == 200
    assert gw.post("/webhooks/globex", fixture_bytes(TEXT))[0] == 200
    assert gw.post("/webhooks/newcomer", fixture_bytes(TEXT))[0] == 404, "nothing of a failed reload may take effect"
    assert "broken.toml:2" in gw.log()


def test_sigterm_lets_a_request_in_flight_finish_and_exits_0(start, tenants):
    write_tenant(tenants, "acme", ONPREM)
    gw = start()
    body = fixture_bytes(TEXT)
    with socket.create_connection(("127.0.0.1", gw.port), timeout=10) as s:
        s.sendall(
            b"POST /webhooks/acme HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body[:10]
        )
        time.sleep(0.3)
        gw.signal(signal.SIGTERM)
        gw.notify.wait_for(lambda m: "STOPPING=1" in m.splitlines(), timeout=5)
        # New connections are refused (soon after STOPPING=1) while the one in flight is still being served.
        refused = False
        for _ in range(20):
            try:
                socket.create_connection(("127.0.0.1", gw.port), timeout=2).close()
            except OSError:
                refused = True
                break
            time.sleep(0.1)
        assert refused, "the listener was still accepting after SIGTERM"
        time.sleep(0.3)
        s.sendall(body[10:])
        reply = b""
        while chunk := s.recv(65536):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 200"), reply
    assert gw.proc.wait(15) == 0


def test_config_problem_stops_startup_with_exit_1(workdir, tenants):
    write_tenant(tenants, "acme", 'sender = "fax"\n')
    proc = subprocess.run(
        [str(BIN), "serve", "--tenants-dir", str(tenants), "--listen", f"127.0.0.1:{free_port()}"],
        capture_output=True, text=True, timeout=30)
    assert proc.returncode == 1
    assert "acme.toml:1" in proc.stderr


def test_metrics_endpoint_answers_with_the_gateways_numbers(start, tenants, workdir):
    hold = workdir / "hold.sh"
    hold.write_text("#!/bin/sh\ncat >/dev/null\n[ \"$COREGATE_EVENT_ID\" = msg:wamid.first ] && exit 0\nexec sleep 5\n")
    hold.chmod(0o755)
    write_tenant(tenants, "acme", ONPREM + '[verify]\nbearer = "env:ACME_BEARER"\n[delivery]\nconcurrency = 1\n'
                 f'[[handlers]]\nname = "hold"\nevents = ["message.*"]\ncommand = ["{hold}"]\n')
    metrics_port = free_port()
    config = limits_config(workdir, metrics_listen=f"127.0.0.1:{metrics_port}")
    gw = start(config=config, env={"ACME_BEARER": "t0ken"})
    auth = {"Authorization": "Bearer t0ken"}
    assert gw.post("/webhooks/acme", onprem_text("wamid.first"), auth)[0] == 200
    time.sleep(0.5)
    for i in range(3):
        assert gw.post("/webhooks/acme", onprem_text(f"wamid.m{i}", sender=f"1555000{i}"), auth)[0] == 200
    assert gw.post("/webhooks/acme", fixture_bytes(TEXT), {"Authorization": "Bearer wrong"})[0] == 401
    time.sleep(0.5)
    status, body, headers = gw.request("GET", "/metrics", port=metrics_port)
    text = body.decode()
    assert status == 200 and headers["content-type"].startswith("text/plain")
    assert 'coregate_http_requests_total{tenant="acme",status="200"} 4' in text
    assert 'coregate_http_requests_total{tenant="acme",status="401"} 1' in text
    assert 'coregate_verification_failures_total{tenant="acme",reason="bearer"} 1' in text
    assert 'coregate_events_total{tenant="acme",type="message.text"} 4' in text
    assert 'coregate_handler_attempts_total{tenant="acme",handler="hold",outcome="succeeded"} 1' in text
    assert "coregate_handlers_running 1" in text
    assert 'coregate_queue_depth{tenant="acme",state="pending"} 2' in text
    assert 'coregate_queue_depth{tenant="acme",state="running"} 1' in text
    assert 'coregate_oldest_pending_age_seconds{tenant="acme"}' in text
    assert "coregate_http_request_duration_seconds_bucket" in text and "coregate_handler_duration_seconds_bucket" in text
    assert gw.request("GET", "/metrics")[0] == 404, "metrics are not served on the webhook port"
    gw.kill()


def test_a_request_head_over_max_header_is_refused(start, tenants, workdir):
    write_tenant(tenants, "acme", ONPREM)
    gw = start(config=limits_config(workdir, max_header="2KiB"))
    body = fixture_bytes(TEXT)
    head = (b"POST /webhooks/acme HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n"
            + b"Content-Length: " + str(len(body)).encode() + b"\r\n")
    reply = raw_exchange(gw.port, head + b"X-Padding: " + b"p" * 4096 + b"\r\n\r\n" + body)
    assert reply.startswith(b"HTTP/1.1 4") and not reply.startswith(b"HTTP/1.1 200"), reply
    assert raw_exchange(gw.port, head + b"X-Padding: " + b"p" * 512 + b"\r\n\r\n" + body).startswith(b"HTTP/1.1 200")


def test_expect_100_continue_is_answered_before_the_body(start, tenants):
    write_tenant(tenants, "acme", ONPREM)
    gw = start()
    body = fixture_bytes(TEXT)
    with socket.create_connection(("127.0.0.1", gw.port), timeout=5) as s:
        s.sendall(b"POST /webhooks/acme HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n"
                  + b"Connection: close\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n")
        s.settimeout(2)
        interim = s.recv(65536)
        assert interim.startswith(b"HTTP/1.1 100 Continue"), interim
        s.sendall(body)
        reply = b""
        while chunk := s.recv(65536):
            reply += chunk
    assert b"HTTP/1.1 200" in reply, reply
