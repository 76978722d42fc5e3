"""The physical resource ids Custom::CognitoCallbackUrls issues: `cognito-callback-urls:<pool id>:<client
id>:<instance digest>`.

Standard library only (and the stdlib-only settings module): the handler's init-failure path uses it to
recognise an id this resource never issued, when nothing else may have imported.
"""

from __future__ import annotations

import hashlib
import re

from cognito_automation import config

ID_PREFIX = "cognito-callback-urls"
CLIENT_ID = re.compile(r"^[\w+]{1,128}\Z")


def is_client_id(value: object) -> bool:
    return isinstance(value, str) and CLIENT_ID.fullmatch(value) is not None


def digest(stack_id: str, logical_resource_id: str) -> str:
    """The instance digest: stable for one resource of one stack."""
    return hashlib.sha256(f"{stack_id}|{logical_resource_id}".encode()).hexdigest()[:20]


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
