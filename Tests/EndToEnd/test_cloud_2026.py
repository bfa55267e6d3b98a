"""Issue 11 through the real server: the Cloud API as Meta sends it in 2026 (WHATSAPP-WEBHOOKS §7).

Each shape is posted to a running gateway as Meta would post it; the test then reads what the store
holds (`coregate events`) and what a handler was given on stdin, so it fails if the server answers
400, drops an item, merges two, or hands a handler something else than the documented event."""
import json

import pytest

from harness import cli, fixture_bytes, onprem_text, wait_until, write_tenant

ACME_NUMBER = "318264750091234"
OTHER_NUMBER = "318264750095678"

# Appends every event it is given (one JSON line each) to its tenant's state folder.
RECORDER = '''
[[handlers]]
name = "recorder"
events = ["*"]
command = ["/bin/sh", "-c", 'cat >> "$COREGATE_STATE_DIR/events.jsonl"']
'''


def cloud_tenant(numbers=(ACME_NUMBER,), path=None):
    lines = ['sender = "cloud"', "phone_number_ids = [" + ", ".join(f'"{n}"' for n in numbers) + "]"]
    if path:
        lines.append(f'path = "{path}"')
    return "\n".join(lines) + "\n" + RECORDER


def answer(status_body):
    status, body, _ = status_body
    assert status == 200, body
    return json.loads(body)


def stored(workdir, tenants, tenant):
    """What the store holds for a tenant, oldest first: (id, type, contact key) per event."""
    out = cli("events", "--tenant", tenant, "--limit", "1000", tenants_dir=tenants, state_dir=workdir / "state").stdout
    rows = [line.split("\t") for line in out.splitlines()[1:]]
    return [(row[2], row[3], row[4]) for row in reversed(rows)]


def handed(workdir, tenant, count):
    """The events the tenant's handler was given, once it has been given `count` of them."""
    path = workdir / "state" / "tenants" / tenant / "events.jsonl"

    def read():
        lines = path.read_text().splitlines() if path.exists() else []
        return lines if len(lines) >= count else None

    events = [json.loads(line) for line in wait_until(read, what=f"{count} events handed to {tenant}")]
    assert len(events) == count
    return {event["id"]: event for event in events}


@pytest.fixture
def acme(start, tenants):
    write_tenant(tenants, "acme", cloud_tenant())
    return start()


def test_users_known_only_by_a_username_get_200_and_are_ordered_by_their_user_id(acme, workdir, tenants):
    assert answer(acme.post("/webhooks/acme", fixture_bytes("cloud-inbound-username-no-phone.json")))["stored"] == 2
    assert answer(acme.post("/webhooks/acme", fixture_bytes("cloud-status-username-recipient.json")))["stored"] == 2
    contacts = [contact for _, _, contact in stored(workdir, tenants, "acme")]
    assert contacts == ["US.13491208655302741918", "US.20571349908412736651"] * 2
    events = handed(workdir, "acme", 4)
    message = events["msg:wamid.HBgUVVMuMTM0OTEyMDg2NTUzMDI3NDE5MTgVAgASGBQzQTlBMDFCMjAzQzRENUU2RjcwOAA="]
    assert message["contact"] == {"wa_id": None, "user_id": "US.13491208655302741918", "username": "@realsheenanelson",
                                  "parent_user_id": None, "name": "Sheena Nelson"}
    assert message["message"]["from"] is None and message["message"]["from_user_id"] == "US.13491208655302741918"
    status = next(e for e in events.values() if e["type"] == "status.read")
    assert status["status"]["recipient_id"] is None
    assert status["status"]["recipient_user_id"] == "US.20571349908412736651"


def test_a_malformed_item_is_stored_beside_the_good_ones_and_a_redelivery_adds_nothing(acme, workdir, tenants):
    body = fixture_bytes("cloud-mixed-malformed-items.json")
    first = answer(acme.post("/webhooks/acme", body))
    assert (first["stored"], first["duplicates"]) == (5, 0)
    types = [event_type for _, event_type, _ in stored(workdir, tenants, "acme")]
    assert types == ["message.text", "message.unknown", "status.unknown", "status.read", "error"]
    again = answer(acme.post("/webhooks/acme", body))
    assert (again["stored"], again["duplicates"]) == (0, 5)
    events = handed(workdir, "acme", 5)
    malformed = [e for e in events.values() if e["decode_error"]]
    assert sorted(e["decode_error"] for e in malformed) == [
        "entry[0].changes[0].value.messages[1].id is missing",
        "entry[0].changes[0].value.statuses[0].status is not a string",
        "entry[0].changes[1].field is missing",
    ]
    note = next(e for e in malformed if e["type"] == "message.unknown")
    assert note["message"] is None and note["raw"]["text"] == {"body": "no id"}


def test_an_on_premises_item_that_cannot_be_decoded_costs_only_itself(start, tenants, workdir):
    write_tenant(tenants, "coreapp", 'sender = "on-premises"\n')
    gw = start()
    good = json.loads(onprem_text("ABEGgood"))
    good["messages"].append({"from": "15550100777", "timestamp": "1764072000", "type": "text", "text": {"body": 7}})
    assert answer(gw.post("/webhooks/coreapp", json.dumps(good).encode()))["stored"] == 2
    assert [t for _, t, _ in stored(workdir, tenants, "coreapp")] == ["message.text", "message.unknown"]
    # A body that is no WhatsApp webhook at all is still refused, and nothing is stored.
    status, body, _ = gw.post("/webhooks/coreapp", b'{"messages": {"from": "15550100777"}}')
    assert status == 400 and json.loads(body)["error"] == "messages is not an array"
    assert len(stored(workdir, tenants, "coreapp")) == 2


