"""UpdateUserPool as Cognito performs it (moto 5.2.5 resets the whole configuration, settings fixed at the
pool's creation included).

Cognito's UpdateUserPool sets every setting its request can carry (one left out goes back to its
default), but it has no field for what is fixed when the pool is created: `AliasAttributes`,
`UsernameAttributes`, `UsernameConfiguration` and the `Schema` (whose existing attributes cannot change;
custom ones are added with AddCustomAttributes). Those stay as they are; `PoolName`, when given, renames
the pool. Installed by `local.moto_patches` on `CognitoIdpBackend.update_user_pool`, which both the API
and the `AWS::Cognito::UserPool` model call.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

# The settings of CreateUserPool that UpdateUserPool has no field for (the Schema is kept apart by moto).
FIXED_AT_CREATION = ("AliasAttributes", "UsernameAttributes", "UsernameConfiguration")
# What a request names the pool by, and carries besides settings: never stored among the settings.
NOT_SETTINGS = ("UserPoolId", "PoolName", "Schema")


def keeps_creation_settings(original: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(original)
    def update_user_pool(self: Any, user_pool_id: str, extended_config: dict[str, Any]) -> None:
        pool = self.describe_user_pool(user_pool_id)
        kept = pool.extended_config
        fixed = {name: kept[name] for name in FIXED_AT_CREATION if name in kept}
        ignored = (*FIXED_AT_CREATION, *NOT_SETTINGS)
        settings = {k: v for k, v in (extended_config or {}).items() if k not in ignored}
        original(self, user_pool_id, settings)
        pool.extended_config.update(fixed)
        if extended_config.get("PoolName"):
            pool.name = str(extended_config["PoolName"])

    return update_user_pool
