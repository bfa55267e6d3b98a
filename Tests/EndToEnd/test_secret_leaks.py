"""No secret in a log, an answer, `check` or `tenants` output, STATUS=, or argv (SPEC §3, §4).

Every secret below, and every wrong guess a client sends, contains the marker "leak"; nothing
else in the run does. So one search for the marker finds any echo, whole or in part, of any of
them, however it got there.
"""
import base64
import hashlib
import hmac
import subprocess

from harness import BIN, TLSFiles, fixture_bytes, write_tenant

MARKER = "leak"
SECRETS = {
    "credential": "leakCredPathToken0123456789abcdef",  # a path token: only URL-safe characters
    "file": "leak-file-basic-password",
    "env": "leak-env-bearer-token-long",
    "literal": "leak-literal-hmac-secret",
    "credential-verify": "leak-credential-verify-token",
    "env-hmac-old": "leak-env-hmac-old-secret",
    "credential-handler": "leak-credential-handler-api-token",
}

ACME = """sender = "on-premises"
path_token = "credential:acme-path"
[verify]
basic = { user = "coreapp", password = "file:secrets/acme.pass" }
bearer = "env:ACME_BEARER"
[[handlers]]
name = "bot"
command = ["/bin/true"]
env = { API_TOKEN = "credential:acme-api" }
"""

CLOUDY = f"""sender = "cloud"
[verify]
hmac_sha256 = ["{SECRETS['literal']}", "env:CLOUDY_OLD_SECRET"]
verify_token = "credential:cloudy-verify"
"""

# Broken on purpose: a literal secret on a line TOML cannot parse, in another file an unknown key
# beside a literal, and a reference that cannot resolve.
BROKEN_SYNTAX = f'sender = "on-premises"\n[verify]\nbearer = "{SECRETS["literal"]}" {SECRETS["literal"]}\n'
BROKEN_KEYS = (f'sender = "on-premises"\npath_token = "{SECRETS["literal"]}/not-a-segment"\n[verify]\n'
               f'bearer = "env:ACME_UNSET_BEARER"\nbeare = "{SECRETS["literal"]}"\n')


