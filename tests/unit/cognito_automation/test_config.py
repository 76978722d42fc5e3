"""Settings readers: every bad value is named in the error."""

from __future__ import annotations

import pytest

from cognito_automation import config
from cognito_automation.callback_urls import resource
from cognito_automation.config import ConfigError
from tests.handlers import load_function


def test_required_names_the_missing_variable() -> None:
    with pytest.raises(ConfigError, match="USERS_TABLE"):
        config.required({}, "USERS_TABLE")


def test_required_rejects_blank_values() -> None:
    with pytest.raises(ConfigError, match="USERS_TABLE"):
        config.required({"USERS_TABLE": "  "}, "USERS_TABLE")


@pytest.mark.parametrize(("raw", "expected"), [("true", True), ("FALSE", False), ("1", True), ("", False)])
def test_boolean_accepts_the_usual_spellings(raw: str, expected: bool) -> None:
    assert config.boolean({"FLAG": raw}, "FLAG", default=False) is expected


def test_boolean_rejects_anything_else_naming_variable_and_value() -> None:
    with pytest.raises(ConfigError, match=r"FLAG.*'maybe'"):
        config.boolean({"FLAG": "maybe"}, "FLAG", default=False)


def test_string_list_drops_blanks_and_duplicates_keeping_order() -> None:
    assert config.string_list({"GROUPS": " b, a,,b , c"}, "GROUPS") == ("b", "a", "c")


def test_integer_bounds_are_enforced() -> None:
    assert config.integer({"N": "5"}, "N", default=1, minimum=1, maximum=10) == 5
    with pytest.raises(ConfigError, match="between 1 and 10"):
        config.integer({"N": "11"}, "N", default=1, minimum=1, maximum=10)
    with pytest.raises(ConfigError, match="integer"):
        config.integer({"N": "ten"}, "N", default=1, minimum=1, maximum=10)


def test_user_pool_id_shape_is_checked() -> None:
    assert config.user_pool_id({"P": "us-east-1_AbC123"}, "P") == "us-east-1_AbC123"
    with pytest.raises(ConfigError, match="user pool id"):
        config.user_pool_id({"P": "not a pool"}, "P")


POOL_ID_CASES = [
    ("us-east-1_AbC123", True),
    ("eu-west-2_x", True),
    ("not a pool", False),
    ("us-east-1_", False),
    ("us-east-1_AbC123\n", False),  # a trailing newline is not part of a pool id
    ("us-east-1_AbC-123", False),
]


@pytest.mark.parametrize(("value", "valid"), POOL_ID_CASES)
def test_every_user_pool_id_check_uses_the_one_definition(
    monkeypatch: pytest.MonkeyPatch, value: str, valid: bool
) -> None:
    # Given the settings reader, the custom resource's properties and the post confirmation trigger
    post_confirmation = load_function(
        monkeypatch,
        "post_confirmation",
        {"USERS_TABLE": "users", "PROVISIONING_QUEUE_URL": "https://sqs.example/q"},
    )
    props = {"UserPoolId": value, "ClientId": "abc123", "CallbackURLs": ["https://example.com/cb"]}
    event = {"userPoolId": value, "userName": "u", "request": {"userAttributes": {}}}
    # When each checks the same value, Then each agrees with config.is_user_pool_id
    assert config.is_user_pool_id(value) is valid
    try:
        resource.Properties.parse(props)
        resource_accepts = True
    except resource.InvalidPropertiesError:
        resource_accepts = False
    assert resource_accepts is valid
    assert (post_confirmation.malformed(event) is None) is valid
