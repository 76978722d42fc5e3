"""What Cognito does that moto 5.2.5 does not, as hooks around moto's Cognito API in server mode.

- Triggers from the pool's LambdaConfig: post confirmation on ConfirmSignUp/AdminConfirmSignUp (and
  ConfirmForgotPassword), pre token generation (V1/V2/V3) on every token issue, its response applied to
  the tokens, which are re-signed with moto's key so they verify against the local JWKS.
- The OAuth2 token endpoint for client credentials (`POST /oauth2/token`); the hosted UI (managed
  login) and the authorization code, implicit and refresh grants are `local.cognito_idp.hosted_ui`,
  which uses the trigger and token parts below.
- UpdateUserPoolClient resets what the request leaves out; client URLs are validated.
- Optional rate limits (LOCAL_COGNITO_QUOTAS=1): TooManyRequestsException beyond Cognito's quotas.

Not modelled: triggers other than these two, retries of a failing trigger, token validities on tokens
from the API (InitiateAuth keeps moto's hour; the hosted UI's tokens follow the client's settings).
"""

from __future__ import annotations

import base64
import binascii
import collections
import json
import logging
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from joserfc import jwt
from moto.awslambda.models import lambda_backends
from moto.cognitoidp.models import (
    CognitoIdpBackend,
    CognitoIdpUser,
    CognitoIdpUserPool,
    CognitoIdpUserPoolClient,
    cognitoidp_backends,
)
from moto.core.exceptions import JsonRESTError

from cognito_automation.claims.cognito import RESERVED_ACCESS_TOKEN_CLAIMS, RESERVED_CLAIMS
from cognito_automation.quotas import CATEGORIES, QUOTAS
from local.cognito_idp import issuer
from local.cognito_idp.validation import validate_client_urls

log = logging.getLogger("local.cognito_idp.hooks")

# The settings a new app client starts with (moto's defaults); UpdateUserPoolClient returns to them.
CLIENT_DEFAULTS: dict[str, Any] = {
    "AllowedOAuthFlowsUserPoolClient": False,
    "AuthSessionValidity": 3,
    "EnablePropagateAdditionalUserContextData": False,
    "EnableTokenRevocation": True,
    "RefreshTokenValidity": 30,
}

# The categories the local stack limits when LOCAL_COGNITO_QUOTAS=1 (the rates are Cognito's, shared with
# the consumer's pacing): the ones a load test of user creation and updates runs into, the consumer's
# reads of each user included.
LIMITED_CATEGORIES = ("UserCreation", "UserUpdate", "UserRead")

# Claims a pre token generation trigger cannot change; Cognito keeps its own values. One list with the
# claim rules' load-time check (cognito_automation.claims.cognito), which is where the docs' list lives.
PROTECTED_CLAIMS = RESERVED_CLAIMS | RESERVED_ACCESS_TOKEN_CLAIMS | {"cognito:username"}

TOKEN_OPERATIONS = frozenset(
    {"InitiateAuth", "AdminInitiateAuth", "RespondToAuthChallenge", "AdminRespondToAuthChallenge"}
)


class CognitoError(Exception):
    """An error answered to the caller in Cognito's JSON error shape."""

    def __init__(self, error_type: str, message: str, status: int = 400):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Invitation:
    """An invitation message as Cognito would send it (never logged: it carries a password)."""

    user_pool_id: str
    username: str
    medium: str
    destination: str
    temporary_password: str = field(repr=False)


def temporary_password() -> str:
    """A temporary password any pool's policy accepts (upper, lower, digit, symbol; 16 characters)."""
    core = secrets.token_urlsafe(12)[:12]
    return f"Tq{core}7!x"


def reset_client(client: CognitoIdpUserPoolClient, request: Mapping[str, Any]) -> None:
    """Set an app client to exactly what `request` says, every other setting back to its default."""
    name = request.get("ClientName") or client.extended_config.get("ClientName")
    settings = {k: v for k, v in request.items() if k not in ("UserPoolId", "ClientId")}
    client.extended_config = {**CLIENT_DEFAULTS, **settings, "ClientName": name}


