"""Which app clients a requesting stack may change: shared ones and those it defines itself, in the
installation's pools only; protected ones never. Refusals name the client, the stack and the rule."""

from __future__ import annotations

import pytest

from cognito_automation import config
from cognito_automation.custom_resource.app_client import AppClient
from cognito_automation.custom_resource.entitlement import Entitlement, stack_name
from cognito_automation.custom_resource.errors import NotEntitledError
from tests.unit.cognito_automation.custom_resource.support import FakeCloudFormation

STACK_B = "arn:aws:cloudformation:us-east-1:123456789012:stack/stack-b/0b0b0b0b"
POOL, OTHER_POOL = "us-east-1_Served1", "us-east-1_Elsewhere1"
MAIN, SHARED, B_CLIENT, C_CLIENT = "mainclient1", "sharedclient1", "bclient1", "cclient1"
ENTITLEMENT = Entitlement(frozenset({POOL}), frozenset({MAIN, SHARED}), change="add URLs to")
CLAIMS = Entitlement(
    frozenset({POOL}), frozenset({MAIN, SHARED}), frozenset({MAIN}), "register claim rules for"
)


def resource(
    logical_id: str, resource_type: str, physical_id: str, status: str = "CREATE_COMPLETE"
) -> dict[str, str]:
    return {
        "LogicalResourceId": logical_id,
        "ResourceType": resource_type,
        "PhysicalResourceId": physical_id,
        "ResourceStatus": status,
    }


def stack_b(*resources: dict[str, str]) -> FakeCloudFormation:
    return FakeCloudFormation({STACK_B: [resource("Hooks", "Custom::CognitoCallbackUrls", "x"), *resources]})


def refusal_of(
    entitlement: Entitlement, cloudformation: FakeCloudFormation, client: str, pool: str = POOL
) -> str:
    with pytest.raises(NotEntitledError) as refused:
        entitlement.check(cloudformation.client(), STACK_B, AppClient(pool, client))
    return str(refused.value)


@pytest.mark.parametrize("client", [MAIN, SHARED])
def test_a_shared_client_of_a_served_pool_is_open_without_asking_cloudformation(client: str) -> None:
    cloudformation = stack_b()
    ENTITLEMENT.check(cloudformation.client(), STACK_B, AppClient(POOL, client))
    assert cloudformation.calls == []


@pytest.mark.parametrize("status", ["CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_IN_PROGRESS"])
def test_a_client_the_stack_defines_itself_is_open(status: str) -> None:
    cloudformation = stack_b(resource("Client", "AWS::Cognito::UserPoolClient", B_CLIENT, status))
    ENTITLEMENT.check(cloudformation.client(), STACK_B, AppClient(POOL, B_CLIENT))
    assert cloudformation.calls == [("DescribeStackResources", {"StackName": STACK_B})]


def test_another_stacks_client_is_refused_naming_the_client_the_stack_and_the_rule() -> None:
    reason = refusal_of(
        ENTITLEMENT, stack_b(resource("Client", "AWS::Cognito::UserPoolClient", B_CLIENT)), C_CLIENT
    )
    assert reason == (
        f"stack stack-b may not add URLs to app client {C_CLIENT} of user pool {POOL}: the stack does not "
        "define it (no AWS::Cognito::UserPoolClient of the stack has that id) and the installation does not "
        "share it (SharedAppClientIds); rule: a stack may change only the app clients it defines itself, or "
        "those the installation shares"
    )


@pytest.mark.parametrize(
    "forged",
    [
        # a custom resource (or anything but an app client) may report any physical id its function likes
        resource("Fake", "Custom::AppClient", C_CLIENT),
        resource("Fake", "AWS::CloudFormation::CustomResource", C_CLIENT),
        resource("Fake", "AWS::Cognito::UserPoolClientX", C_CLIENT),
        # a client the stack no longer has, or never got
        resource("Gone", "AWS::Cognito::UserPoolClient", C_CLIENT, "DELETE_COMPLETE"),
        resource("Failed", "AWS::Cognito::UserPoolClient", C_CLIENT, "CREATE_FAILED"),
    ],
)
def test_only_a_live_app_client_resource_of_the_stack_counts(forged: dict[str, str]) -> None:
    assert "the stack does not define it" in refusal_of(ENTITLEMENT, stack_b(forged), C_CLIENT)


@pytest.mark.parametrize("client", [SHARED, B_CLIENT])
def test_a_pool_the_installation_does_not_serve_is_refused_even_for_a_shared_or_own_client(
    client: str,
) -> None:
    cloudformation = stack_b(resource("Client", "AWS::Cognito::UserPoolClient", B_CLIENT))
    reason = refusal_of(ENTITLEMENT, cloudformation, client, OTHER_POOL)
    assert reason.startswith(
        f"stack stack-b may not add URLs to app client {client} of user pool {OTHER_POOL}: "
    )
    assert f"the pool is not one this installation serves ({POOL})" in reason
    assert "rule: a stack may change only app clients of the installation's user pools" in reason


def test_the_protected_main_client_is_refused_even_though_it_is_shared() -> None:
    reason = refusal_of(CLAIMS, stack_b(), MAIN)
    assert reason.startswith(
        f"stack stack-b may not register claim rules for app client {MAIN} of user pool {POOL}"
    )
    assert "rule: the main app client is never open to registered claim rules, even when shared" in reason
    # while another shared client stays open to claim rules
    CLAIMS.check(stack_b().client(), STACK_B, AppClient(POOL, SHARED))


def test_settings_come_from_the_environment() -> None:
    env = {"USER_POOL_IDS": f"{POOL}, {OTHER_POOL}", "SHARED_APP_CLIENT_IDS": f"{MAIN},{SHARED}"}
    assert Entitlement.from_env(env, "add URLs to") == Entitlement(
        frozenset({POOL, OTHER_POOL}), frozenset({MAIN, SHARED}), frozenset(), "add URLs to"
    )
    protected = Entitlement.from_env({**env, "PROTECTED_CLIENT_IDS": MAIN}, "register claim rules for")
    assert protected.protected_clients == {MAIN}


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({}, "USER_POOL_IDS is required"),
        ({"USER_POOL_IDS": "not-a-pool"}, "USER_POOL_IDS must list user pool ids"),
        (
            {"USER_POOL_IDS": POOL, "SHARED_APP_CLIENT_IDS": "a b"},
            "SHARED_APP_CLIENT_IDS must list app client ids",
        ),
        (
            {"USER_POOL_IDS": POOL, "PROTECTED_CLIENT_IDS": "x/y"},
            "PROTECTED_CLIENT_IDS must list app client ids",
        ),
    ],
)
def test_a_missing_or_malformed_setting_fails_the_cold_start_naming_it(
    env: dict[str, str], named: str
) -> None:
    with pytest.raises(config.ConfigError, match=named):
        Entitlement.from_env(env, "add URLs to")


def test_a_stack_is_named_by_the_name_in_its_arn() -> None:
    assert stack_name(STACK_B) == "stack-b"
    assert stack_name("stack-b") == "stack-b"
