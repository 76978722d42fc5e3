"""Cognito's hosted UI and OAuth 2.0 endpoints on the local stack: authorize and sign-in, the code and
implicit grants, PKCE, refresh, revocation, userInfo, logout, redirect_mismatch, the pre token trigger in
hosted-auth tokens and token validities from the client's settings. Driven through
local.testing.signin (urllib)."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from cognito_automation import aws
from local.stack import LocalCloud
from local.testing import signin
from local.testing.tokens import verified_claims
from tests.local.conftest import deploy_fixture, unique_name

pytestmark = pytest.mark.local

PASSWORD = "Correct-Horse-9-battery"
CALLBACK = "http://localhost:3000/callback"
OTHER_CALLBACK = "https://app.example.com/login/oauth2/code/gateway-service"
SIGN_OUT = "https://app.example.com/signed-out"
SCOPES = ["openid", "email", "profile", "rs/modelop_client"]
_users = itertools.count(1)


@pytest.fixture(scope="module")
def pool(local_stack: LocalCloud) -> str:
    """A pool with a domain and a resource server, without triggers."""
    cognito = local_stack.client(aws.COGNITO_IDP)
    pool_id: str = cognito.create_user_pool(PoolName=unique_name("hosted"))["UserPool"]["Id"]
    cognito.create_user_pool_domain(UserPoolId=pool_id, Domain=unique_name("hosted-login"))
    cognito.create_resource_server(
        UserPoolId=pool_id,
        Identifier="rs",
        Name="model ops",
        Scopes=[{"ScopeName": "modelop_client", "ScopeDescription": "model ops client"}],
    )
    return pool_id


@pytest.fixture(scope="module")
def trigger_outputs(local_stack: LocalCloud) -> dict[str, str]:
    """The fixture stack: a pool with a domain and a V2_0 pre token trigger, and a code-grant client."""
    return deploy_fixture(local_stack, unique_name("hosted"), PreTokenVersion="V2_0")


def make_client(stack: LocalCloud, pool_id: str, **settings: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "ClientName": "app",
        "CallbackURLs": [CALLBACK, OTHER_CALLBACK],
        "LogoutURLs": [SIGN_OUT],
        "AllowedOAuthFlows": ["code"],
        "AllowedOAuthFlowsUserPoolClient": True,
        "AllowedOAuthScopes": SCOPES,
        **settings,
    }
    client: dict[str, Any] = {
        **stack.client(aws.COGNITO_IDP).create_user_pool_client(UserPoolId=pool_id, **config)[
            "UserPoolClient"
        ]
    }
    return client


def make_user(stack: LocalCloud, pool_id: str, *, permanent: bool = True, **attributes: str) -> str:
    """A user with verified email and name; CONFIRMED with PASSWORD, or FORCE_CHANGE_PASSWORD with it as
    the temporary password."""
    cognito = stack.client(aws.COGNITO_IDP)
    username = f"user{next(_users)}"
    values = {
        "email": f"{username}@example.com",
        "email_verified": "true",
        "name": "Ann Example",
        **attributes,
    }
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        TemporaryPassword=PASSWORD,
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": k, "Value": v} for k, v in values.items()],
    )
    if permanent:
        cognito.admin_set_user_password(
            UserPoolId=pool_id, Username=username, Password=PASSWORD, Permanent=True
        )
    return username


def verified(stack: LocalCloud, pool_id: str, token: str, **options: Any) -> dict[str, Any]:
    """The token's claims, after verifying its signature against the pool's JWKS served locally."""
    return verified_claims(stack.endpoint_url, stack.region, pool_id, token, **options)


def query_of(location: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(location).query))


def code_for(
    stack: LocalCloud, client: dict[str, Any], username: str, redirect_uri: str = CALLBACK, **options: Any
) -> str:
    """Sign in with the code grant and return the code from the callback URL (not yet redeemed)."""
    location = signin.sign_in(
        stack.endpoint_url,
        client["ClientId"],
        redirect_uri,
        "code",
        username=username,
        password=PASSWORD,
        scopes=["openid"],
        state="s1",
        **options,
    )
    params = query_of(location)
    assert location.startswith(redirect_uri + "?")
    assert params["state"] == "s1"
    return params["code"]


def redeem(
    stack: LocalCloud, client: dict[str, Any], code: str, redirect_uri: str = CALLBACK, **extra: str
) -> dict[str, Any]:
    fields = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, **extra}
    return signin.token_request(stack.endpoint_url, client["ClientId"], fields, client.get("ClientSecret"))


@pytest.fixture
def clock(local_stack: LocalCloud) -> Iterator[list[float]]:
    """Shift the hosted UI's clock (seconds ahead of now) for the test."""
    assert local_stack.hosted_ui is not None
    offset = [0.0]
    local_stack.hosted_ui.clock = lambda: time.time() + offset[0]
    try:
        yield offset
    finally:
        local_stack.hosted_ui.clock = time.time


