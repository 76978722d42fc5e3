"""Which issuer (`iss`) the local stack's Cognito names in its tokens and its OpenID configuration.

- `aws` (the default): Cognito's own, `https://cognito-idp.<region>.amazonaws.com/<pool id>`, so tokens
  look as they will in AWS; the discovery document is served locally, but names that issuer.
- `local`: `<endpoint>/<pool id>` (`http://127.0.0.1:<port>/<pool id>`), the URL the local stack serves
  the discovery document under, for relying parties that check that the issuer they discover is the URL
  they fetched it from, and that tokens carry that issuer (OIDC Discovery 1.0, section 4.3).

Chosen per LocalCloud (`LocalCloud(issuer=...)`, or `LOCAL_COGNITO_ISSUER=local` in the environment) and
read, through `CURRENT`, by every path that mints a token: moto's `CognitoIdpUserPool.create_jwt`
(InitiateAuth, the hosted UI, refresh), the client credentials grant and the pre token trigger's
re-signing (which keeps the claim). Installed by `local.moto_patches`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

AWS = "aws"
LOCAL = "local"
MODES = (AWS, LOCAL)
SETTING = "LOCAL_COGNITO_ISSUER"


def mode_from(env: Mapping[str, str]) -> str:
    """The issuer mode `LOCAL_COGNITO_ISSUER` asks for (`aws` when unset); ValueError naming the value."""
    return checked_mode(env.get(SETTING, "").strip().lower() or AWS, SETTING)


def checked_mode(mode: str, source: str = "issuer") -> str:
    if mode not in MODES:
        raise ValueError(f"{source}={mode!r}: the issuer mode must be one of {', '.join(MODES)}")
    return mode


def aws_issuer(region: str, pool_id: str) -> str:
    return f"https://cognito-idp.{region}.amazonaws.com/{pool_id}"


@dataclass
class Issuers:
    """The issuer of each pool, for the mode in force."""

    mode: str = AWS
    endpoint_url: str = ""

    def configure(self, mode: str, endpoint_url: str) -> None:
        self.mode = checked_mode(mode)
        self.endpoint_url = endpoint_url.rstrip("/")

    def of(self, region: str, pool_id: str) -> str:
        """The issuer of the pool `pool_id` (in `region`)."""
        if self.mode == LOCAL:
            return f"{self.endpoint_url}/{pool_id}"
        return aws_issuer(region, pool_id)


CURRENT = Issuers()


def with_current_issuer(original: Callable[..., tuple[str, int]]) -> Callable[..., tuple[str, int]]:
    """Wraps moto's `CognitoIdpUserPool.create_jwt` (which writes Cognito's AWS issuer) to write the
    issuer in force: moto lays `extra_data` over the claims it sets, `iss` included."""

    @functools.wraps(original)
    def create_jwt(
        self: Any,
        client_id: str,
        username: str,
        token_use: str,
        *,
        expires_in: int = 60 * 60,
        extra_data: dict[str, Any] | None = None,
    ) -> tuple[str, int]:
        claims = {"iss": CURRENT.of(self.region, self.id), **(extra_data or {})}
        return original(self, client_id, username, token_use, expires_in=expires_in, extra_data=claims)

    return create_jwt
