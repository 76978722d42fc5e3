"""Custom::CognitoCallbackUrls in template.yaml: least privilege matching the calls the code makes, the
stack's own use of the resource, and the export other stacks import."""

from __future__ import annotations

import boto3
import pytest

from cognito_automation import aws as aws_clients
from cognito_automation.callback_urls import ledger
from tests.conftest import FakeLambdaContext, load_event
from tests.handlers import load_function
from tests.unit.cognito_automation.callback_urls.support import (
    TEMPLATE,
    create_client,
    create_ledger_table,
    retarget,
)
from tests.unit.cognito_automation.custom_resource.support import (
    CloudFormationStandIn,
    ResponseServer,
    load_custom_resource,
)
from tests.unit.template.support import POOL_ARN, POOL_ID, RESOURCES, allow_statements, granted_actions

FUNCTION = RESOURCES["CallbackUrlsFunction"]["Properties"]


def test_the_function_may_call_exactly_what_it_calls(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the handler, with every AWS call it makes recorded
    aws_clients.reset()
    pool, client = create_client(boto3.client("cognito-idp"), CallbackURLs=["http://localhost:3000/"])
    cloudformation = CloudFormationStandIn()
    env = {"LEDGER_TABLE": create_ledger_table(boto3.client("dynamodb"))}
    app = load_custom_resource(monkeypatch, "callback_urls", env, [pool], cloudformation)
    called: set[str] = set()
    for service_client in (app._cognito(), app._dynamodb()):
        prefix = service_client.meta.service_model.signing_name
        service_client.meta.events.register(
            "before-call", lambda model, _p=prefix, **_: called.add(f"{_p}:{model.name}")
        )
    # When it runs create, update and delete
    with ResponseServer() as server:
        for name in ("create", "update", "delete"):
            event = retarget(load_event(f"callback_urls/{name}.json"), server.url, pool, client)
            assert app.lambda_handler(event, FakeLambdaContext())["Status"] == "SUCCESS"
    # Then the template grants exactly those actions (CloudFormation's: those the stand-in answered)
    called |= {f"cloudformation:{name}" for name, _ in cloudformation.calls}
    assert called == granted_actions(FUNCTION)


def test_cognito_actions_are_scoped_to_the_installations_user_pool() -> None:
    for statement in allow_statements(FUNCTION):
        actions = statement["Action"]
        if any(a.startswith("cognito-idp:") for a in actions):
            assert statement["Resource"] == POOL_ARN
        elif any(a.startswith("cloudformation:") for a in actions):
            stacks = "arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:stack/*/*"
            assert statement["Resource"] == {"Fn::Sub": stacks}
        else:
            assert statement["Resource"] == {"Fn::GetAtt": ["CallbackUrlLedgerTable", "Arn"]}


def test_the_ledger_table_has_string_keys_and_the_lease_ttl() -> None:
    table = RESOURCES["CallbackUrlLedgerTable"]["Properties"]
    assert {k["AttributeName"]: k["KeyType"] for k in table["KeySchema"]} == {"pk": "HASH", "sk": "RANGE"}
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    env = FUNCTION["Environment"]["Variables"]
    assert env["LEDGER_TABLE"] == {"Ref": "CallbackUrlLedgerTable"}


def test_the_stack_adds_its_own_api_url_to_its_own_client() -> None:
    props = RESOURCES["AppCallbackUrls"]["Properties"]
    assert RESOURCES["AppCallbackUrls"]["Type"] == "Custom::CognitoCallbackUrls"
    assert props["ServiceToken"] == {"Fn::GetAtt": ["CallbackUrlsFunction", "Arn"]}
    assert props["UserPoolId"] == POOL_ID
    assert props["ClientId"] == {"Ref": "AppClient"}
    assert all(
        "${AppApi}.execute-api" in url["Fn::Sub"] for url in props["CallbackURLs"] + props["LogoutURLs"]
    )
    # CloudFormation gives up on an unanswered request after this, not after an hour
    assert 0 < props["ServiceTimeout"] <= 3600


def test_the_service_token_is_exported_for_other_stacks() -> None:
    output = TEMPLATE["Outputs"]["CallbackUrlsServiceToken"]
    assert output["Value"] == {"Fn::GetAtt": ["CallbackUrlsFunction", "Arn"]}
    assert output["Export"]["Name"] == {"Fn::Sub": "${AWS::StackName}-CallbackUrlsServiceToken"}


def test_the_lease_outlives_any_run_of_the_function() -> None:
    # Given the function's Timeout as template.yaml declares it
    timeout = FUNCTION["Timeout"]
    # Then the lease is derived from that same number plus a margin, so a holder cannot outlive its lease
    assert timeout == ledger.FUNCTION_TIMEOUT_SECONDS
    assert ledger.LEASE_MARGIN_SECONDS > 0
    assert timeout + ledger.LEASE_MARGIN_SECONDS <= ledger.LEASE_SECONDS


def test_a_cognito_call_with_every_retry_ends_within_the_lease_extended_before_it(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the Cognito client the handler uses
    aws_clients.reset()
    config = load_function(monkeypatch, "callback_urls", {"LEDGER_TABLE": "ledger"})._cognito().meta.config
    # When every attempt of one call times out, with the longest backoff between them
    worst = ledger.worst_case_call_seconds(
        config.connect_timeout, config.read_timeout, config.retries["total_max_attempts"]
    )
    # Then the call is over, with the margin to spare, before the lease (just extended) can expire
    assert worst + ledger.LEASE_MARGIN_SECONDS <= ledger.LEASE_SECONDS
    assert worst < FUNCTION["Timeout"]
