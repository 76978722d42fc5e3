"""Cognito's hosted UI (managed login) and OAuth 2.0 endpoints, on the local stack, for tests and demos.

Served by the same server as the API (local/server.py routes here), for the pool found by `client_id`:

- `GET /oauth2/authorize` (and `GET /login` with the same parameters): checks the request as Cognito
  does and answers a small sign-in form;
- `POST /login`: the form's answer; redirects to the callback URL with a code or with tokens (implicit);
- `POST /oauth2/token`: `authorization_code` and `refresh_token` here, `client_credentials` in
  `local.cognito_idp.hooks`;
- `GET /oauth2/userInfo`, `GET /logout`, `POST /oauth2/revoke`, `GET /error`;
- `GET /<pool id>/.well-known/openid-configuration`: the discovery document (`local.cognito_idp.discovery`).

Tokens come from moto's backend for the user (so they verify against the local JWKS and moto's API
accepts the access tokens), with Cognito's hosted-UI claims: the granted scopes, the client's token
validities, `nonce`, the user attributes the client can read, and the pre token generation trigger's
response (`TokenGeneration_HostedAuth`, `TokenGeneration_RefreshTokens`). Login sessions, codes and
refresh-token grants live in memory, bounded. Not served: sign-up, forgotten password, MFA, federation
(identity providers), custom login pages, browser sessions (each authorize request asks for a password).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import html
import json
import secrets
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Protocol, TypeVar
from urllib.parse import urlencode

from moto.cognitoidp.exceptions import InvalidPasswordException
from moto.cognitoidp.models import (
    CognitoIdpUser,
    CognitoIdpUserPool,
    CognitoIdpUserPoolClient,
    UserStatus,
)

from local.cognito_idp import discovery
from local.cognito_idp.access import id_token_attributes as _id_token_attributes
from local.cognito_idp.access import readable_attributes as _readable_attributes
from local.cognito_idp.hooks import CognitoError, CognitoHooks, token_claims, validity_seconds

CODE_SECONDS = 300  # an authorization code is valid for five minutes, once
LOGIN_SECONDS = 900  # a sign-in form is answered within fifteen minutes
MAX_LOGINS = 1000
MAX_CODES = 1000
MAX_REFRESH_GRANTS = 10_000
ADMIN_SCOPE = "aws.cognito.signin.user.admin"
BAD_CREDENTIALS = "Incorrect username or password."

# The user attributes the userInfo endpoint answers for each OIDC scope (with `openid` alone: every
# attribute the client can read).
PROFILE_ATTRIBUTES = frozenset(
    {
        "name",
        "family_name",
        "given_name",
        "middle_name",
        "nickname",
        "preferred_username",
        "profile",
        "picture",
        "website",
        "gender",
        "birthdate",
        "zoneinfo",
        "locale",
        "updated_at",
        "address",
    }
)
SCOPE_ATTRIBUTES = {
    "profile": PROFILE_ATTRIBUTES,
    "email": frozenset({"email", "email_verified"}),
    "phone": frozenset({"phone_number", "phone_number_verified"}),
}


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def status_line(self) -> str:
        return f"{self.status} {HTTPStatus(self.status).phrase}"

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


NO_STORE = (("Cache-Control", "no-store"), ("Pragma", "no-cache"))


def redirect(location: str) -> Response:
    return Response(302, b"", (("Location", location), *NO_STORE))


def json_response(status: int, payload: Mapping[str, Any], *headers: tuple[str, str]) -> Response:
    body = json.dumps(payload).encode()
    return Response(status, body, (("Content-Type", "application/json;charset=UTF-8"), *NO_STORE, *headers))


def html_response(status: int, title: str, content: str) -> Response:
    page = (
        "<!doctype html>\n<html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title></head>\n<body>\n<h1>{html.escape(title)}</h1>\n{content}\n"
        "<p><small>Local stack hosted UI, for tests and demos.</small></p>\n</body></html>\n"
    )
    return Response(status, page.encode(), (("Content-Type", "text/html;charset=UTF-8"), *NO_STORE))


def with_query(uri: str, params: Mapping[str, str | None]) -> str:
    """`uri` with `params` (those that are not None) added to its query."""
    query = urlencode({k: v for k, v in params.items() if v is not None})
    if not query:
        return uri
    return f"{uri}{'&' if '?' in uri else '?'}{query}"


def error_location(error: str, client_id: str, description: str | None = None) -> str:
    """Cognito's own error page for what cannot go back to the app (unknown client, unregistered URL)."""
    return with_query("/error", {"error": error, "client_id": client_id, "error_description": description})


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of a code verifier."""
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass(frozen=True)
class AuthRequest:
    """An authorize request waiting for the user's password (a login session)."""

    pool_id: str
    client_id: str
    redirect_uri: str
    response_type: str
    scopes: tuple[str, ...]
    state: str | None
    code_challenge: str | None
    nonce: str | None
    expires_at: float


