"""Registered claim rules add only scopes their app client is allowed, end to end on the local stack:
template.yaml deployed with a hosted UI, an API team's stack defines a resource server and a client and
registers rules for it. Rules adding a scope the client is not allowed roll the stack back naming scope,
client and rule; rules adding an allowed scope put it in the access tokens of users signing in through the
hosted UI, until the client's AllowedOAuthScopes are narrowed, after which sign-in still succeeds and the
scope is gone."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from cognito_automation import aws
from cognito_automation.callback_urls.client_settings import client_fields, update_request
from local.stack import DeployError, LocalCloud
from local.testing.signin import SignIn, sign_in_with_code
from local.testing.tokens import verified_claims
from tests.conftest import ROOT
from tests.local.conftest import create_analyst, items, unique_name
from tests.local_stack import physical_id

pytestmark = pytest.mark.local

PASSWORD = "Correct-Horse-9-battery"
CALLBACK = "http://localhost:3000/callback"


@pytest.fixture(scope="module")
def main(local_stack: LocalCloud) -> tuple[str, dict[str, str]]:
    """The installation, with a hosted UI, whose pre token function reads registrations and clients on every
    event: its cache period (CLAIM_RULES_CACHE_SECONDS) set to 0 stands for "the cache period has passed"."""
    name = unique_name("scopes-main")
    outputs = local_stack.deploy(ROOT / "template.yaml", {"HostedUiDomainPrefix": name}, name)
    functions = local_stack.client(aws.LAMBDA)
    function = physical_id(local_stack, name, "PreTokenFunction")
    variables = functions.get_function_configuration(FunctionName=function)["Environment"]["Variables"]
    functions.update_function_configuration(
        FunctionName=function, Environment={"Variables": {**variables, "CLAIM_RULES_CACHE_SECONDS": "0"}}
    )
    return name, outputs


@pytest.fixture(scope="module")
def user(local_stack: LocalCloud, main: tuple[str, dict[str, str]]) -> str:
    """An analyst with a permanent password."""
    return create_analyst(local_stack, main[1]["UserPoolId"], "grace", PASSWORD)


def api_stack(outputs: dict[str, str], api: str, *rules: dict[str, Any]) -> dict[str, Any]:
    """An API team's stack: resource server `api` (scopes read and admin), a public code-grant client allowed
    openid and `api`/read, and claim rules registered for that client."""
    pool = outputs["UserPoolId"]
    document = {"event_version": "V2_0", "rules": list(rules)}
    return {
        "Resources": {
            "ResourceServer": {
                "Type": "AWS::Cognito::UserPoolResourceServer",
                "Properties": {
                    "UserPoolId": pool,
                    "Identifier": api,
                    "Name": api,
                    "Scopes": [
                        {"ScopeName": "read", "ScopeDescription": "Read."},
                        {"ScopeName": "admin", "ScopeDescription": "Administer."},
                    ],
                },
            },
            "Client": {
                "Type": "AWS::Cognito::UserPoolClient",
                "DependsOn": "ResourceServer",
                "Properties": {
                    "UserPoolId": pool,
                    "ClientName": api,
                    "GenerateSecret": False,
                    "SupportedIdentityProviders": ["COGNITO"],
                    "AllowedOAuthFlowsUserPoolClient": True,
                    "AllowedOAuthFlows": ["code"],
                    "AllowedOAuthScopes": ["openid", f"{api}/read"],
                    "CallbackURLs": [CALLBACK],
                    "ExplicitAuthFlows": ["ALLOW_REFRESH_TOKEN_AUTH"],
                },
            },
            "Rules": {
                "Type": "Custom::CognitoClaimRules",
                "Properties": {
                    "ServiceToken": outputs["ClaimRulesServiceToken"],
                    "UserPoolId": pool,
                    "ClientId": {"Ref": "Client"},
                    "Rules": json.dumps(document) + "\n",  # as a `Rules: |` block delivers it
                },
            },
        },
        "Outputs": {"ClientId": {"Value": {"Ref": "Client"}}},
    }


def read_scope(api: str) -> dict[str, Any]:
    return {
        "name": "orders-read",
        "when": {"grant": "user", "groups_any": ["analysts"]},
        "access_token": {"scopes_add": [f"{api}/read"]},
    }


def registrations(stack: LocalCloud, outputs: dict[str, str]) -> list[dict[str, Any]]:
    return [
        i for i in items(stack, outputs["ClaimRulesTableName"]) if i["user_pool_id"] == outputs["UserPoolId"]
    ]


def access_scopes(stack: LocalCloud, outputs: dict[str, str], client_id: str, username: str) -> list[str]:
    """Sign in through the hosted UI asking for openid only; the scopes of the verified access token."""
    tokens = sign_in_with_code(
        SignIn(stack.endpoint_url, client_id, CALLBACK, username, PASSWORD, ["openid"])
    )
    claims = verified_claims(stack.endpoint_url, stack.region, outputs["UserPoolId"], tokens["access_token"])
    assert claims["client_id"] == client_id
    scopes: list[str] = claims["scope"].split()
    return scopes


def test_rules_adding_a_scope_their_client_is_not_allowed_roll_the_stack_back_naming_scope_client_and_rule(
    local_stack: LocalCloud, main: tuple[str, dict[str, str]]
) -> None:
    _, outputs = main
    api = unique_name("orders")
    # Given rules that add the API's admin scope to analysts, through a client allowed openid and read only
    admin = {"name": "orders-admin", "access_token": {"scopes_by_group": {"analysts": [f"{api}/admin"]}}}
    name = unique_name("greedy")
    # When the stack is deployed
    with pytest.raises(DeployError) as refused:
        local_stack.deploy(api_stack(outputs, api, read_scope(api), admin), {}, name)
    local_stack.delete(name)
    # Then it rolls back, naming the scope, the client and the rule, and nothing is registered
    reason = str(refused.value)
    found = re.search(rf"app client (\w+) of user pool {outputs['UserPoolId']} is not allowed", reason)
    assert found, reason
    assert f"(its AllowedOAuthScopes: openid, {api}/read)" in reason
    assert (
        f'rule "orders-admin" (rules[1]) adds scope "{api}/admin" (access_token.scopes_by_group["analysts"])'
    ) in reason
    assert registrations(local_stack, outputs) == []


def test_an_allowed_scope_reaches_the_access_token_until_the_client_is_narrowed(
    local_stack: LocalCloud, main: tuple[str, dict[str, str]], user: str
) -> None:
    _, outputs = main
    api = unique_name("orders")
    name = unique_name("reader")
    # Given rules that add the API's read scope to analysts, registered for a client allowed it
    client_id = local_stack.deploy(api_stack(outputs, api, read_scope(api)), {}, name)["ClientId"]
    try:
        assert [r["client_id"] for r in registrations(local_stack, outputs)] == [client_id]
        # When an analyst signs in through the hosted UI asking for openid only
        # Then the access token carries the scope the rules add
        assert f"{api}/read" in access_scopes(local_stack, outputs, client_id, user)

        # When an administrator narrows the client's scopes (every other setting sent back unchanged)
        cognito = local_stack.client(aws.COGNITO_IDP)
        described = cognito.describe_user_pool_client(UserPoolId=outputs["UserPoolId"], ClientId=client_id)
        client = described["UserPoolClient"]
        request = update_request(
            client_fields(cognito.meta.service_model), client, client["CallbackURLs"], []
        )
        cognito.update_user_pool_client(**{**request, "AllowedOAuthScopes": ["openid"]})
        # Then signing in again still succeeds, and the scope is gone from the access token
        scopes = access_scopes(local_stack, outputs, client_id, user)
        assert "openid" in scopes
        assert f"{api}/read" not in scopes
    finally:
        local_stack.delete(name)
    assert registrations(local_stack, outputs) == []
