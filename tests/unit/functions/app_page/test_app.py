"""The application's pages behind AppApi: the callback and sign-out URLs answer with a page, the code and
state are never shown nor logged, and nothing the request carries is reflected."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest

from tests.conftest import load_event
from tests.handlers import load_function


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    return load_function(monkeypatch, "app_page", {})


def _get(app: ModuleType, event: dict[str, Any], lambda_context: Any) -> dict[str, Any]:
    response: dict[str, Any] = app.lambda_handler(event, lambda_context)
    return response


def test_the_callback_with_a_code_answers_signed_in_without_showing_the_code_or_state(
    app: ModuleType, lambda_context: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the hosted UI's redirect after sign-in
    event = load_event("app_page/callback.json")
    code = event["queryStringParameters"]["code"]
    state = event["queryStringParameters"]["state"]
    # When
    response = _get(app, event, lambda_context)
    # Then a page, that keeps the code out of referrers and caches, and neither shows nor logs it
    assert response["statusCode"] == 200
    assert "<h1>Signed in</h1>" in response["body"]
    assert response["headers"]["Content-Type"] == "text/html; charset=utf-8"
    assert response["headers"]["Referrer-Policy"] == "no-referrer"
    assert response["headers"]["Cache-Control"] == "no-store"
    assert response["headers"]["Content-Security-Policy"].startswith("default-src 'none'")
    printed = capsys.readouterr()
    for secret in (code, state):
        assert secret not in response["body"] and secret not in printed.out + printed.err


def test_the_callback_with_an_oauth_error_names_the_error(app: ModuleType, lambda_context: Any) -> None:
    response = _get(app, load_event("app_page/callback_error.json"), lambda_context)
    assert response["statusCode"] == 200
    assert "<h1>Sign-in failed</h1>" in response["body"]
    assert "error access_denied." in response["body"]
    assert "User cancelled" not in response["body"]


def test_an_error_that_is_not_an_oauth_code_is_not_reflected(app: ModuleType, lambda_context: Any) -> None:
    # Given an error parameter that carries markup
    event = load_event("app_page/callback_error.json")
    event["rawQueryString"] = "error=%3Cscript%3Ealert(1)%3C%2Fscript%3E"
    # When
    response = _get(app, event, lambda_context)
    # Then it is not on the page, in any form
    assert "script" not in response["body"] and "alert" not in response["body"]
    assert "error unknown." in response["body"]


def test_the_callback_without_a_code_says_how_to_sign_in(app: ModuleType, lambda_context: Any) -> None:
    event = load_event("app_page/callback.json")
    event["rawQueryString"] = ""
    response = _get(app, event, lambda_context)
    assert response["statusCode"] == 400
    assert "sign in through the hosted UI" in response["body"]


def test_the_sign_out_url_answers_signed_out(app: ModuleType, lambda_context: Any) -> None:
    response = _get(app, load_event("app_page/signed_out.json"), lambda_context)
    assert response["statusCode"] == 200
    assert "You are signed out." in response["body"]


def test_another_path_is_not_found(app: ModuleType, lambda_context: Any) -> None:
    event = load_event("app_page/signed_out.json")
    event["rawPath"] = "/admin"
    response = _get(app, event, lambda_context)
    assert response["statusCode"] == 404
