"""Whether a request comes from CloudFormation: its ResponseURL has the form of CloudFormation's (or of the
one form the setting names), and CloudFormation confirms the resource is in progress for it."""

from __future__ import annotations

from typing import Any

import pytest

from cognito_automation import config
from cognito_automation.custom_resource.errors import UnconfirmedRequestError
from cognito_automation.custom_resource.provenance import (
    RESPONSE_URL_SETTING,
    ResponseUrls,
    confirm,
    stack_region,
)
from cognito_automation.custom_resource.request import Request
from tests.unit.cognito_automation.custom_resource.support import FakeCloudFormation

STACK = "arn:aws:cloudformation:us-east-1:123456789012:stack/orders-api/1a2b3c4d-0000-4000-8000-000000000001"
EU_STACK = "arn:aws:cloudformation:eu-west-1:123456789012:stack/orders-api/1a2b3c4d"
CN_STACK = "arn:aws-cn:cloudformation:cn-north-1:123456789012:stack/orders-api/1a2b3c4d"
GOV_STACK = "arn:aws-us-gov:cloudformation:us-gov-west-1:123456789012:stack/orders-api/1a2b3c4d"
PATH = (
    "/arn%3Aaws%3Acloudformation%3Aus-east-1%3A123456789012%3Astack/orders-api/x%7CHooks%7Cid"
    "?X-Amz-Signature=a"
)
PHYSICAL_ID = "cognito-callback-urls:us-east-1_Example1:1example23456789abcdefghij:0123456789abcdef0123"


@pytest.mark.parametrize(
    ("url", "stack"),
    [
        (f"https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com{PATH}", STACK),
        (f"https://cloudformation-custom-resource-response-useast1.s3.us-east-1.amazonaws.com{PATH}", STACK),
        (f"https://cloudformation-custom-resource-response-useast1.s3-external-1.amazonaws.com{PATH}", STACK),
        (
            f"https://cloudformation-custom-resource-response-euwest1.s3-eu-west-1.amazonaws.com{PATH}",
            EU_STACK,
        ),
        (
            f"https://cloudformation-custom-resource-response-euwest1.s3.eu-west-1.amazonaws.com{PATH}",
            EU_STACK,
        ),
        (f"https://cloudformation-custom-resource-response-euwest1.s3.amazonaws.com:443{PATH}", EU_STACK),
        (
            f"https://cloudformation-custom-resource-response-cnnorth1.s3.cn-north-1.amazonaws.com.cn{PATH}",
            CN_STACK,
        ),
        (
            f"https://cloudformation-custom-resource-response-usgovwest1.s3-us-gov-west-1.amazonaws.com{PATH}",
            GOV_STACK,
        ),
    ],
)
def test_cloudformations_response_urls_of_the_stacks_region_are_accepted(url: str, stack: str) -> None:
    assert ResponseUrls.from_env({}).accepts(url, stack)


@pytest.mark.parametrize(
    "url",
    [
        # not https
        f"http://cloudformation-custom-resource-response-useast1.s3.amazonaws.com{PATH}",
        # another region's bucket than the stack's
        f"https://cloudformation-custom-resource-response-euwest1.s3.amazonaws.com{PATH}",
        # the right bucket name as user info, or as a prefix of another host
        f"https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com@attacker.example{PATH}",
        f"https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com.attacker.example{PATH}",
        f"https://x:y@cloudformation-custom-resource-response-useast1.s3.amazonaws.com{PATH}",
        # a look-alike bucket (anyone may create one), path-style, another port
        f"https://cloudformation-custom-resource-response-useast1x.s3.amazonaws.com{PATH}",
        f"https://s3.amazonaws.com/cloudformation-custom-resource-response-useast1{PATH}",
        f"https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com:8443{PATH}",
        # the China domain for a stack outside China
        f"https://cloudformation-custom-resource-response-useast1.s3.us-east-1.amazonaws.com.cn{PATH}",
        # control characters, not a URL at all
        f"https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com{PATH}\r\nHost: x",
        "https://[::1",
        "",
    ],
)
def test_any_other_url_is_refused(url: str) -> None:
    assert not ResponseUrls.from_env({}).accepts(url, STACK)


@pytest.mark.parametrize(
    "stack", ["", "orders-api", "arn:aws:cloudformation:us-east-1:123456789012:stack/x", None]
)
def test_a_stack_id_that_is_not_a_stack_arn_makes_no_url_acceptable(stack: Any) -> None:
    url = f"https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com{PATH}"
    assert stack_region(stack) is None
    assert not ResponseUrls.from_env({}).accepts(url, stack)
    assert not ResponseUrls.from_env({}).accepts(None, STACK)