# --- the code grant ---------------------------------------------------------------------------------
def test_code_grant_tokens_verify_and_carry_the_granted_scopes(local_stack, pool):
    # Given a public code-grant client and a confirmed user
    client = make_client(local_stack, pool)
    username = make_user(local_stack, pool)
    # When they sign in through the hosted UI (PKCE) and the app redeems the code
    tokens = signin.sign_in_with_code(
        signin.SignIn(
            local_stack.endpoint_url, client["ClientId"], CALLBACK, username, PASSWORD, SCOPES, nonce="n-1"
        )
    )
    # Then the tokens verify against the local JWKS and carry what was granted, for the default hour
    id_claims = verified(local_stack, pool, tokens["id_token"], audience=client["ClientId"])
    access = verified(local_stack, pool, tokens["access_token"])
    assert set(tokens) == {"id_token", "access_token", "refresh_token", "expires_in", "token_type"}
    assert (tokens["token_type"], tokens["expires_in"]) == ("Bearer", 3600)
    assert access["scope"] == "openid email profile rs/modelop_client"
    assert (access["client_id"], access["token_use"], access["username"]) == (
        client["ClientId"],
        "access",
        username,
    )
    assert access["exp"] - access["iat"] == 3600
    assert id_claims["exp"] - id_claims["iat"] == 3600
    assert id_claims["cognito:username"] == username
    assert id_claims["nonce"] == "n-1"
    assert id_claims["email"] == f"{username}@example.com"
    assert id_claims["email_verified"] is True
    assert id_claims["sub"] == access["sub"]


def test_without_scopes_the_client_gets_all_its_allowed_scopes(local_stack, pool):
    client = make_client(local_stack, pool, AllowedOAuthScopes=["openid", "rs/modelop_client"])
    username = make_user(local_stack, pool)
    tokens = signin.sign_in_with_code(
        signin.SignIn(local_stack.endpoint_url, client["ClientId"], CALLBACK, username, PASSWORD, [])
    )
    assert verified(local_stack, pool, tokens["access_token"])["scope"] == "openid rs/modelop_client"


def test_without_openid_there_is_no_id_token(local_stack, pool):
    client = make_client(local_stack, pool)
    username = make_user(local_stack, pool)
    tokens = signin.sign_in_with_code(
        signin.SignIn(
            local_stack.endpoint_url, client["ClientId"], CALLBACK, username, PASSWORD, ["rs/modelop_client"]
        )
    )
    assert "id_token" not in tokens
    assert verified(local_stack, pool, tokens["access_token"])["scope"] == "rs/modelop_client"


def test_a_code_is_redeemed_once(local_stack, pool):
    client = make_client(local_stack, pool)
    code = code_for(local_stack, client, make_user(local_stack, pool))
    assert "access_token" in redeem(local_stack, client, code)
    with pytest.raises(signin.OAuthError) as raised:
        redeem(local_stack, client, code)
    assert (raised.value.error, raised.value.status) == ("invalid_grant", 400)


def test_a_code_expires_after_five_minutes(local_stack, pool, clock):
    client = make_client(local_stack, pool)
    fresh = code_for(local_stack, client, make_user(local_stack, pool))
    stale = code_for(local_stack, client, make_user(local_stack, pool))
    # Given one code redeemed just before five minutes have passed, one just after
    clock[0] = 299
    assert "access_token" in redeem(local_stack, client, fresh)
    clock[0] = 301
    with pytest.raises(signin.OAuthError, match="invalid_grant"):
        redeem(local_stack, client, stale)


