"""The physical resource ids Custom::CognitoClaimRules issues:
`cognito-claim-rules:<pool id>:<client id>:<instance digest>`, the shape (and the instance digest) of
Custom::CognitoCallbackUrls' ids.

Standard library only (and the stdlib-only id helpers it shares): the handler's init-failure path uses it to
recognise an id this resource never issued, when nothing else may have imported.
"""

from __future__ import annotations

from cognito_automation import config
from cognito_automation.callback_urls.physical_ids import digest, is_client_id

ID_PREFIX = "cognito-claim-rules"

__all__ = ["ID_PREFIX", "digest", "is_client_id", "issue", "parse"]


def issue(stack_id: str, logical_resource_id: str, user_pool_id: str, client_id: str) -> str:
    return f"{ID_PREFIX}:{user_pool_id}:{client_id}:{digest(stack_id, logical_resource_id)}"


def parse(value: object) -> tuple[str, str] | None:
    """(pool id, client id) of a physical id this resource issued; None for any other id."""
    parts = value.split(":") if isinstance(value, str) else []
    if len(parts) != 4 or parts[0] != ID_PREFIX:
        return None
    pool, client = parts[1], parts[2]
    if not config.is_user_pool_id(pool) or not is_client_id(client):
        return None
    return pool, client
