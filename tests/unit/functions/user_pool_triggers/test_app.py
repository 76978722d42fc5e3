"""The user_pool_triggers function (Custom::CognitoUserPoolTriggers) end to end: sample events in, an answer
to the response URL out, the pool's triggers attached and given back. What every custom resource shares
(answers on failure, the timer, init failures) is tested once, in
tests/unit/cognito_automation/custom_resource/test_runner.py.

Cognito and DynamoDB are moto; the response URL is a loopback server; CloudFormation a stand-in.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from cognito_automation.custom_resource.physical_ids import TRIGGERS_SLOT, USER_POOL_TRIGGERS
from tests.conftest import FakeLambdaContext, load_event
from tests.unit.cognito_automation.callback_urls.support import create_ledger_table
from tests.unit.cognito_automation.custom_resource.support import (
    CloudFormationStandIn,
    ResponseServer,
    load_custom_resource,
)

PRE_TOKEN = "arn:aws:lambda:us-east-1:123456789012:function:pre-token-1c2fa620-982a-11e3-aff7-50e2416294e0"
FUNCTIONS = "arn:aws:lambda:us-east-1:123456789012:function"
POST_CONFIRMATION = f"{FUNCTIONS}:post-confirmation-1c2fa620-982a-11e3-aff7-50e2416294e0"
CUSTOM_MESSAGE = "arn:aws:lambda:us-east-1:123456789012:function:console-custom-message"
STACK = load_event("user_pool_triggers/create.json")["StackId"]


class Installation:
    """An existing pool in moto, the ledger, and the handler under test serving that pool."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, **pool_settings: Any) -> None:
        self.cognito = boto3.client("cognito-idp")
        create_ledger_table(boto3.client("dynamodb"))
        settings = {"UserPoolTier": "ESSENTIALS", "LambdaConfig": {"CustomMessage": CUSTOM_MESSAGE}}
        self.pool = self.cognito.create_user_pool(PoolName="console", **(settings | pool_settings))[
            "UserPool"
        ]["Id"]
        env = {
            "POWERTOOLS_SERVICE_NAME": "user-pool-triggers",
            "LEDGER_TABLE": "ledger",
            "STACK_ID": STACK,
            "USER_POOL_ID": self.pool,
            "PRE_TOKEN_FUNCTION_ARN": PRE_TOKEN,
            "POST_CONFIRMATION_FUNCTION_ARN": POST_CONFIRMATION,
        }
        self.cloudformation = CloudFormationStandIn()
        self.app = load_custom_resource(
            monkeypatch, "user_pool_triggers", env, [self.pool], self.cloudformation
        )

    def described(self) -> dict[str, Any]:
        return dict(self.cognito.describe_user_pool(UserPoolId=self.pool)["UserPool"])

    def lambda_config(self) -> dict[str, Any]:
        return dict(self.described().get("LambdaConfig") or {})

    def send(
        self, name: str, server: ResponseServer, stack: str = STACK, **properties: Any
    ) -> dict[str, Any]:
        event: dict[str, Any] = json.loads(json.dumps(load_event(f"user_pool_triggers/{name}.json")))
        event["ResponseURL"], event["StackId"] = server.url, stack
        for key in ("ResourceProperties", "OldResourceProperties"):
            if key in event:
                event[key] |= {"UserPoolId": self.pool, **properties}
        if "PhysicalResourceId" in event:
            event["PhysicalResourceId"] = USER_POOL_TRIGGERS.issue(
                stack, event["LogicalResourceId"], self.pool, TRIGGERS_SLOT
            )
        answer: dict[str, Any] = self.app.lambda_handler(event, FakeLambdaContext())
        return answer


@pytest.fixture
def installation(aws: None, monkeypatch: pytest.MonkeyPatch) -> Installation:
    return Installation(monkeypatch)


def test_create_attaches_both_triggers_and_delete_gives_the_pool_back(installation: Installation) -> None:
    # Given an existing pool with a custom message trigger of its own
    before = installation.described()
    with ResponseServer() as server:
        # When Create
        answer = installation.send("create", server)
        # Then both triggers are set, the pool's own kept
        assert answer["Status"] == "SUCCESS", answer
        assert installation.lambda_config() == {
            "CustomMessage": CUSTOM_MESSAGE,
            "PreTokenGenerationConfig": {"LambdaArn": PRE_TOKEN, "LambdaVersion": "V2_0"},
            "PostConfirmation": POST_CONFIRMATION,
        }
        assert answer["Data"]["UserPoolId"] == installation.pool
        assert (
            answer["Data"]["ProviderURL"]
            == f"https://cognito-idp.us-east-1.amazonaws.com/{installation.pool}"
        )
        # CloudFormation exports no empty value: a pool without a domain says so
        assert answer["Data"]["HostedUiUrl"] == f"none: user pool {installation.pool} has no domain"
        # When Update to V3_0, Then the version follows
        assert installation.send("update", server)["Status"] == "SUCCESS"
        assert installation.lambda_config()["PreTokenGenerationConfig"]["LambdaVersion"] == "V3_0"
        # When Delete
        assert installation.send("delete", server)["Status"] == "SUCCESS"
    # Then the pool is as it was
    after = installation.described()
    assert {k: v for k, v in after.items() if k != "LastModifiedDate"} == {
        k: v for k, v in before.items() if k != "LastModifiedDate"
    }


