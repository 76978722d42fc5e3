"""The runner's check in both functions: CloudFormation confirms the request, then a Create or Update must
name a client the stack is entitled to; a Delete removes only what its instance owns, so it is not."""

from __future__ import annotations

from typing import Any

import pytest

from cognito_automation.custom_resource.entitlement import Entitlement
from cognito_automation.custom_resource.errors import (
    InvalidPropertiesError,
    NotEntitledError,
    UnconfirmedRequestError,
)
from cognito_automation.custom_resource.request import Request
from cognito_automation.custom_resource.trust import Trust
from tests.unit.cognito_automation.custom_resource.support import FakeCloudFormation

STACK = "arn:aws:cloudformation:us-east-1:123456789012:stack/stack-b/0b0b0b0b"
POOL, SHARED, OTHERS = "us-east-1_Served1", "sharedclient1", "cclient1"
ENTITLEMENT = Entitlement(frozenset({POOL}), frozenset({SHARED}), change="add URLs to")
IN_PROGRESS = {"Create": "CREATE_IN_PROGRESS", "Update": "UPDATE_IN_PROGRESS", "Delete": "DELETE_IN_PROGRESS"}


def trust_with(status: str) -> tuple[Trust, FakeCloudFormation]:
    hooks = {
        "LogicalResourceId": "Hooks",
        "ResourceType": "Custom::CognitoCallbackUrls",
        "ResourceStatus": status,
    }
    cloudformation = FakeCloudFormation({STACK: [hooks]})
    return Trust(ENTITLEMENT, cloudformation.client), cloudformation


def request(request_type: str, client: str, **properties: Any) -> Request:
    return Request(
        request_type,
        STACK,
        "Hooks",
        {"UserPoolId": POOL, "ClientId": client, **properties},
        resource_type="Custom::CognitoCallbackUrls",
        physical_resource_id=None if request_type == "Create" else "issued-id",
    )


@pytest.mark.parametrize("request_type", ["Create", "Update"])
def test_a_confirmed_request_for_a_shared_client_passes(request_type: str) -> None:
    trust, _ = trust_with(IN_PROGRESS[request_type])
    trust(request(request_type, SHARED))


@pytest.mark.parametrize("request_type", ["Create", "Update"])
def test_a_confirmed_request_for_another_stacks_client_is_refused(request_type: str) -> None:
    trust, _ = trust_with(IN_PROGRESS[request_type])
    with pytest.raises(NotEntitledError, match=f"stack stack-b may not add URLs to app client {OTHERS}"):
        trust(request(request_type, OTHERS))


def test_an_unconfirmed_request_is_refused_before_entitlement_is_considered() -> None:
    trust, cloudformation = trust_with("CREATE_COMPLETE")
    with pytest.raises(UnconfirmedRequestError):
        trust(request("Create", SHARED))
    assert [call for call, _ in cloudformation.calls] == ["DescribeStackResource"]


def test_a_confirmed_delete_passes_whatever_client_it_names() -> None:
    # it removes only what its own instance added (and an instance refused at Create added nothing)
    trust, cloudformation = trust_with("DELETE_IN_PROGRESS")
    trust(request("Delete", OTHERS))
    assert [call for call, _ in cloudformation.calls] == ["DescribeStackResource"]


def test_an_unconfirmed_delete_is_refused() -> None:
    trust, _ = trust_with("CREATE_COMPLETE")
    with pytest.raises(UnconfirmedRequestError, match="not DELETE_IN_PROGRESS"):
        trust(request("Delete", OTHERS))


def test_malformed_properties_are_refused_without_asking_cloudformation() -> None:
    trust, cloudformation = trust_with("CREATE_IN_PROGRESS")
    with pytest.raises(InvalidPropertiesError, match="property ClientId is required"):
        trust(request("Create", "not a client id"))
    assert cloudformation.calls == []
