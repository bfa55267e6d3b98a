"""Issue 12 through the real binary: requests decided on their head before the body is read,
connection limits that make room for new senders, the open-file budget, and the request deadlines."""
import base64
import contextlib
import signal
import socket
import ssl
import subprocess
import time

import pytest

from harness import BIN, Coregate, TLSFiles, fixture_bytes, free_port, write_tenant
from test_service_core import limits_config

ONPREM = 'sender = "on-premises"\n'
BODY = fixture_bytes("onprem-inbound-text.json")
FOUR_MIB = 4 << 20


def head(path, length, *extra):
    lines = [f"POST {path} HTTP/1.1", "Host: x", "Content-Type: application/json", f"Content-Length: {length}", *extra]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def first_reply(sock, timeout=5):
    """What the server sends next, before this client sends anything more."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def whole_answer(sock, timeout=5):
    """One answer, head and body (by its Content-Length), and not a byte of the next."""
    data = first_reply(sock, timeout)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:"))
    while len(body) < length:
        body += sock.recv(65536)
    return head + b"\r\n\r\n" + body


def closed_by_server(sock, timeout=5):
    sock.settimeout(timeout)
    try:
        while sock.recv(65536):
            pass
        return True
    except ConnectionResetError:
        return True


REFUSED_ON_THE_HEAD = [
    # (tenant file, path, extra header, status)
    (ONPREM, "/webhooks/nobody", None, 404),
    (ONPREM + 'path_token = "right-token-0123456789"\n', "/webhooks/acme/wrong-token-0123456789", None, 404),
    (ONPREM + '[verify]\nallow_from = ["10.0.0.0/8"]\n', "/webhooks/acme", None, 403),
    (ONPREM + '[verify]\nbearer = "env:BEARER"\n', "/webhooks/acme", "Authorization: Bearer wrong", 401),
    (ONPREM + '[verify]\nbasic = { user = "coreapp", password = "env:BEARER" }\n', "/webhooks/acme",
     "Authorization: Basic " + base64.b64encode(b"coreapp:wrong").decode(), 401),
]


@pytest.mark.parametrize("tenant, path, header, status", REFUSED_ON_THE_HEAD)
def test_a_request_failing_a_head_check_is_answered_before_its_body_is_sent(start, tenants, tenant, path, header, status):
    write_tenant(tenants, "acme", tenant)
    gw = start(env={"BEARER": "bearer-secret-0123456789"})
    with socket.create_connection(("127.0.0.1", gw.port)) as s:
        s.sendall(head(path, FOUR_MIB, *([header] if header else [])))
        reply = first_reply(s)
        assert reply.startswith(f"HTTP/1.1 {status}".encode()), reply
        assert b"connection: close" in reply.lower()


@pytest.mark.parametrize("tenant, path, header, status", REFUSED_ON_THE_HEAD)
def test_100_continue_is_never_sent_for_a_request_refused_on_its_head(start, tenants, tenant, path, header, status):
    write_tenant(tenants, "acme", tenant)
    gw = start(env={"BEARER": "bearer-secret-0123456789"})
    with socket.create_connection(("127.0.0.1", gw.port)) as s:
        s.sendall(head(path, FOUR_MIB, "Expect: 100-continue", *([header] if header else [])))
        reply = first_reply(s)
        assert reply.startswith(f"HTTP/1.1 {status}".encode()), reply
        assert closed_by_server(s), "a client that sends no body must not be kept waiting"


def test_100_continue_is_not_sent_for_a_refused_request_without_a_body(start, tenants):
    write_tenant(tenants, "acme", ONPREM)
    gw = start()
    with socket.create_connection(("127.0.0.1", gw.port)) as s:
        s.sendall(head("/webhooks/nobody", 0, "Expect: 100-continue"))
        reply = first_reply(s)
        assert reply.startswith(b"HTTP/1.1 404"), reply


def test_a_missing_client_certificate_is_answered_before_the_body_is_sent(start, tenants, pki):
    server = pki.server("head-server", serial=0x3002)
    write_tenant(tenants, "acme", ONPREM + "[verify]\nclient_cert = true\n")
    gw = start(tls=TLSFiles(server.cert, server.key, trusted_ca=pki.ca.cert, client_ca=pki.ca.cert))
    context = ssl.create_default_context(cafile=str(pki.ca.cert))
    with context.wrap_socket(socket.create_connection(("127.0.0.1", gw.port)), server_hostname="localhost") as s:
        s.sendall(head("/webhooks/acme", FOUR_MIB, "Expect: 100-continue"))
        reply = first_reply(s)
        assert reply.startswith(b"HTTP/1.1 401"), reply


def test_a_request_passing_its_head_checks_gets_100_continue_and_the_signature_is_checked_on_the_body(start, tenants):
    write_tenant(tenants, "acme", ONPREM + '[verify]\nbearer = "env:BEARER"\nhmac_sha256 = ["env:HMAC"]\n')
    gw = start(env={"BEARER": "bearer-secret-0123456789", "HMAC": "hmac-secret-0123456789"})
    with socket.create_connection(("127.0.0.1", gw.port)) as s:
        s.sendall(head("/webhooks/acme", len(BODY), "Expect: 100-continue", "Authorization: Bearer bearer-secret-0123456789",
                       "X-Hub-Signature-256: sha256=" + "0" * 64, "Connection: close"))
        assert first_reply(s).startswith(b"HTTP/1.1 100 Continue")
        s.sendall(BODY)
        assert first_reply(s).startswith(b"HTTP/1.1 401")


def test_a_client_that_sends_its_body_anyway_still_reads_the_answer(start, tenants):
    # A sender that does not wait for 100 Continue is mid-body when the answer comes; its body is
    # read and dropped, never kept, so it is not reset before it reads the answer.
    write_tenant(tenants, "acme", ONPREM)
    gw = start()
    with socket.create_connection(("127.0.0.1", gw.port)) as s:
        s.sendall(head("/webhooks/nobody", FOUR_MIB))
        reply = first_reply(s)
        for _ in range(64):
            s.sendall(b"x" * (64 << 10))
        assert reply.startswith(b"HTTP/1.1 404"), reply
        assert closed_by_server(s), "the connection closes once the body has been dropped"
    assert gw.post("/webhooks/acme", BODY)[0] == 200


def test_a_refused_request_without_a_body_keeps_the_connection(start, tenants):
    write_tenant(tenants, "acme", ONPREM)
    gw = start()
    conn = gw.connection()
    try:
        conn.request("GET", "/webhooks/nobody")
        response = conn.getresponse()
        response.read()
        assert response.status == 404
        conn.request("POST", "/webhooks/acme", body=BODY, headers={"Content-Type": "application/json"})
        assert conn.getresponse().status == 200
    finally:
        conn.close()


@contextlib.contextmanager
def gateway_full_of_connections(start, tenants, workdir):
    """A gateway at max_connections = 2, both taken by connections that never time out during the test."""
    write_tenant(tenants, "acme", ONPREM)
    gw = start(config=limits_config(workdir, max_connections=2, idle_timeout="60s", read_timeout="60s"))
    held = [socket.create_connection(("127.0.0.1", gw.port)) for _ in range(2)]
    try:
        yield gw, held
    finally:
        for s in held:
            s.close()


def test_at_the_connection_limit_a_new_sender_takes_the_place_of_an_idle_connection(start, tenants, workdir):
    with gateway_full_of_connections(start, tenants, workdir) as (gw, idle):
        assert gw.post("/webhooks/acme", BODY)[0] == 200
        assert closed_by_server(idle[0]), "the connection idle longest made room"
        assert gw.post("/webhooks/acme", BODY)[0] == 200


def test_at_the_connection_limit_connections_in_a_request_are_never_displaced(start, tenants, workdir):
    with gateway_full_of_connections(start, tenants, workdir) as (gw, busy):
        for s in busy:
            # The head, then the body once the server says it has read the head and wants it.
            s.sendall(head("/webhooks/acme", len(BODY), "Expect: 100-continue"))
            assert first_reply(s).startswith(b"HTTP/1.1 100 Continue")
        extra = socket.create_connection(("127.0.0.1", gw.port))
        assert closed_by_server(extra), "with every connection in a request, the new one is closed"
        for s in busy:
            s.sendall(BODY)
            assert first_reply(s).startswith(b"HTTP/1.1 200")


def test_a_head_trickled_over_a_kept_alive_connection_is_dropped_at_the_read_timeout(start, tenants, workdir):
    write_tenant(tenants, "acme", ONPREM)
    gw = start(config=limits_config(workdir, read_timeout="1s", idle_timeout="60s"))
    request = head("/webhooks/acme", len(BODY)) + BODY
    with socket.create_connection(("127.0.0.1", gw.port)) as s:
        s.sendall(request)
        assert whole_answer(s).startswith(b"HTTP/1.1 200")
        # The next request's head, a byte every 100 ms: 6 s in all, far past read_timeout and far
        # short of idle_timeout. The server must hang up before it is done.
        dropped = False
        for byte in b"POST /webhooks/acme HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 58:
            try:
                s.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                dropped = True
                break
            s.settimeout(0.1)
            try:
                if s.recv(1) == b"":
                    dropped = True
                    break
            except socket.timeout:
                pass
        assert dropped, "a head trickled over a kept-alive connection outlived read_timeout"


def test_sigterm_waits_for_the_first_request_of_a_tls_connection_whose_handshake_is_done(start, tenants, pki):
    server = pki.server("grace-server", serial=0x3001)
    write_tenant(tenants, "acme", ONPREM)
    gw = start(tls=TLSFiles(server.cert, server.key, trusted_ca=pki.ca.cert))
    context = ssl.create_default_context(cafile=str(pki.ca.cert))
    with context.wrap_socket(socket.create_connection(("127.0.0.1", gw.port)), server_hostname="localhost") as s:
        # The handshake is done, but no request head has come: the connection is not in a request yet.
        gw.signal(signal.SIGTERM)
        gw.notify.wait_for(lambda m: "STOPPING=1" in m.splitlines(), timeout=5)
        s.sendall(head("/webhooks/acme", len(BODY), "Connection: close") + BODY)
        assert first_reply(s).startswith(b"HTTP/1.1 200")
    assert gw.proc.wait(15) == 0


def run_check_under_limit(workdir, tenants, limit, global_text):
    config = workdir / "conf" / "coregate.toml"
    config.write_text(global_text)
    return subprocess.run(["prlimit", f"--nofile={limit}:{limit}", str(BIN), "check", "--config", str(config),
                           "--tenants-dir", str(tenants)], capture_output=True, text=True, timeout=60)


def test_check_clamps_max_connections_to_what_the_open_file_limit_leaves(workdir, tenants):
    write_tenant(tenants, "acme", ONPREM)
    done = run_check_under_limit(workdir, tenants, 512, "concurrency = 16\nmax_connections = 1024\n")
    assert done.returncode == 0, done.stdout + done.stderr
    config = workdir / "conf" / "coregate.toml"
    assert f"{config}:2: warning: max_connections is 1024" in done.stdout + done.stderr
    assert "serving at most 352 connections" in done.stdout + done.stderr


def test_check_and_serve_refuse_an_open_file_limit_that_leaves_no_room_for_connections(workdir, tenants):
    write_tenant(tenants, "acme", ONPREM)
    done = run_check_under_limit(workdir, tenants, 150, "max_connections = 100\n")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "raise the limit to at least 176" in done.stdout + done.stderr
    gw = Coregate(workdir, tenants, launcher=["prlimit", "--nofile=150:150"])
    try:
        assert gw.proc.wait(30) == 1
        assert "raise the limit to at least 176" in gw.log()
    finally:
        gw.kill()
