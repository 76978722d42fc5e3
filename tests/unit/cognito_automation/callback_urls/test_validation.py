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
        "http://LOCALHOST:8080/cb",
        "http://127.0.0.1:3000/cb",
        "http://[::1]:3000/cb",
        "https://app.example.com/a@b?next=%2F",
        "https://bücher.example/café",
        "https://app.example.com:8443/",
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
        ("http://10.0.0.1:3000/cb", "must use https"),
        ("http://127.0.0.2/cb", "must use https"),
        ("http://localhost.evil.example/cb", "must use https"),
        ("http://evil.example\\@localhost/cb", "must not contain a backslash"),
        ("https://app.example.com\\cb", "must not contain a backslash"),
        ("http://localhost@evil.example/cb", "must not contain user information"),
        ("http://evil.example@localhost/cb", "must not contain user information"),
        ("http://local%68ost/cb", "must not have % in its host"),
        ("https://app<example>.com/", "must not have < > in its host"),
        ("http://[::1/cb", "must name an IPv6 host"),
        ("http://localhost:99999/cb", "must have a port of 0 to 65535"),
        ("http://localhost:80:80/cb", "must have a port of 0 to 65535"),
        ("http:localhost/cb", "must be an absolute URL"),
        ("myapp:foo://cb", "must be an absolute URL"),
        ("https://app.example.com/cb#section", "must not contain a fragment"),
        ("/relative/callback", "must be an absolute URL"),
        ("app.example.com/cb", "must be an absolute URL"),
        ("https:///path-only", "must name a host"),
        ("https://app.example.com/a b", "contains U+0020 SPACE at position 25"),
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
    assert repr(url)[:40] in message


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


@pytest.mark.parametrize(
    ("character", "name"),
    [
        ("\u202e", "RIGHT-TO-LEFT OVERRIDE"),
        ("\u200b", "ZERO WIDTH SPACE"),
        ("\x85", "unnamed character"),  # NEL, a C1 control
        ("\x9b", "unnamed character"),  # CSI, a C1 control
        ("\x7f", "unnamed character"),
        ("\ufeff", "ZERO WIDTH NO-BREAK SPACE"),
        ("\ue000", "unnamed character"),  # private use
        ("\u00a0", "NO-BREAK SPACE"),
    ],
)
def test_characters_outside_cognitos_pattern_are_named_and_escaped(character: str, name: str) -> None:
    # Given a URL with a character Cognito's RedirectUrlType pattern refuses
    url = f"https://app.example.com/{character}x"
    # When it is checked  # Then the message names the code point and the rule, and shows it escaped
    with pytest.raises(InvalidUrlError) as raised:
        check_url("CallbackURLs", 0, url)
    message = str(raised.value)
    assert f"U+{ord(character):04X} {name} at position 24" in message
    assert "Cognito allows only letters, marks, symbols, numbers and punctuation" in message
    assert character not in message
    assert repr(url) in message


def test_a_long_url_is_shown_by_its_start() -> None:
    url = "http://app.example.com/" + "a" * 900
    with pytest.raises(InvalidUrlError) as raised:
        check_url("CallbackURLs", 0, url)
    assert repr(url[:200] + "...") in str(raised.value)