def test_the_redirect_uri_must_be_the_one_of_the_authorize_request(local_stack, pool):
    # Given a code issued for one of the client's two callback URLs
    client = make_client(local_stack, pool)
    code = code_for(local_stack, client, make_user(local_stack, pool), redirect_uri=OTHER_CALLBACK)
    # When the app redeems it with the other one  # Then the code is refused, and is gone
    with pytest.raises(signin.OAuthError, match="invalid_grant"):
        redeem(local_stack, client, code, redirect_uri=CALLBACK)
    with pytest.raises(signin.OAuthError, match="invalid_grant"):
        redeem(local_stack, client, code, redirect_uri=OTHER_CALLBACK)


def test_a_code_of_another_client_is_refused(local_stack, pool):
    client, other = make_client(local_stack, pool), make_client(local_stack, pool)
    code = code_for(local_stack, client, make_user(local_stack, pool))
    with pytest.raises(signin.OAuthError, match="invalid_grant"):
        redeem(local_stack, other, code)


# --- PKCE ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("verifier", [None, "not-the-verifier-0123456789-0123456789-0123456789"])
def test_pkce_needs_the_verifier_of_the_challenge(local_stack, pool, verifier):
    client = make_client(local_stack, pool)
    _, challenge = signin.pkce_pair()
    code = code_for(local_stack, client, make_user(local_stack, pool), code_challenge=challenge)
    extra = {"code_verifier": verifier} if verifier else {}
    with pytest.raises(signin.OAuthError, match="invalid_grant"):
        redeem(local_stack, client, code, **extra)


def test_pkce_with_the_right_verifier_gets_the_tokens(local_stack, pool):
    client = make_client(local_stack, pool)
    verifier, challenge = signin.pkce_pair()
    code = code_for(local_stack, client, make_user(local_stack, pool), code_challenge=challenge)
    assert "access_token" in redeem(local_stack, client, code, code_verifier=verifier)


@pytest.mark.parametrize(
    "query",
    [
        {"code_challenge": "abc", "code_challenge_method": "plain"},
        {"code_challenge": "abc"},
        {"code_challenge_method": "S256"},
        {"response_type": ""},
    ],
)
def test_a_malformed_authorize_request_goes_back_as_invalid_request(local_stack, pool, query):
    client = make_client(local_stack, pool)
    params = {
        "response_type": "code",
        "client_id": client["ClientId"],
        "redirect_uri": CALLBACK,
        "state": "x",
    }
    answer = signin.http(local_stack.endpoint_url, "GET", "/oauth2/authorize", query={**params, **query})
    assert answer.status == 302
    assert answer.location == f"{CALLBACK}?error=invalid_request&state=x"


# --- confidential clients -----------------------------------------------------------------------
def test_a_confidential_client_authenticates_with_basic_or_the_form(local_stack, pool):
    client = make_client(local_stack, pool, GenerateSecret=True)
    username = make_user(local_stack, pool)
    # With HTTP Basic (the helper's way)
    tokens = signin.sign_in_with_code(
        signin.SignIn(local_stack.endpoint_url, client["ClientId"], CALLBACK, username, PASSWORD, ["openid"]),
        client["ClientSecret"],
    )
    assert "refresh_token" in tokens
    # With client_secret in the form
    code = code_for(local_stack, client, username)
    fields = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK}
    fields |= {"client_id": client["ClientId"], "client_secret": client["ClientSecret"]}
    answer = signin.http(local_stack.endpoint_url, "POST", "/oauth2/token", form=fields)
    assert answer.status == 200
    assert "access_token" in answer.json()


@pytest.mark.parametrize("secret", [None, "wrong"])
def test_a_confidential_client_without_its_secret_is_refused(local_stack, pool, secret):
    client = make_client(local_stack, pool, GenerateSecret=True)
    code = code_for(local_stack, client, make_user(local_stack, pool))
    fields = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK}
    with pytest.raises(signin.OAuthError) as raised:
        signin.token_request(local_stack.endpoint_url, client["ClientId"], fields, secret)
    assert (raised.value.error, raised.value.status) == ("invalid_client", 400)
    # and the code is still good for the real client
    assert "access_token" in redeem(local_stack, client, code)


