"""HTTPS and mutual TLS through the real binary, with certificates made by openssl and curl and
`openssl s_client` as the clients."""
import hashlib
import os
import shutil
import subprocess

import pytest

from harness import BIN, FIXTURES, Coregate, TLSFiles, connect_when_listening, fields, fixture_bytes, free_port, write_tenant

ONPREM = 'sender = "on-premises"\n'
BODY = FIXTURES / "onprem-inbound-text.json"


def curl(port, path, ca, client=None, data=BODY):
    """POSTs with curl; returns (curl exit status, HTTP status or 0 when no answer came)."""
    args = ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", str(ca), "--max-time", "10",
            "-H", "Content-Type: application/json", "--data-binary", f"@{data}"]
    if client:
        args += ["--cert", str(client.cert), "--key", str(client.key)]
    proc = subprocess.run(args + [f"https://127.0.0.1:{port}{path}"], capture_output=True, text=True, timeout=20)
    return proc.returncode, int(proc.stdout or 0)


def s_client(port, ca, client=None, request=None):
    """One `openssl s_client` session; with a request, it sends it and reads until the server closes, else it
    hangs up once the handshake is done. Returns everything it printed."""
    args = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", "localhost", "-CAfile", str(ca),
            "-verify_return_error", "-showcerts"] + (["-ign_eof"] if request else [])
    if client:
        args += ["-cert", str(client.cert), "-key", str(client.key)]
    proc = subprocess.run(args, input=request or b"", capture_output=True, timeout=20)
    return proc.stdout + proc.stderr


def served_serial(port, ca):
    """The serial of the certificate a new connection is served, as `openssl x509 -serial` prints it."""
    output = s_client(port, ca)
    return subprocess.run(["openssl", "x509", "-noout", "-serial"], input=output, capture_output=True,
                          check=True).stdout.decode().strip().split("=", 1)[1]


def http_request(path, body=b"", close=True):
    return (f"POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n" + ("Connection: close\r\n" if close else "") + "\r\n").encode() + body


def install(certificate, folder):
    """Puts a certificate and key where the service reads them, each replaced in one rename, as a renewal tool does."""
    folder.mkdir(exist_ok=True)
    for source, name in [(certificate.cert, "server.pem"), (certificate.key, "server.key")]:
        shutil.copy(source, folder / (name + ".new"))
        os.replace(folder / (name + ".new"), folder / name)
    return TLSFiles(cert=folder / "server.pem", key=folder / "server.key", trusted_ca=None)


@pytest.fixture
def server_cert(pki):
    return pki.server("server-a", serial=0x1001)


def test_https_with_curl_and_s_client(start, tenants, pki, server_cert):
    write_tenant(tenants, "acme", ONPREM)
    gw = start(tls=TLSFiles(server_cert.cert, server_cert.key, trusted_ca=pki.ca.cert))

    assert curl(gw.port, "/webhooks/acme", pki.ca.cert) == (0, 200)
    output = s_client(gw.port, pki.ca.cert, request=http_request("/webhooks/acme", fixture_bytes("onprem-inbound-text.json")))
    assert b"Verify return code: 0 (ok)" in output, output
    assert b"HTTP/1.1 200" in output, output
    # Without the private CA, a client cannot trust the server; plain HTTP gets no answer.
    assert curl(gw.port, "/webhooks/acme", "/dev/null")[0] != 0
    assert gw.request("GET", "/webhooks/acme")[0] == 405  # the harness's own HTTPS client
    plain = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", f"http://127.0.0.1:{gw.port}/webhooks/acme"],
                           capture_output=True, text=True, timeout=20)
    assert plain.stdout == "000"
    assert "(https)" in fields(gw.notify.messages[gw.wait_ready()])["STATUS"]


