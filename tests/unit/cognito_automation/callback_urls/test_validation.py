"""Custom::CognitoCallbackUrls: the URL rules, checked before any change."""

from __future__ import annotations

import pytest

from cognito_automation.callback_urls.errors import InvalidUrlError
from cognito_automation.callback_urls.validation import (
    check_list_size,
    check_url,
    check_urls,
)


@pytest.mark.parametrize(
    "url",
    [
        "https://a1b2c3.execute-api.us-east-1.amazonaws.com/Prod/",
        "https://app.example.com/oauth2/idpresponse?x=1",
        "http://localhost:3000/callback",
        "http://localhost/",
        "myapp://signin",
        "com.example.app://callback/path",
        "https://" + "a" * 1000 + ".example.com",
    ],
)
def test_accepted_urls(url: str) -> None:
    assert check_url("CallbackURLs", 0, url) == url


@pytest.mark.parametrize(
    ("url", "rule"),
    [
        ("http://app.example.com/cb", "must use https"),
        ("http://127.0.0.1:3000/cb", "must use https"),
        ("https://app.example.com/cb#section", "must not contain a fragment"),
        ("/relative/callback", "must be an absolute URL"),
        ("app.example.com/cb", "must be an absolute URL"),
        ("https:///path-only", "must name a host"),
        ("https://app.example.com/a b", "must not contain whitespace"),
        ("https://" + "a" * 1020, "must be 1 to 1024 characters"),
        ("", "must be 1 to 1024 characters"),
    ],
)
def test_rejected_url_names_the_url_and_the_rule(url: str, rule: str) -> None:
    # Given a URL that breaks one rule, When it is checked
    with pytest.raises(InvalidUrlError) as raised:
        check_url("LogoutURLs", 2, url)
    # Then the message names where it is, the URL (or its start) and the rule
    message = str(raised.value)
    assert message.startswith("LogoutURLs[2]")
    assert rule in message
    assert url[:40] in message


def test_non_string_url_is_rejected() -> None:
    with pytest.raises(InvalidUrlError, match=r"CallbackURLs\[0\] must be a string"):
        check_url("CallbackURLs", 0, 42)


def test_callback_urls_are_required() -> None:
    with pytest.raises(InvalidUrlError, match="CallbackURLs must list at least one URL"):
        check_urls("CallbackURLs", [], required=True)


def test_logout_urls_are_optional() -> None:
    assert check_urls("LogoutURLs", None, required=False) == ()


def test_a_url_list_must_be_a_list() -> None:
    with pytest.raises(InvalidUrlError, match="CallbackURLs must be a list"):
        check_urls("CallbackURLs", "https://a.example.com", required=True)


def test_listed_urls_keep_their_order_without_duplicates_and_trailing_slash_is_distinct() -> None:
    urls = [
        "https://b.example.com/",
        "https://a.example.com",
        "https://b.example.com/",
        "https://b.example.com",
    ]
    assert check_urls("CallbackURLs", urls, required=True) == (
        "https://b.example.com/",
        "https://a.example.com",
        "https://b.example.com",
    )


def test_more_than_100_listed_urls_are_rejected() -> None:
    urls = [f"https://app.example.com/{n}" for n in range(101)]
    with pytest.raises(InvalidUrlError, match="lists 101 URLs; an app client allows at most 100"):
        check_urls("CallbackURLs", urls, required=True)


def test_a_client_list_over_100_after_the_change_names_the_first_url_over_the_limit() -> None:
    urls = [f"https://app.example.com/{n}" for n in range(101)]
    with pytest.raises(InvalidUrlError, match=r"would hold 101 URLs.*'https://app.example.com/100'"):
        check_list_size("CallbackURLs", urls)
