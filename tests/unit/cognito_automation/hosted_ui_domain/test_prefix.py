"""Cognito's rules for a prefix domain: its pattern and its reserved words, anywhere in the prefix."""

from __future__ import annotations

import pytest

from cognito_automation.hosted_ui_domain.prefix import INVALID_CHARACTER, hosted_ui_url, refusal


@pytest.mark.parametrize("value", ["a", "corp-login", "login-123456789012-8d3c2b1a", "a" * 63, "0-0"])
def test_a_prefix_that_fits_is_accepted(value: str) -> None:
    assert refusal(value) is None


@pytest.mark.parametrize("value", ["", "A", "-a", "a-", "a_b", "a.b", "a" * 64, "login\n"])
def test_a_prefix_outside_the_pattern_is_refused_with_cognitos_message(value: str) -> None:
    assert refusal(value) == INVALID_CHARACTER


@pytest.mark.parametrize(
    ("value", "word"),
    [("aws", "aws"), ("myaws", "aws"), ("amazon-login", "amazon"), ("x-cognito-y", "cognito")],
)
def test_a_prefix_with_a_reserved_word_is_refused_naming_it(value: str, word: str) -> None:
    assert refusal(value) == f"Domain cannot contain reserved word: {word}"


def test_the_hosted_ui_url_of_a_prefix() -> None:
    assert hosted_ui_url("corp-login", "eu-west-1") == "https://corp-login.auth.eu-west-1.amazoncognito.com"
