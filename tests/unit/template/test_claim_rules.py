"""Custom::CognitoClaimRules in template.yaml: least privilege matching the calls the code makes, the table
both functions share, the settings they agree on, the exports other stacks import; and the pool's name."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from cognito_automation import aws as aws_clients
from cognito_automation.claims.registrations import Owner, Registration, put_registration
from tests.conftest import FakeLambdaContext, load_event
from tests.handlers import load_function
from tests.unit.cognito_automation.claims.support import (
    PRE_TOKEN_ARN,
    claim_rules_event,
    create_registrations_table,
    rules_text,
    served_client,
)
from tests.unit.cognito_automation.custom_resource.support import (
    CloudFormationStandIn,
    ResponseServer,
    load_custom_resource,
)
from tests.unit.template.support import POOL_ARN, RESOURCES, TEMPLATE, allow_statements, granted_actions

FUNCTION = RESOURCES["ClaimRulesFunction"]["Properties"]
PRE_TOKEN = RESOURCES["PreTokenFunction"]["Properties"]
ACCOUNT_STACKS = {
    "Fn::Sub": "arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:stack/*/*"
}
TABLE_ARN = {"Fn::GetAtt": ["ClaimRulesTable", "Arn"]}


def _record_calls(clients: list[Any], called: set[str]) -> None:
    for client in clients:
        prefix = client.meta.service_model.signing_name
        client.meta.events.register(
            "before-call", lambda model, _p=prefix, **_: called.add(f"{_p}:{model.name}")
        )


def test_the_function_may_call_exactly_what_it_calls(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the handler, with every AWS call it makes recorded
    aws_clients.reset()
    env = {
        "CLAIM_RULES_TABLE": create_registrations_table(boto3.client("dynamodb")),
        "PRE_TOKEN_EVENT_VERSION": "V2_0",
        "PRE_TOKEN_FUNCTION_ARN": PRE_TOKEN_ARN,
    }
    pool, client = served_client(boto3.client("cognito-idp"))
    cloudformation = CloudFormationStandIn()
    app = load_custom_resource(monkeypatch, "claim_rules", env, [pool], cloudformation)
    called: set[str] = set()
    _record_calls([app._cognito(), app._dynamodb()], called)
    # When it runs create, update and delete
    with ResponseServer() as server:
        for name in ("create", "update", "delete"):
            event = claim_rules_event(name, server.url, pool, client)
            assert app.lambda_handler(event, FakeLambdaContext())["Status"] == "SUCCESS"
    # Then the template grants exactly those actions (CloudFormation's: those the stand-in answered)
    called |= {f"cloudformation:{name}" for name, _ in cloudformation.calls}
    assert called == granted_actions(FUNCTION)


def test_the_pre_token_function_may_call_exactly_what_it_calls(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    aws_clients.reset()
    table = create_registrations_table(boto3.client("dynamodb"))
    env = {
        "CLAIM_RULES_FILE": "claim_rules.json",
        "PRE_TOKEN_EVENT_VERSION": "V2_0",
        "CLAIM_RULES_TABLE": table,
    }
    app = load_function(monkeypatch, "pre_token", env)
    # a registration whose rules add a scope, so the client's allowed scopes are read too
    pool, client = served_client(boto3.client("cognito-idp"))
    owner = Owner("arn:aws:cloudformation:us-east-1:123456789012:stack/api/1", "ApiClaimRules")
    rules = rules_text({"name": "api", "access_token": {"scopes_add": ["rs/read"]}})
    put_registration(boto3.client("dynamodb"), table, Registration(pool, client, rules, owner))
    event = load_event("pre_token/v2_authentication.json")
    event["userPoolId"], event["callerContext"]["clientId"] = pool, client
    called: set[str] = set()
    # the clients of an invocation with more than 2.5 s left
    _record_calls([app._dynamodb(1.0), app._cognito(1.0)], called)
    result = app.lambda_handler(event, FakeLambdaContext())
    assert (
        "rs/read"
        in result["response"]["claimsAndScopeOverrideDetails"]["accessTokenGeneration"]["scopesToAdd"]
    )
    assert called == granted_actions(PRE_TOKEN) | attached_actions("PreTokenFunctionRole")
    assert called == {"dynamodb:Query", "cognito-idp:DescribeUserPoolClient"}


def attached_actions(role: str) -> set[str]:
    """The actions the template's AWS::IAM::Policy resources grant the role."""
    actions: set[str] = set()
    for resource in RESOURCES.values():
        if resource["Type"] == "AWS::IAM::Policy" and {"Ref": role} in resource["Properties"]["Roles"]:
            for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
                granted = statement["Action"]
                actions.update(granted if isinstance(granted, list) else [granted])
    return actions


