"""Custom::CognitoUserPoolTriggers on the local stack, through CloudFormation: the retained pool of a normal
installation is left without the stack's triggers, and an existing pool is refused (naming the reason,
nothing changed) when its slots hold another function or its feature plan lacks V2_0."""

from __future__ import annotations

from typing import Any

import pytest

from cognito_automation import aws
from local.stack import DeployError, LocalCloud
from tests.conftest import ROOT
from tests.local_stack import physical_id

pytestmark = pytest.mark.local

THEIRS = "arn:aws:lambda:us-east-1:123456789012:function:console-post-confirmation"


def lambda_config(stack: LocalCloud, pool_id: str) -> dict[str, Any]:
    described = stack.client(aws.COGNITO_IDP).describe_user_pool(UserPoolId=pool_id)["UserPool"]
    return dict(described.get("LambdaConfig") or {})


def test_the_retained_pool_of_a_deleted_installation_invokes_none_of_its_functions(
    local_stack: LocalCloud,
) -> None:
    # Given an installation with its own pool and both triggers on it
    outputs = local_stack.deploy(ROOT / "template.yaml", {}, "retained-pool")
    pool_id = outputs["UserPoolId"]
    assert set(lambda_config(local_stack, pool_id)) == {"PostConfirmation", "PreTokenGenerationConfig"}
    # When the stack is deleted (the pool is retained)
    local_stack.delete("retained-pool")
    # Then the pool is still there, without the deleted functions as triggers
    assert lambda_config(local_stack, pool_id) == {}


@pytest.mark.parametrize(
    ("pool_settings", "reason"),
    [
        (
            {"UserPoolTier": "ESSENTIALS", "LambdaConfig": {"PostConfirmation": THEIRS}},
            f"trigger is {THEIRS}",
        ),
        ({"UserPoolTier": "LITE"}, "needs the Essentials or Plus feature plan"),
    ],
)
def test_an_existing_pool_that_cannot_take_the_triggers_is_refused_unchanged(
    local_stack: LocalCloud, pool_settings: dict[str, Any], reason: str
) -> None:
    cognito = local_stack.client(aws.COGNITO_IDP)
    pool_id = cognito.create_user_pool(PoolName="console", **pool_settings)["UserPool"]["Id"]
    before = lambda_config(local_stack, pool_id)
    with pytest.raises(DeployError, match=reason):
        local_stack.deploy(ROOT / "template.yaml", {"ExistingUserPoolId": pool_id}, "refused-pool")
    assert lambda_config(local_stack, pool_id) == before
    local_stack.delete("refused-pool")


def test_take_over_replaces_the_pools_function_and_gives_it_back(local_stack: LocalCloud) -> None:
    cognito = local_stack.client(aws.COGNITO_IDP)
    settings: Any = {"UserPoolTier": "ESSENTIALS", "LambdaConfig": {"PostConfirmation": THEIRS}}
    pool_id = cognito.create_user_pool(PoolName="console", **settings)["UserPool"]["Id"]
    parameters = {"ExistingUserPoolId": pool_id, "TakeOverTriggers": "true"}
    local_stack.deploy(ROOT / "template.yaml", parameters, "taken-over")
    function = physical_id(local_stack, "taken-over", "PostConfirmationFunction")
    assert lambda_config(local_stack, pool_id)["PostConfirmation"].endswith(f":function:{function}")
    local_stack.delete("taken-over")
    assert lambda_config(local_stack, pool_id) == {"PostConfirmation": THEIRS}
