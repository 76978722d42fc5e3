"""The message contract: the JSON Schema file, parsing, allowlists and reasons that never hold secrets."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft7Validator  # type: ignore[import-untyped]  # no jsonschema stubs are pinned

from cognito_automation.provisioning.errors import InvalidMessageError
from cognito_automation.provisioning.messages import (
    Allowlist,
    ProvisioningMessage,
    parse_message,
    redact_body,
    schema,
    validate_input,
)
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
            "temporary_password_ciphertext": "AQIDBAUGBwgJCgsMDQ4PEA==",
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
    assert failures == 5


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
        (
            '{"action": "upsert", "username": "a", "temporary_password_ciphertext": "not base64!"}',
            "must match",
        ),
        ('{"action": "delete", "username": "a", "temporary_password_ciphertext": "AQID"}', "only allowed"),
    ],
)
def test_invalid_bodies_are_rejected_with_a_reason(body: str, reason: str) -> None:
    with pytest.raises(InvalidMessageError) as caught:
        parse_message(body)
    assert reason in caught.value.reason


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("email\n", '"email\\n"'),  # Python's `$` matches before a final line break: the schema's does not
        ("bad name", '"bad name"'),
        ("e\u202email", '"e\\u202email"'),  # a right-to-left override, escaped
        ("x" * 200, '"' + "x" * 80 + '"... (200 characters)'),
    ],
)
def test_an_invalid_attribute_name_is_named_in_the_reason_escaped(name: str, shown: str) -> None:
    body = json.dumps(
        {"action": "upsert", "username": "a", "attributes": {"email": "a@example.com", name: "x"}}
    )
    with pytest.raises(InvalidMessageError) as caught:
        parse_message(body)
    assert caught.value.reason.startswith(f"schema violation: invalid attribute names {shown} (1-32 letters")
    assert "\n" not in caught.value.reason


def test_a_clear_temporary_password_on_the_queue_is_refused_and_the_reason_says_why() -> None:
    # Given a body as an old producer (or a hand-made message) sends it
    body = '{"action": "upsert", "username": "a", "temporary_password": "Clear-Passw0rd!"}'
    # When the consumer parses it  # Then it is refused, naming the field to use and the redaction
    with pytest.raises(InvalidMessageError) as caught:
        parse_message(body)
    reason = caught.value.reason
    assert reason.startswith("temporary_password in clear is refused")
    assert "temporary_password_ciphertext" in reason
    assert "redacted" in reason
    assert "Clear-Passw0rd!" not in reason


@pytest.mark.parametrize(
    ("password", "rule"),
    [("S3cret-" + "x" * 300, "6 to 256 characters"), ("S3c", "6 to 256"), ("Has Space1!", "whitespace")],
)
def test_producer_input_passwords_follow_cognitos_rules_and_reasons_never_quote_them(
    password: str, rule: str
) -> None:
    with pytest.raises(InvalidMessageError) as caught:
        validate_input({"action": "upsert", "username": "a", "temporary_password": password})
    assert rule in caught.value.reason
    assert password not in caught.value.reason


def test_producer_input_takes_a_password_only_for_upsert_and_never_both_forms() -> None:
    with pytest.raises(InvalidMessageError, match="only allowed with action upsert"):
        validate_input({"action": "delete", "username": "a", "temporary_password": "Passw0rd!"})
    both = {"action": "upsert", "username": "a", "temporary_password": "Passw0rd!"}
    with pytest.raises(InvalidMessageError, match="not both"):
        validate_input(both | {"temporary_password_ciphertext": "AQID"})


def test_a_message_with_a_clear_password_cannot_become_a_body() -> None:
    message = validate_input({"action": "upsert", "username": "a", "temporary_password": "Passw0rd!"})
    with pytest.raises(ValueError, match="encrypt the temporary password"):
        message.to_body()


def test_a_body_without_a_clear_password_is_dead_lettered_as_it_is() -> None:
    body = '{"action": "upsert", "username": "a", "temporary_password_ciphertext": "AQID"}'
    assert redact_body(body) == (body, ())
    assert redact_body("{not json") == ("{not json", ())


def test_a_clear_password_is_redacted_wherever_it_is_in_the_body() -> None:
    # Given a body with the field at the top and, as an attribute name, inside
    body = json.dumps(
        {
            "action": "upsert",
            "username": "a",
            "temporary_password": "Top-Passw0rd!",
            "attributes": {"temporary_password": "Inner-Passw0rd!"},
        }
    )
    # When it is redacted
    kept, secrets = redact_body(body)
    # Then neither value is kept, every other field is
    assert "Passw0rd" not in kept
    assert json.loads(kept) == {
        "action": "upsert",
        "username": "a",
        "temporary_password": "***",
        "attributes": {"temporary_password": "***"},
    }
    assert sorted(secrets) == ["Inner-Passw0rd!", "Top-Passw0rd!"]


@pytest.mark.parametrize(
    "body",
    [
        '{"action": "upsert", "username": "a", "temporary_password": "Cut-Passw0rd!',
        '{"temporary\\u005fpass": "x", "y": "Cut-Passw0rd!"',
    ],
)
def test_a_body_that_is_not_json_and_may_hold_a_password_is_withheld(body: str) -> None:
    kept, _ = redact_body(body)
    assert "Cut-Passw0rd!" not in kept
    assert kept.startswith("(body withheld")


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


def test_message_repr_hides_the_temporary_password_and_its_ciphertext() -> None:
    message = validate_input({"action": "upsert", "username": "a", "temporary_password": "Hidden-Passw0rd"})
    sealed = ProvisioningMessage("upsert", "a", temporary_password_ciphertext="Q2lwaGVydGV4dA==")
    assert "Hidden-Passw0rd" not in repr(message)
    assert "Q2lwaGVydGV4dA==" not in repr(sealed)


@pytest.mark.parametrize("action", ["upsert", "disable", "enable", "delete"])
def test_every_action_carries_its_order_and_keeps_it_in_the_body(action: str) -> None:
    body = {"action": action, "username": "uma", "issued_at": 1_796_406_032_122_403}
    message = parse_message(json.dumps(body))
    assert message.issued_at == 1_796_406_032_122_403
    assert message.to_body()["issued_at"] == 1_796_406_032_122_403
    assert parse_message('{"action": "delete", "username": "uma", "issued_at": 5.0}').issued_at == 5


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ('"1796406032122403"', "schema violation: data.issued_at must be integer"),
        ("1.5", "schema violation: data.issued_at must be integer"),
        ("true", "schema violation: data.issued_at must be integer"),
        ("-1", "schema violation: data.issued_at must be bigger than or equal to 0"),
        (
            "9007199254740992",
            "schema violation: data.issued_at must be smaller than or equal to 9007199254740991",
        ),
    ],
)
def test_an_order_that_is_not_a_whole_number_of_microseconds_is_refused(value: str, reason: str) -> None:
    with pytest.raises(InvalidMessageError) as caught:
        parse_message('{"action": "delete", "username": "uma", "issued_at": ' + value + "}")
    assert caught.value.reason == reason


def test_stamping_sets_the_order_only_on_a_message_without_one() -> None:
    assert ProvisioningMessage("delete", "uma").stamped(7).issued_at == 7
    assert ProvisioningMessage("delete", "uma", issued_at=3).stamped(7).issued_at == 3
    assert "issued_at" not in ProvisioningMessage("delete", "uma").to_body()


def test_a_schema_reason_that_quotes_a_name_shows_its_line_breaks_and_controls_escaped() -> None:
    body = json.dumps({"action": "upsert", "username": "a", "attributes": {"email\n\u202e": "x" * 3000}})
    with pytest.raises(InvalidMessageError) as caught:
        parse_message(body)
    assert "data.attributes.email\\n\\u202e must be shorter" in caught.value.reason
    assert caught.value.reason.isprintable()


def test_a_redacted_body_is_no_longer_in_bytes_than_the_body() -> None:
    body = json.dumps(
        {"action": "upsert", "username": "zoé", "temporary_password": "P", "attributes": {"name": "é" * 900}},
        ensure_ascii=False,
    )
    redacted, secrets = redact_body(body)
    assert secrets == ("P",)
    assert len(redacted.encode()) <= len(body.encode())
