"""The pool's LambdaConfig with this installation's triggers attached and detached: other triggers kept,
slots held by another function refused unless taken over, and given back exactly."""

from __future__ import annotations

import pytest

from cognito_automation.user_pool_triggers.errors import SlotTakenError
from cognito_automation.user_pool_triggers.lambda_config import Triggers, attach, detach, previous

POOL = "us-east-1_Example1"
OURS = Triggers(
    "arn:aws:lambda:us-east-1:123456789012:function:auth-pre-token",
    "arn:aws:lambda:us-east-1:123456789012:function:auth-post-confirmation",
    "V2_0",
)
THEIRS = "arn:aws:lambda:us-east-1:123456789012:function:theirs"
CUSTOM_MESSAGE = {"CustomMessage": "arn:aws:lambda:us-east-1:123456789012:function:custom-message"}


def test_attach_sets_both_slots_and_keeps_every_other_trigger() -> None:
    # Given a pool with a custom message trigger of its own
    config = dict(CUSTOM_MESSAGE)
    # When
    attached = attach(config, OURS, user_pool_id=POOL, take_over=False)
    # Then
    assert attached == {
        **CUSTOM_MESSAGE,
        "PreTokenGenerationConfig": {"LambdaArn": OURS.pre_token_arn, "LambdaVersion": "V2_0"},
        "PostConfirmation": OURS.post_confirmation_arn,
    }


@pytest.mark.parametrize(
    ("config", "named"),
    [
        ({"PostConfirmation": THEIRS}, "post confirmation"),
        ({"PreTokenGeneration": THEIRS}, "pre token generation"),
        (
            {"PreTokenGenerationConfig": {"LambdaArn": THEIRS, "LambdaVersion": "V1_0"}},
            "pre token generation",
        ),
    ],
)
def test_a_slot_held_by_another_function_is_refused_naming_it(config: dict[str, object], named: str) -> None:
    with pytest.raises(SlotTakenError) as caught:
        attach(config, OURS, user_pool_id=POOL, take_over=False)
    assert f"its {named} trigger is {THEIRS}" in str(caught.value)
    assert POOL in str(caught.value)
    assert "TakeOverTriggers=true" in str(caught.value)


def test_take_over_replaces_the_other_function_and_detach_gives_it_back() -> None:
    # Given a pool whose slots hold another function (V1_0 legacy field and post confirmation)
    config = {"PreTokenGeneration": THEIRS, "PostConfirmation": THEIRS, **CUSTOM_MESSAGE}
    before = previous(config)
    # When taken over, then detached
    attached = attach(config, OURS, user_pool_id=POOL, take_over=True)
    assert "PreTokenGeneration" not in attached
    # Then the pool's configuration is exactly the one before
    assert detach(attached, OURS, before) == config


def test_attach_is_a_no_op_on_a_pool_that_already_runs_our_triggers() -> None:
    config = attach(CUSTOM_MESSAGE, OURS, user_pool_id=POOL, take_over=False)
    assert attach(config, OURS, user_pool_id=POOL, take_over=False) == config


def test_detach_leaves_a_slot_someone_else_took_since() -> None:
    # Given our triggers attached, then someone set their own post confirmation trigger
    attached = attach(CUSTOM_MESSAGE, OURS, user_pool_id=POOL, take_over=False)
    attached["PostConfirmation"] = THEIRS
    # When
    detached = detach(attached, OURS, {})
    # Then only our pre token trigger goes
    assert detached == {**CUSTOM_MESSAGE, "PostConfirmation": THEIRS}


def test_detach_with_nothing_recorded_removes_our_triggers_only() -> None:
    # the installation's own pool: CloudFormation set the triggers, nothing was there before
    attached = attach(CUSTOM_MESSAGE, OURS, user_pool_id=POOL, take_over=False)
    assert detach(attached, OURS, {}) == CUSTOM_MESSAGE
