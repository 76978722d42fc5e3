"""The message contract: the JSON Schema file, parsing, allowlists and reasons that never hold secrets."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft7Validator  # type: ignore[import-untyped]  # no jsonschema stubs are pinned

from cognito_automation.provisioning.errors import InvalidMessageError
from cognito_automation.provisioning.messages import Allowlist, parse_message, schema, validate_data
from tests.conftest import load_event

ALLOW = Allowlist(frozenset({"users", "analysts"}), frozenset({"email", "name", "email_verified"}))


def test_schema_file_is_a_valid_draft_7_schema() -> None:
    Draft7Validator.check_schema(schema())


@pytest.mark.parametrize(
    "body",
    [
        {
            "action": "upsert",
            "username": "alice",
            "attributes": {"email": "alice@example.com", "name": "Alice Doe", "email_verified": "true"},
            "groups": ["analysts"],
            "remove_groups": [],
            "invitation": "SUPPRESS",
            "temporary_password": "Temp-Passw0rd!",
        },
        {"action": "disable", "username": "alice"},
        {"action": "enable", "username": "alice"},
        {"action": "delete", "username": "alice"},
    ],
)
def test_design_examples_are_valid_and_round_trip(body: dict[str, object]) -> None:
    message = parse_message(json.dumps(body))
    ALLOW.check(message)
    assert parse_message(json.dumps(message.to_body())) == message


@pytest.mark.parametrize("name", ["upsert", "disable", "enable", "delete"])
def test_sample_events_carry_valid_messages(name: str) -> None:
    for record in load_event(f"provision_users/{name}.json")["Records"]:
        assert parse_message(record["body"]).action == name


def test_invalid_sample_event_holds_only_messages_that_fail() -> None:
    failures = 0
    for record in load_event("provision_users/invalid.json")["Records"]:
        with pytest.raises(InvalidMessageError):
            ALLOW.check(parse_message(record["body"]))
        failures += 1
    assert failures == 4


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("{", "invalid JSON"),
        ('{"action": "upsert"}', "data must contain ['username'] properties"),
        ('{"action": "upsert", "username": "a b"}', "data.username must match pattern"),
        ('{"action": "delete", "username": "a", "groups": ["users"]}', "fields ['groups'] are only allowed"),
        ('{"action": "upsert", "username": "a", "attributes": {"bad name": "x"}}', "invalid attribute names"),
        ('{"action": "upsert", "username": "a", "groups": ["users"], "remove_groups": ["users"]}', "both"),
        ('{"action": "upsert", "username": "a", "colour": "red"}', "must not contain"),
    ],
)
def test_invalid_bodies_are_rejected_with_a_reason(body: str, reason: str) -> None:
    with pytest.raises(InvalidMessageError) as caught:
        parse_message(body)
    assert reason in caught.value.reason


def test_reason_never_contains_the_temporary_password() -> None:
    # Given a password that breaks the schema (too long), whose value a message could quote
    secret = "S3cret-" + "x" * 300
    with pytest.raises(InvalidMessageError) as caught:
        validate_data({"action": "upsert", "username": "a", "temporary_password": secret})
    assert secret not in caught.value.reason
    assert "temporary_password" in caught.value.reason


def test_groups_and_attributes_off_the_allowlist_are_refused() -> None:
    admin = parse_message('{"action": "upsert", "username": "m", "groups": ["users", "admins"]}')
    with pytest.raises(InvalidMessageError, match=r"forbidden group\(s\) \['admins'\]"):
        ALLOW.check(admin)
    removal = parse_message('{"action": "upsert", "username": "m", "remove_groups": ["admins"]}')
    with pytest.raises(InvalidMessageError, match="admins"):
        ALLOW.check(removal)
    role = parse_message('{"action": "upsert", "username": "m", "attributes": {"custom:role": "admin"}}')
    with pytest.raises(InvalidMessageError, match="custom:role"):
        ALLOW.check(role)


def test_message_repr_hides_the_temporary_password() -> None:
    message = parse_message('{"action": "upsert", "username": "a", "temporary_password": "Hidden-Passw0rd"}')
    assert "Hidden-Passw0rd" not in repr(message)