class RateLimiter:
    """Sliding one-second windows per quota category, on `clock` (seconds): Cognito documents each quota as
    a most requests per second (RPS), so a call is refused when the second before it already holds the
    quota's calls, whichever second that is (a window on calendar seconds would let twice the quota
    through across a boundary); refused calls do not count."""

    def __init__(
        self,
        limits: Mapping[str, int] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        """`limits`: requests per second by category (default: Cognito's, for LIMITED_CATEGORIES)."""
        self._clock = clock
        self._limit = dict(limits or {name: int(QUOTAS[name]) for name in LIMITED_CATEGORIES})
        self._category = {op: name for op, name in CATEGORIES.items() if name in self._limit}
        self._calls: dict[str, collections.deque[float]] = collections.defaultdict(collections.deque)
        self._lock = threading.Lock()

    def check(self, operation: str, now: float | None = None) -> None:
        category = self._category.get(operation)
        if category is None:
            return
        moment = self._clock() if now is None else now
        with self._lock:
            calls = self._calls[category]
            while calls and calls[0] <= moment - 1.0:
                calls.popleft()
            if len(calls) >= self._limit[category]:
                raise CognitoError(
                    "TooManyRequestsException",
                    f"Rate exceeded for {category} ({self._limit[category]} requests per second)",
                )
            calls.append(moment)


@dataclass
class CognitoHooks:
    account_id: str
    region: str
    limiter: RateLimiter | None = None
    # The issuer tokens and the discovery document name (the process-wide one moto's tokens follow).
    issuers: issuer.Issuers = field(default_factory=lambda: issuer.CURRENT)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    # The invitations Cognito would have sent (AdminCreateUser without SUPPRESS), newest last, bounded:
    # what a user reads in the message, temporary password included, for tests and demos.
    outbox: collections.deque[Invitation] = field(default_factory=lambda: collections.deque(maxlen=10_000))
    _resent: dict[tuple[str, str], CognitoIdpUser] = field(default_factory=dict)

    # --- lookups -------------------------------------------------------------------------------
    @property
    def backend(self) -> CognitoIdpBackend:
        backend: CognitoIdpBackend = cognitoidp_backends[self.account_id][self.region]
        return backend

    def _pool(self, params: Mapping[str, Any]) -> CognitoIdpUserPool | None:
        pool_id = params.get("UserPoolId")
        if pool_id:
            pool: CognitoIdpUserPool | None = self.backend.user_pools.get(pool_id)
            return pool
        return self.pool_of_client(params.get("ClientId", ""))

    def pool_of_client(self, client_id: str) -> CognitoIdpUserPool | None:
        for pool in self.backend.user_pools.values():
            if client_id in pool.clients:
                return pool
        return None

    # --- API hooks -----------------------------------------------------------------------------
    def before(self, operation: str, params: Mapping[str, Any]) -> None:
        if self.limiter is not None:
            self.limiter.check(operation)
        if operation in ("CreateUserPoolClient", "UpdateUserPoolClient"):
            _validate(params)
        if operation == "AdminCreateUser" and params.get("MessageAction") == "RESEND":
            # moto answers RESEND by replacing the user with a new one, without attributes or groups
            pool = self._pool(params)
            user = pool._get_user(params.get("Username", "")) if pool is not None else None
            if pool is not None and user is not None:
                with self._lock:
                    self._resent[(pool.id, params.get("Username", ""))] = user
        if operation == "SignUp":
            pool = self.pool_of_client(params.get("ClientId", ""))
            admin_only = (pool.extended_config.get("AdminCreateUserConfig") or {}) if pool else {}
            if admin_only.get("AllowAdminCreateUserOnly"):
                # moto lets anyone sign up; Cognito refuses when only administrators create users
                raise CognitoError("NotAuthorizedException", "SignUp is not permitted for this user pool")
        if operation == "UpdateUserPoolClient":
            pool = self.backend.describe_user_pool(params.get("UserPoolId", ""))
            client = pool.clients.get(params.get("ClientId", ""))
            if client is not None:
                # moto merges the request into the client; Cognito replaces the whole configuration.
                reset_client(client, params)

    def after(self, operation: str, params: Mapping[str, Any], result: dict[str, Any]) -> dict[str, Any]:
        if operation == "AdminCreateUser":
            self._invite(params)
        elif operation in ("ConfirmSignUp", "AdminConfirmSignUp"):
            self._post_confirmation(params, "PostConfirmation_ConfirmSignUp")
        elif operation == "ConfirmForgotPassword":
            self._post_confirmation(params, "PostConfirmation_ConfirmForgotPassword")
        elif operation in TOKEN_OPERATIONS and "AuthenticationResult" in result:
            result["AuthenticationResult"] = self._pre_token(
                operation, params, result["AuthenticationResult"]
            )
        return result

    def invitations(self, user_pool_id: str, username: str | None = None) -> list[Invitation]:
        return [
            i
            for i in self.outbox
            if i.user_pool_id == user_pool_id and (username is None or i.username == username)
        ]

    def _invite(self, params: Mapping[str, Any]) -> None:
        """What Cognito does after AdminCreateUser that moto does not: a temporary password when none
        was given (moto leaves the user without one, so nobody could ever sign in), and the invitation
        message unless it is suppressed."""
        pool = self.backend.user_pools.get(params.get("UserPoolId", ""))
        user = pool._get_user(params.get("Username", "")) if pool is not None else None
        if pool is None or user is None:
            return
        action = params.get("MessageAction")
        if action == "RESEND":
            with self._lock:
                existing = self._resent.pop((pool.id, params.get("Username", "")), None)
            if existing is not None:  # the user as it was, whom Cognito only sends the message again
                pool.users[existing.username] = user = existing
        if user.password is None or (action == "RESEND" and not params.get("TemporaryPassword")):
            user.password = temporary_password()
        if action == "SUPPRESS":
            return
        attributes = {a["Name"]: a["Value"] for a in user.attributes}
        mediums = params.get("DesiredDeliveryMediums") or ["SMS"]  # Cognito's default
        for medium in mediums:
            destination = attributes.get("email" if medium == "EMAIL" else "phone_number")
            if destination:
                self.outbox.append(
                    Invitation(pool.id, user.username, medium, destination, user.password or "")
                )

    # --- triggers ------------------------------------------------------------------------------
    def _invoke(self, arn: str, event: dict[str, Any], trigger: str) -> dict[str, Any]:
        fn = lambda_backends[self.account_id][self.region].get_function(arn)
        headers: dict[str, str] = {}
        payload = fn.invoke(json.dumps(event), {}, headers)
        body = json.loads(payload) if payload else None
        if "x-amz-function-error" in headers:
            message = body.get("errorMessage", "") if isinstance(body, dict) else ""
            raise CognitoError("UserLambdaValidationException", f"{trigger} failed with error {message}.")
        if not isinstance(body, dict):
            raise CognitoError("InvalidLambdaResponseException", f"Invalid {trigger} Lambda response.")
        return body

    def _base_event(
        self,
        pool: CognitoIdpUserPool,
        trigger_source: str,
        version: str,
        username: str | None,
        client_id: str,
    ) -> dict[str, Any]:
        return {
            "version": version,
            "triggerSource": trigger_source,
            "region": self.region,
            "userPoolId": pool.id,
            "userName": username,
            "callerContext": {
                "awsSdkVersion": "aws-sdk-unknown-unknown",
                "clientId": client_id or "CLIENT_ID_NOT_APPLICABLE",
            },
        }

    @staticmethod
    def _user_attributes(user: CognitoIdpUser) -> dict[str, str]:
        attributes = {a["Name"]: a["Value"] for a in user.attributes}
        attributes["cognito:user_status"] = str(getattr(user.status, "value", user.status))
        return attributes

    def _post_confirmation(self, params: Mapping[str, Any], trigger_source: str) -> None:
        pool = self._pool(params)
        if pool is None:
            return
        arn = (pool.extended_config.get("LambdaConfig") or {}).get("PostConfirmation")
        if not arn:
            return
        user = pool._get_user(params.get("Username", ""))
        event = self._base_event(pool, trigger_source, "1", user.username, params.get("ClientId", ""))
        event["request"] = {
            "userAttributes": self._user_attributes(user),
            "clientMetadata": dict(params.get("ClientMetadata") or {}),
        }
        event["response"] = {}
        self._invoke(arn, event, "PostConfirmation")

    @staticmethod
    def _pre_token_config(pool: CognitoIdpUserPool) -> tuple[str, str] | None:
        config = pool.extended_config.get("LambdaConfig") or {}
        versioned = config.get("PreTokenGenerationConfig") or {}
        if versioned.get("LambdaArn"):
            return str(versioned["LambdaArn"]), str(versioned.get("LambdaVersion") or "V1_0")
        if config.get("PreTokenGeneration"):
            return str(config["PreTokenGeneration"]), "V1_0"
        return None

    def _pre_token(self, operation: str, params: Mapping[str, Any], tokens: dict[str, Any]) -> dict[str, Any]:
        pool = self._pool(params)
        if pool is None or "AccessToken" not in tokens or self._pre_token_config(pool) is None:
            return tokens
        access = token_claims(tokens["AccessToken"])
        id_claims = token_claims(tokens["IdToken"]) if tokens.get("IdToken") else None
        user = next((u for u in list(pool.users.values()) if u.id == access.get("sub")), None)
        if user is None:
            return tokens
        flow = str(params.get("AuthFlow", ""))
        if flow in ("REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"):
            source = "TokenGeneration_RefreshTokens"
        elif params.get("ChallengeName") == "NEW_PASSWORD_REQUIRED":
            source = "TokenGeneration_NewPasswordChallenge"
        else:
            source = "TokenGeneration_Authentication"
        access, id_claims = self.run_pre_token(
            pool,
            user,
            access["client_id"],
            source,
            access=access,
            id_claims=id_claims,
            client_metadata=params.get("ClientMetadata"),
        )
        return self._reissue(pool, tokens, access, id_claims)

    def run_pre_token(
        self,
        pool: CognitoIdpUserPool,
        user: CognitoIdpUser,
        client_id: str,
        source: str,
        *,
        access: dict[str, Any],
        id_claims: dict[str, Any] | None,
        client_metadata: Mapping[str, str] | None = None,
    ) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """The claims after the pool's pre token generation trigger (if any) for `source`; for V2_0 and
        V3_0 the event's `scopes` are the access token's. Raises CognitoError when the trigger fails."""
        trigger = self._pre_token_config(pool)
        if trigger is None:
            return access, id_claims
        arn, version = trigger
        event = self._base_event(pool, source, version[1], user.username, client_id)
        groups = sorted(user.groups, key=lambda g: (g.precedence is None, g.precedence or 0, g.group_name))
        event["request"] = {
            "userAttributes": self._user_attributes(user),
            "groupConfiguration": {
                "groupsToOverride": [g.group_name for g in groups],
                "iamRolesToOverride": [g.role_arn for g in groups if g.role_arn],
                "preferredRole": next((g.role_arn for g in groups if g.role_arn), None),
            },
            "clientMetadata": dict(client_metadata or {}),
        }
        if version != "V1_0":
            event["request"]["scopes"] = str(access.get("scope", "")).split()
        event["response"] = {}
        response = self._invoke(arn, event, "PreTokenGeneration").get("response") or {}
        return apply_pre_token_response(version, response, access, id_claims)

    def _reissue(
        self,
        pool: CognitoIdpUserPool,
        tokens: dict[str, Any],
        access: dict[str, Any],
        id_claims: dict[str, Any] | None,
    ) -> dict[str, Any]:
        """Re-sign the changed claims with the pool's key; moto's token registry learns the new tokens."""
        result = dict(tokens)
        result["AccessToken"] = self.resign(pool, pool.access_tokens, tokens["AccessToken"], access)
        if id_claims is not None:
            result["IdToken"] = self.resign(pool, pool.id_tokens, tokens["IdToken"], id_claims)
        return result

    def resign(
        self, pool: CognitoIdpUserPool, registry: dict[str, Any], token: str, claims: dict[str, Any]
    ) -> str:
        """`claims` signed as the new token, which takes `token`'s place in moto's registry."""
        new_token = sign(pool, claims)
        with self._lock:
            owner = registry.pop(token, None)
            if owner is not None:
                registry[new_token] = owner
        return new_token

    # --- OAuth2 token endpoint -----------------------------------------------------------------
    def token_endpoint(  # noqa: PLR0911 - one early answer per OAuth error
        self, form: Mapping[str, str], authorization: str | None
    ) -> tuple[int, dict[str, Any]]:
        """`POST /oauth2/token` for grant_type=client_credentials (machine-to-machine clients)."""
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        if authorization and authorization.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(authorization[6:]).decode()
            except (binascii.Error, UnicodeDecodeError):
                return 400, {"error": "invalid_request"}
            client_id, _, secret = decoded.partition(":")
        if form.get("grant_type") != "client_credentials":
            return 400, {"error": "unsupported_grant_type"}
        pool = self.pool_of_client(client_id)
        client = pool.clients.get(client_id) if pool is not None else None
        if pool is None or client is None or not client.generate_secret or client.secret != secret:
            return 400, {"error": "invalid_client"}
        config = client.extended_config
        if "client_credentials" not in (config.get("AllowedOAuthFlows") or []) or not config.get(
            "AllowedOAuthFlowsUserPoolClient"
        ):
            return 400, {"error": "unauthorized_client"}
        allowed = list(config.get("AllowedOAuthScopes") or [])
        requested = form.get("scope", "").split() or allowed
        if not requested or any(scope not in allowed for scope in requested):
            return 400, {"error": "invalid_scope"}
        now = int(time.time())
        expires_in = validity_seconds(config, "AccessToken")
        claims: dict[str, Any] = {
            "sub": client_id,
            "token_use": "access",
            "scope": " ".join(requested),
            "auth_time": now,
            "iss": self.issuers.of(self.region, pool.id),
            "exp": now + expires_in,
            "iat": now,
            "version": 2,
            "jti": str(uuid.uuid4()),
            "client_id": client_id,
        }
        trigger = self._pre_token_config(pool)
        if trigger is not None and trigger[1] == "V3_0":
            event = self._base_event(pool, "TokenGeneration_ClientCredentials", "3", None, client_id)
            event["request"] = {
                "userAttributes": {},
                "groupConfiguration": {
                    "groupsToOverride": [],
                    "iamRolesToOverride": [],
                    "preferredRole": None,
                },
                "scopes": list(requested),
                "clientMetadata": {},
            }
            event["response"] = {}
            try:
                response = self._invoke(trigger[0], event, "PreTokenGeneration").get("response") or {}
            except CognitoError as exc:
                return 400, {"error": "invalid_request", "error_description": exc.message}
            claims, _ = apply_pre_token_response("V3_0", response, claims, None)
        return 200, {"access_token": sign(pool, claims), "expires_in": expires_in, "token_type": "Bearer"}


def _validate(params: Mapping[str, Any]) -> None:
    try:
        validate_client_urls(params)
    except JsonRESTError as exc:
        raise CognitoError(exc.error_type, exc.message) from exc


# Token validity settings of an app client: (validity field, default value, default unit).
VALIDITY: dict[str, tuple[str, int, str]] = {
    "AccessToken": ("AccessTokenValidity", 60, "minutes"),
    "IdToken": ("IdTokenValidity", 60, "minutes"),
    "RefreshToken": ("RefreshTokenValidity", 30, "days"),
}
UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}


