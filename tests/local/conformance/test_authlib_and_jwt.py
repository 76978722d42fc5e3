"""Relying parties on the local stack, driven as their users drive them: authlib's Flask client with
`server_metadata_url` (OIDC discovery, local-issuer mode), the authorization code grant with PKCE through
the hosted UI's sign-in form, refresh, revocation, client credentials, and PyJWT's `PyJWKClient` against
the JWKS. Negative cases assert Cognito's error codes.

The fixture stack (tests/local/fixtures/template.yaml) has a pool with a domain, a V3_0 pre token trigger,
a public code-grant client (`WebClient`) and a client with a secret allowed `orders/read` for client
credentials (`MachineClient`)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import jwt
import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.discovery import OpenIDProviderMetadata
from flask import Flask, jsonify
from flask.typing import ResponseReturnValue

from cognito_automation import aws
from local.stack import LocalCloud
from local.testing import signin
from tests.local.conftest import create_user, deploy_fixture, unique_name

pytestmark = pytest.mark.local

CALLBACK = "http://localhost:3000/callback"  # WebClient's callback URL
PASSWORD = "Correct-Horse-9-battery"
WELL_KNOWN = "/.well-known/openid-configuration"
_users = itertools.count(1)


@pytest.fixture(scope="module")
def outputs(local_stack: LocalCloud) -> dict[str, str]:
    return deploy_fixture(local_stack, unique_name("oidc"), PreTokenVersion="V3_0")


@pytest.fixture
def local_issuer(local_stack: LocalCloud, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The stack in local-issuer mode for one test (the package's stack is AWS-shaped otherwise); authlib
    allowed plain http, as a developer allows it against a local issuer."""
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")
    previous = local_stack.issuer_mode
    local_stack.issuer_mode = "local"
    try:
        yield
    finally:
        local_stack.issuer_mode = previous


def discovery_url(stack: LocalCloud, pool_id: str) -> str:
    return f"{stack.endpoint_url}/{pool_id}{WELL_KNOWN}"


def discover(stack: LocalCloud, pool_id: str) -> dict[str, Any]:
    answer = requests.get(discovery_url(stack, pool_id), timeout=10)
    answer.raise_for_status()
    document: dict[str, Any] = answer.json()
    return document


def make_user(stack: LocalCloud, pool_id: str) -> str:
    """A confirmed user with a verified email and a permanent password."""
    return create_user(stack, pool_id, f"rp-user{next(_users)}", PASSWORD)


def flask_app(stack: LocalCloud, outputs: dict[str, str]) -> Flask:
    """A web app signing its users in with authlib, configured by discovery alone."""
    app = Flask("relying-party")
    app.secret_key = "test-only"
    oauth = OAuth(app)
    oauth.register(
        "cognito",
        client_id=outputs["WebClientId"],
        server_metadata_url=discovery_url(stack, outputs["UserPoolId"]),
        client_kwargs={"scope": "openid email", "code_challenge_method": "S256"},
    )

    @app.get("/login")
    def login() -> ResponseReturnValue:
        return oauth.cognito.authorize_redirect(CALLBACK)  # type: ignore[no-any-return]

    @app.get("/callback")
    def callback() -> ResponseReturnValue:
        try:
            token = oauth.cognito.authorize_access_token()
        except OAuthError as exc:
            return jsonify(error=exc.error, description=exc.description), 400
        return jsonify(token)

    return app


def browser_sign_in(stack: LocalCloud, authorize_url: str, username: str) -> str:
    """What the browser does with the app's redirect: the hosted UI's sign-in form, answered; returns the
    callback URL the hosted UI redirects to."""
    query = dict(parse_qsl(urlsplit(authorize_url).query))
    assert urlsplit(authorize_url).path == "/oauth2/authorize"
    return signin.sign_in(
        stack.endpoint_url,
        query["client_id"],
        query["redirect_uri"],
        query["response_type"],
        username=username,
        password=PASSWORD,
        scopes=query["scope"].split(),
        state=query["state"],
        code_challenge=query["code_challenge"],
        nonce=query["nonce"],
    )


