"""`coregate send-test`: a realistic, signed webhook for a tenant, posted to a running gateway."""
import json
import subprocess
from collections import Counter

import pytest

from harness import BIN, wait_until, write_tenant

TYPES = ["message.text", "message.image", "message.document", "message.location", "message.reaction",
         "message.interactive", "status.sent", "status.delivered", "status.read", "status.failed", "error"]

# Records the type of every event it is given, so the test sees what the gateway decoded.
RECORDER = '''
[[handlers]]
name = "recorder"
command = ["/bin/sh", "-c", 'cat > /dev/null; echo "$COREGATE_EVENT_TYPE" >> "$COREGATE_STATE_DIR/types"']
'''

SECRETS = {
    "path-token": "Zq4tTokenForTheTest0123456789abc",
    "coreapp-password": "pw-3c1d9e0f",
    "bearer": "bearer-7a6b5c4d",
    "app-secret": "app-secret-0f9e8d7c",
}

ONPREM = '''sender = "on-premises"
path_token = "file:secrets/path-token"
[verify]
basic = { user = "coreapp", password = "file:secrets/coreapp-password" }
bearer = "file:secrets/bearer"
hmac_sha256 = ["file:secrets/app-secret", "file:secrets/old-secret"]
hmac_header = "X-Coreapp-Signature"
''' + RECORDER

CLOUD = '''sender = "cloud"
phone_number_ids = ["106540352242999"]
[verify]
hmac_sha256 = ["file:secrets/app-secret"]
''' + RECORDER


@pytest.fixture
def gateway(start, tenants, workdir):
    secrets = workdir / "conf" / "secrets"
    secrets.mkdir()
    for name, value in {**SECRETS, "old-secret": "old-secret-value"}.items():
        (secrets / name).write_text(value + "\n")
    write_tenant(tenants, "shop", ONPREM)
    write_tenant(tenants, "globex", CLOUD)
    return start()


def send_test(tenants, *args, config=None):
    cmd = [str(BIN), "send-test", "--tenants-dir", str(tenants), *args]
    if config:
        cmd += ["--config", str(config)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=30, env={"PATH": "/usr/bin:/bin"})


def recorded(workdir, tenant):
    path = workdir / "state" / "tenants" / tenant / "types"
    return path.read_text().split() if path.exists() else []


def test_a_signed_webhook_with_path_token_and_credentials_gets_200_and_arrives(gateway, tenants, workdir):
    proc = send_test(tenants, "shop", "--url", gateway.url(""))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"POST http://127.0.0.1:{gateway.port}/webhooks/shop/<path_token>" in proc.stdout
    assert "path token, Basic credentials, bearer token, X-Coreapp-Signature signature" in proc.stdout
    assert "200 " in proc.stdout and '"stored":1' in proc.stdout
    wait_until(lambda: recorded(workdir, "shop") == ["message.text"])
    for secret in list(SECRETS.values()) + ["old-secret-value"]:
        assert secret not in proc.stdout + proc.stderr + gateway.log()


def test_every_type_for_both_senders_decodes_as_that_type(gateway, tenants, workdir):
    for tenant in ["shop", "globex"]:
        for event_type in TYPES:
            proc = send_test(tenants, tenant, "--type", event_type, "--url", gateway.url(""))
            assert proc.returncode == 0, (tenant, event_type, proc.stdout, proc.stderr)
            assert '"stored":1' in proc.stdout, (tenant, event_type, proc.stdout)
    for tenant in ["shop", "globex"]:
        wait_until(lambda: len(recorded(workdir, tenant)) == len(TYPES))
        assert Counter(recorded(workdir, tenant)) == Counter(TYPES), tenant


def test_each_send_is_a_new_event_not_a_redelivery(gateway, tenants, workdir):
    for event_type in ["message.text", "status.read", "error"]:
        for _ in range(2):
            proc = send_test(tenants, "globex", "--type", event_type, "--url", gateway.url(""))
            assert '"stored":1,"duplicates":0' in proc.stdout, proc.stdout


def test_the_default_url_is_the_configured_listen_address(gateway, tenants, workdir):
    config = workdir / "conf" / "coregate.toml"
    config.write_text(f'listen = ["0.0.0.0:{gateway.port}"]\n')
    proc = send_test(tenants, "globex", "--type", "status.delivered", config=config)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"POST http://127.0.0.1:{gateway.port}/webhooks/globex" in proc.stdout


def test_a_wrong_secret_gets_401_and_a_failing_exit_status(gateway, tenants, workdir):
    # The same tenant, as another config folder sees it, with another app secret.
    elsewhere = workdir / "elsewhere" / "tenants"
    (workdir / "elsewhere" / "secrets").mkdir(parents=True)
    elsewhere.mkdir()
    (workdir / "elsewhere" / "secrets" / "app-secret").write_text("not-the-secret\n")
    write_tenant(elsewhere, "globex", CLOUD)
    proc = send_test(elsewhere, "globex", "--url", gateway.url(""))
    assert proc.returncode == 1
    assert "401 " in proc.stdout
    assert recorded(workdir, "globex") == []


def test_cloud_only_types_and_a_customer_known_only_by_a_username(gateway, tenants, workdir):
    for args in [["--type", "message.request_welcome"], ["--type", "message.revoke"], ["--type", "field.account_update"],
                 ["--type", "field.account_update"], ["--username"], ["--username", "--type", "status.read"]]:
        proc = send_test(tenants, "globex", *args, "--url", gateway.url(""))
        assert proc.returncode == 0 and '"stored":1' in proc.stdout, (args, proc.stdout, proc.stderr)
    expected = ["message.request_welcome", "message.revoke", "field.account_update", "field.account_update",
                "message.text", "status.read"]
    wait_until(lambda: len(recorded(workdir, "globex")) == len(expected))
    assert Counter(recorded(workdir, "globex")) == Counter(expected)
    listed = subprocess.run([str(BIN), "events", "--tenants-dir", str(tenants), "--state-dir", str(workdir / "state")],
                            capture_output=True, text=True, timeout=30).stdout
    contacts = [line.split("\t")[4] for line in listed.splitlines()[1:] if line.split("\t")[3] in ("message.text", "status.read")]
    assert contacts == ["US.13491208655302700777"] * 2


def test_cloud_only_types_and_usernames_are_refused_for_an_on_premises_tenant(tenants, workdir):
    write_tenant(tenants, "shop", 'sender = "on-premises"\n')
    proc = send_test(tenants, "shop", "--type", "field.account_update")
    assert proc.returncode == 1 and "cannot make a field.account_update webhook for shop (on-premises)" in proc.stderr
    assert "message.revoke" not in proc.stderr
    proc = send_test(tenants, "shop", "--username")
    assert proc.returncode == 1 and "--username is for cloud tenants" in proc.stderr


def test_no_gateway_listening_and_unknown_type_fail_clearly(tenants, workdir):
    write_tenant(tenants, "shop", 'sender = "on-premises"\n')
    proc = send_test(tenants, "shop", "--url", "http://127.0.0.1:1")
    assert proc.returncode == 1 and "no answer from http://127.0.0.1:1/webhooks/shop" in proc.stderr
    proc = send_test(tenants, "shop", "--type", "message.hologram")
    assert proc.returncode == 1 and "--type takes message.text" in proc.stderr
    proc = send_test(tenants, "nobody")
    assert proc.returncode == 1 and "no tenant nobody" in proc.stderr
