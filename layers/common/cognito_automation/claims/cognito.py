"""What Cognito allows a pre token generation trigger: the event versions, the trigger sources, and the
claims and scopes it sets itself (Cognito developer guide, pre token generation). Standard library only."""

from __future__ import annotations

from typing import Literal

EventVersion = Literal["V1_0", "V2_0", "V3_0"]
EVENT_VERSIONS: tuple[EventVersion, ...] = ("V1_0", "V2_0", "V3_0")

USER_TRIGGER_SOURCES = frozenset(
    {
        "TokenGeneration_HostedAuth",
        "TokenGeneration_Authentication",
        "TokenGeneration_NewPasswordChallenge",
        "TokenGeneration_AuthenticateDevice",
        "TokenGeneration_RefreshTokens",
    }
)
CLIENT_CREDENTIALS = "TokenGeneration_ClientCredentials"

# Claims that Cognito sets itself and that the trigger may neither add, override nor suppress
# (Cognito developer guide, pre token generation, "Excluded claims and scopes").
RESERVED_CLAIMS = frozenset(
    {
        "acr",
        "amr",
        "at_hash",
        "aud",
        "auth_time",
        "azp",
        "c_hash",
        "event_id",
        "exp",
        "iat",
        "identities",
        "iss",
        "jti",
        "nbf",
        "nonce",
        "origin_jti",
        "sub",
        "token_use",
    }
)
# Access-token claims that identify the client and the grant; scopes change through scopes_add/suppress.
RESERVED_ACCESS_TOKEN_CLAIMS = frozenset({"client_id", "device_key", "scope", "username", "version"})
# cognito:username is Cognito's; cognito:groups, cognito:roles and cognito:preferred_role change only
# through groupOverrideDetails (hide_groups here), never as plain claims.
RESERVED_PREFIX = "cognito:"
# ID-token claims whose value must stay a simple value (Cognito refuses lists and objects for them).
SIMPLE_ID_TOKEN_CLAIMS = frozenset({"address", "email_verified", "phone_number_verified", "updated_at"})
# Scopes a rule may not grant: the self-service user API scope, and openid, which the OAuth flow decides.
UNGRANTABLE_SCOPES = frozenset({"aws.cognito.signin.user.admin", "openid"})
UNSUPPRESSIBLE_SCOPES = frozenset({"openid"})
