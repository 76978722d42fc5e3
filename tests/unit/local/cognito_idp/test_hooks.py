"""The Cognito hooks of the local stack: pre token responses applied to tokens, rate limits, token
validity."""

from __future__ import annotations

import pytest

from local.cognito_idp.hooks import (
    CognitoError,
    RateLimiter,
    apply_pre_token_response,
    validity_seconds,
)

ACCESS = {"sub": "u1", "scope": "openid email", "cognito:groups": ["a"], "token_use": "access"}
ID = {"sub": "u1", "email": "x@example.com", "cognito:groups": ["a"], "token_use": "id"}


def test_v2_response_edits_both_tokens_and_scopes():
    # Given a V2 response that adds, suppresses and rescopes
    response = {
        "claimsAndScopeOverrideDetails": {
            "idTokenGeneration": {"claimsToAddOrOverride": {"tenant": "t"}, "claimsToSuppress": ["email"]},
            "accessTokenGeneration": {"scopesToAdd": ["api/read"], "scopesToSuppress": ["email"]},
            "groupOverrideDetails": {"groupsToOverride": ["b"]},
        }
    }
    # When it is applied
    access, id_claims = apply_pre_token_response("V2_0", response, ACCESS, ID)
    # Then the tokens show exactly those changes
    assert id_claims == {"sub": "u1", "tenant": "t", "cognito:groups": ["b"], "token_use": "id"}
    assert access["scope"] == "openid api/read"
    assert access["cognito:groups"] == ["b"]


def test_protected_claims_keep_cognitos_values():
    # Given a response that tries to change sub and token_use
    response = {"claimsOverrideDetails": {"claimsToAddOrOverride": {"sub": "x", "token_use": "access"}}}
    # When it is applied to a V1 ID token
    _, id_claims = apply_pre_token_response("V1_0", response, ACCESS, ID)
    # Then they are unchanged
    assert id_claims == ID


def test_v1_response_leaves_the_access_token_claims_alone():
    # Given a V1 response adding a claim
    response = {"claimsOverrideDetails": {"claimsToAddOrOverride": {"tenant": "t"}}}
    # When it is applied
    access, id_claims = apply_pre_token_response("V1_0", response, ACCESS, ID)
    # Then only the ID token has it
    assert access == ACCESS
    assert id_claims is not None and id_claims["tenant"] == "t"


def test_rate_limiter_allows_the_quota_per_second_then_throttles():
    # Given Cognito's UserUpdate quota of 25 per second
    limiter = RateLimiter()
    for i in range(25):
        limiter.check("AdminAddUserToGroup", now=100.0 + i / 100)
    # When the 26th call comes within the same second  # Then it is throttled
    with pytest.raises(CognitoError, match="UserUpdate"):
        limiter.check("AdminDisableUser", now=100.5)
    # And a second later calls pass again
    limiter.check("AdminDisableUser", now=101.5)


def test_rate_limiter_counts_any_second_not_calendar_seconds():
    # Given 25 user updates late in one calendar second
    limiter = RateLimiter()
    for i in range(25):
        limiter.check("AdminAddUserToGroup", now=100.6 + i / 100)
    # When another comes early in the next one, less than a second after them  # Then it is throttled
    with pytest.raises(CognitoError, match="UserUpdate"):
        limiter.check("AdminAddUserToGroup", now=101.2)
    # And one second after the first, one more passes
    limiter.check("AdminAddUserToGroup", now=101.6)


def test_rate_limiter_limits_user_reads_at_cognitos_quota():
    limiter = RateLimiter()
    for i in range(120):
        limiter.check("AdminGetUser", now=100.0 + i / 1000)
    with pytest.raises(CognitoError, match="UserRead"):
        limiter.check("AdminGetUser", now=100.9)


def test_unlimited_operations_are_never_throttled():
    limiter = RateLimiter()
    for _ in range(1000):
        limiter.check("DescribeUserPool", now=1.0)


@pytest.mark.parametrize(
    ("config", "token", "seconds"),
    [
        ({}, "AccessToken", 3600),
        ({}, "IdToken", 3600),
        ({}, "RefreshToken", 30 * 86400),
        ({"AccessTokenValidity": 480}, "AccessToken", 480 * 60),
        ({"IdTokenValidity": 5, "TokenValidityUnits": {"IdToken": "hours"}}, "IdToken", 5 * 3600),
        (
            {"RefreshTokenValidity": 60, "TokenValidityUnits": {"RefreshToken": "minutes"}},
            "RefreshToken",
            3600,
        ),
        ({"AccessTokenValidity": 300, "TokenValidityUnits": {"AccessToken": "seconds"}}, "AccessToken", 300),
    ],
)
def test_token_validity_follows_the_clients_settings_and_cognitos_defaults(config, token, seconds):
    assert validity_seconds(config, token) == seconds