LOCAL = {RESPONSE_URL_SETTING: "http://127.0.0.1:4566/_local/cfn-response/"}


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        ("http://127.0.0.1:4566/_local/cfn-response/0f6a", True),
        ("http://127.0.0.1:4567/_local/cfn-response/0f6a", False),
        ("https://127.0.0.1:4566/_local/cfn-response/0f6a", False),
        ("http://localhost:4566/_local/cfn-response/0f6a", False),
        ("http://127.0.0.1:4566@attacker.example/_local/cfn-response/0f6a", False),
        ("http://127.0.0.1:4566/elsewhere", False),
        # CloudFormation's own form is not accepted where the setting names another
        (f"https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com{PATH}", False),
    ],
)
def test_the_setting_replaces_the_accepted_form_by_exactly_its_own(url: str, accepted: bool) -> None:
    assert ResponseUrls.from_env(LOCAL).accepts(url, STACK) is accepted


def test_a_setting_without_a_port_accepts_any_port_of_its_host() -> None:
    urls = ResponseUrls.from_env({RESPONSE_URL_SETTING: "http://127.0.0.1/"})
    assert urls.accepts("http://127.0.0.1:39111/response?X-Amz-Signature=test", STACK)
    assert not urls.accepts("http://127.0.0.2:39111/response", STACK)


@pytest.mark.parametrize(
    "value", ["127.0.0.1:4566", "ftp://127.0.0.1/", "http://u@127.0.0.1/", "http://h/?q=1"]
)
def test_a_malformed_setting_fails_the_cold_start_naming_it(value: str) -> None:
    with pytest.raises(config.ConfigError, match=RESPONSE_URL_SETTING):
        ResponseUrls.from_env({RESPONSE_URL_SETTING: value})


# --- CloudFormation's confirmation ------------------------------------------------------------------------


def request(request_type: str = "Create", **changes: Any) -> Request:
    fields: dict[str, Any] = {
        "request_type": request_type,
        "stack_id": STACK,
        "logical_resource_id": "Hooks",
        "resource_type": "Custom::CognitoCallbackUrls",
        "properties": {},
        "physical_resource_id": None if request_type == "Create" else PHYSICAL_ID,
    }
    return Request(**(fields | changes))


def stack_with(
    status: str, resource_type: str = "Custom::CognitoCallbackUrls", **extra: str
) -> FakeCloudFormation:
    hooks = {"LogicalResourceId": "Hooks", "ResourceType": resource_type, "ResourceStatus": status, **extra}
    return FakeCloudFormation({STACK: [hooks]})


@pytest.mark.parametrize(
    ("request_type", "status"),
    [("Create", "CREATE_IN_PROGRESS"), ("Update", "UPDATE_IN_PROGRESS"), ("Delete", "DELETE_IN_PROGRESS")],
)
def test_a_request_in_progress_is_confirmed(request_type: str, status: str) -> None:
    cloudformation = stack_with(status, PhysicalResourceId=PHYSICAL_ID)
    assert confirm(cloudformation.client(), request(request_type)) == STACK
    assert cloudformation.calls == [
        ("DescribeStackResource", {"StackName": STACK, "LogicalResourceId": "Hooks"})
    ]


@pytest.mark.parametrize(
    ("cloudformation", "forged", "problem"),
    [
        (
            stack_with("CREATE_COMPLETE"),
            request("Create"),
            "its status is CREATE_COMPLETE, not CREATE_IN_PROGRESS",
        ),
        (
            stack_with("UPDATE_IN_PROGRESS"),
            request("Delete"),
            "its status is UPDATE_IN_PROGRESS, not DELETE_IN_PROGRESS",
        ),
        (
            stack_with("CREATE_IN_PROGRESS", "AWS::Cognito::UserPoolClient"),
            request("Create"),
            "its type is AWS::Cognito::UserPoolClient, not Custom::CognitoCallbackUrls",
        ),
        (
            stack_with("DELETE_IN_PROGRESS", PhysicalResourceId="cognito-callback-urls:another"),
            request("Delete"),
            f"its physical id is cognito-callback-urls:another, not {PHYSICAL_ID}",
        ),
        (
            FakeCloudFormation(),
            request("Create"),
            f"CloudFormation says: Stack with id {STACK} does not exist",
        ),
        (
            stack_with("CREATE_IN_PROGRESS"),
            request("Create", logical_resource_id="Other"),
            f"CloudFormation says: Resource Other does not exist for stack {STACK}",
        ),
    ],
)
def test_a_request_cloudformation_does_not_confirm_is_refused_naming_why(
    cloudformation: FakeCloudFormation, forged: Request, problem: str
) -> None:
    with pytest.raises(UnconfirmedRequestError) as refused:
        confirm(cloudformation.client(), forged)
    assert problem in str(refused.value)
    assert f"{forged.request_type} of {forged.logical_resource_id} in stack {STACK}" in str(refused.value)
    assert "a request is believed only once CloudFormation confirms it is in progress" in str(refused.value)


def test_a_stack_id_that_is_not_an_arn_is_refused_without_asking() -> None:
    cloudformation = stack_with("CREATE_IN_PROGRESS")
    with pytest.raises(UnconfirmedRequestError, match="StackId is not a stack ARN"):
        confirm(cloudformation.client(), request(stack_id="orders-api"))
    assert cloudformation.calls == []