def test_statements_name_the_table_the_installations_pool_and_the_accounts_stacks_only() -> None:
    for statement in allow_statements(FUNCTION):
        actions = statement["Action"]
        actions = actions if isinstance(actions, list) else [actions]
        if any(a.startswith("cognito-idp:") for a in actions):
            assert statement["Resource"] == POOL_ARN
        elif any(a.startswith("cloudformation:") for a in actions):
            assert statement["Resource"] == ACCOUNT_STACKS
        else:
            assert statement["Resource"] == TABLE_ARN


def test_the_table_is_keyed_by_pool_and_client_and_kept_like_the_others() -> None:
    table = RESOURCES["ClaimRulesTable"]
    assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == ("Retain", "Retain")
    props = table["Properties"]
    assert [(k["AttributeName"], k["KeyType"]) for k in props["KeySchema"]] == [
        ("user_pool_id", "HASH"),
        ("client_id", "RANGE"),
    ]
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"] == {"SSEEnabled": True}


def test_both_functions_use_the_same_table_and_the_pools_event_version() -> None:
    resource_env = FUNCTION["Environment"]["Variables"]
    trigger_env = PRE_TOKEN["Environment"]["Variables"]
    assert resource_env["CLAIM_RULES_TABLE"] == trigger_env["CLAIM_RULES_TABLE"] == {"Ref": "ClaimRulesTable"}
    # rules are checked for the version Cognito sends the trigger
    assert resource_env["PRE_TOKEN_EVENT_VERSION"] == trigger_env["PRE_TOKEN_EVENT_VERSION"]
    assert resource_env["PRE_TOKEN_EVENT_VERSION"] == {"Ref": "PreTokenEventVersion"}
    assert int(trigger_env["CLAIM_RULES_CACHE_SECONDS"]) == 60


def test_registrations_are_taken_for_the_pools_this_stacks_trigger_serves_only() -> None:
    resource_env = FUNCTION["Environment"]["Variables"]
    # the function the resource expects is the one the stack's pool runs
    pool_trigger = RESOURCES["UserPool"]["Properties"]["LambdaConfig"]["PreTokenGenerationConfig"]
    assert resource_env["PRE_TOKEN_FUNCTION_ARN"] == pool_trigger["LambdaArn"]
    # and the main application's client is never open to registrations, so the trigger never reads them
    # for it
    assert resource_env["PROTECTED_CLIENT_IDS"] == {"Ref": "AppClient"}
    assert PRE_TOKEN["Environment"]["Variables"]["PROTECTED_CLIENT_IDS"] == {"Ref": "AppClient"}


def test_the_function_answers_well_before_cloudformation_would_give_up() -> None:
    assert FUNCTION["Timeout"] <= 60
    assert FUNCTION["LoggingConfig"] == {"LogGroup": {"Ref": "ClaimRulesLogGroup"}}


@pytest.mark.parametrize(
    ("output", "value"),
    [
        ("ClaimRulesServiceToken", {"Fn::GetAtt": ["ClaimRulesFunction", "Arn"]}),
        ("ClaimRulesTableName", {"Ref": "ClaimRulesTable"}),
    ],
)
def test_the_service_token_and_table_are_exported_for_other_stacks(output: str, value: Any) -> None:
    assert TEMPLATE["Outputs"][output]["Value"] == value
    assert TEMPLATE["Outputs"][output]["Export"]["Name"] == {"Fn::Sub": f"${{AWS::StackName}}-{output}"}


def test_the_pool_is_named_by_the_parameter_or_after_the_stack() -> None:
    parameter = TEMPLATE["Parameters"]["UserPoolName"]
    assert parameter["Default"] == ""
    assert TEMPLATE["Conditions"]["HasUserPoolName"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "UserPoolName"}, ""]}]
    }
    assert RESOURCES["UserPool"]["Properties"]["UserPoolName"] == {
        "Fn::If": ["HasUserPoolName", {"Ref": "UserPoolName"}, {"Ref": "AWS::StackName"}]
    }