@dataclass(frozen=True)
class CodeGrant:
    """An authorization code: the tokens minted at sign-in, handed out once."""

    pool_id: str
    client_id: str
    redirect_uri: str
    code_challenge: str | None
    tokens: Mapping[str, Any]
    expires_at: float


@dataclass(frozen=True)
class RefreshGrant:
    """What a refresh token issued here grants: its scopes, until it expires."""

    pool_id: str
    client_id: str
    scopes: tuple[str, ...]
    expires_at: float


class Expiring(Protocol):
    @property
    def expires_at(self) -> float: ...


E = TypeVar("E", bound=Expiring)


@dataclass
class HostedUi:
    hooks: CognitoHooks
    clock: Callable[[], float] = time.time
    _logins: OrderedDict[str, AuthRequest] = field(default_factory=OrderedDict)
    _codes: OrderedDict[str, CodeGrant] = field(default_factory=OrderedDict)
    _refresh: OrderedDict[str, RefreshGrant] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # --- lookups -------------------------------------------------------------------------------
    def _client(self, client_id: str) -> tuple[CognitoIdpUserPool, CognitoIdpUserPoolClient] | None:
        pool = self.hooks.pool_of_client(client_id) if client_id else None
        client = pool.clients.get(client_id) if pool is not None else None
        if pool is None or client is None:
            return None
        return pool, client

    def _authenticate(
        self, form: Mapping[str, str], authorization: str | None
    ) -> tuple[CognitoIdpUserPool, CognitoIdpUserPoolClient] | None:
        """The client a token or revoke request authenticates as: HTTP Basic or `client_secret` in the
        form for a client with a secret; `client_id` alone for a public client."""
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        if authorization and authorization.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(authorization[6:], validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                return None
            basic_id, _, secret = decoded.partition(":")
            if client_id and client_id != basic_id:
                return None
            client_id = basic_id
        found = self._client(client_id)
        if found is None:
            return None
        client = found[1]
        if client.generate_secret:
            if not secret or not hmac.compare_digest(secret, client.secret):
                return None
        elif secret:
            return None
        return found

    @staticmethod
    def _allows(client: CognitoIdpUserPoolClient, flow: str) -> bool:
        config = client.extended_config
        return bool(config.get("AllowedOAuthFlowsUserPoolClient")) and flow in (
            config.get("AllowedOAuthFlows") or []
        )

    def _put(self, entries: OrderedDict[str, E], key: str, value: E, cap: int) -> list[tuple[str, E]]:
        """Store `value`; returns the entries that went: the expired ones, then the oldest beyond `cap`."""
        now = self.clock()
        with self._lock:
            dropped = [(k, entries.pop(k)) for k in [k for k, v in entries.items() if v.expires_at <= now]]
            while len(entries) >= cap:
                dropped.append(entries.popitem(last=False))
            entries[key] = value
        return dropped

    def _take(self, entries: OrderedDict[str, E], key: str) -> E | None:
        with self._lock:
            return entries.pop(key, None)

    def _browser_client(
        self, client_id: str
    ) -> tuple[CognitoIdpUserPool, CognitoIdpUserPoolClient] | Response:
        """The app client a browser request names, with its pool; or what Cognito answers when there is
        no such client, or its pool has no domain."""
        found = self._client(client_id)
        if found is None:
            return redirect(error_location("invalid_request", client_id, "client_id is not an app client"))
        if found[0].domain is None:
            return _no_domain(found[0])
        return found

    # --- GET /oauth2/authorize -----------------------------------------------------------------
    def authorize(self, query: Mapping[str, str]) -> Response:  # noqa: PLR0911 - one answer per error
        client_id = query.get("client_id", "")
        found = self._browser_client(client_id)
        if isinstance(found, Response):
            return found
        pool, client = found
        redirect_uri = query.get("redirect_uri", "")
        if redirect_uri not in (client.extended_config.get("CallbackURLs") or []):
            return redirect(error_location("redirect_mismatch", client_id))
        state = query.get("state")

        def fail(error: str) -> Response:
            return redirect(with_query(redirect_uri, {"error": error, "state": state}))

        response_type = query.get("response_type", "")
        if not response_type:
            return fail("invalid_request")
        if response_type not in ("code", "token"):
            return fail("unsupported_response_type")
        challenge, method = query.get("code_challenge"), query.get("code_challenge_method")
        if (challenge or method) and (not challenge or method != "S256"):
            return fail("invalid_request")
        if not self._allows(client, "code" if response_type == "code" else "implicit"):
            return fail("unauthorized_client")
        allowed = list(client.extended_config.get("AllowedOAuthScopes") or [])
        scopes = tuple(dict.fromkeys(query.get("scope", "").split() or allowed))
        if any(scope not in allowed for scope in scopes):
            return fail("invalid_scope")
        request = AuthRequest(
            pool_id=pool.id,
            client_id=client_id,
            redirect_uri=redirect_uri,
            response_type=response_type,
            scopes=scopes,
            state=state,
            code_challenge=challenge if response_type == "code" else None,
            nonce=query.get("nonce"),
            expires_at=self.clock() + LOGIN_SECONDS,
        )
        session = secrets.token_urlsafe(24)
        self._put(self._logins, session, request, MAX_LOGINS)
        return self._form(session, client)

    def _form(
        self,
        session: str,
        client: CognitoIdpUserPoolClient,
        error: str | None = None,
        username: str = "",
        new_password: bool = False,
    ) -> Response:
        name = client.extended_config.get("ClientName") or client.id
        fields = [
            f"<input type='hidden' name='session' value='{html.escape(session, quote=True)}'>",
            (
                "<p><label>Username <input name='username' autocomplete='username' "
                f"value='{html.escape(username, quote=True)}'></label></p>"
            ),
            "<p><label>Password <input type='password' name='password'></label></p>",
        ]
        if new_password:
            fields.append("<p><label>New password <input type='password' name='new_password'></label></p>")
        message = f"<p role='alert' class='error'>{html.escape(error)}</p>\n" if error else ""
        content = (
            f"<p>Sign in to {html.escape(str(name))}</p>\n{message}"
            "<form method='post' action='/login'>\n" + "\n".join(fields) + "\n"
            "<p><button type='submit'>Sign in</button></p>\n</form>"
        )
        return html_response(200, "Sign in", content)

    # --- POST /login -----------------------------------------------------------------------------
    def login(self, form: Mapping[str, str]) -> Response:  # noqa: PLR0911 - one answer per outcome
        session = form.get("session", "")
        with self._lock:
            request = self._logins.get(session)
        if request is None or request.expires_at <= self.clock():
            return html_response(
                400, "Sign-in expired", "<p>This sign-in page has expired. Start again from the app.</p>"
            )
        found = self._client(request.client_id)
        if found is None or found[0].id != request.pool_id:
            self._take(self._logins, session)
            return redirect(error_location("invalid_request", request.client_id, "the app client is gone"))
        pool, client = found
        username, password = form.get("username", ""), form.get("password", "")
        user = pool._get_user(username) if username else None
        if user is None or not user.enabled or user.password is None or user.password != password:
            return self._form(session, client, BAD_CREDENTIALS, username)
        status = str(getattr(user.status, "value", user.status))
        if status == UserStatus.FORCE_CHANGE_PASSWORD.value:
            problem = self._change_password(pool, user, form.get("new_password", ""))
            if problem is not None:
                return self._form(session, client, problem, username, new_password=True)
        elif status == UserStatus.RESET_REQUIRED.value:
            return self._form(session, client, "Password reset required for the user.", username)
        elif status != UserStatus.CONFIRMED.value:
            return self._form(session, client, "User is not confirmed.", username)
        if self._take(self._logins, session) is None:  # answered meanwhile by another request
            return html_response(400, "Sign-in expired", "<p>This sign-in page was already used.</p>")
        return self._signed_in(pool, client, user, request)

    def _change_password(
        self, pool: CognitoIdpUserPool, user: CognitoIdpUser, new_password: str
    ) -> str | None:
        """Set a user's first password (FORCE_CHANGE_PASSWORD); returns what to tell them if it fails."""
        if not new_password:
            return "Enter a new password to finish signing in."
        try:
            self.hooks.backend._validate_password(pool.id, new_password)
        except InvalidPasswordException:
            return "Password does not conform to policy."
        user.password = new_password
        user.status = UserStatus.CONFIRMED
        return None

    def _signed_in(
        self,
        pool: CognitoIdpUserPool,
        client: CognitoIdpUserPoolClient,
        user: CognitoIdpUser,
        request: AuthRequest,
    ) -> Response:
        code_grant = request.response_type == "code"
        try:
            tokens = self._issue(
                pool,
                client,
                user,
                request.scopes,
                "TokenGeneration_HostedAuth",
                refresh=code_grant,
                nonce=request.nonce,
            )
        except CognitoError as exc:
            return redirect(
                with_query(
                    request.redirect_uri,
                    {"error": "invalid_request", "error_description": exc.message, "state": request.state},
                )
            )
        if code_grant:
            code = str(uuid.uuid4())
            grant = CodeGrant(
                pool_id=pool.id,
                client_id=client.id,
                redirect_uri=request.redirect_uri,
                code_challenge=request.code_challenge,
                tokens=tokens,
                expires_at=self.clock() + CODE_SECONDS,
            )
            for _, dropped in self._put(self._codes, code, grant, MAX_CODES):
                self._revoke_grant_tokens(dropped)
            return redirect(with_query(request.redirect_uri, {"code": code, "state": request.state}))
        fragment = {
            "access_token": tokens["access_token"],
            "id_token": tokens.get("id_token"),
            "token_type": "Bearer",
            "expires_in": str(tokens["expires_in"]),
            "state": request.state,
        }
        return redirect(f"{request.redirect_uri}#{urlencode({k: v for k, v in fragment.items() if v})}")

    # --- tokens --------------------------------------------------------------------------------
    def _issue(
        self,
        pool: CognitoIdpUserPool,
        client: CognitoIdpUserPoolClient,
        user: CognitoIdpUser,
        scopes: tuple[str, ...],
        source: str,
        *,
        refresh: bool = False,
        origin_jti: str | None = None,
        nonce: str | None = None,
        id_token: bool | None = None,
    ) -> dict[str, Any]:
        """Tokens for `user` from moto's backend, with the hosted UI's claims and the pre token trigger's
        response applied. A refresh token too when `refresh`. Raises CognitoError (the trigger failed)."""
        config = client.extended_config
        refresh_token = None
        if refresh:
            refresh_token, origin_jti = pool.create_refresh_token(client.id, user.username)
        origin_jti = origin_jti or str(uuid.uuid4())
        access_token, _ = pool.create_access_token(client.id, user.username, origin_jti)
        expires_in = validity_seconds(config, "AccessToken")
        access = token_claims(access_token)
        access.update(version=2, exp=int(access["iat"]) + expires_in)
        if scopes:
            access["scope"] = " ".join(scopes)
        else:
            access.pop("scope", None)
        raw_id = id_claims = None
        if id_token if id_token is not None else "openid" in scopes:
            raw_id, _ = pool.create_id_token(client.id, user.username, origin_jti)
            id_claims = _hosted_id_claims(token_claims(raw_id), client, user, nonce)
        try:
            access, id_claims = self.hooks.run_pre_token(
                pool, user, client.id, source, access=access, id_claims=id_claims
            )
        except CognitoError:
            pool.access_tokens.pop(access_token, None)
            if raw_id is not None:
                pool.id_tokens.pop(raw_id, None)
            if refresh_token is not None:
                pool.refresh_tokens[refresh_token] = None
            raise
        tokens: dict[str, Any] = {}
        if raw_id is not None and id_claims is not None:
            tokens["id_token"] = self.hooks.resign(pool, pool.id_tokens, raw_id, id_claims)
        tokens["access_token"] = self.hooks.resign(pool, pool.access_tokens, access_token, access)
        if refresh_token is not None:
            tokens["refresh_token"] = refresh_token
            self._remember_refresh(pool, client, refresh_token, scopes)
        tokens["expires_in"] = expires_in
        tokens["token_type"] = "Bearer"  # noqa: S105 - the token type, not a secret
        return tokens

    def _remember_refresh(
        self,
        pool: CognitoIdpUserPool,
        client: CognitoIdpUserPoolClient,
        refresh_token: str,
        scopes: tuple[str, ...],
    ) -> None:
        """Record what a refresh token grants, until the client's refresh token validity ends."""
        expires_at = self.clock() + validity_seconds(client.extended_config, "RefreshToken")
        grant = RefreshGrant(pool.id, client.id, scopes, expires_at)
        for dropped_token, dropped in self._put(self._refresh, refresh_token, grant, MAX_REFRESH_GRANTS):
            # Expired or evicted: unusable from now on, rather than usable with the wrong scopes.
            dropped_pool = self.hooks.backend.user_pools.get(dropped.pool_id)
            if dropped_pool is not None and dropped_pool.refresh_tokens.get(dropped_token) is not None:
                dropped_pool.refresh_tokens[dropped_token] = None

    # --- POST /oauth2/token ----------------------------------------------------------------------
    def token(self, form: Mapping[str, str], authorization: str | None) -> Response:
        grant_type = form.get("grant_type", "")
        if grant_type == "client_credentials":
            status, payload = self.hooks.token_endpoint(form, authorization)
            return json_response(status, payload)
        if grant_type not in ("authorization_code", "refresh_token"):
            return json_response(400, {"error": "unsupported_grant_type"})
        found = self._authenticate(form, authorization)
        if found is None:
            return json_response(400, {"error": "invalid_client"})
        pool, client = found
        if grant_type == "authorization_code":
            return self._redeem(pool, client, form)
        return self._refresh_tokens(pool, client, form)

    def _redeem(
        self, pool: CognitoIdpUserPool, client: CognitoIdpUserPoolClient, form: Mapping[str, str]
    ) -> Response:
        code, redirect_uri = form.get("code", ""), form.get("redirect_uri", "")
        if not code or not redirect_uri:
            return json_response(400, {"error": "invalid_request"})
        if not self._allows(client, "code"):
            return json_response(400, {"error": "unauthorized_client"})
        grant = self._take(self._codes, code)  # single use: gone whatever happens next
        if grant is None or grant.expires_at <= self.clock():
            if grant is not None:
                self._revoke_grant_tokens(grant)
            return json_response(400, {"error": "invalid_grant"})
        verifier = form.get("code_verifier", "")
        valid = (
            grant.client_id == client.id
            and grant.pool_id == pool.id
            and grant.redirect_uri == redirect_uri
            and (grant.code_challenge is None or (bool(verifier) and s256(verifier) == grant.code_challenge))
        )
        if not valid:
            self._revoke_grant_tokens(grant)
            return json_response(400, {"error": "invalid_grant"})
        return json_response(200, grant.tokens)

    def _refresh_tokens(
        self, pool: CognitoIdpUserPool, client: CognitoIdpUserPoolClient, form: Mapping[str, str]
    ) -> Response:
        token = form.get("refresh_token", "")
        if not token:
            return json_response(400, {"error": "invalid_request"})
        owner = pool.refresh_tokens.get(token)
        with self._lock:
            grant = self._refresh.get(token)
        if owner is None or owner[0] != client.id or (grant is not None and grant.expires_at <= self.clock()):
            return json_response(400, {"error": "invalid_grant"})
        _, username, origin_jti = owner
        user = pool._get_user(username)
        if user is None or not user.enabled:
            return json_response(400, {"error": "invalid_grant"})
        # A refresh token from InitiateAuth (not issued here) grants what the API grants.
        scopes = grant.scopes if grant is not None else (ADMIN_SCOPE,)
        try:
            tokens = self._issue(
                pool,
                client,
                user,
                scopes,
                "TokenGeneration_RefreshTokens",
                origin_jti=origin_jti,
                id_token=None if grant is not None else True,
            )
        except CognitoError as exc:
            return json_response(400, {"error": "invalid_request", "error_description": exc.message})
        return json_response(200, tokens)

    # --- POST /oauth2/revoke -------------------------------------------------------------------
    def revoke(self, form: Mapping[str, str], authorization: str | None) -> Response:
        found = self._authenticate(form, authorization)
        if found is None:
            return json_response(401, {"error": "invalid_client"})
        pool, client = found
        token = form.get("token", "")
        if not token:
            return json_response(400, {"error": "invalid_request"})
        if not client.extended_config.get("EnableTokenRevocation"):
            return json_response(
                400,
                {
                    "error": "invalid_request",
                    "error_description": "Token revocation is disabled for this client",
                },
            )
        if token.count(".") == 2:  # a JWT: an access or ID token, not a refresh token
            return json_response(400, {"error": "unsupported_token_type"})
        owner = pool.refresh_tokens.get(token)
        if owner is not None and owner[0] == client.id:
            self._revoke(pool, token, owner[2])
        return Response(200, b"", NO_STORE)

    def _revoke(self, pool: CognitoIdpUserPool, refresh_token: str, origin_jti: str) -> None:
        """The refresh token and every access and ID token issued with it stop working."""
        pool.refresh_tokens[refresh_token] = None
        self._take(self._refresh, refresh_token)
        for registry in (pool.access_tokens, pool.id_tokens):
            for token in list(registry):
                if (_claims_of(token) or {}).get("origin_jti") == origin_jti:
                    registry.pop(token, None)

    def _revoke_grant_tokens(self, grant: CodeGrant) -> None:
        """A code that was never redeemed: its tokens must never work."""
        pool = self.hooks.backend.user_pools.get(grant.pool_id)
        refresh_token = grant.tokens.get("refresh_token")
        if pool is None or not refresh_token:
            return
        owner = pool.refresh_tokens.get(refresh_token)
        if owner is not None:
            self._revoke(pool, refresh_token, owner[2])

    # --- GET /oauth2/userInfo ------------------------------------------------------------------
    def user_info(self, authorization: str | None) -> Response:
        if not authorization or not authorization.lower().startswith("bearer "):
            return _bearer_error(400, "invalid_request", "Bad OAuth2 request at UserInfo Endpoint")
        token = authorization[7:].strip()
        claims = _claims_of(token)
        if claims is None:
            return _bearer_error(401, "invalid_token", "Invalid access token")
        pool = self.hooks.backend.user_pools.get(str(claims.get("iss", "")).rsplit("/", 1)[-1])
        owner = pool.access_tokens.get(token) if pool is not None else None
        if pool is None or owner is None or int(claims.get("exp", 0)) <= self.clock():
            return _bearer_error(
                401,
                "invalid_token",
                "Access token is expired, disabled, or deleted, or the user has globally signed out.",
            )
        scopes = str(claims.get("scope", "")).split()
        if "openid" not in scopes:
            return _bearer_error(401, "invalid_token", "Access token does not contain openid scope")
        client_id, username = owner
        user = pool._get_user(username)
        client = pool.clients.get(client_id)
        if user is None or client is None or not user.enabled:
            return _bearer_error(401, "invalid_token", "User does not exist or is disabled.")
        readable = _readable_attributes(client, user)
        wanted: set[str] = set()
        for scope in scopes:
            wanted |= SCOPE_ATTRIBUTES.get(scope, frozenset())
        if wanted:
            custom = "profile" in scopes
            readable = {
                k: v for k, v in readable.items() if k in wanted or (custom and k.startswith("custom:"))
            }
        return json_response(200, {"sub": user.id, **readable, "username": user.username})

    # --- GET /<pool id>/.well-known/openid-configuration ---------------------------------------
    def openid_configuration(self, pool_id: str, base_url: str) -> Response:
        pool = self.hooks.backend.user_pools.get(pool_id)
        if pool is None:
            return json_response(
                404, {"code": "ResourceNotFoundException", "message": f"User pool {pool_id} does not exist."}
            )
        document = discovery.openid_configuration(pool, self.hooks.issuers, self.hooks.region, base_url)
        return Response(200, json.dumps(document).encode(), (("Content-Type", "application/json"),))

    # --- GET /logout, GET /error ---------------------------------------------------------------
    def logout(self, query: Mapping[str, str]) -> Response:
        client_id = query.get("client_id", "")
        found = self._browser_client(client_id)
        if isinstance(found, Response):
            return found
        _, client = found
        logout_uri = query.get("logout_uri")
        if logout_uri is None and query.get("redirect_uri"):
            # Sign out, then sign in again: the authorize request's own parameters.
            return redirect(with_query("/oauth2/authorize", dict(query)))
        if logout_uri is None or logout_uri not in (client.extended_config.get("LogoutURLs") or []):
            return redirect(error_location("redirect_mismatch", client_id))
        return redirect(logout_uri)

    @staticmethod
    def error_page(query: Mapping[str, str]) -> Response:
        error = query.get("error") or "server_error"
        lines = [
            "<p>An error was encountered with the requested page.</p>",
            f"<p>error: <code>{html.escape(error)}</code></p>",
        ]
        if query.get("error_description"):
            lines.append(f"<p>{html.escape(query['error_description'])}</p>")
        if query.get("client_id"):
            lines.append(f"<p>client_id: <code>{html.escape(query['client_id'])}</code></p>")
        return html_response(400, "Error", "\n".join(lines))


def _no_domain(pool: CognitoIdpUserPool) -> Response:
    return html_response(
        404,
        "No hosted UI",
        f"<p>User pool <code>{html.escape(pool.id)}</code> has no domain: Cognito serves no hosted UI "
        "for it. Add an <code>AWS::Cognito::UserPoolDomain</code>.</p>",
    )


def _claims_of(token: str) -> dict[str, Any] | None:
    """A token's payload, or None when it is not a JWT."""
    try:
        claims = token_claims(token)
    except (IndexError, ValueError):
        return None
    return claims if isinstance(claims, dict) else None


def _bearer_error(status: int, error: str, description: str) -> Response:
    challenge = f'Bearer error="{error}", error_description="{description}"'
    return json_response(
        status, {"error": error, "error_description": description}, ("WWW-Authenticate", challenge)
    )


def _hosted_id_claims(
    claims: dict[str, Any], client: CognitoIdpUserPoolClient, user: CognitoIdpUser, nonce: str | None
) -> dict[str, Any]:
    """moto's ID token claims as the hosted UI issues them: the readable attributes, the client's ID token
    validity, the authorize request's nonce."""
    attributes = _id_token_attributes(client, user)
    if "email" not in attributes:  # moto puts the username there when users sign in by email
        claims.pop("email", None)
    claims.update(attributes)
    claims["exp"] = int(claims["iat"]) + validity_seconds(client.extended_config, "IdToken")
    if nonce:
        claims["nonce"] = nonce
    return claims
