"""Settings readers: every bad value is named in the error."""

from __future__ import annotations

import pytest

from cognito_automation import config
from cognito_automation.config import ConfigError


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
