"""Pool and app client names as Cognito refuses them (moto 5.2.5 takes a name of any length).

CreateUserPool's `PoolName` (and UpdateUserPool's, which renames the pool) and CreateUserPoolClient's
`ClientName` are 1 to 128 characters; a longer one fails with InvalidParameterException. Installed by
`local.moto_patches` on `CognitoIdpBackend.create_user_pool`, `update_user_pool` and
`create_user_pool_client`, which both the API and the CloudFormation models call.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from moto.cognitoidp.exceptions import InvalidParameterException

MAX_NAME = 128


def check_name(field: str, name: str) -> None:
    """Raise InvalidParameterException, as Cognito does, for a name over 128 characters."""
    if len(name) > MAX_NAME:
        raise InvalidParameterException(
            f"1 validation error detected: Value '{name}' at '{field}' failed to satisfy constraint: "
            f"Member must have length less than or equal to {MAX_NAME}"
        )


def checked_pool_name(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def create_user_pool(self: Any, name: str, extended_config: dict[str, Any]) -> Any:
        check_name("poolName", name)
        return original(self, name, extended_config)

    return create_user_pool


def checked_pool_rename(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def update_user_pool(self: Any, user_pool_id: str, extended_config: dict[str, Any]) -> Any:
        check_name("poolName", str((extended_config or {}).get("PoolName") or ""))
        return original(self, user_pool_id, extended_config)

    return update_user_pool


def checked_client_name(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def create_user_pool_client(
        self: Any, user_pool_id: str, generate_secret: bool, extended_config: dict[str, Any]
    ) -> Any:
        check_name("clientName", str((extended_config or {}).get("ClientName") or ""))
        return original(self, user_pool_id, generate_secret, extended_config)

    return create_user_pool_client
