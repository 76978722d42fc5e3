"""What a user's access token may do through Cognito's API, as Cognito decides it (moto 5.2.5 lets any
access token do everything, and reads and writes every attribute).

- Scope: the token-authorized self-service operations (GetUser, UpdateUserAttributes, ChangePassword,
  GlobalSignOut, the MFA ones) need `aws.cognito.signin.user.admin` in the access token; a hosted-UI token
  from a client whose AllowedOAuthScopes omit it is refused with NotAuthorizedException "Access Token
  does not have required scopes" (API sign-in tokens always carry the scope).
- Attribute permissions of the token's app client: UpdateUserAttributes of an attribute outside the
  client's WriteAttributes is refused (NotAuthorizedException "A client attempted to write unauthorized
  attribute"); GetUser answers, and ID tokens carry, only the client's ReadAttributes (and `sub`). A
  client without ReadAttributes reads the standard attributes and the `*_verified` flags, one without
  WriteAttributes writes the standard attributes, as the API reference has it: custom attributes only
  when listed.

Installed by `local.moto_patches` on `CognitoIdpBackend` (the operations), `CognitoIdpResponse.get_user`
and `CognitoIdpUserPool.create_id_token`; the hosted UI's userInfo and ID tokens use the same reading.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

from moto.cognitoidp.exceptions import NotAuthorizedError
from moto.cognitoidp.models import (
    CognitoIdpBackend,
    CognitoIdpUser,
    CognitoIdpUserPool,
    CognitoIdpUserPoolAttribute,
    CognitoIdpUserPoolClient,
)
from moto.cognitoidp.responses import CognitoIdpResponse
from moto.core.responses import ActionResult

from local.cognito_idp.hooks import token_claims

ADMIN_SCOPE = "aws.cognito.signin.user.admin"
MISSING_SCOPE = "Access Token does not have required scopes"
UNWRITABLE = "A client attempted to write unauthorized attribute"

# The backend operations authorized by a user's access token (their first argument) that the API
# reference says need the admin scope; moto 5.2.5 lacks the others (DeleteUser, VerifyUserAttribute, ...).
SCOPED_OPERATIONS = (
    "get_user",
    "update_user_attributes",
    "change_password",
    "global_sign_out",
    "associate_software_token",
    "verify_software_token",
    "set_user_mfa_preference",
)

STANDARD_ATTRIBUTES = frozenset(CognitoIdpUserPoolAttribute.STANDARD_SCHEMA)
VERIFIED_FLAGS = frozenset({"email_verified", "phone_number_verified"})
# What a client reads, and writes, when its ReadAttributes, or WriteAttributes, are not set.
DEFAULT_READABLE = STANDARD_ATTRIBUTES
DEFAULT_WRITABLE = STANDARD_ATTRIBUTES - VERIFIED_FLAGS - {"sub"}


def readable(client: CognitoIdpUserPoolClient | None) -> frozenset[str]:
    """The attributes `client` may read (`sub` always)."""
    listed = client.extended_config.get("ReadAttributes") if client is not None else None
    return (frozenset(listed) if listed else DEFAULT_READABLE) | {"sub"}


def writable(client: CognitoIdpUserPoolClient | None) -> frozenset[str]:
    """The attributes `client` may write for its signed-in users."""
    listed = client.extended_config.get("WriteAttributes") if client is not None else None
    return (frozenset(listed) if listed else DEFAULT_WRITABLE) - {"sub"}


def readable_attributes(client: CognitoIdpUserPoolClient | None, user: CognitoIdpUser) -> dict[str, str]:
    """The user's attributes that `client` may read, `sub` apart."""
    names = readable(client)
    return {a["Name"]: a["Value"] for a in user.attributes if a["Name"] in names and a["Name"] != "sub"}


def id_token_attributes(client: CognitoIdpUserPoolClient | None, user: CognitoIdpUser) -> dict[str, Any]:
    """The readable attributes as ID token claims: the `*_verified` flags as booleans, as Cognito has them."""
    return {
        name: (value.lower() == "true" if name in VERIFIED_FLAGS else value)
        for name, value in readable_attributes(client, user).items()
    }


def _owner(
    pools: Iterable[CognitoIdpUserPool], access_token: str
) -> tuple[CognitoIdpUserPool, CognitoIdpUserPoolClient | None] | None:
    """The pool that issued `access_token` (still valid in moto's registry) and the token's client."""
    for pool in pools:
        owner = pool.access_tokens.get(access_token)
        if owner is not None:
            return pool, pool.clients.get(owner[0])
    return None


def _access_token(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str | None:
    token = kwargs.get("access_token", args[0] if args else None)
    return token if isinstance(token, str) and token else None


def _scopes(access_token: str) -> list[str]:
    return str(token_claims(access_token).get("scope", "")).split()


def requires_admin_scope(original: Callable[..., Any]) -> Callable[..., Any]:
    """moto's token-authorized operation, refusing a known access token without the admin scope."""

    @functools.wraps(original)
    def operation(self: CognitoIdpBackend, *args: Any, **kwargs: Any) -> Any:
        token = _access_token(args, kwargs)
        known = token is not None and _owner(self.user_pools.values(), token) is not None
        if known and ADMIN_SCOPE not in _scopes(str(token)):
            raise NotAuthorizedError(MISSING_SCOPE)
        return original(self, *args, **kwargs)

    return operation


def writes_only_writable(original: Callable[..., None]) -> Callable[..., None]:
    """moto's UpdateUserAttributes, refusing an attribute outside the token's client's WriteAttributes."""

    @functools.wraps(original)
    def update_user_attributes(
        self: CognitoIdpBackend, access_token: str, attributes: list[dict[str, str]]
    ) -> None:
        found = _owner(self.user_pools.values(), access_token)
        if found is not None:
            allowed = writable(found[1])
            if any(a.get("Name") not in allowed for a in attributes):
                raise NotAuthorizedError(UNWRITABLE)
        original(self, access_token, attributes)

    return update_user_attributes


def get_user(self: CognitoIdpResponse) -> ActionResult:
    """GetUser answering only the attributes the access token's client may read."""
    access_token = self._get_param("AccessToken")
    agnostic = self._get_region_agnostic_backend()
    user = agnostic.get_user(access_token=access_token)
    backend = agnostic._find_backend_by_access_token(access_token)
    found = _owner(backend.user_pools.values(), access_token)
    names = sorted(readable(found[1] if found is not None else None))
    return ActionResult(user.to_json(extended=True, attributes_key="UserAttributes", attributes_to_get=names))


def create_id_token(
    self: CognitoIdpUserPool, client_id: str, username: str, origin_jti: str
) -> tuple[str, int]:
    """moto's ID token with the client's readable attributes only (moto adds every custom attribute)."""
    user = self._get_user(username)
    extra: dict[str, Any] = {
        **id_token_attributes(self.clients.get(client_id), user),
        "origin_jti": origin_jti,
    }
    if user.groups:
        extra["cognito:groups"] = [group.group_name for group in user.groups]
    id_token, expires_in = self.create_jwt(client_id, username, "id", extra_data=extra)
    self.id_tokens[id_token] = (client_id, username)
    return id_token, expires_in
