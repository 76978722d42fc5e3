"""Custom::CognitoCallbackUrls: the resource's properties, checked before any change (what Create, Update and
Delete do is tested through the handler, tests/unit/functions/callback_urls/test_app.py)."""

from __future__ import annotations

import pytest

from cognito_automation.callback_urls.errors import InvalidUrlError
from cognito_automation.callback_urls.resource import Properties
from cognito_automation.custom_resource.errors import InvalidPropertiesError

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
