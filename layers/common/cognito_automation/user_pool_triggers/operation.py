"""Attach this installation's triggers to a pool, and take them off again (describe, change `LambdaConfig`
only, update; see `pool_settings` and `lambda_config`).

Two modes, one per installation kind:
- `attach` (a pool the installation did not create, `ExistingUserPoolId`): Create and Update record what
  the two slots held (once: an Update keeps the first record) and attach; Delete gives the slots back.
- `detach_on_delete` (the installation's own pool, whose `LambdaConfig` CloudFormation sets): Create and
  Update change nothing; Delete takes this installation's triggers off the retained pool, so that it is not
  left invoking deleted functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cognito_automation.user_pool_triggers import ledger, pool_settings
from cognito_automation.user_pool_triggers.errors import PoolNotFoundError
from cognito_automation.user_pool_triggers.lambda_config import Triggers, attach, detach, previous

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from mypy_boto3_dynamodb import DynamoDBClient

ATTACH = "attach"
DETACH_ON_DELETE = "detach_on_delete"
MODES = (ATTACH, DETACH_ON_DELETE)


@dataclass(frozen=True)
class PoolTriggers:
    """One resource instance's triggers (`owner`: its instance digest) on one pool, with the clients and
    the ledger table it works with."""

    cognito: CognitoIdentityProviderClient
    dynamodb: DynamoDBClient
    table: str
    user_pool_id: str
    owner: str
    triggers: Triggers

    def attach(self, *, take_over: bool) -> dict[str, Any]:
        """Attach (mode `attach`); returns the described pool as it was before."""
        pool = pool_settings.describe_pool(self.cognito, self.user_pool_id)
        pool_settings.check_feature_plan(pool, self.triggers.event_version)
        current = pool.get("LambdaConfig") or {}
        wanted = attach(current, self.triggers, user_pool_id=self.user_pool_id, take_over=take_over)
        if ledger.read(self.dynamodb, self.table, self.user_pool_id, self.owner) is None:
            ledger.record(self.dynamodb, self.table, self.user_pool_id, self.owner, previous(current))
        if wanted != current:
            pool_settings.update_pool(self.cognito, pool, wanted)
        return pool

    def detach(self, *, mode: str) -> bool:
        """Give the slots back (mode `attach`: what the ledger recorded; `detach_on_delete`: nothing). A pool
        that no longer exists has nothing to give back. Returns whether the pool was updated."""
        before = (
            ledger.read(self.dynamodb, self.table, self.user_pool_id, self.owner) if mode == ATTACH else None
        )
        try:
            pool = pool_settings.describe_pool(self.cognito, self.user_pool_id)
        except PoolNotFoundError:
            pool = None
        changed = False
        if pool is not None:
            current = pool.get("LambdaConfig") or {}
            wanted = detach(current, self.triggers, before or {})
            if wanted != current:
                pool_settings.update_pool(self.cognito, pool, wanted)
                changed = True
        if before is not None:
            ledger.forget(self.dynamodb, self.table, self.user_pool_id, self.owner)
        return changed
