"""A user pool's OpenID Connect discovery document on the local stack
(`GET /<pool id>/.well-known/openid-configuration`; moto's own names only the issuer and the JWKS).

What Cognito's holds: the issuer (see `local.cognito_idp.issuer`), the JWKS beside it, and, for a pool
with a domain, the OAuth 2.0 endpoints of its hosted UI (authorize, token, userInfo, revoke, logout),
here the local server's, where `local.cognito_idp.hosted_ui` serves them; the response types, scopes,
subject type, signing algorithm and client authentication methods Cognito supports. A pool without a
domain has no hosted UI, so its document lists no endpoint of one (a relying party fails at discovery,
naming what is missing, rather than at sign-in). An unknown pool is a 404.
"""

from __future__ import annotations

import re
from typing import Any

from moto.cognitoidp.models import CognitoIdpUserPool

from local.cognito_idp.issuer import Issuers

PATH = re.compile(r"^/(?P<pool_id>[\w-]+_[0-9A-Za-z]+)/\.well-known/openid-configuration$")

# The hosted UI's endpoints, by the discovery document's field that names each.
HOSTED_ENDPOINTS = {
    "authorization_endpoint": "/oauth2/authorize",
    "token_endpoint": "/oauth2/token",
    "userinfo_endpoint": "/oauth2/userInfo",
    "revocation_endpoint": "/oauth2/revoke",
    "end_session_endpoint": "/logout",
}


def openid_configuration(
    pool: CognitoIdpUserPool, issuers: Issuers, region: str, base_url: str
) -> dict[str, Any]:
    """The discovery document of `pool`, with the endpoints under `base_url` (the local server, as the
    request reached it)."""
    base = base_url.rstrip("/")
    document: dict[str, Any] = {
        "issuer": issuers.of(region, pool.id),
        "jwks_uri": f"{base}/{pool.id}/.well-known/jwks.json",
    }
    if pool.domain is not None:
        document.update({name: f"{base}{path}" for name, path in HOSTED_ENDPOINTS.items()})
    document.update(
        {
            "response_types_supported": ["code", "token"],
            "scopes_supported": ["openid", "email", "phone", "profile"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        }
    )
    return document