def sign_in_through_app(stack: LocalCloud, outputs: dict[str, str], username: str) -> dict[str, Any]:
    """authlib's whole code + PKCE flow; the app's token (with `userinfo`, the verified ID token claims)."""
    app = flask_app(stack, outputs)
    with app.test_client() as browser:
        redirect = browser.get("/login")
        assert redirect.status_code == 302
        assert redirect.location.startswith(f"{stack.endpoint_url}/oauth2/authorize?")
        assert "code_challenge_method=S256" in redirect.location
        back = browser_sign_in(stack, redirect.location, username)
        assert back.startswith(f"{CALLBACK}?")
        answer = browser.get(f"/callback?{urlsplit(back).query}")
        token: dict[str, Any] = answer.get_json()
        assert answer.status_code == 200, token
        return token


def public_session(outputs: dict[str, str]) -> OAuth2Session:
    """authlib's OAuth 2.0 client as a public app client (no secret) uses it."""
    return OAuth2Session(outputs["WebClientId"], token_endpoint_auth_method="none")


def verify(document: dict[str, Any], token: str, **checks: Any) -> dict[str, Any]:
    """PyJWT: the token's signature against the discovered JWKS, and its issuer against the discovered one."""
    key = jwt.PyJWKClient(document["jwks_uri"]).get_signing_key_from_jwt(token)
    claims: dict[str, Any] = jwt.decode(
        token,
        key,
        algorithms=document["id_token_signing_alg_values_supported"],
        issuer=document["issuer"],
        **checks,
    )
    return claims


# --- discovery -----------------------------------------------------------------------------------------


