"""A pool's `LambdaConfig` with this installation's two triggers attached, and without them again.

Pure functions on the mapping DescribeUserPool returns. The installation owns two slots: pre token
generation (`PreTokenGenerationConfig`, whose ARN Cognito may also report in the legacy
`PreTokenGeneration`) and `PostConfirmation`. Every other trigger, and `KMSKeyID`, is kept as it is.

- `attach`: sets both slots to this installation's functions (the pre token one with its event version).
  A slot that holds another function is refused, naming the function, unless `take_over` allows it.
- `previous`: what the slots held before the attach (kept by the resource, to restore on delete).
- `detach`: each slot that still holds this installation's function gets back what it held before (or
  nothing); a slot someone else took since is left to them. After attach then detach, with no change in
  between, the `LambdaConfig` is exactly the one before.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cognito_automation.user_pool_triggers.errors import SlotTakenError

PRE_TOKEN_SLOTS = ("PreTokenGenerationConfig", "PreTokenGeneration")
POST_CONFIRMATION_SLOTS = ("PostConfirmation",)
SLOTS = (*PRE_TOKEN_SLOTS, *POST_CONFIRMATION_SLOTS)


@dataclass(frozen=True)
class Triggers:
    """This installation's functions, and the pre token event version it runs."""

    pre_token_arn: str
    post_confirmation_arn: str
    event_version: str


def pre_token_holder(config: Mapping[str, Any]) -> str | None:
    """The function in the pre token slot: the versioned setting's, else the legacy (V1_0) one."""
    versioned = config.get("PreTokenGenerationConfig") or {}
    found = versioned.get("LambdaArn") or config.get("PreTokenGeneration")
    return str(found) if found else None


def post_confirmation_holder(config: Mapping[str, Any]) -> str | None:
    found = config.get("PostConfirmation")
    return str(found) if found else None


def previous(config: Mapping[str, Any]) -> dict[str, Any]:
    """What the installation's slots hold in `config` (to give back on detach)."""
    return {name: config[name] for name in SLOTS if name in config}


def _holders(config: Mapping[str, Any], triggers: Triggers) -> list[tuple[str, str | None, str]]:
    return [
        ("pre token generation", pre_token_holder(config), triggers.pre_token_arn),
        ("post confirmation", post_confirmation_holder(config), triggers.post_confirmation_arn),
    ]


def attach(
    config: Mapping[str, Any], triggers: Triggers, *, user_pool_id: str, take_over: bool
) -> dict[str, Any]:
    """`config` with both slots set to `triggers` (SlotTakenError for a slot another function holds)."""
    taken = [
        f"its {slot} trigger is {holder}"
        for slot, holder, ours in _holders(config, triggers)
        if holder is not None and holder != ours
    ]
    if taken and not take_over:
        raise SlotTakenError(
            f"user pool {user_pool_id} already has triggers of its own: {'; '.join(taken)}. This "
            "installation needs both slots: remove those triggers from the pool, or deploy with "
            "TakeOverTriggers=true to replace them (they are restored when the stack is deleted)"
        )
    attached = {name: value for name, value in config.items() if name not in SLOTS}
    attached["PreTokenGenerationConfig"] = {
        "LambdaArn": triggers.pre_token_arn,
        "LambdaVersion": triggers.event_version,
    }
    attached["PostConfirmation"] = triggers.post_confirmation_arn
    return attached


def detach(config: Mapping[str, Any], triggers: Triggers, before: Mapping[str, Any]) -> dict[str, Any]:
    """`config` with each slot that still holds this installation's function given back what it held in
    `before` (what `previous` returned at attach)."""
    detached = dict(config)
    if pre_token_holder(config) == triggers.pre_token_arn:
        _restore(detached, before, PRE_TOKEN_SLOTS)
    if post_confirmation_holder(config) == triggers.post_confirmation_arn:
        _restore(detached, before, POST_CONFIRMATION_SLOTS)
    return detached


def _restore(config: dict[str, Any], before: Mapping[str, Any], names: tuple[str, ...]) -> None:
    for name in names:
        if name in before:
            config[name] = before[name]
        else:
            config.pop(name, None)