def test_reload_serves_a_renewed_certificate_and_keeps_open_connections(start, tenants, pki, server_cert, workdir):
    write_tenant(tenants, "acme", ONPREM)
    renewed = pki.server("server-b", serial=0x1002)
    files = install(server_cert, workdir / "tls")
    files.trusted_ca = pki.ca.cert
    gw = start(tls=files)
    body = fixture_bytes("onprem-inbound-text.json")

    old = gw.connection()
    old.request("POST", "/webhooks/acme", body, {"Content-Type": "application/json"})
    assert old.getresponse().read() and old.sock is not None
    old_socket = old.sock
    assert served_serial(gw.port, pki.ca.cert) == "1001"

    install(renewed, workdir / "tls")
    status_line = fields(gw.reload())["STATUS"]
    assert "reload failed" not in status_line, status_line

    # The connection opened before the reload still works, on the same socket, with the old certificate.
    old.request("POST", "/webhooks/acme", body, {"Content-Type": "application/json"})
    response = old.getresponse()
    assert response.status == 200 and response.read()
    assert old.sock is old_socket
    assert hashlib.sha256(old.sock.getpeercert(binary_form=True)).hexdigest() == server_cert.sha256.replace(":", "").lower()
    old.close()
    # New connections get the renewed one.
    assert served_serial(gw.port, pki.ca.cert) == "1002"
    assert curl(gw.port, "/webhooks/acme", pki.ca.cert) == (0, 200)
    assert "certificate_reloaded=true" in gw.log()


def test_a_certificate_that_fails_to_load_on_reload_keeps_the_old_one(start, tenants, pki, server_cert, workdir):
    write_tenant(tenants, "acme", ONPREM)
    files = install(server_cert, workdir / "tls")
    files.trusted_ca = pki.ca.cert
    gw = start(tls=files)

    files.cert.write_text("-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n")
    status_line = fields(gw.reload())["STATUS"]
    assert "last reload failed" in status_line and "tls_cert" in status_line, status_line
    assert "holds no PEM certificate" in gw.log()
    assert served_serial(gw.port, pki.ca.cert) == "1001"
    assert curl(gw.port, "/webhooks/acme", pki.ca.cert) == (0, 200)

    # A key that belongs to another certificate is refused the same way.
    shutil.copy(server_cert.cert, files.cert)
    shutil.copy(pki.server("server-c", serial=0x1003).key, files.key)
    status_line = fields(gw.reload())["STATUS"]
    assert "tls_key" in status_line and "is it that certificate's key" in status_line, status_line
    assert curl(gw.port, "/webhooks/acme", pki.ca.cert) == (0, 200)

    shutil.copy(server_cert.key, files.key)
    assert "reload failed" not in fields(gw.reload())["STATUS"]


def test_mutual_tls_per_tenant(start, tenants, pki, server_cert):
    pinned = pki.client("coreapp-1", "/O=ACME/CN=coreapp-1", serial=0x2001)
    unpinned = pki.client("coreapp-2", "/O=ACME/CN=coreapp-2", serial=0x2002)
    # Same subject as the pinned one, but signed by nobody the gateway trusts.
    impostor = pki.client("impostor", "/O=ACME/CN=coreapp-1", serial=0x2001, signed=False)
    write_tenant(tenants, "byprint", ONPREM + f'[verify]\nclient_cert_sha256 = ["{pinned.sha256}"]\n')
    write_tenant(tenants, "bysubject", ONPREM + f'[verify]\nclient_cert_subjects = ["{pinned.subject}"]\n')
    write_tenant(tenants, "anysigned", ONPREM + "[verify]\nclient_cert = true\n")
    write_tenant(tenants, "open", ONPREM)
    gw = start(tls=TLSFiles(server_cert.cert, server_cert.key, trusted_ca=pki.ca.cert, client_ca=pki.ca.cert))
    ca = pki.ca.cert

    # The TLS layer asks for a certificate but does not insist: a tenant that needs none still works.
    assert curl(gw.port, "/webhooks/open", ca) == (0, 200)
    assert curl(gw.port, "/webhooks/open", ca, unpinned) == (0, 200)

    for tenant in ["byprint", "bysubject"]:
        assert curl(gw.port, f"/webhooks/{tenant}", ca) == (0, 401), "no client certificate"
        assert curl(gw.port, f"/webhooks/{tenant}", ca, unpinned) == (0, 401), "signed by the CA, but not pinned"
        assert curl(gw.port, f"/webhooks/{tenant}", ca, pinned) == (0, 200)
        status, code = curl(gw.port, f"/webhooks/{tenant}", ca, impostor)
        assert status != 0 and code == 0, "a certificate the CA did not sign must fail the handshake"
    assert curl(gw.port, "/webhooks/anysigned", ca) == (0, 401)
    assert curl(gw.port, "/webhooks/anysigned", ca, unpinned) == (0, 200)

    request = http_request("/webhooks/byprint", fixture_bytes("onprem-inbound-text.json"))
    assert b"HTTP/1.1 200" in s_client(gw.port, ca, pinned, request)
    assert b"HTTP/1.1 401" in s_client(gw.port, ca, None, request)
    assert b"HTTP/1.1 401" in s_client(gw.port, ca, unpinned, request)
    refused = s_client(gw.port, ca, impostor, request)
    assert b"HTTP/1.1" not in refused and b"alert" in refused, refused
    assert "TLS handshake failed" in gw.log() and "CERTIFICATE_VERIFY_FAILED" in gw.log()
    assert "reason=client_cert" in gw.log() and "tenant=byprint" in gw.log()