def test_discovery_lists_the_hosted_ui_endpoints_the_local_server_serves(
    local_stack: LocalCloud, outputs: dict[str, str]
) -> None:
    document = discover(local_stack, outputs["UserPoolId"])
    base = local_stack.endpoint_url
    assert document == {
        "issuer": f"https://cognito-idp.{local_stack.region}.amazonaws.com/{outputs['UserPoolId']}",
        "jwks_uri": f"{base}/{outputs['UserPoolId']}/.well-known/jwks.json",
        "authorization_endpoint": f"{base}/oauth2/authorize",
        "token_endpoint": f"{base}/oauth2/token",
        "userinfo_endpoint": f"{base}/oauth2/userInfo",
        "revocation_endpoint": f"{base}/oauth2/revoke",
        "end_session_endpoint": f"{base}/logout",
        "response_types_supported": ["code", "token"],
        "scopes_supported": ["openid", "email", "phone", "profile"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
    }


def test_a_pool_without_a_domain_lists_no_hosted_ui_endpoint(local_stack: LocalCloud) -> None:
    pool_id = local_stack.client(aws.COGNITO_IDP).create_user_pool(PoolName=unique_name("no-domain"))[
        "UserPool"
    ]["Id"]
    document = discover(local_stack, pool_id)
    assert set(document) == {
        "issuer",
        "jwks_uri",
        "response_types_supported",
        "scopes_supported",
        "subject_types_supported",
        "id_token_signing_alg_values_supported",
        "token_endpoint_auth_methods_supported",
    }


def test_an_unknown_pool_has_no_discovery_document(local_stack: LocalCloud) -> None:
    answer = requests.get(discovery_url(local_stack, "us-east-1_Unknown1"), timeout=10)
    assert answer.status_code == 404
    assert answer.json() == {
        "code": "ResourceNotFoundException",
        "message": "User pool us-east-1_Unknown1 does not exist.",
    }


def test_in_local_issuer_mode_the_issuer_is_the_url_discovery_was_fetched_from(
    local_stack: LocalCloud, outputs: dict[str, str], local_issuer: None
) -> None:
    pool_id = outputs["UserPoolId"]
    document = discover(local_stack, pool_id)
    # OIDC Discovery 1.0, 4.3: what oauth2-proxy, an ALB or go-oidc check before anything else.
    assert document["issuer"] + WELL_KNOWN == discovery_url(local_stack, pool_id)
    assert document["issuer"] == local_stack.issuer(pool_id) == f"{local_stack.endpoint_url}/{pool_id}"
    OpenIDProviderMetadata(document).validate()  # authlib's check of the required fields and their forms


def test_by_default_the_issuer_is_cognitos_not_the_local_url(
    local_stack: LocalCloud, outputs: dict[str, str]
) -> None:
    pool_id = outputs["UserPoolId"]
    issuer = discover(local_stack, pool_id)["issuer"]
    assert issuer == local_stack.issuer(pool_id)
    assert issuer + WELL_KNOWN != discovery_url(local_stack, pool_id)


# --- authorization code + PKCE, refresh, revoke ---------------------------------------------------------


def test_authlib_signs_a_user_in_by_discovery_with_code_and_pkce(
    local_stack: LocalCloud, outputs: dict[str, str], local_issuer: None
) -> None:
    username = make_user(local_stack, outputs["UserPoolId"])
    token = sign_in_through_app(local_stack, outputs, username)
    userinfo = token["userinfo"]  # the ID token, verified by authlib: signature, iss, aud, nonce, exp
    assert userinfo["iss"] == local_stack.issuer(outputs["UserPoolId"])
    assert userinfo["aud"] == outputs["WebClientId"]
    assert userinfo["cognito:username"] == username
    assert userinfo["source"] == "TokenGeneration_HostedAuth"  # the pre token trigger's claim, re-signed
    assert set(token) >= {"access_token", "id_token", "refresh_token", "expires_in", "token_type"}


def test_a_code_redeemed_twice_is_refused_with_invalid_grant(
    local_stack: LocalCloud, outputs: dict[str, str], local_issuer: None
) -> None:
    """authlib's OAuth 2.0 client, step by step: the same code and verifier work once."""
    document = discover(local_stack, outputs["UserPoolId"])
    session = OAuth2Session(
        outputs["WebClientId"],
        token_endpoint_auth_method="none",
        scope="openid email",
        redirect_uri=CALLBACK,
        code_challenge_method="S256",
    )
    verifier = generate_token(48)
    authorize_url, _ = session.create_authorization_url(
        document["authorization_endpoint"], code_verifier=verifier, nonce=generate_token(20)
    )
    back = browser_sign_in(local_stack, authorize_url, make_user(local_stack, outputs["UserPoolId"]))
    code = dict(parse_qsl(urlsplit(back).query))["code"]
    first = session.fetch_token(document["token_endpoint"], code=code, code_verifier=verifier)
    assert "id_token" in first
    with pytest.raises(OAuthError) as refused:
        session.fetch_token(document["token_endpoint"], code=code, code_verifier=verifier)
    assert refused.value.error == "invalid_grant"


def test_refresh_then_revoke_then_refresh_is_refused(
    local_stack: LocalCloud, outputs: dict[str, str], local_issuer: None
) -> None:
    document = discover(local_stack, outputs["UserPoolId"])
    token = sign_in_through_app(local_stack, outputs, make_user(local_stack, outputs["UserPoolId"]))
    session = public_session(outputs)

    refreshed = session.refresh_token(document["token_endpoint"], refresh_token=token["refresh_token"])
    claims = verify(document, refreshed["id_token"], audience=outputs["WebClientId"])
    assert claims["source"] == "TokenGeneration_RefreshTokens"
    assert session.get(document["userinfo_endpoint"]).status_code == 200  # the refreshed access token

    revoked = session.revoke_token(
        document["revocation_endpoint"], token=token["refresh_token"], token_type_hint="refresh_token"
    )
    assert revoked.status_code == 200
    with pytest.raises(OAuthError) as refused:
        session.refresh_token(document["token_endpoint"], refresh_token=token["refresh_token"])
    assert refused.value.error == "invalid_grant"
    # The access tokens issued with that refresh token are revoked with it.
    after = session.get(document["userinfo_endpoint"])
    assert after.status_code == 401
    assert after.json()["error"] == "invalid_token"


def test_revoking_an_access_token_is_refused_as_cognito_refuses_it(
    local_stack: LocalCloud, outputs: dict[str, str], local_issuer: None
) -> None:
    document = discover(local_stack, outputs["UserPoolId"])
    token = sign_in_through_app(local_stack, outputs, make_user(local_stack, outputs["UserPoolId"]))
    answer = public_session(outputs).revoke_token(
        document["revocation_endpoint"], token=token["access_token"]
    )
    assert answer.status_code == 400
    assert answer.json() == {"error": "unsupported_token_type"}


# --- client credentials ---------------------------------------------------------------------------------


def machine_session(
    outputs: dict[str, str], secret: str | None = None, scope: str = "orders/read"
) -> OAuth2Session:
    return OAuth2Session(
        outputs["MachineClientId"],
        secret if secret is not None else outputs["MachineClientSecret"],
        scope=scope,
        token_endpoint_auth_method="client_secret_basic",
    )


def test_client_credentials_give_a_verifiable_access_token_with_the_resource_server_scope(
    local_stack: LocalCloud, outputs: dict[str, str], local_issuer: None
) -> None:
    document = discover(local_stack, outputs["UserPoolId"])
    token = machine_session(outputs).fetch_token(document["token_endpoint"], grant_type="client_credentials")
    assert set(token) >= {"access_token", "expires_in", "token_type"}
    assert "id_token" not in token
    assert "refresh_token" not in token
    claims = verify(document, token["access_token"])
    assert claims["iss"] == local_stack.issuer(outputs["UserPoolId"])
    assert claims["token_use"] == "access"
    assert claims["client_id"] == claims["sub"] == outputs["MachineClientId"]
    assert claims["scope"].split() == ["orders/read", "extra/scope"]  # the V3_0 trigger added one
    assert claims["machine"] is True


@pytest.mark.parametrize(
    ("settings", "error"),
    [
        pytest.param({"secret": "not-the-secret"}, "invalid_client", id="wrong-secret"),
        pytest.param({"scope": "orders/write"}, "invalid_scope", id="scope-the-client-lacks"),
        pytest.param({"scope": "openid"}, "invalid_scope", id="a-user-scope"),
    ],
)
def test_client_credentials_are_refused_with_cognitos_error(
    local_stack: LocalCloud, outputs: dict[str, str], local_issuer: None, settings: dict[str, str], error: str
) -> None:
    document = discover(local_stack, outputs["UserPoolId"])
    with pytest.raises(OAuthError) as refused:
        machine_session(outputs, **settings).fetch_token(
            document["token_endpoint"], grant_type="client_credentials"
        )
    assert refused.value.error == error


# --- PyJWT against the JWKS -----------------------------------------------------------------------------


def test_pyjwt_verifies_api_tokens_against_the_discovered_issuer_and_jwks(
    local_stack: LocalCloud, outputs: dict[str, str], local_issuer: None
) -> None:
    """InitiateAuth's tokens (the pre token trigger re-signed them) carry the local issuer too."""
    pool_id, client_id = outputs["UserPoolId"], outputs["WebClientId"]
    username = make_user(local_stack, pool_id)
    result = local_stack.client(aws.COGNITO_IDP).initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    document = discover(local_stack, pool_id)
    id_claims = verify(document, result["IdToken"], audience=client_id)
    assert id_claims["token_use"] == "id"
    assert id_claims["cognito:username"] == username
    access = verify(document, result["AccessToken"])
    assert access["token_use"] == "access"
    assert access["client_id"] == client_id
    assert "aud" not in access  # Cognito's access tokens name their client in client_id, not aud


def test_pyjwt_refuses_an_id_token_for_another_audience(
    local_stack: LocalCloud, outputs: dict[str, str], local_issuer: None
) -> None:
    document = discover(local_stack, outputs["UserPoolId"])
    token = sign_in_through_app(local_stack, outputs, make_user(local_stack, outputs["UserPoolId"]))
    with pytest.raises(jwt.InvalidAudienceError):
        verify(document, token["id_token"], audience=outputs["MachineClientId"])


def test_pyjwt_refuses_a_token_from_the_other_issuer_mode(
    local_stack: LocalCloud, outputs: dict[str, str]
) -> None:
    """A token issued under the AWS-shaped issuer does not verify against the local issuer: a relying
    party configured for one mode refuses the other's tokens."""
    pool_id = outputs["UserPoolId"]
    token = sign_in_through_app(local_stack, outputs, make_user(local_stack, pool_id))
    document = discover(local_stack, pool_id)
    local_document = {**document, "issuer": f"{local_stack.endpoint_url}/{pool_id}"}
    assert verify(document, token["access_token"])["iss"] == document["issuer"]
    with pytest.raises(jwt.InvalidIssuerError):
        verify(local_document, token["access_token"])
