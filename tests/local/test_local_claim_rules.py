"""Custom::CognitoClaimRules end to end on the local stack: template.yaml deployed, a second stack adds an app
client to its pool and registers claim rules for it; tokens issued through that client carry the registered
claims (the pre token trigger reads the registration), tokens of other clients do not; a rival registration
for the same client rolls back naming the owner; deleting the stack removes the registration."""

from __future__ import annotations

import functools
from typing import Any

import pytest

from cognito_automation import aws
from local.stack import DeployError, LocalCloud
from local.testing.tokens import verified_claims
from tests.conftest import ROOT
from tests.local.conftest import FIXTURES, create_analyst, items, unique_name
from tests.local_stack import physical_id

pytestmark = pytest.mark.local

PASSWORD = "Correct-Horse-9-battery"
POOL_NAME = "orders-users"


@pytest.fixture(scope="module")
def main(local_stack: LocalCloud) -> tuple[str, dict[str, str]]:
    name = unique_name("claims-main")
    return name, local_stack.deploy(ROOT / "template.yaml", {"UserPoolName": POOL_NAME}, name)


@pytest.fixture(scope="module")
def user(local_stack: LocalCloud, main: tuple[str, dict[str, str]]) -> str:
    """An analyst with a permanent password in the main stack's pool."""
    return create_analyst(local_stack, main[1]["UserPoolId"], "ada", PASSWORD)


def claims(
    stack: LocalCloud, pool_id: str, client_id: str, tokens: dict[str, str]
) -> tuple[dict[str, Any], ...]:
    """The ID and access tokens' claims, once their signatures check out against the local JWKS."""
    read = functools.partial(verified_claims, stack.endpoint_url, stack.region, pool_id)
    return read(tokens["IdToken"], audience=client_id), read(tokens["AccessToken"])


def registrations(stack: LocalCloud, outputs: dict[str, str]) -> list[dict[str, Any]]:
    return [
        i for i in items(stack, outputs["ClaimRulesTableName"]) if i["user_pool_id"] == outputs["UserPoolId"]
    ]


def test_the_pool_takes_the_name_the_installation_gives_it(local_stack, main):
    _, outputs = main
    pool = local_stack.client(aws.COGNITO_IDP).describe_user_pool(UserPoolId=outputs["UserPoolId"])[
        "UserPool"
    ]
    assert pool["Name"] == POOL_NAME
    function = physical_id(local_stack, main[0], "ClaimRulesFunction")
    assert outputs["ClaimRulesServiceToken"].endswith(f":function:{function}")


