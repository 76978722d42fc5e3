"""The callback_urls function end to end: sample events in, an answer to the response URL out, the app
client's URLs converged. What every custom resource shares (answers on failure, the timer, init failures)
is tested once, in tests/unit/cognito_automation/custom_resource/test_runner.py.

Cognito and DynamoDB are moto; the response URL is a loopback server. Each test gets a fresh cold start of
the handler with its own environment.
"""

from __future__ import annotations

import json
import logging
from types import ModuleType
from typing import Any

import boto3
import pytest

from cognito_automation import aws as aws_clients
from cognito_automation.callback_urls import client_settings, operation, resource
from cognito_automation.custom_resource.request import Request
from tests.conftest import FakeLambdaContext, load_event
from tests.unit.cognito_automation.callback_urls.support import (
    create_client,
    create_ledger_table,
    retarget,
    urls_of,
)
from tests.unit.cognito_automation.custom_resource.support import (
    CloudFormationStandIn,
    ResponseServer,
    another_client,
    load_custom_resource,
)

API = "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/Prod/"
BEFORE = "http://localhost:3000/callback"


class Stack:
    """A pool and client in moto, the ledger, and the handler under test (serving the pool, its requests
    confirmed by a CloudFormation stand-in, their stacks defining the clients they name)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
        self.monkeypatch, self.env = monkeypatch, env
        self.cloudformation = CloudFormationStandIn()
        self.cognito = boto3.client("cognito-idp")
        self.pool, self.client = create_client(
            self.cognito,
            CallbackURLs=[BEFORE],
            GenerateSecret=True,
            AllowedOAuthFlows=["code"],
            AllowedOAuthScopes=["openid"],
            AllowedOAuthFlowsUserPoolClient=True,
        )
        self.secret = self.cognito.describe_user_pool_client(UserPoolId=self.pool, ClientId=self.client)[
            "UserPoolClient"
        ]["ClientSecret"]
        self.pools = [self.pool]
        self.app = self.load()

    def load(self) -> ModuleType:
        return load_custom_resource(
            self.monkeypatch, "callback_urls", self.env, self.pools, self.cloudformation
        )

    def serve(self, pool: str) -> None:
        """A new cold start that serves `pool` too."""
        self.pools.append(pool)
        self.app = self.load()

    def invoke(
        self, name: str, server: ResponseServer, context: Any = None, **changes: Any
    ) -> dict[str, Any]:
        event = retarget(load_event(f"callback_urls/{name}.json"), server.url, self.pool, self.client)
        for key, value in changes.items():
            event["ResourceProperties"][key] = value
        answer: dict[str, Any] = self.app.lambda_handler(event, context or FakeLambdaContext())
        return answer

    def urls(self) -> tuple[list[str], list[str]]:
        return urls_of(self.cognito, self.pool, self.client)


@pytest.fixture
def stack(aws: None, monkeypatch: pytest.MonkeyPatch) -> Stack:
    aws_clients.reset()
    env = {
        "LEDGER_TABLE": create_ledger_table(boto3.client("dynamodb")),
        "POWERTOOLS_SERVICE_NAME": "callback-urls",
    }
    return Stack(monkeypatch, env)


def test_create_answers_success_with_every_attribute(stack: Stack) -> None:
    with ResponseServer() as server:
        answer = stack.invoke("create", server)
    # Then CloudFormation got exactly the answer the handler returned
    assert server.bodies == [answer]
    assert answer["Status"] == "SUCCESS"
    issuer = f"https://cognito-idp.us-east-1.amazonaws.com/{stack.pool}"
    assert answer["Data"] == {
        "Issuer": issuer,
        "OpenIdConfigurationUrl": f"{issuer}/.well-known/openid-configuration",
        "JwksUrl": f"{issuer}/.well-known/jwks.json",
        "HostedUiUrl": "",
        "UserPoolId": stack.pool,
        "ClientId": stack.client,
        "CallbackURLCount": "2",
        "LogoutURLCount": "1",
        "CallbackURLs": f"{BEFORE},{API}",
        "LogoutURLs": API,
        "OwnCallbackURLs": API,
        "OwnLogoutURLs": API,
    }
    assert stack.urls() == ([BEFORE, API], [API])


def test_hosted_ui_url_is_the_pool_domain(stack: Stack) -> None:
    stack.cognito.create_user_pool_domain(Domain="my-app-login", UserPoolId=stack.pool)
    with ResponseServer() as server:
        answer = stack.invoke("create", server)
    assert answer["Data"]["HostedUiUrl"] == "https://my-app-login.auth.us-east-1.amazoncognito.com"


def test_physical_id_is_stable_for_the_same_pool_client_and_instance(stack: Stack) -> None:
    with ResponseServer() as server:
        first = stack.invoke("create", server)
        second = stack.invoke("create", server)
        updated = stack.invoke("update", server)
    assert first["PhysicalResourceId"] == second["PhysicalResourceId"] == updated["PhysicalResourceId"]
    assert first["PhysicalResourceId"].startswith(f"cognito-callback-urls:{stack.pool}:{stack.client}:")


def test_a_new_client_gives_a_new_physical_id(stack: Stack) -> None:
    other_client = another_client(stack.cognito, stack.pool)
    with ResponseServer() as server:
        first = stack.invoke("create", server)
        moved = stack.invoke("update", server, ClientId=other_client)
    assert moved["Status"] == "SUCCESS"
    assert moved["PhysicalResourceId"] != first["PhysicalResourceId"]


def test_moving_to_another_pool_adds_there_and_the_old_id_delete_cleans_the_old_client(stack: Stack) -> None:
    other_pool, other_client = create_client(stack.cognito, CallbackURLs=[BEFORE])
    stack.serve(other_pool)
    with ResponseServer() as server:
        first = stack.invoke("create", server)
        # When the properties name another pool and client (CloudFormation sends Update, then a Delete
        # of the old physical id once the stack update succeeded)
        moved = stack.invoke("update", server, UserPoolId=other_pool, ClientId=other_client)
        old_delete = retarget(load_event("callback_urls/delete.json"), server.url, stack.pool, stack.client)
        old_delete["PhysicalResourceId"] = first["PhysicalResourceId"]
        cleaned = stack.app.lambda_handler(old_delete, FakeLambdaContext())
    # Then the new client has the URLs, under a new id, and the old client is as it was
    assert moved["PhysicalResourceId"].startswith(f"cognito-callback-urls:{other_pool}:{other_client}:")
    assert API in urls_of(stack.cognito, other_pool, other_client)[0]
    assert cleaned["Status"] == "SUCCESS"
    assert stack.urls() == ([BEFORE], [])


def test_a_failed_move_to_another_client_leaves_no_claim_there(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an instance created on client A, and client B whose UpdateUserPoolClient fails
    other_pool, other_client = create_client(stack.cognito, CallbackURLs=[BEFORE])
    stack.serve(other_pool)
    real_update = client_settings.update_client

    def update_client(cognito: Any, described: Any, *urls: Any) -> None:
        if described["ClientId"] == other_client:
            raise RuntimeError("UpdateUserPoolClient failed")
        real_update(cognito, described, *urls)

    monkeypatch.setattr(client_settings, "update_client", update_client)
    with ResponseServer() as server:
        created = stack.invoke("create", server)
        # When an Update moves the instance to B and fails there (FAILED carries A's id)...
        move = retarget(load_event("callback_urls/update.json"), server.url, stack.pool, stack.client)
        move["PhysicalResourceId"] = created["PhysicalResourceId"]
        move["ResourceProperties"] |= {"UserPoolId": other_pool, "ClientId": other_client}
        failed = stack.app.lambda_handler(move, FakeLambdaContext())
        # ...CloudFormation rolls back with an Update of A's id to A's properties...
        rollback = retarget(load_event("callback_urls/update.json"), server.url, stack.pool, stack.client)
        rollback["PhysicalResourceId"] = created["PhysicalResourceId"]
        rollback["OldResourceProperties"] = move["ResourceProperties"]
        rollback["ResourceProperties"] = retarget(
            load_event("callback_urls/create.json"), server.url, stack.pool, stack.client
        )["ResourceProperties"]
        rolled_back = stack.app.lambda_handler(rollback, FakeLambdaContext())
        # ...and later another instance converges B
        monkeypatch.setattr(client_settings, "update_client", real_update)
        other = retarget(load_event("callback_urls/create.json"), server.url, other_pool, other_client)
        other["LogicalResourceId"] = "OtherCallbacks"
        other["ResourceProperties"] |= {"CallbackURLs": ["https://other.example.com/cb"], "LogoutURLs": []}
        converged = stack.app.lambda_handler(other, FakeLambdaContext())
    # Then B carries only what was there and the other instance's URL, not the failed update's URLs
    assert failed["Status"] == "FAILED"
    assert failed["PhysicalResourceId"] == created["PhysicalResourceId"]
    assert rolled_back["Status"] == converged["Status"] == "SUCCESS"
    assert urls_of(stack.cognito, other_pool, other_client) == ([BEFORE, "https://other.example.com/cb"], [])
    assert stack.urls() == ([BEFORE, API], [API])


def test_a_failed_release_after_a_failed_move_still_reports_the_original_failure(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a move to client B whose write fails, and a release of the new id that fails too
    other_pool, other_client = create_client(stack.cognito, CallbackURLs=[BEFORE])
    stack.serve(other_pool)
    real_converge = operation.converge
    calls: list[str] = []

    def converge(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs["owner"])
        if len(calls) == 1:
            raise RuntimeError("UpdateUserPoolClient failed")
        if len(calls) == 2:
            raise RuntimeError("ledger unavailable")
        return real_converge(*args, **kwargs)

    with ResponseServer() as server:
        created = stack.invoke("create", server)
        monkeypatch.setattr(operation, "converge", converge)
        move = retarget(load_event("callback_urls/update.json"), server.url, stack.pool, stack.client)
        move["PhysicalResourceId"] = created["PhysicalResourceId"]
        move["ResourceProperties"] |= {"UserPoolId": other_pool, "ClientId": other_client}
        # When the Update runs
        failed = stack.app.lambda_handler(move, FakeLambdaContext())
    # Then the release was tried for the new id, and CloudFormation hears of the first failure
    new_id = resource.physical_id(
        Request("Update", move["StackId"], move["LogicalResourceId"], {}), other_pool, other_client
    )
    assert calls == [new_id, new_id]
    assert failed["Status"] == "FAILED"
    assert "UpdateUserPoolClient failed" in failed["Reason"]
    assert failed["PhysicalResourceId"] == created["PhysicalResourceId"]


def test_update_replaces_the_old_urls_with_the_new(stack: Stack) -> None:
    with ResponseServer() as server:
        stack.invoke("create", server)
        answer = stack.invoke("update", server)
    assert answer["Status"] == "SUCCESS"
    assert stack.urls() == (
        [BEFORE, API, "https://app.example.com/oauth2/idpresponse"],
        ["https://app.example.com/"],
    )


def test_delete_leaves_the_client_as_it_was(stack: Stack) -> None:
    with ResponseServer() as server:
        stack.invoke("create", server)
        stack.invoke("update", server)
        answer = stack.invoke("delete", server)
    assert answer["Status"] == "SUCCESS"
    assert stack.urls() == ([BEFORE], [])


def test_delete_of_a_pool_that_no_longer_exists_answers_success(stack: Stack) -> None:
    with ResponseServer() as server:
        stack.invoke("create", server)
        stack.cognito.delete_user_pool(UserPoolId=stack.pool)
        answer = stack.invoke("delete", server)
    assert answer["Status"] == "SUCCESS"
    assert "no longer exists" in answer["Reason"]


@pytest.mark.parametrize("request_type", ["create", "delete"])
def test_a_missing_ledger_table_fails_naming_the_table_and_what_to_do(
    stack: Stack, request_type: str
) -> None:
    # Given a ledger table that is gone
    table = "ledger"  # the fixture's LEDGER_TABLE
    boto3.client("dynamodb").delete_table(TableName=table)
    # When a request comes  # Then it fails naming the table, DynamoDB's answer and what to do
    with ResponseServer() as server:
        answer = stack.invoke(request_type, server)
    assert answer["Status"] == "FAILED"
    assert answer["Reason"].startswith(
        f"the ledger table {table!r} (CallbackUrlLedgerTable of the installation"
    )
    assert "'Requested resource not found'" in answer["Reason"]
    assert "redeploy the installation" in answer["Reason"]
    assert stack.urls() == ([BEFORE], [])


def test_an_invalid_url_fails_before_any_change_and_names_url_and_rule(stack: Stack) -> None:
    with ResponseServer() as server:
        answer = stack.invoke("create", server, CallbackURLs=[API, "http://app.example.com/cb"])
    assert answer["Status"] == "FAILED"
    assert answer["Reason"] == (
        "CallbackURLs[1] 'http://app.example.com/cb' must use https: plain http is only allowed for the "
        "loopback hosts localhost, 127.0.0.1, [::1]"
    )
    assert answer["PhysicalResourceId"].startswith(f"cognito-callback-urls:{stack.pool}:")
    assert stack.urls() == ([BEFORE], [])


def test_a_success_with_attributes_over_4096_bytes_still_answers_success(stack: Stack) -> None:
    long_urls = [f"https://app{n}.example.com/" + "p" * 60 for n in range(90)]
    with ResponseServer() as server:
        answer = stack.invoke("create", server, CallbackURLs=long_urls)
    assert answer["Status"] == "SUCCESS"
    assert "CallbackURLs" not in answer["Data"]
    assert answer["Data"]["Issuer"].endswith(stack.pool)
    assert "CallbackURLs" in answer["Reason"]
    assert len(stack.urls()[0]) == 91


def test_logs_carry_the_urls_but_never_the_client_secret(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)  # the level the function runs at; DEBUG is botocore wire logs
    with ResponseServer() as server:
        stack.invoke("create", server)
    records = [vars(record) for record in caplog.records]
    converged = [r for r in records if r["msg"] == "app client URLs converged"]
    assert len(converged) == 1
    assert API in converged[0]["added"]
    assert stack.secret not in repr(records)


def test_metrics_count_urls_added_and_the_outcome(capsys: pytest.CaptureFixture[str], stack: Stack) -> None:
    with ResponseServer() as server:
        stack.invoke("create", server)
    metrics = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert len(metrics) == 1
    assert metrics[0]["UrlsAdded"] == [2.0] or metrics[0]["UrlsAdded"] == 2.0
    assert metrics[0]["OperationSucceeded"] in (1.0, [1.0])
    assert metrics[0]["RequestType"] == "Create"


def test_a_missing_setting_at_import_is_still_answered_failed_naming_it(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LEDGER_TABLE", raising=False)
    app = load_custom_resource(
        monkeypatch, "callback_urls", {}, ["us-east-1_Example1"], CloudFormationStandIn()
    )
    with ResponseServer() as server:
        event = retarget(load_event("callback_urls/create.json"), server.url)
        answer = app.lambda_handler(event, FakeLambdaContext())
    assert server.bodies == [answer]
    assert answer["Status"] == "FAILED"
    assert "LEDGER_TABLE" in answer["Reason"]