# --- the implicit grant ---------------------------------------------------------------------------
def test_implicit_grant_returns_tokens_in_the_fragment(local_stack, pool):
    client = make_client(
        local_stack,
        pool,
        AllowedOAuthFlows=["implicit"],
        AccessTokenValidity=2,
        TokenValidityUnits={"AccessToken": "hours"},
    )
    username = make_user(local_stack, pool)
    fragment = signin.sign_in_implicit(
        signin.SignIn(
            local_stack.endpoint_url,
            client["ClientId"],
            CALLBACK,
            username,
            PASSWORD,
            ["openid", "email"],
            nonce="n-2",
        )
    )
    assert set(fragment) == {"access_token", "id_token", "token_type", "expires_in", "state"}
    assert (fragment["token_type"], fragment["expires_in"]) == ("Bearer", 7200)
    assert verified(local_stack, pool, fragment["access_token"])["scope"] == "openid email"
    id_claims = verified(local_stack, pool, fragment["id_token"], audience=client["ClientId"])
    assert id_claims["nonce"] == "n-2"


def test_implicit_grant_without_openid_has_no_id_token(local_stack, pool):
    client = make_client(local_stack, pool, AllowedOAuthFlows=["implicit"])
    fragment = signin.sign_in_implicit(
        signin.SignIn(
            local_stack.endpoint_url,
            client["ClientId"],
            CALLBACK,
            make_user(local_stack, pool),
            PASSWORD,
            ["email"],
        )
    )
    assert "id_token" not in fragment
    assert "refresh_token" not in fragment


@pytest.mark.parametrize(
    ("settings", "response_type"),
    [
        ({"AllowedOAuthFlows": ["code"]}, "token"),
        ({"AllowedOAuthFlows": ["implicit"]}, "code"),
        ({"AllowedOAuthFlowsUserPoolClient": False}, "code"),
    ],
)
def test_a_flow_the_client_does_not_allow_is_unauthorized_client(local_stack, pool, settings, response_type):
    client = make_client(local_stack, pool, **settings)
    answer = signin.authorize(
        local_stack.endpoint_url, client["ClientId"], CALLBACK, response_type, state="st"
    )
    assert answer.status == 302
    assert answer.location == f"{CALLBACK}?error=unauthorized_client&state=st"


# --- authorize errors --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "redirect_uri", ["http://localhost:3000/callback/", "https://evil.example.com/cb", ""]
)
def test_an_unregistered_redirect_uri_is_cognitos_redirect_mismatch(local_stack, pool, redirect_uri):
    # Given a client with registered callback URLs
    client = make_client(local_stack, pool)
    # When the app asks for a URL that is not one of them (a trailing slash is another URL)
    answer = signin.authorize(
        local_stack.endpoint_url, client["ClientId"], redirect_uri, "code", scopes=["openid"]
    )
    # Then Cognito's error page says redirect_mismatch, and nothing goes to the URL
    assert answer.status == 302
    assert answer.location == f"/error?error=redirect_mismatch&client_id={client['ClientId']}"
    page = signin.http(local_stack.endpoint_url, "GET", "/error", query=query_of(answer.location))
    assert page.status == 400
    assert b"redirect_mismatch" in page.body
    with pytest.raises(signin.OAuthError, match="redirect_mismatch"):
        signin.sign_in_with_code(
            signin.SignIn(
                local_stack.endpoint_url, client["ClientId"], redirect_uri, "nobody", PASSWORD, ["openid"]
            )
        )


def test_a_scope_the_client_may_not_ask_for_is_invalid_scope(local_stack, pool):
    client = make_client(local_stack, pool, AllowedOAuthScopes=["openid", "email"])
    answer = signin.authorize(
        local_stack.endpoint_url,
        client["ClientId"],
        CALLBACK,
        "code",
        scopes=["openid", "rs/modelop_client"],
        state="st",
    )
    assert answer.location == f"{CALLBACK}?error=invalid_scope&state=st"


def test_an_unknown_client_gets_cognitos_error_page(local_stack):
    answer = signin.authorize(local_stack.endpoint_url, "no-such-client", CALLBACK, "code")
    assert answer.status == 302
    assert query_of(answer.location)["error"] == "invalid_request"
    assert answer.location.startswith("/error?")


def test_a_pool_without_a_domain_serves_no_hosted_ui(local_stack):
    cognito = local_stack.client(aws.COGNITO_IDP)
    pool_id = cognito.create_user_pool(PoolName=unique_name("no-domain"))["UserPool"]["Id"]
    client = make_client(local_stack, pool_id)
    assert signin.authorize(local_stack.endpoint_url, client["ClientId"], CALLBACK, "code").status == 404
    logout = signin.http(
        local_stack.endpoint_url,
        "GET",
        "/logout",
        query={"client_id": client["ClientId"], "logout_uri": SIGN_OUT},
    )
    assert logout.status == 404