def secret_files(workdir):
    credentials = workdir / "credentials"
    credentials.mkdir()
    (credentials / "acme-path").write_text(SECRETS["credential"] + "\n")
    (credentials / "cloudy-verify").write_text(SECRETS["credential-verify"] + "\n")
    (credentials / "acme-api").write_text(SECRETS["credential-handler"] + "\n")
    (workdir / "conf" / "secrets").mkdir()
    (workdir / "conf" / "secrets" / "acme.pass").write_text(SECRETS["file"] + "\n")
    return {"CREDENTIALS_DIRECTORY": str(credentials), "ACME_BEARER": SECRETS["env"],
            "CLOUDY_OLD_SECRET": SECRETS["env-hmac-old"], "PATH": "/usr/bin:/bin"}


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def signed(secret, body):
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_no_secret_or_guess_appears_anywhere(start, tenants, workdir, pki):
    env = secret_files(workdir)
    assert not any(MARKER in part for part in [str(workdir), str(BIN)])
    write_tenant(tenants, "acme", ACME)
    write_tenant(tenants, "cloudy", CLOUDY)
    server = pki.server("leak-server", serial=0x5001)
    wrong_key = pki.server("leak-other", serial=0x5002).key
    key_material = "".join(server.key.read_text().splitlines()[1:-1])
    tls = TLSFiles(workdir / "server.pem", workdir / "server.key", trusted_ca=pki.ca.cert)
    tls.cert.write_bytes(server.cert.read_bytes())
    tls.key.write_bytes(server.key.read_bytes())
    config = workdir / "conf" / "coregate.toml"
    config.write_text(f'log_level = "trace"\ntls_cert = "{tls.cert}"\ntls_key = "{tls.key}"\n')
    outputs = {}

    def run(name, *args):
        proc = subprocess.run([str(BIN), *args, "--config", str(config), "--tenants-dir", str(tenants)],
                              capture_output=True, text=True, env=env, timeout=30)
        outputs[name] = proc.stdout + proc.stderr
        return proc

    assert run("check, valid", "check").returncode == 0, outputs
    assert run("tenants", "tenants").returncode == 0, outputs
    assert "literal secret" in outputs["check, valid"], "the literal must be warned about, by reference only"

    gw = start(config=config, env=env, tls=tls)
    outputs["argv"] = open(f"/proc/{gw.proc.pid}/cmdline", "rb").read().decode(errors="replace")
    answers = []

    def send(method, path, body=b"", **headers):
        status, answer, answer_headers = gw.request(method, path, body, headers)
        answers.append(f"{status} {answer!r} {answer_headers!r}")
        return status

    onprem, cloud = fixture_bytes("onprem-inbound-text.json"), fixture_bytes("cloud-envelope-messages.json")
    token, good_basic, good_bearer = SECRETS["credential"], basic("coreapp", SECRETS["file"]), "Bearer " + SECRETS["env"]
    # Right, so the secrets are used, then every kind of wrong.
    assert send("POST", f"/webhooks/acme/{token}", onprem, Authorization=good_basic, **{"X-Bearer": good_bearer}) == 401  # bearer misplaced
    conn = gw.connection()
    conn.putrequest("POST", f"/webhooks/acme/{token}")
    for value in (good_basic, good_bearer):
        conn.putheader("Authorization", value)
    conn.putheader("Content-Length", str(len(onprem)))
    conn.endheaders(onprem)
    assert conn.getresponse().status == 200
    conn.close()
    assert send("POST", f"/webhooks/acme/{token[:-1]}X", onprem, Authorization=good_basic) == 404
    assert send("POST", f"/webhooks/acme/{token}-leak-longer", onprem) == 404
    assert send("POST", f"/webhooks/acme/{token}", onprem, Authorization=basic("coreapp", "leak-wrong-password")) == 401
    assert send("POST", f"/webhooks/acme/{token}", onprem, Authorization="Bearer leak-wrong-bearer") == 401
    assert send("POST", "/webhooks/cloudy", cloud, **{"X-Hub-Signature-256": signed(SECRETS["literal"], cloud)}) == 200
    assert send("POST", "/webhooks/cloudy", cloud, **{"X-Hub-Signature-256": signed(SECRETS["env-hmac-old"], cloud)}) == 200
    assert send("POST", "/webhooks/cloudy", cloud, **{"X-Hub-Signature-256": signed("leak-wrong-hmac", cloud)}) == 401
    assert send("POST", "/webhooks/cloudy", cloud, **{"X-Hub-Signature-256": "sha256=leak-not-hex"}) == 401
    handshake = "/webhooks/cloudy?hub.mode=subscribe&hub.challenge=77&hub.verify_token="
    assert send("GET", handshake + SECRETS["credential-verify"]) == 200
    assert send("GET", handshake + "leak-wrong-verify-token") == 401

    # Reloads that fail for every reason a config can, then one that succeeds.
    write_tenant(tenants, "broken", BROKEN_SYNTAX)
    gw.reload()
    (tenants / "broken.toml").write_text(BROKEN_KEYS)
    gw.reload()
    (tenants / "broken.toml").unlink()
    tls.key.write_bytes(wrong_key.read_bytes())
    gw.reload()
    tls.key.write_bytes(server.key.read_bytes())
    assert "reload failed" not in gw.reload()
    write_tenant(tenants, "broken", BROKEN_KEYS)
    assert run("check, broken", "check").returncode == 1
    write_tenant(tenants, "broken", BROKEN_SYNTAX)
    assert run("check, syntax", "check").returncode == 1
    assert gw.stop() == 0

    outputs["log"] = gw.log()
    outputs["sd_notify"] = "\n".join(gw.notify.messages)
    outputs["answers"] = "\n".join(answers)
    assert "reason=basic" in outputs["log"] and "reason=verify_token" in outputs["log"], "the failures must have been logged"
    assert outputs["sd_notify"].count("last reload failed") >= 3, outputs["sd_notify"]
    assert "broken.toml:3" in outputs["check, syntax"] and "broken.toml:5" in outputs["check, broken"]
    for name, text in outputs.items():
        assert MARKER not in text, f"{name} shows a secret or a guess: " + text[max(0, text.find(MARKER) - 200):][:400]
        assert key_material[:40] not in text and "PRIVATE KEY" not in text, name
