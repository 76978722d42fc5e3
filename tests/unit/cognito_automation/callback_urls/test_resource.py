"""Custom::CognitoCallbackUrls: the resource's properties, checked before any change (what Create, Update and
Delete do is tested through the handler, tests/unit/functions/callback_urls/test_app.py)."""

from __future__ import annotations

import json
from typing import Any, cast

import pytest

from cognito_automation.callback_urls import operation
from cognito_automation.callback_urls.errors import InvalidUrlError
from cognito_automation.callback_urls.ledger import Claim
from cognito_automation.callback_urls.resource import ALWAYS_PRESENT, WHEN_THEY_FIT, Properties, attributes
from cognito_automation.custom_resource.errors import InvalidPropertiesError
from cognito_automation.custom_resource.responder import build_body

POOL = "us-east-1_Example1"
CLIENT = "1example23456789abcdefghij"


def test_properties_parse_the_pool_client_and_lists() -> None:
    props = Properties.parse(
        {
            "ServiceToken": "arn",
            "UserPoolId": POOL,
            "ClientId": CLIENT,
            "CallbackURLs": ["https://a.example.com/"],
        }
    )
    assert (props.user_pool_id, props.client_id) == (POOL, CLIENT)
    assert props.urls.callback_urls == ("https://a.example.com/",)
    assert props.urls.logout_urls == ()


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"MyProps": "ss"}, "property UserPoolId is required"),
        ({"UserPoolId": "not a pool"}, "property UserPoolId is required"),
        ({"UserPoolId": POOL}, "property ClientId is required"),
        ({"UserPoolId": POOL, "ClientId": CLIENT}, "CallbackURLs must list at least one URL"),
    ],
)
def test_properties_that_do_not_fit_are_named(props: dict[str, object], message: str) -> None:
    with pytest.raises((InvalidPropertiesError, InvalidUrlError), match=message):
        Properties.parse(props)


class _Pool:
    """describe_user_pool of a pool with the longest custom domain Cognito allows (63 characters)."""

    def describe_user_pool(self, UserPoolId: str) -> dict[str, Any]:  # noqa: N803 - boto3's name
        return {"UserPool": {"Id": UserPoolId, "CustomDomain": "d" * 63}}


@pytest.mark.parametrize("length", [1024, 300, 161, 120, 40])
def test_always_present_attributes_survive_the_largest_answer(length: int) -> None:
    # Given the largest pool id, client id, logical id and stack id, and 100 callback and 100 sign-out
    # URLs of `length` characters on the client, all of them this resource's
    pool, client = "us-gov-west-1_" + "P" * 41, "c" * 128
    callback = tuple(f"https://a.example/{n:03d}/".ljust(length, "x") for n in range(100))
    logout = tuple(f"https://b.example/{n:03d}/".ljust(length, "x") for n in range(100))
    props = Properties(pool, client, Claim(callback, logout))
    data = attributes(cast(Any, _Pool()), props, operation.Result(callback, logout))
    event = {
        "StackId": f"arn:aws-us-gov:cloudformation:us-gov-west-1:123456789012:stack/{'s' * 128}/"
        "e722ae60-fe62-11e8-9a0e-0ae8cc519968",
        "RequestId": "7b3f1d4e-0000-4000-8000-000000000000",
        "LogicalResourceId": "L" * 255,
    }
    physical_id = f"cognito-callback-urls:{pool}:{client}:" + "0" * 20
    # When the answer is built
    body = build_body(event, "SUCCESS", "", physical_id, data)
    # Then it is under 4096 bytes, and only lists were left out (named in the reason)
    assert len(body) < 4096
    answer = json.loads(body)
    assert set(ALWAYS_PRESENT) <= set(answer["Data"])
    assert answer["Data"]["CallbackURLCount"] == answer["Data"]["LogoutURLCount"] == "100"
    assert set(answer["Data"]) <= set(ALWAYS_PRESENT) | set(WHEN_THEY_FIT)
    left_out = set(WHEN_THEY_FIT) - set(answer["Data"])
    assert all(name in answer["Reason"] for name in left_out)