def validity_seconds(config: Mapping[str, Any], token: str) -> int:
    """How long an app client's `token` ("AccessToken", "IdToken", "RefreshToken") is valid, in seconds,
    from its validity and TokenValidityUnits (Cognito's defaults: 60 minutes, 60 minutes, 30 days)."""
    name, default, default_unit = VALIDITY[token]
    validity = int(config.get(name) or default)
    unit = (config.get("TokenValidityUnits") or {}).get(token) or default_unit
    return validity * UNIT_SECONDS.get(unit, UNIT_SECONDS[default_unit])


def token_claims(token: str) -> dict[str, Any]:
    """The payload of a token moto just issued (its signature is ours, so it is not re-verified)."""
    payload = token.split(".")[1]
    data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return data


def sign(pool: CognitoIdpUserPool, claims: Mapping[str, Any]) -> str:
    token: str = jwt.encode({"kid": "dummy", "alg": "RS256"}, dict(claims), pool.json_web_key)
    return token


def _edit_claims(claims: dict[str, Any], details: Mapping[str, Any] | None) -> None:
    if not details:
        return
    for name in details.get("claimsToSuppress") or []:
        if name not in PROTECTED_CLAIMS:
            claims.pop(name, None)
    for name, value in (details.get("claimsToAddOrOverride") or {}).items():
        if name in PROTECTED_CLAIMS:
            log.warning("pre token generation may not change claim %s; kept Cognito's value", name)
            continue
        claims[name] = value


