"""What the project's custom resources on an app client share, with the standard library only (the
handlers' init-failure paths use it when nothing else may have imported): their physical ids,
`<prefix>:<pool id>:<client id>:<instance digest>`, and their UserPoolId and ClientId properties.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cognito_automation import config

CLIENT_ID = re.compile(r"^[\w+]{1,128}\Z")


def is_client_id(value: object) -> bool:
    return isinstance(value, str) and CLIENT_ID.fullmatch(value) is not None


def digest(stack_id: str, logical_resource_id: str) -> str:
    """The instance digest: stable for one resource of one stack."""
    return hashlib.sha256(f"{stack_id}|{logical_resource_id}".encode()).hexdigest()[:20]


def pool_and_client(props: Mapping[str, Any], error: type[Exception]) -> tuple[str, str]:
    """The UserPoolId and ClientId properties, checked; `error` naming the property otherwise."""
    pool = props.get("UserPoolId")
    if not isinstance(pool, str) or not config.is_user_pool_id(pool):
        raise error(
            f"property UserPoolId is required and must be a user pool id like us-east-1_AbC123, got {pool!r}"
        )
    client = props.get("ClientId")
    if not isinstance(client, str) or not is_client_id(client):
        raise error(
            "property ClientId is required and must be an app client id (letters, digits, +, _), "
            f"got {client!r}"
        )
    return pool, client


@dataclass(frozen=True)
class ResourceIds:
    """The physical ids one resource type issues."""

    prefix: str

    @property
    def init_failed(self) -> str:
        """The id of a Create answered while the function could not initialise (it owns nothing)."""
        return f"{self.prefix}:init-failed"

    def issue(self, stack_id: str, logical_resource_id: str, user_pool_id: str, client_id: str) -> str:
        return f"{self.prefix}:{user_pool_id}:{client_id}:{digest(stack_id, logical_resource_id)}"

    def parse(self, value: object) -> tuple[str, str] | None:
        """(pool id, client id) of a physical id this resource issued; None for any other id."""
        parts = value.split(":") if isinstance(value, str) else []
        if len(parts) != 4 or parts[0] != self.prefix:
            return None
        pool, client = parts[1], parts[2]
        if not config.is_user_pool_id(pool) or not is_client_id(client):
            return None
        return pool, client
