"""Every example installed twice side by side in one account and region, as two teams would: the same
samconfig.toml parameters, only the stack names differ. Nothing collides (names, layers, exports, hosted UI
prefixes derived by HostedUiDomainPrefix=auto), and each copy's stacks are complete."""

from __future__ import annotations

import dataclasses

import pytest

from cognito_automation import aws
from local.scenarios.examples import Deployment, Example, deploy_example, example_names, load_example
from local.stack import LocalCloud

pytestmark = pytest.mark.local

COPIES = ("team-a", "team-b")


def copy_of(name: str, team: str) -> Example:
    """The example under a team's stack names (its stack imports the team's automation stack's exports);
    users are left out: provisioning is each example's own test."""
    example = load_example(name)
    automation = f"{name}-{team}-cognito"
    return dataclasses.replace(
        example,
        stack_name=f"{example.stack_name}-{team}",
        automation_stack_name=automation,
        parameters={**example.parameters, "AutomationStackName": automation},
        users_file=None,
    )


@pytest.fixture(scope="module")
def deployments(local_stack: LocalCloud) -> dict[tuple[str, str], Deployment]:
    return {
        (name, team): deploy_example(local_stack, copy_of(name, team))
        for name in example_names()
        for team in COPIES
    }


def test_every_example_deploys_twice_side_by_side(local_stack, deployments):
    cloudformation = local_stack.client(aws.CLOUDFORMATION)
    for deployment in deployments.values():
        for stack in (deployment.example.automation_stack_name, deployment.example.stack_name):
            status = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"]
            assert status == "CREATE_COMPLETE", stack
    assert len(deployments) == 2 * len(example_names()) >= 12


def test_no_two_copies_share_a_pool_a_layer_or_a_hosted_ui_domain(local_stack, deployments):
    automations = [d.automation_outputs for d in deployments.values()]
    pools = [outputs["UserPoolId"] for outputs in automations]
    assert len(set(pools)) == len(pools)
    # every example but existing-pool creates a pool with a hosted UI domain (auto)
    hosted = [o["HostedUiUrl"] for o in automations if o.get("HostedUiUrl", "").startswith("https://login-")]
    assert len(hosted) == 2 * (len(example_names()) - 1)
    assert len(set(hosted)) == len(hosted)
    cloudformation = local_stack.client(aws.CLOUDFORMATION)
    layers = [
        resource["PhysicalResourceId"]
        for d in deployments.values()
        for resource in cloudformation.describe_stack_resources(StackName=d.example.automation_stack_name)[
            "StackResources"
        ]
        if resource["ResourceType"] == "AWS::Lambda::LayerVersion"
    ]
    assert len(layers) == len(deployments)
    assert len(set(layers)) == len(layers)