# --- the sign-in form ---------------------------------------------------------------------------------
def failed_sign_in(stack: LocalCloud, client: dict[str, Any], username: str, password: str) -> str:
    with pytest.raises(signin.OAuthError) as raised:
        signin.sign_in(
            stack.endpoint_url, client["ClientId"], CALLBACK, "code", username=username, password=password
        )
    assert (raised.value.error, raised.value.status) == ("login_failed", 200)
    return raised.value.description


def test_wrong_password_unknown_and_disabled_users_get_the_same_answer(local_stack, pool):
    client = make_client(local_stack, pool)
    username, disabled = make_user(local_stack, pool), make_user(local_stack, pool)
    local_stack.client(aws.COGNITO_IDP).admin_disable_user(UserPoolId=pool, Username=disabled)
    answers = {
        failed_sign_in(local_stack, client, username, "Wrong-Password-1"),
        failed_sign_in(local_stack, client, "nobody-at-all", PASSWORD),
        failed_sign_in(local_stack, client, disabled, PASSWORD),
    }
    assert answers == {"Incorrect username or password."}


def test_the_form_can_be_answered_again_after_a_wrong_password(local_stack, pool):
    client = make_client(local_stack, pool)
    username = make_user(local_stack, pool)
    page = signin.authorize(local_stack.endpoint_url, client["ClientId"], CALLBACK, "code", state="st")
    session = signin._parse_form(page.body).inputs["session"]
    wrong = {"session": session, "username": username, "password": "Wrong-Password-1"}
    assert signin.http(local_stack.endpoint_url, "POST", "/login", form=wrong).status == 200
    right = signin.http(local_stack.endpoint_url, "POST", "/login", form={**wrong, "password": PASSWORD})
    assert right.status == 302
    assert "code" in query_of(right.location)
    # and a sign-in page is used once
    again = signin.http(local_stack.endpoint_url, "POST", "/login", form={**wrong, "password": PASSWORD})
    assert again.status == 400


def test_a_user_with_a_temporary_password_must_choose_a_new_one(local_stack, pool):
    client = make_client(local_stack, pool)
    username = make_user(local_stack, pool, permanent=False)
    # Without a new password the form asks for one
    page = signin.authorize(local_stack.endpoint_url, client["ClientId"], CALLBACK, "code")
    session = signin._parse_form(page.body).inputs["session"]
    first = signin.http(
        local_stack.endpoint_url,
        "POST",
        "/login",
        form={"session": session, "username": username, "password": PASSWORD},
    )
    assert first.status == 200
    assert "new_password" in signin._parse_form(first.body).inputs
    # A new password the policy refuses is refused
    weak = failed_sign_in_with_new_password(local_stack, client, username, "weak")
    assert "policy" in weak
    # With a good one the user signs in, is confirmed, and signs in with it from then on
    new_password = "Another-Horse-7-staple"
    tokens = signin.sign_in_with_code(
        signin.SignIn(
            local_stack.endpoint_url,
            client["ClientId"],
            CALLBACK,
            username,
            PASSWORD,
            ["openid"],
            new_password=new_password,
        )
    )
    assert "access_token" in tokens
    user = local_stack.client(aws.COGNITO_IDP).admin_get_user(UserPoolId=pool, Username=username)
    assert user["UserStatus"] == "CONFIRMED"
    assert signin.sign_in_with_code(
        signin.SignIn(
            local_stack.endpoint_url, client["ClientId"], CALLBACK, username, new_password, ["openid"]
        )
    )["access_token"]


def failed_sign_in_with_new_password(
    stack: LocalCloud, client: dict[str, Any], username: str, new: str
) -> str:
    with pytest.raises(signin.OAuthError) as raised:
        signin.sign_in(
            stack.endpoint_url,
            client["ClientId"],
            CALLBACK,
            "code",
            username=username,
            password=PASSWORD,
            new_password=new,
        )
    assert raised.value.error == "login_failed"
    return raised.value.description


