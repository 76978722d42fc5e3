"""The hosted UI's parts: PKCE, redirect parameters, bounded sign-in sessions."""

from __future__ import annotations

from local.cognito_idp.hooks import (
    CognitoHooks,
)
from local.cognito_idp.hosted_ui import AuthRequest, HostedUi, s256, with_query


def test_pkce_s256_is_rfc_7636s():
    # The example of RFC 7636, appendix B
    assert (
        s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )


def test_redirect_parameters_are_added_to_the_callback_urls_own_query():
    assert (
        with_query("https://a.example.com/cb", {"code": "c", "state": None})
        == "https://a.example.com/cb?code=c"
    )
    assert with_query("myapp://cb?x=1", {"error": "invalid_scope", "state": "a b"}) == (
        "myapp://cb?x=1&error=invalid_scope&state=a+b"
    )


def test_hosted_ui_sign_in_sessions_are_bounded_and_expire():
    # Given the hosted UI's session map at a fixed time
    now = [1000.0]
    ui = HostedUi(CognitoHooks("123456789012", "us-east-1"), clock=lambda: now[0])

    def request(expires_at: float) -> AuthRequest:
        return AuthRequest("p", "c", "https://a.example.com/", "code", (), None, None, None, expires_at)

    # When more sessions are stored than the cap allows
    for i in range(5):
        ui._put(ui._logins, f"s{i}", request(2000.0), cap=3)
    # Then the oldest went
    assert list(ui._logins) == ["s2", "s3", "s4"]
    # And once one has expired, storing one more drops the expired one rather than the oldest
    assert [key for key, _ in ui._put(ui._logins, "short", request(1500.0), cap=3)] == ["s2"]
    now[0] = 1600.0
    assert [key for key, _ in ui._put(ui._logins, "late", request(2000.0), cap=3)] == ["short"]
    assert list(ui._logins) == ["s3", "s4", "late"]