def test_other_fields_are_events_routed_by_number_or_to_every_tenant_of_a_shared_path(start, tenants, workdir):
    write_tenant(tenants, "north", cloud_tenant([ACME_NUMBER], path="/webhooks/shared"))
    write_tenant(tenants, "south", cloud_tenant([OTHER_NUMBER], path="/webhooks/shared"))
    gw = start()
    body = fixture_bytes("cloud-field-changes.json")
    result = answer(gw.post("/webhooks/shared", body))
    # Four changes for north's number or none; the one that names no number goes to both.
    assert (result["stored"], result["unowned"]) == (5, 0)
    north = [t for _, t, _ in stored(workdir, tenants, "north")]
    south = [t for _, t, _ in stored(workdir, tenants, "south")]
    assert north == ["field.message_template_status_update", "field.user_preferences", "field.calls", "message.text"]
    assert south == ["field.message_template_status_update"]
    assert answer(gw.post("/webhooks/shared", body))["stored"] == 0
    template = handed(workdir, "south", 1)
    (event,) = template.values()
    assert event["raw"]["event"] == "APPROVED" and event["field"] == {"name": "message_template_status_update",
                                                                     "entry_id": "219875432100987"}
    assert event["phone_number_id"] is None and event["contact"] is None
    assert event["occurred_at"] == "2025-02-12T00:43:44Z"


def test_a_group_message_has_one_status_event_per_participant(acme, workdir, tenants):
    result = answer(acme.post("/webhooks/acme", fixture_bytes("cloud-status-group-participants.json")))
    assert result["stored"] == 2
    ids = [event_id for event_id, _, _ in stored(workdir, tenants, "acme")]
    group_message = "wamid.HBgSMTIwMzYzMDQxMjM0NTY3ODkwFQIAERgSNkY3MDgxOTJBM0I0QzVENkU3AA=="
    assert ids == [f"status:{group_message}:delivered:15550100314",
                   f"status:{group_message}:delivered:US.13491208655302741918"]
    status = handed(workdir, "acme", 2)[ids[0]]["status"]
    assert (status["recipient_type"], status["biz_opaque_callback_data"], status["pricing"]["type"]) == (
        "group", "campaign=spring;batch=7", "regular")
    assert answer(acme.post("/webhooks/acme", fixture_bytes("cloud-inbound-group-message.json")))["stored"] == 1
    message = handed(workdir, "acme", 3)["msg:wamid.HBgLMTU1NTAxMDAzMTQVAgASGBQzRTVGNjA3MTgyOTNBNEI1QzZENwA="]
    assert message["message"]["group_id"] == "120363041234567890@g.us"


def test_the_new_kinds_reach_a_handler_that_selects_them_by_type(start, tenants, workdir):
    selective = cloud_tenant().replace('events = ["*"]', 'events = ["message.edit", "message.revoke", '
                                       '"message.request_welcome", "message.unsupported"]')
    write_tenant(tenants, "acme", selective)
    gw = start()
    for name in ["cloud-inbound-edit.json", "cloud-inbound-revoke.json", "cloud-inbound-request-welcome.json",
                 "cloud-inbound-unsupported.json", "cloud-envelope-messages.json"]:
        assert answer(gw.post("/webhooks/acme", fixture_bytes(name)))["stored"] == 1, name
    events = handed(workdir, "acme", 4)
    by_type = {event["type"]: event["message"] for event in events.values()}
    assert set(by_type) == {"message.edit", "message.revoke", "message.request_welcome", "message.unsupported"}
    assert by_type["message.edit"]["edit"]["message"]["media"]["caption"] == "The right photo this time"
    assert by_type["message.revoke"]["revoke"]["original_message_id"].startswith("wamid.")
    assert by_type["message.unsupported"]["unsupported"]["type"] == "video_note"
    # message.text went to no handler: it is stored, with no delivery.
    assert ("message.text", "-") in [(row[3], row[5]) for row in (
        line.split("\t") for line in cli("events", tenants_dir=tenants, state_dir=workdir / "state").stdout.splitlines()[1:])]


def test_media_urls_voice_notes_animated_stickers_and_ad_urls_reach_the_handler(acme, workdir, tenants):
    assert answer(acme.post("/webhooks/acme", fixture_bytes("cloud-inbound-media-voice-animated.json")))["stored"] == 2
    assert answer(acme.post("/webhooks/acme", fixture_bytes("cloud-inbound-referral-urls.json")))["stored"] == 1
    events = list(handed(workdir, "acme", 3).values())
    media = {event["type"]: event["message"]["media"] for event in events if "media" in event["message"]}
    assert media["message.audio"]["voice"] is True and media["message.audio"]["url"].startswith("https://")
    assert media["message.sticker"]["animated"] is True
    referral = next(event["message"]["referral"] for event in events if event["type"] == "message.text")
    assert referral["image_url"].endswith("spring.jpg") and referral["thumbnail_url"].endswith("spring-thumb.jpg")