def test_a_slot_held_by_another_function_is_refused_naming_it(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    installation = Installation(monkeypatch, LambdaConfig={"PostConfirmation": CUSTOM_MESSAGE})
    with ResponseServer() as server:
        answer = installation.send("create", server)
        assert answer["Status"] == "FAILED"
        assert f"its post confirmation trigger is {CUSTOM_MESSAGE}" in answer["Reason"]
        assert installation.lambda_config() == {"PostConfirmation": CUSTOM_MESSAGE}
        # and with TakeOver, it is taken, then given back
        assert installation.send("create", server, TakeOver="true")["Status"] == "SUCCESS"
        assert installation.lambda_config()["PostConfirmation"] == POST_CONFIRMATION
        assert installation.send("delete", server)["Status"] == "SUCCESS"
    assert installation.lambda_config() == {"PostConfirmation": CUSTOM_MESSAGE}


def test_v2_on_a_lite_pool_is_refused_saying_what_to_do(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    installation = Installation(monkeypatch, UserPoolTier="LITE")
    with ResponseServer() as server:
        answer = installation.send("create", server)
    assert answer["Status"] == "FAILED"
    assert "Essentials or Plus" in answer["Reason"]
    assert "PreTokenEventVersion=V1_0" in answer["Reason"]
    assert installation.lambda_config() == {"CustomMessage": CUSTOM_MESSAGE}


def test_a_request_from_another_stack_is_refused(installation: Installation) -> None:
    other = STACK.replace("stack/cognito-automation/", "stack/intruder/")
    with ResponseServer() as server:
        answer = installation.send("create", server, stack=other)
    assert answer["Status"] == "FAILED"
    assert "serves only its installation's own stack" in answer["Reason"]
    assert installation.lambda_config() == {"CustomMessage": CUSTOM_MESSAGE}


def test_detach_on_delete_takes_the_triggers_off_the_installations_own_pool(
    installation: Installation,
) -> None:
    # Given the installation's own pool, whose triggers CloudFormation set
    installation.cognito.update_user_pool(
        UserPoolId=installation.pool,
        UserPoolTier="ESSENTIALS",
        LambdaConfig={
            "CustomMessage": CUSTOM_MESSAGE,
            "PreTokenGenerationConfig": {"LambdaArn": PRE_TOKEN, "LambdaVersion": "V2_0"},
            "PostConfirmation": POST_CONFIRMATION,
        },
    )
    with ResponseServer() as server:
        # When Create, Then nothing changes
        assert installation.send("create", server, Mode="detach_on_delete")["Status"] == "SUCCESS"
        assert installation.lambda_config()["PostConfirmation"] == POST_CONFIRMATION
        # When Delete (the stack is deleted, the pool retained), Then only this stack's triggers go
        assert installation.send("delete", server, Mode="detach_on_delete")["Status"] == "SUCCESS"
    assert installation.lambda_config() == {"CustomMessage": CUSTOM_MESSAGE}


def test_the_hosted_ui_url_is_the_pools_own_domain(installation: Installation) -> None:
    installation.cognito.create_user_pool_domain(Domain="console-pool", UserPoolId=installation.pool)
    with ResponseServer() as server:
        answer = installation.send("create", server)
    assert answer["Data"]["HostedUiUrl"] == "https://console-pool.auth.us-east-1.amazoncognito.com"


def send_domain_guard(
    installation: Installation, server: ResponseServer, **properties: Any
) -> dict[str, Any]:
    """Custom::CognitoHostedUiDomainGuard's Update (corp-login to corp-login-2) to the same function."""
    event: dict[str, Any] = json.loads(
        json.dumps(load_event("user_pool_triggers/hosted_ui_domain_update.json"))
    )
    event["ResponseURL"] = server.url
    for key in ("ResourceProperties", "OldResourceProperties"):
        event[key]["UserPoolId"] = installation.pool
    event["ResourceProperties"] |= properties
    answer: dict[str, Any] = installation.app.lambda_handler(event, FakeLambdaContext())
    return answer


def test_the_function_refuses_a_hosted_ui_prefix_change_through_its_guard(installation: Installation) -> None:
    before = installation.described()
    with ResponseServer() as server:
        answer = send_domain_guard(installation, server)
    assert answer["Status"] == "FAILED"
    assert "from 'corp-login' to 'corp-login-2'" in answer["Reason"]
    assert 'first with HostedUiDomainPrefix=""' in answer["Reason"]
    assert answer["PhysicalResourceId"].startswith("cognito-hosted-ui-domain:")
    assert installation.described() == before


def test_the_guard_lets_the_rollback_of_a_prefix_change_pass(installation: Installation) -> None:
    installation.cloudformation.stack_status = "UPDATE_ROLLBACK_IN_PROGRESS"
    with ResponseServer() as server:
        answer = send_domain_guard(installation, server)
    assert answer["Status"] == "SUCCESS", answer
    assert answer["Data"] == {"Domain": "corp-login-2"}


def test_the_guard_serves_only_its_installations_stack(installation: Installation) -> None:
    with ResponseServer() as server:
        answer = send_domain_guard(installation, server, UserPoolId="us-east-1_Other1")
    assert answer["Status"] == "FAILED"
    assert "property UserPoolId must be the pool this installation serves" in answer["Reason"]