# --- token validity -----------------------------------------------------------------------------------
def test_token_lifetimes_follow_the_clients_validity_settings(local_stack, pool):
    client = make_client(
        local_stack,
        pool,
        GenerateSecret=True,
        AccessTokenValidity=480,
        IdTokenValidity=2,
        TokenValidityUnits={"AccessToken": "minutes", "IdToken": "hours"},
    )
    username = make_user(local_stack, pool)
    tokens = signin.sign_in_with_code(
        signin.SignIn(local_stack.endpoint_url, client["ClientId"], CALLBACK, username, PASSWORD, ["openid"]),
        client["ClientSecret"],
    )
    refreshed = signin.refresh(
        local_stack.endpoint_url, client["ClientId"], tokens["refresh_token"], client["ClientSecret"]
    )
    for issued in (tokens, refreshed):
        access = verified(local_stack, pool, issued["access_token"])
        id_claims = verified(local_stack, pool, issued["id_token"], audience=client["ClientId"])
        assert issued["expires_in"] == 480 * 60
        assert access["exp"] - access["iat"] == 480 * 60
        assert id_claims["exp"] - id_claims["iat"] == 2 * 3600


# --- refresh and revocation ---------------------------------------------------------------------------
def test_refresh_returns_new_tokens_with_the_same_scopes(local_stack, pool):
    client = make_client(local_stack, pool)
    username = make_user(local_stack, pool)
    tokens = signin.sign_in_with_code(
        signin.SignIn(
            local_stack.endpoint_url,
            client["ClientId"],
            CALLBACK,
            username,
            PASSWORD,
            ["openid", "rs/modelop_client"],
        )
    )
    refreshed = signin.refresh(local_stack.endpoint_url, client["ClientId"], tokens["refresh_token"])
    assert set(refreshed) == {"id_token", "access_token", "expires_in", "token_type"}
    access = verified(local_stack, pool, refreshed["access_token"])
    assert access["scope"] == "openid rs/modelop_client"
    assert access["origin_jti"] == verified(local_stack, pool, tokens["access_token"])["origin_jti"]


def test_a_refresh_token_of_another_client_or_an_unknown_one_is_invalid_grant(local_stack, pool):
    client, other = make_client(local_stack, pool), make_client(local_stack, pool)
    tokens = signin.sign_in_with_code(
        signin.SignIn(
            local_stack.endpoint_url,
            client["ClientId"],
            CALLBACK,
            make_user(local_stack, pool),
            PASSWORD,
            ["openid"],
        )
    )
    for client_id, token in (
        (other["ClientId"], tokens["refresh_token"]),
        (client["ClientId"], "no-such-token"),
    ):
        with pytest.raises(signin.OAuthError, match="invalid_grant"):
            signin.refresh(local_stack.endpoint_url, client_id, token)


def test_a_revoked_refresh_token_and_its_access_token_stop_working(local_stack, pool):
    # Given a confidential client with token revocation (Cognito's default) and a signed-in user
    client = make_client(local_stack, pool, GenerateSecret=True, EnableTokenRevocation=True)
    tokens = signin.sign_in_with_code(
        signin.SignIn(
            local_stack.endpoint_url,
            client["ClientId"],
            CALLBACK,
            make_user(local_stack, pool),
            PASSWORD,
            ["openid"],
        ),
        client["ClientSecret"],
    )
    endpoint, client_id, secret = local_stack.endpoint_url, client["ClientId"], client["ClientSecret"]
    assert signin.user_info(endpoint, tokens["access_token"])["sub"]
    # When the app revokes the refresh token (an unknown token is answered 200 too)
    signin.revoke(endpoint, client_id, tokens["refresh_token"], secret)
    signin.revoke(endpoint, client_id, "no-such-token", secret)
    # Then the refresh token and the access token issued with it no longer work
    with pytest.raises(signin.OAuthError, match="invalid_grant"):
        signin.refresh(endpoint, client_id, tokens["refresh_token"], secret)
    with pytest.raises(signin.OAuthError) as raised:
        signin.user_info(endpoint, tokens["access_token"])
    assert (raised.value.error, raised.value.status) == ("invalid_token", 401)


