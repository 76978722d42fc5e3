"""Custom::CognitoHostedUiDomainGuard: a change of prefix is refused with the two deploys to make instead,
except while the stack rolls back; create, delete, the same prefix and a prefix added or removed pass."""

from __future__ import annotations

from typing import Any, cast

import pytest

from cognito_automation.custom_resource.app_client import AppClient
from cognito_automation.custom_resource.errors import InvalidPropertiesError
from cognito_automation.custom_resource.physical_ids import DOMAIN_SLOT, HOSTED_UI_DOMAIN
from cognito_automation.custom_resource.request import Request
from cognito_automation.hosted_ui_domain.errors import InvalidPrefixError, PrefixChangeRefusedError
from cognito_automation.hosted_ui_domain.guard import HostedUiDomainGuard

STACK = "arn:aws:cloudformation:eu-west-1:123456789012:stack/corp/8d3c2b1a-9f8e-11ef-a1b2-0a1b2c3d4e5f"
POOL = "eu-west-1_Example1"


class Stacks:
    """DescribeStacks of one stack, in the status a test gives it."""

    def __init__(self, status: str) -> None:
        self.status = status
        self.calls: list[dict[str, str]] = []

    def describe_stacks(self, **kwargs: str) -> dict[str, Any]:
        self.calls.append(kwargs)
        return {"Stacks": [{"StackId": STACK, "StackStatus": self.status}]}


def guard(status: str = "UPDATE_IN_PROGRESS") -> tuple[HostedUiDomainGuard, Stacks]:
    stacks = Stacks(status)
    return HostedUiDomainGuard(lambda: cast("Any", stacks)), stacks


def request(kind: str, domain: str, old: str | None = None) -> Request:
    return Request(
        request_type=kind,
        stack_id=STACK,
        logical_resource_id="HostedUiDomainGuard",
        properties={"UserPoolId": POOL, "Domain": domain},
        old_properties=None if old is None else {"UserPoolId": POOL, "Domain": old},
        physical_resource_id=None if kind == "Create" else "cognito-hosted-ui-domain:x:domain:y",
    )


def test_create_answers_the_prefix_the_domain_takes() -> None:
    outcome = guard()[0].create(request("Create", "corp-login"))
    assert outcome.data == {"Domain": "corp-login"}
    assert outcome.physical_resource_id == HOSTED_UI_DOMAIN.issue(
        STACK, "HostedUiDomainGuard", POOL, DOMAIN_SLOT
    )


def test_a_prefix_cognito_refuses_is_refused_before_the_domain_is_created() -> None:
    with pytest.raises(
        InvalidPrefixError, match=r"'my-aws-login' is refused by Cognito: .*reserved word: aws"
    ):
        guard()[0].create(request("Create", "my-aws-login"))


@pytest.mark.parametrize(
    "properties", [{"Domain": "corp"}, {"UserPoolId": POOL}, {"UserPoolId": POOL, "Domain": ""}]
)
def test_missing_properties_are_refused_naming_them(properties: dict[str, str]) -> None:
    bad = Request("Create", STACK, "HostedUiDomainGuard", properties)
    with pytest.raises(InvalidPropertiesError, match=r"property (UserPoolId|Domain) is required"):
        guard()[0].create(bad)


def test_a_change_of_prefix_is_refused_with_the_steps_to_follow() -> None:
    resource, stacks = guard("UPDATE_IN_PROGRESS")
    with pytest.raises(PrefixChangeRefusedError) as refused:
        resource.update(request("Update", "new-login", old="old-login"))
    message = str(refused.value)
    assert "from 'old-login' to 'new-login'" in message
    assert 'first with HostedUiDomainPrefix="" (the domain old-login is deleted), then with' in message
    assert "HostedUiDomainPrefix=new-login" in message
    assert "https://old-login.auth.eu-west-1.amazoncognito.com do not answer" in message
    assert "the app clients keep their settings" in message
    assert stacks.calls == [{"StackName": STACK}]


@pytest.mark.parametrize("status", ["UPDATE_ROLLBACK_IN_PROGRESS", "IMPORT_ROLLBACK_IN_PROGRESS"])
def test_the_reverse_change_of_a_rollback_passes(status: str) -> None:
    outcome = guard(status)[0].update(request("Update", "old-login", old="new-login"))
    assert outcome.data == {"Domain": "old-login"}
    assert status in outcome.note


@pytest.mark.parametrize(("old", "new"), [("corp-login", "corp-login"), ("", "corp-login")])
def test_an_update_that_keeps_or_adds_the_prefix_passes_without_asking_cloudformation(
    old: str, new: str
) -> None:
    resource, stacks = guard()
    assert resource.update(request("Update", new, old=old)).data == {"Domain": new}
    assert stacks.calls == []


def test_delete_owns_nothing() -> None:
    outcome = guard()[0].delete(request("Delete", "corp-login"), AppClient(POOL, DOMAIN_SLOT))
    assert outcome.physical_resource_id == "cognito-hosted-ui-domain:x:domain:y"
    assert outcome.data == {}
