"""App client URL settings checked as Cognito checks them."""

from __future__ import annotations

import pytest
from moto.cognitoidp.exceptions import InvalidParameterException

from local.cognito_idp.validation import validate_client_urls


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        ("https://app.example.com/callback", True),
        ("http://localhost:3000/", True),
        ("myapp://callback", True),
        ("http://app.example.com/", False),
        ("http://127.0.0.1:3000/", True),
        ("http://[::1]:3000/", True),
        ("http://evil.example\\@localhost/", False),
        ("https://app.example.com/\u202e", False),
        ("https://app.example.com/a b", False),
        ("https://app.example.com/\x00", False),
        ("https://app.example.com/#x", False),
        ("/relative", False),
        ("", False),
    ],
)
def test_client_url_rules_are_cognitos(url, accepted):
    # Given a URL in each of a client's URL lists
    def valid(prop: str) -> bool:
        try:
            # When the client settings are validated
            validate_client_urls({prop: [url]})
        except InvalidParameterException:
            return False
        return True

    # Then it is accepted exactly when Cognito (and the custom resource) accepts it
    assert valid("CallbackURLs") is accepted
    assert valid("LogoutURLs") is accepted


def test_a_client_url_error_names_the_list_the_position_and_the_url():
    # Given a sign-out list whose second URL uses plain http on a host that is not a loopback host
    # When validated  # Then the error names the list, the position, the URL and the rule
    with pytest.raises(InvalidParameterException, match=r"LogoutURLs\[1\] 'http://10.0.0.1/' must use https"):
        validate_client_urls({"LogoutURLs": ["https://ok.example.com/", "http://10.0.0.1/"]})


def test_a_client_list_of_more_than_100_urls_is_refused_even_with_repeats():
    # Given 101 entries (one URL repeated)  # When validated  # Then Cognito's list limit refuses them
    with pytest.raises(InvalidParameterException, match="at most 100"):
        validate_client_urls({"CallbackURLs": ["https://a.example.com/"] * 101})


def test_the_default_redirect_uri_must_be_one_of_the_callback_urls():
    # Given a default redirect URI that is not a callback URL  # When validated  # Then it is refused
    with pytest.raises(InvalidParameterException, match="DefaultRedirectURI"):
        validate_client_urls(
            {"CallbackURLs": ["https://a.example.com/"], "DefaultRedirectURI": "https://b.example.com/"}
        )


def test_a_default_redirect_uri_among_the_callback_urls_is_accepted():
    urls = {"CallbackURLs": ["https://a.example.com/"], "DefaultRedirectURI": "https://a.example.com/"}
    validate_client_urls(urls)  # no exception: accepted