def test_revocation_needs_the_client_to_allow_it_a_refresh_token_and_the_secret(local_stack, pool):
    client = make_client(local_stack, pool, GenerateSecret=True, EnableTokenRevocation=False)
    endpoint, client_id, secret = local_stack.endpoint_url, client["ClientId"], client["ClientSecret"]
    tokens = signin.sign_in_with_code(
        signin.SignIn(endpoint, client_id, CALLBACK, make_user(local_stack, pool), PASSWORD, ["openid"]),
        secret,
    )
    # A client without token revocation: Cognito's documented answer, and the token still works
    with pytest.raises(signin.OAuthError) as disabled:
        signin.revoke(endpoint, client_id, tokens["refresh_token"], secret)
    assert (disabled.value.error, disabled.value.status) == ("invalid_request", 400)
    assert "access_token" in signin.refresh(endpoint, client_id, tokens["refresh_token"], secret)
    # A wrong secret
    with pytest.raises(signin.OAuthError) as unauthenticated:
        signin.revoke(endpoint, client_id, tokens["refresh_token"], "wrong")
    assert (unauthenticated.value.error, unauthenticated.value.status) == ("invalid_client", 401)
    # An access token instead of a refresh token, on a client that allows revocation
    revoking = make_client(local_stack, pool)
    issued = signin.sign_in_with_code(
        signin.SignIn(
            endpoint, revoking["ClientId"], CALLBACK, make_user(local_stack, pool), PASSWORD, ["openid"]
        )
    )
    with pytest.raises(signin.OAuthError) as wrong_type:
        signin.revoke(endpoint, revoking["ClientId"], issued["access_token"])
    assert (wrong_type.value.error, wrong_type.value.status) == ("unsupported_token_type", 400)


def test_unsupported_grant_types_are_refused(local_stack, pool):
    client = make_client(local_stack, pool)
    with pytest.raises(signin.OAuthError, match="unsupported_grant_type"):
        signin.token_request(local_stack.endpoint_url, client["ClientId"], {"grant_type": "password"})


# --- userInfo -----------------------------------------------------------------------------------------
def test_user_info_answers_the_attributes_the_scopes_allow(local_stack, pool):
    client = make_client(local_stack, pool)
    username = make_user(local_stack, pool, phone_number="+15555550100")
    endpoint = local_stack.endpoint_url

    def info(scopes: list[str]) -> dict[str, Any]:
        tokens = signin.sign_in_with_code(
            signin.SignIn(endpoint, client["ClientId"], CALLBACK, username, PASSWORD, scopes)
        )
        return signin.user_info(endpoint, tokens["access_token"])

    everything = info(["openid"])
    assert everything["username"] == username
    assert everything["email"] == f"{username}@example.com"
    assert everything["email_verified"] == "true"
    assert everything["name"] == "Ann Example"
    assert everything["phone_number"] == "+15555550100"
    email_only = info(["openid", "email"])
    assert set(email_only) == {"sub", "username", "email", "email_verified"}
    assert email_only["sub"] == everything["sub"]


def test_user_info_needs_an_access_token_with_openid(local_stack, pool):
    client = make_client(local_stack, pool)
    endpoint = local_stack.endpoint_url
    tokens = signin.sign_in_with_code(
        signin.SignIn(
            endpoint,
            client["ClientId"],
            CALLBACK,
            make_user(local_stack, pool),
            PASSWORD,
            ["rs/modelop_client"],
        )
    )
    with pytest.raises(signin.OAuthError) as no_openid:
        signin.user_info(endpoint, tokens["access_token"])
    assert (no_openid.value.error, no_openid.value.status) == ("invalid_token", 401)
    with pytest.raises(signin.OAuthError) as garbage:
        signin.user_info(endpoint, "not-a-token")
    assert (garbage.value.error, garbage.value.status) == ("invalid_token", 401)
    missing = signin.http(endpoint, "GET", "/oauth2/userInfo")
    assert missing.status == 400
    assert 'error="invalid_request"' in (missing.headers.get("www-authenticate") or "")


# --- logout -------------------------------------------------------------------------------------------
def test_logout_redirects_to_a_registered_sign_out_url_only(local_stack, pool):
    client = make_client(local_stack, pool)
    assert signin.logout(local_stack.endpoint_url, client["ClientId"], SIGN_OUT) == SIGN_OUT
    for unregistered in (SIGN_OUT + "/", CALLBACK):
        with pytest.raises(signin.OAuthError) as raised:
            signin.logout(local_stack.endpoint_url, client["ClientId"], unregistered)
        assert raised.value.error == "redirect_mismatch"
        assert raised.value.location == f"/error?error=redirect_mismatch&client_id={client['ClientId']}"