def test_a_tenant_may_not_ask_for_client_certificates_without_client_ca(tenants, pki, server_cert):
    path = write_tenant(tenants, "acme", ONPREM + "[verify]\nclient_cert = true\n")
    proc = subprocess.run([str(BIN), "check", "--tenants-dir", str(tenants), "--tls-cert", str(server_cert.cert),
                           "--tls-key", str(server_cert.key)], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 1
    assert f"{path}:3: `verify.client_cert` needs mutual TLS" in proc.stdout, proc.stdout


def test_check_reports_tls_files_serve_could_not_use(tenants, pki, server_cert, workdir):
    write_tenant(tenants, "acme", ONPREM)
    other_key = pki.server("server-d", serial=0x1004).key
    encrypted = workdir / "encrypted.key"
    subprocess.run(["openssl", "pkey", "-in", str(server_cert.key), "-aes256", "-passout", "pass:secret-pass",
                    "-out", str(encrypted)], check=True, timeout=30)
    garbage = workdir / "garbage.pem"
    garbage.write_text("not a certificate\n")
    config = workdir / "conf" / "coregate.toml"

    def check(cert, key):
        config.write_text(f'log_level = "info"\ntls_cert = "{cert}"\ntls_key = "{key}"\n')
        proc = subprocess.run([str(BIN), "check", "--config", str(config), "--tenants-dir", str(tenants)],
                              capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
        return proc.returncode, proc.stdout

    code, out = check(server_cert.cert, server_cert.key)
    assert code == 0 and out.endswith("ok: 1 tenants\n"), out
    code, out = check(garbage, server_cert.key)
    assert code == 1 and f"{config}:2: {garbage} holds no PEM certificate" in out, out
    code, out = check(server_cert.cert, other_key)
    assert code == 1 and f"{config}:3: cannot use the key in {other_key}" in out, out
    code, out = check(server_cert.cert, encrypted)
    assert code == 1 and f"{config}:3: {encrypted} holds no usable PEM private key" in out, out
    assert "secret-pass" not in out and "PRIVATE KEY" not in out


def test_socket_activated_sockets_choose_tls_by_name(workdir, tenants, pki, server_cert):
    write_tenant(tenants, "acme", ONPREM)
    tls_port, plain_port = free_port(), free_port()
    gw = Coregate(
        workdir, tenants, tls=TLSFiles(server_cert.cert, server_cert.key, trusted_ca=pki.ca.cert),
        launcher=["systemd-socket-activate", "-l", f"127.0.0.1:{tls_port}", "-l", f"127.0.0.1:{plain_port}",
                  "--fdname=https:http", "-E", "NOTIFY_SOCKET", "-E", "PATH"])
    try:
        connect_when_listening(tls_port)
        gw.wait_ready()
        assert curl(tls_port, "/webhooks/acme", pki.ca.cert) == (0, 200)
        plain = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--data-binary", f"@{BODY}",
                                f"http://127.0.0.1:{plain_port}/webhooks/acme"], capture_output=True, text=True, timeout=20)
        assert plain.stdout == "200"
        assert curl(plain_port, "/webhooks/acme", pki.ca.cert)[1] == 0, "the plain socket must not speak TLS"
        assert "https on fd 3 (https)" in gw.log() and "http on fd 4 (http)" in gw.log()
    finally:
        assert gw.stop() == 0


def test_a_socket_named_https_without_a_certificate_stops_startup(workdir, tenants):
    write_tenant(tenants, "acme", ONPREM)
    port = free_port()
    gw = Coregate(workdir, tenants, launcher=[
        "systemd-socket-activate", "-l", f"127.0.0.1:{port}", "--fdname=https",
        "-E", "NOTIFY_SOCKET=" + str(workdir / "notify.sock"), "-E", "PATH"])
    try:
        connect_when_listening(port)
        assert gw.proc.wait(15) == 1
        assert "is named for HTTPS, but tls_cert and tls_key are not set" in gw.log()
    finally:
        gw.kill()
