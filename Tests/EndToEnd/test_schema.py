"""The published event schema and the decoder stay in step.

Runs the built binary's `decode` verb on every fixture body and validates every event line it
prints against schema/event-v1.schema.json with a real JSON Schema (draft 2020-12) validator.
The binary is $COREGATE_BIN, by default .build/debug/coregate under the repository root.
"""

import copy
import json
import os
import subprocess
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("COREGATE_BIN", ROOT / ".build" / "debug" / "coregate"))
RESOURCES = ROOT / "Tests" / "CoregateWhatsAppTests" / "Resources"
FIXTURES = sorted((RESOURCES / "fixtures").glob("*.json"))
MALFORMED = sorted((RESOURCES / "malformed").iterdir())
SCHEMA = json.loads((ROOT / "schema" / "event-v1.schema.json").read_text())
VALIDATOR = Draft202012Validator(SCHEMA)

# The files in malformed/ whose envelope is good: an unknown type becomes message.unknown, and
# items missing their ids become malformed events beside the others (SPEC §6).
ACCEPTED_MALFORMED = {"malformed-unknown-message-type.json", "malformed-missing-required-fields.json"}


def sender(path):
    return "cloud" if path.name.startswith("cloud-") else "on-premises"


def decode(path, *flags, stdin=None):
    assert BIN.exists(), f"{BIN} is missing: build it first (swift build) or set COREGATE_BIN"
    return subprocess.run([str(BIN), "decode", *flags, str(path)], input=stdin, capture_output=True, timeout=60)


def events(path):
    run = decode(path, "--sender", sender(path), "--tenant", "acme")
    assert run.returncode == 0, run.stderr.decode()
    assert run.stderr == b""
    assert run.stdout == b"" or run.stdout.endswith(b"\n")
    return [json.loads(line) for line in run.stdout.decode("utf-8").splitlines()]


def schema_errors(event):
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in VALIDATOR.iter_errors(event)]


def test_the_schema_is_valid_draft_2020_12():
    Draft202012Validator.check_schema(SCHEMA)


def test_there_are_fixtures_to_check():
    assert len(FIXTURES) >= 55 and len(MALFORMED) >= 16


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_every_event_of_every_fixture_matches_the_schema(path):
    decoded = events(path)
    assert decoded, "every fixture carries at least one event"
    for event in decoded:
        assert schema_errors(event) == [], event["id"]
        assert event["tenant"] == "acme"


@pytest.mark.parametrize("path", MALFORMED, ids=lambda p: p.name)
def test_a_malformed_body_exits_1_with_one_line_on_stderr(path):
    run = decode(path)
    if path.name in ACCEPTED_MALFORMED:
        assert run.returncode == 0 and all(schema_errors(json.loads(line)) == [] for line in run.stdout.splitlines())
        return
    assert run.returncode == 1
    assert run.stdout == b""
    assert run.stderr.startswith(b"coregate decode: ") and run.stderr.count(b"\n") == 1


def test_dash_reads_the_body_from_stdin():
    path = RESOURCES / "fixtures" / "onprem-inbound-text.json"
    run = decode("-", "--tenant", "acme", stdin=path.read_bytes())
    assert run.returncode == 0, run.stderr.decode()
    assert [json.loads(line)["id"] for line in run.stdout.splitlines()] == ["msg:ABEGFVVQAQd3AgohzaU7PgTu9v5q"]


def test_a_body_of_the_other_sender_is_refused():
    run = decode(RESOURCES / "fixtures" / "cloud-envelope-messages.json", "--sender", "on-premises")
    assert run.returncode == 1
    assert b"but the body is a Cloud API envelope" in run.stderr


def test_an_unknown_sender_is_refused_before_decoding():
    run = decode(RESOURCES / "fixtures" / "onprem-inbound-text.json", "--sender", "coreapp")
    assert run.returncode == 64
    assert b"'coreapp' is invalid" in run.stderr and b"'on-premises' and 'cloud'" in run.stderr
    assert run.stdout == b""


# The schema must be tight enough to catch drift: each of these edits of a real event breaks it.
def broken_variants(text_event, status_event, username_event, field_event, malformed_event):
    def edit(event, change):
        event = copy.deepcopy(event)
        change(event)
        return event

    return {
        "unknown type": edit(text_event, lambda e: e.update(type="message.hologram")),
        "extra top-level key": edit(text_event, lambda e: e.update(extra=1)),
        "text not a string": edit(text_event, lambda e: e["message"].update(text=["hi"])),
        "extra message key": edit(text_event, lambda e: e["message"].update(body="hi")),
        "missing contact": edit(text_event, lambda e: e.pop("contact")),
        "message without a contact": edit(text_event, lambda e: e.update(contact=None)),
        "two bodies": edit(text_event, lambda e: e.update(status=status_event["status"])),
        "kind and type disagree": edit(text_event, lambda e: e["message"].update(type="image")),
        "received_at without milliseconds": edit(text_event, lambda e: e.update(received_at="2024-06-14T21:20:00Z")),
        "id of another kind": edit(text_event, lambda e: e.update(id="status:x:read")),
        "status and type disagree": edit(status_event, lambda e: e["status"].update(status="read")),
        "on-premises with a phone number id": edit(status_event, lambda e: e.update(phone_number_id="318264750091234")),
        "error code as text": edit(status_event, lambda e: e["status"].update(
            errors=[{"code": "470", "title": None, "details": None, "href": None}])),
        "version 2": edit(status_event, lambda e: e.update(version=2)),
        "a contact with neither wa_id nor user_id": edit(username_event, lambda e: e["contact"].update(user_id=None)),
        "a message from nobody": edit(username_event, lambda e: e["message"].update(from_user_id=None)),
        "a status without its participant key": edit(status_event, lambda e: e["status"].pop("recipient_participant_id")),
        "a field event with a contact": edit(field_event, lambda e: e.update(contact=text_event["contact"])),
        "a field event with a bad name": edit(field_event, lambda e: e.update(type="field.Account Update")),
        "a field event without its body": edit(field_event, lambda e: e.pop("field")),
        "a field event from an On-Premises body": edit(field_event, lambda e: e.update(source="on-premises")),
        "a malformed event with a body": edit(malformed_event, lambda e: e.update(message=text_event["message"])),
        "a malformed event with a time": edit(malformed_event, lambda e: e.update(occurred_at="2024-06-14T21:20:00Z")),
        "a malformed event of a known kind": edit(malformed_event, lambda e: e.update(type="message.text")),
        "a well-formed event without its body": edit(text_event, lambda e: e.update(message=None)),
        "a well-formed event with a malformed id": edit(text_event, lambda e: e.update(id="malformed:" + "0" * 64)),
    }


def test_the_schema_refuses_events_that_drifted():
    text_event = events(RESOURCES / "fixtures" / "onprem-inbound-text.json")[0]
    status_event = events(RESOURCES / "fixtures" / "onprem-status-sent.json")[0]
    username_event = events(RESOURCES / "fixtures" / "cloud-inbound-username-no-phone.json")[0]
    field_event = events(RESOURCES / "fixtures" / "cloud-account-update-only.json")[0]
    malformed_event = events(RESOURCES / "fixtures" / "cloud-mixed-malformed-items.json")[1]
    assert malformed_event["decode_error"] and username_event["contact"]["wa_id"] is None
    originals = [text_event, status_event, username_event, field_event, malformed_event]
    assert all(schema_errors(event) == [] for event in originals)
    for name, event in broken_variants(*originals).items():
        assert schema_errors(event) != [], name