def test_logout_with_a_redirect_uri_signs_in_again(local_stack, pool):
    client = make_client(local_stack, pool)
    query = {"client_id": client["ClientId"], "redirect_uri": CALLBACK, "response_type": "code"}
    answer = signin.http(local_stack.endpoint_url, "GET", "/logout", query=query)
    assert answer.status == 302
    assert answer.location.startswith("/oauth2/authorize?")
    assert query_of(answer.location) == query


# --- the pre token generation trigger -----------------------------------------------------------------
def test_hosted_auth_and_refreshed_tokens_go_through_the_trigger(local_stack, trigger_outputs):
    # Given the fixture pool (V2_0 trigger) and a user in its "confirmed" group
    pool_id, client_id = trigger_outputs["UserPoolId"], trigger_outputs["WebClientId"]
    username = make_user(local_stack, pool_id)
    local_stack.client(aws.COGNITO_IDP).admin_add_user_to_group(
        UserPoolId=pool_id, Username=username, GroupName="confirmed"
    )
    # When they sign in through the hosted UI
    tokens = signin.sign_in_with_code(
        signin.SignIn(local_stack.endpoint_url, client_id, CALLBACK, username, PASSWORD, ["openid", "email"])
    )
    id_claims = verified(local_stack, pool_id, tokens["id_token"], audience=client_id)
    access = verified(local_stack, pool_id, tokens["access_token"])
    # Then the trigger saw a hosted sign-in with the granted scopes, and its edits are in the tokens
    assert id_claims["source"] == "TokenGeneration_HostedAuth"
    assert id_claims["groups"] == ["confirmed"]
    assert "email" not in id_claims
    assert id_claims["sub"] != "forged"
    assert access["event_scopes"] == ["openid", "email"]
    assert access["scope"] == "openid email orders/read"
    assert access["tenant"] == "acme"
    # And refreshed tokens come from the trigger's refresh source
    refreshed = signin.refresh(local_stack.endpoint_url, client_id, tokens["refresh_token"])
    assert verified(local_stack, pool_id, refreshed["id_token"], audience=client_id)["source"] == (
        "TokenGeneration_RefreshTokens"
    )


def test_a_failing_trigger_sends_the_error_to_the_callback_url(local_stack, trigger_outputs):
    # Given a user the fixture's pre token trigger fails for
    pool_id, client_id = trigger_outputs["UserPoolId"], trigger_outputs["WebClientId"]
    username = make_user(local_stack, pool_id, name="fail-token")
    # When they sign in  # Then the app's callback URL gets the trigger's failure, and no code
    with pytest.raises(signin.OAuthError) as raised:
        signin.sign_in_with_code(
            signin.SignIn(local_stack.endpoint_url, client_id, CALLBACK, username, PASSWORD, ["openid"])
        )
    assert raised.value.error == "invalid_request"
    assert "PreTokenGeneration failed" in raised.value.description
    assert raised.value.location.startswith(CALLBACK + "?")
    assert "code" not in query_of(raised.value.location)


def test_a_pool_whose_users_sign_in_by_email(local_stack):
    # Given a pool whose users sign in with their email address
    cognito = local_stack.client(aws.COGNITO_IDP)
    pool_id = cognito.create_user_pool(PoolName=unique_name("by-email"), UsernameAttributes=["email"])[
        "UserPool"
    ]["Id"]
    cognito.create_user_pool_domain(UserPoolId=pool_id, Domain=unique_name("by-email-login"))
    client = make_client(local_stack, pool_id, AllowedOAuthScopes=["openid", "email"])
    email = "bea@example.com"
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username=email,
        TemporaryPassword=PASSWORD,
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
    )
    cognito.admin_set_user_password(UserPoolId=pool_id, Username=email, Password=PASSWORD, Permanent=True)
    # When they sign in with it
    tokens = signin.sign_in_with_code(
        signin.SignIn(local_stack.endpoint_url, client["ClientId"], CALLBACK, email, PASSWORD, [])
    )
    # Then the ID token names their email, and userInfo answers them
    id_claims = verified(local_stack, pool_id, tokens["id_token"], audience=client["ClientId"])
    assert id_claims["email"] == email
    assert signin.user_info(local_stack.endpoint_url, tokens["access_token"])["email"] == email