def test_registered_rules_reach_the_tokens_of_their_client_only_and_leave_with_their_stack(
    local_stack, main, user
):
    main_name, outputs = main
    pool = outputs["UserPoolId"]
    cognito = local_stack.client(aws.COGNITO_IDP)
    # Given an API team's stack that adds its client to the pool and registers rules for it
    app_name = unique_name("orders-api")
    app = local_stack.deploy(FIXTURES / "claim-rules-app.yaml", {"AutomationStackName": main_name}, app_name)
    assert (app["RuleNames"], app["EventVersion"]) == ("api-roles,api-read-scope", "V2_0")
    (registration,) = registrations(local_stack, outputs)
    assert registration["client_id"] == app["ApiClientId"]
    assert registration["owner_logical_id"] == "ApiClaimRules"

    # When the user signs in through that client
    tokens = cognito.admin_initiate_auth(
        UserPoolId=pool,
        ClientId=app["ApiClientId"],
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": user, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    id_claims, access = claims(local_stack, pool, app["ApiClientId"], tokens)
    # Then both tokens carry the registered claims, the access token the registered scope, and the
    # bundled rules still apply
    assert id_claims["api_roles"] == access["api_roles"] == ["orders-reader"]
    assert "rs/orders.read" in access["scope"].split()
    assert id_claims["groups"] == ["analysts"]

    # When the same user signs in through the stack's own app client
    own = cognito.initiate_auth(
        ClientId=outputs["AppClientId"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": user, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    own_id, own_access = claims(local_stack, pool, outputs["AppClientId"], own)
    # Then its tokens have the bundled claims only
    assert own_id["groups"] == ["analysts"]
    assert "api_roles" not in own_id
    assert "api_roles" not in own_access
    assert "rs/orders.read" not in own_access["scope"].split()

    # When another stack registers rules for the same client
    rival_name = unique_name("rival")
    rival = {
        "Resources": {
            "RivalRules": {
                "Type": "Custom::CognitoClaimRules",
                "Properties": {
                    "ServiceToken": outputs["ClaimRulesServiceToken"],
                    "UserPoolId": pool,
                    "ClientId": app["ApiClientId"],
                    "Rules": '{"rules": [{"name": "rival", "id_token": {"suppress": ["groups"]}}]}',
                },
            }
        }
    }
    with pytest.raises(DeployError) as refused:
        local_stack.deploy(rival, {}, rival_name)
    local_stack.delete(rival_name)
    # Then its stack rolls back (the client is neither its own nor shared: issue 12's trust model),
    # naming the stack, the client and the rule, and the registration is still the owner's
    assert (
        f"stack {rival_name} may not register claim rules for app client {app['ApiClientId']} of user pool "
        f"{pool}: the stack does not define it" in str(refused.value)
    )
    assert "rule: a stack may change only the app clients it defines itself" in str(refused.value)
    assert [r["owner_logical_id"] for r in registrations(local_stack, outputs)] == ["ApiClaimRules"]

    # When the API team's stack is deleted
    local_stack.delete(app_name)
    # Then its registration is gone
    assert registrations(local_stack, outputs) == []


def test_rules_written_as_a_yaml_mapping_are_refused_saying_how_to_write_them(local_stack, main):
    _, outputs = main
    name = unique_name("mapping")
    # (a client of the stack's own: one it may register rules for)
    template = {
        "Resources": {
            "Client": {
                "Type": "AWS::Cognito::UserPoolClient",
                "Properties": {"UserPoolId": outputs["UserPoolId"], "ClientName": "mapping"},
            },
            "Rules": {
                "Type": "Custom::CognitoClaimRules",
                "Properties": {
                    "ServiceToken": outputs["ClaimRulesServiceToken"],
                    "UserPoolId": outputs["UserPoolId"],
                    "ClientId": {"Ref": "Client"},
                    "Rules": {"rules": [{"name": "g", "id_token": {"claims": {"on": {"value": True}}}}]},
                },
            },
        }
    }
    with pytest.raises(DeployError, match="property Rules must be a JSON string, got a mapping"):
        local_stack.deploy(template, {}, name)
    local_stack.delete(name)
    assert registrations(local_stack, outputs) == []


def _registration(outputs: dict[str, str], pool: str, client: str) -> dict[str, Any]:
    return {
        "Resources": {
            "Rules": {
                "Type": "Custom::CognitoClaimRules",
                "Properties": {
                    "ServiceToken": outputs["ClaimRulesServiceToken"],
                    "UserPoolId": pool,
                    "ClientId": client,
                    "Rules": '{"rules": [{"name": "r", "id_token": {"claims": {"team": {"value": "x"}}}}]}',
                },
            }
        }
    }


def test_the_main_applications_client_takes_no_registration(local_stack, main):
    _, outputs = main
    name = unique_name("protected")
    template = _registration(outputs, outputs["UserPoolId"], outputs["AppClientId"])
    # (refused by the trust model's entitlement check, before the resource's own check of the same rule)
    with pytest.raises(
        DeployError,
        match=f"app client {outputs['AppClientId']} of user pool .*: it is the installation's own app client",
    ):
        local_stack.deploy(template, {}, name)
    local_stack.delete(name)
    assert registrations(local_stack, outputs) == []


def test_a_pool_the_stacks_trigger_does_not_serve_takes_no_registration(local_stack, main):
    # Given a pool of the account whose pre token trigger is not the stack's function (it has none)
    _, outputs = main
    cognito = local_stack.client(aws.COGNITO_IDP)
    pool = cognito.create_user_pool(PoolName=unique_name("elsewhere"))["UserPool"]["Id"]
    client = cognito.create_user_pool_client(UserPoolId=pool, ClientName="c")["UserPoolClient"]["ClientId"]
    name = unique_name("unserved")
    # When a stack registers rules for its client  # Then its stack rolls back naming what was found
    with pytest.raises(DeployError) as refused:
        local_stack.deploy(_registration(outputs, pool, client), {}, name)
    local_stack.delete(name)
    # (the trust model refuses a pool the installation does not serve before the trigger is looked at)
    assert (
        f"may not register claim rules for app client {client} of user pool {pool}: the pool is not one this "
        f"installation serves ({outputs['UserPoolId']}); rule: a stack may change only app clients of the "
        "installation's user pools"
    ) in str(refused.value)
    assert [i for i in items(local_stack, outputs["ClaimRulesTableName"]) if i["user_pool_id"] == pool] == []
