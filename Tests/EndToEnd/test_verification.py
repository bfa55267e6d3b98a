"""SPEC §4 through the real binary: each check right and wrong, over real sockets on loopback."""
import base64
import hashlib
import hmac
import json
import socket

from harness import fields, fixture_bytes, free_port, write_tenant

ONPREM_BODY = "onprem-inbound-text.json"
CLOUD_BODY = "cloud-envelope-messages.json"
UNAUTHORIZED = {"error": "verification failed"}
FORBIDDEN = {"error": "source not allowed"}


def global_file(workdir, text):
    path = workdir / "conf" / "coregate.toml"
    path.write_text(text)
    return path


def raw_answer(port, path, request_id, host="127.0.0.1"):
    """The exact bytes of the answer to a POST, with a fixed request id so two answers can be compared whole."""
    body = fixture_bytes(ONPREM_BODY)
    request = (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Request-Id: {request_id}\r\n"
               f"Connection: close\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
    with socket.create_connection((host, port), timeout=5) as s:
        s.sendall(request)
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    return answer


def signature(secret, body):
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_path_token_right_wrong_and_missing(start, tenants, workdir):
    credentials = workdir / "credentials"
    credentials.mkdir()
    token = "3f9a0c1d5e7b2a4c6d8e0f1a2b3c4d5e"
    (credentials / "acme-path").write_text(token + "\n")
    write_tenant(tenants, "acme", 'sender = "on-premises"\npath_token = "credential:acme-path"\n')
    gw = start(env={"CREDENTIALS_DIRECTORY": str(credentials)})

    assert gw.post(f"/webhooks/acme/{token}", fixture_bytes(ONPREM_BODY))[0] == 200
    unknown = raw_answer(gw.port, "/webhooks/nobody", "same-id")
    assert unknown.startswith(b"HTTP/1.1 404")
    # A wrong token answers byte for byte what an unknown path answers, so it tells an attacker nothing.
    for wrong in [token[:-1] + "0", token[:-1], token + "0", "", token.upper()]:
        assert raw_answer(gw.port, f"/webhooks/acme/{wrong}", "same-id") == unknown, wrong
    assert raw_answer(gw.port, "/webhooks/acme", "same-id") == unknown
    assert token not in gw.log()


def test_hmac_signature_with_two_secrets_during_a_rotation(start, tenants):
    write_tenant(tenants, "cloudy", 'sender = "cloud"\n[verify]\nhmac_sha256 = ["env:APP_SECRET_NEW", "env:APP_SECRET_OLD"]\n')
    write_tenant(tenants, "bare", 'sender = "cloud"\n[verify]\nhmac_sha256 = ["env:APP_SECRET_NEW"]\n'
                 'hmac_header = "X-Signature"\n')
    gw = start(env={"APP_SECRET_NEW": "new-app-secret", "APP_SECRET_OLD": "old-app-secret"})
    body = fixture_bytes(CLOUD_BODY)

    for secret in ["new-app-secret", "old-app-secret"]:
        status, answer, _ = gw.post("/webhooks/cloudy", body, {"X-Hub-Signature-256": signature(secret, body)})
        assert status == 200, answer
        assert json.loads(answer)["events"] == 1
    upper = "sha256=" + signature("new-app-secret", body)[len("sha256="):].upper()
    assert gw.post("/webhooks/cloudy", body, {"X-Hub-Signature-256": upper})[0] == 200

    wrong = [
        {"X-Hub-Signature-256": signature("retired-app-secret", body)},
        {"X-Hub-Signature-256": signature("new-app-secret", body + b" ")},
        {"X-Hub-Signature-256": "sha256="},
        {},
        {"X-Signature": signature("new-app-secret", body)},  # right value, wrong header for this tenant
    ]
    for headers in wrong:
        status, answer, _ = gw.post("/webhooks/cloudy", body, headers)
        assert (status, json.loads(answer)) == (401, UNAUTHORIZED), headers
    # The signed bytes are the raw body: the same JSON with other spacing is another body.
    reformatted = json.dumps(json.loads(body)).encode()
    assert gw.post("/webhooks/cloudy", reformatted, {"X-Hub-Signature-256": signature("new-app-secret", body)})[0] == 401

    # A configured header, and a sender that writes bare hex.
    bare_hex = hmac.new(b"new-app-secret", body, hashlib.sha256).hexdigest()
    assert gw.post("/webhooks/bare", body, {"X-Signature": bare_hex})[0] == 200
    assert gw.post("/webhooks/bare", body, {"X-Hub-Signature-256": signature("new-app-secret", body)})[0] == 401
    assert "reason=signature" in gw.log() and "tenant=cloudy" in gw.log()


def basic(user, password):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_basic_credentials(start, tenants, workdir):
    (workdir / "conf" / "acme.pass").write_text("pass:word with colon\n")
    write_tenant(tenants, "acme", 'sender = "on-premises"\n[verify]\n'
                 'basic = { user = "coreapp", password = "file:acme.pass" }\n')
    gw = start()
    body = fixture_bytes(ONPREM_BODY)
    assert gw.post("/webhooks/acme", body, basic("coreapp", "pass:word with colon"))[0] == 200
    assert gw.post("/webhooks/acme", body, {"authorization": basic("coreapp", "pass:word with colon")["Authorization"]
                                            .replace("Basic", "bAsIc")})[0] == 200
    for headers in [basic("coreapp", "pass:word"), basic("coreapp", "pass:word with colon\n"), basic("other", "pass:word with colon"),
                    basic("coreapp", ""), {"Authorization": "Basic !!!notbase64"}, {"Authorization": "Bearer pass:word with colon"}, {}]:
        status, answer, _ = gw.post("/webhooks/acme", body, headers)
        assert (status, json.loads(answer)) == (401, UNAUTHORIZED), headers


def test_bearer_token(start, tenants):
    write_tenant(tenants, "acme", 'sender = "on-premises"\n[verify]\nbearer = "env:ACME_BEARER"\n')
    gw = start(env={"ACME_BEARER": "b3arer-t0ken-long-enough"})
    body = fixture_bytes(ONPREM_BODY)
    assert gw.post("/webhooks/acme", body, {"Authorization": "Bearer b3arer-t0ken-long-enough"})[0] == 200
    for headers in [{"Authorization": "Bearer b3arer-t0ken-long-enougH"}, {"Authorization": "Bearer b3arer-t0ken"},
                    {"Authorization": "b3arer-t0ken-long-enough"}, {"X-Bearer": "b3arer-t0ken-long-enough"}, {}]:
        status, answer, _ = gw.post("/webhooks/acme", body, headers)
        assert (status, json.loads(answer)) == (401, UNAUTHORIZED), headers


def test_allow_from_over_ipv4_ipv6_and_ipv4_mapped(start, tenants):
    write_tenant(tenants, "v4", 'sender = "on-premises"\n[verify]\nallow_from = ["127.0.0.0/8"]\n')
    write_tenant(tenants, "v6", 'sender = "on-premises"\n[verify]\nallow_from = ["::1/128"]\n')
    write_tenant(tenants, "mapped", 'sender = "on-premises"\n[verify]\nallow_from = ["::ffff:127.0.0.1/128"]\n')
    write_tenant(tenants, "elsewhere", 'sender = "on-premises"\n[verify]\nallow_from = ["10.0.0.0/8", "2001:db8::/32"]\n')
    port6, dual = free_port(socket.AF_INET6, "::1"), free_port(socket.AF_INET6, "::")
    gw = start(extra_args=["--listen", f"[::1]:{port6}", "--listen", f"[::]:{dual}"])
    body = fixture_bytes(ONPREM_BODY)

    def status(tenant, **where):
        code, answer, _ = gw.post(f"/webhooks/{tenant}", body, **where)
        if code == 403:
            assert json.loads(answer) == FORBIDDEN
        return code

    over_ipv4, over_ipv6 = {}, {"host": "::1", "port": port6}
    # Through the dual-stack socket an IPv4 client is seen as ::ffff:127.0.0.1, which is still 127.0.0.1.
    over_mapped = {"host": "127.0.0.1", "port": dual}
    assert [status("v4", **w) for w in (over_ipv4, over_ipv6, over_mapped)] == [200, 403, 200]
    assert [status("v6", **w) for w in (over_ipv4, over_ipv6, over_mapped)] == [403, 200, 403]
    assert [status("mapped", **w) for w in (over_ipv4, over_ipv6, over_mapped)] == [200, 403, 200]
    assert [status("elsewhere", **w) for w in (over_ipv4, over_ipv6, over_mapped)] == [403, 403, 403]
    assert "reason=source" in gw.log()


def test_x_forwarded_for_is_believed_only_from_a_trusted_proxy(start, tenants, workdir):
    write_tenant(tenants, "acme", 'sender = "on-premises"\n[verify]\nallow_from = ["203.0.113.0/24"]\n')
    body = fixture_bytes(ONPREM_BODY)
    cases = [
        # (X-Forwarded-For, status without trusted_proxies, status with 127.0.0.1 trusted)
        ("203.0.113.7", 403, 200),
        ("198.51.100.9, 203.0.113.7", 403, 200),  # the left hop is the client's word, the right one our proxy's
        ("203.0.113.7, 198.51.100.9", 403, 403),  # the right-most untrusted hop is the client
        ("203.0.113.7, 127.0.0.1", 403, 200),  # a trusted hop is skipped
        ("not-an-address", 403, 403),
        (None, 403, 403),  # no header: the proxy itself is the client
    ]
    untrusting = start()
    trusting = start(config=global_file(workdir, 'trusted_proxies = ["127.0.0.1/32"]\n'))
    for forwarded, without, with_trust in cases:
        headers = {"X-Forwarded-For": forwarded} if forwarded else {}
        assert untrusting.post("/webhooks/acme", body, headers)[0] == without, forwarded
        assert trusting.post("/webhooks/acme", body, headers)[0] == with_trust, forwarded


def test_cloud_subscription_handshake(start, tenants):
    write_tenant(tenants, "cloudy", 'sender = "cloud"\n[verify]\nverify_token = "env:VERIFY_TOKEN"\n'
                 'hmac_sha256 = ["env:APP_SECRET"]\n')
    gw = start(env={"VERIFY_TOKEN": "verify-me-please", "APP_SECRET": "s"})

    status, body, headers = gw.request(
        "GET", "/webhooks/cloudy?hub.mode=subscribe&hub.verify_token=verify-me-please&hub.challenge=1158201444")
    assert (status, body) == (200, b"1158201444")
    assert headers["content-type"] == "text/plain"
    assert gw.request("GET", "/webhooks/cloudy?hub.verify_token=verify%2Dme%2Dplease&hub.mode=subscribe&hub.challenge=7")[1] == b"7"

    for query in ["hub.mode=subscribe&hub.verify_token=verify-me-pleasE&hub.challenge=1",
                  "hub.mode=subscribe&hub.challenge=1",
                  "hub.mode=unsubscribe&hub.verify_token=verify-me-please&hub.challenge=1",
                  "hub.mode=subscribe&hub.verify_token=verify-me-please"]:
        status, body, _ = gw.request("GET", f"/webhooks/cloudy?{query}")
        assert (status, json.loads(body)) == (401, UNAUTHORIZED), query
        assert b"verify-me" not in body
    assert gw.request("GET", "/webhooks/cloudy")[0] == 405
    assert "reason=verify_token" in gw.log() and "reason=handshake" in gw.log()


def test_every_check_together_and_status_counts(start, tenants, workdir):
    write_tenant(tenants, "acme", 'sender = "on-premises"\n[verify]\nallow_from = ["127.0.0.1/32"]\n'
                 'bearer = "env:B"\nbasic = { user = "u", password = "env:P" }\n')
    gw = start(env={"B": "bearer-value-long-enough", "P": "password-value"})
    body = fixture_bytes(ONPREM_BODY)
    assert gw.post("/webhooks/acme", body, basic("u", "password-value"))[0] == 401, "the bearer is missing"
    # Both credentials: one Authorization header each, which http.client sends only header by header.
    conn = gw.connection()
    conn.putrequest("POST", "/webhooks/acme")
    conn.putheader("Authorization", basic("u", "password-value")["Authorization"])
    conn.putheader("Authorization", "Bearer bearer-value-long-enough")
    conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body)
    assert conn.getresponse().status == 200
    conn.close()
    gw.reload()
    status_line = fields(gw.notify.messages[-1])["STATUS"]
    assert "401: 1" in status_line and "200: 1" in status_line, status_line