def _override_groups(claims: dict[str, Any] | None, groups: Mapping[str, Any] | None, id_token: bool) -> None:
    if claims is None or not groups:
        return
    if groups.get("groupsToOverride") is not None:
        if groups["groupsToOverride"]:
            claims["cognito:groups"] = list(groups["groupsToOverride"])
        else:
            claims.pop("cognito:groups", None)
    if id_token:
        if groups.get("iamRolesToOverride") is not None:
            if groups["iamRolesToOverride"]:
                claims["cognito:roles"] = list(groups["iamRolesToOverride"])
            else:
                claims.pop("cognito:roles", None)
        if groups.get("preferredRole"):
            claims["cognito:preferred_role"] = groups["preferredRole"]


def apply_pre_token_response(
    version: str,
    response: Mapping[str, Any],
    access: dict[str, Any],
    id_claims: dict[str, Any] | None,
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The access and ID token claims after a pre token generation response, as Cognito applies it."""
    access = dict(access)
    id_claims = dict(id_claims) if id_claims is not None else None
    if version == "V1_0":
        details = response.get("claimsOverrideDetails") or {}
        if id_claims is not None:
            _edit_claims(id_claims, details)
        groups = details.get("groupOverrideDetails")
        _override_groups(id_claims, groups, id_token=True)
        _override_groups(access, groups, id_token=False)
        return access, id_claims
    details = response.get("claimsAndScopeOverrideDetails") or {}
    if id_claims is not None:
        _edit_claims(id_claims, details.get("idTokenGeneration"))
    access_details = details.get("accessTokenGeneration") or {}
    _edit_claims(access, access_details)
    scopes = [s for s in str(access.get("scope", "")).split() if s]
    suppressed = set(access_details.get("scopesToSuppress") or [])
    scopes = [s for s in scopes if s not in suppressed]
    scopes += [s for s in access_details.get("scopesToAdd") or [] if s not in scopes]
    if scopes:
        access["scope"] = " ".join(scopes)
    else:
        access.pop("scope", None)
    groups = details.get("groupOverrideDetails")
    _override_groups(id_claims, groups, id_token=True)
    _override_groups(access, groups, id_token=False)
    return access, id_claims
