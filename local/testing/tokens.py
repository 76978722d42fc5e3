"""Tokens the local stack issues, read as a relying party reads them: signature checked against the
pool's JWKS as the local stack serves it, issuer checked, then any further `jwt.decode` checks."""

from __future__ import annotations

from typing import Any

import jwt


def issuer(region: str, pool_id: str) -> str:
    """The pool's issuer (`iss`), as Cognito names it, whichever endpoint served the token."""
    return f"https://cognito-idp.{region}.amazonaws.com/{pool_id}"


def verified_claims(
    endpoint_url: str, region: str, pool_id: str, token: str, **checks: Any
) -> dict[str, Any]:
    """The token's claims, once its signature and issuer check out; `checks` go to `jwt.decode`
    (`audience=<client id>` for an ID token, `options={"verify_aud": False}` to skip the audience)."""
    keys = jwt.PyJWKClient(f"{endpoint_url}/{pool_id}/.well-known/jwks.json")
    claims: dict[str, Any] = jwt.decode(
        token,
        keys.get_signing_key_from_jwt(token),
        algorithms=["RS256"],
        issuer=issuer(region, pool_id),
        **checks,
    )
    return claims
