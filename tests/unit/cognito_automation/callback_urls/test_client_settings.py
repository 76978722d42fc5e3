"""Custom::CognitoCallbackUrls: only the URL lists change; every other setting is sent back as it was.

The exact UpdateUserPoolClient request is checked with a botocore Stubber (moto merges updates, so moto
alone could not tell a reset setting from a kept one).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from cognito_automation.callback_urls import client_settings, operation
from cognito_automation.callback_urls.ledger import Claim
from tests.unit.cognito_automation.callback_urls.support import create_ledger_table

POOL = "us-east-1_Example1"
CLIENT = "1example23456789abcdefghij"
OURS = "https://a1b2c3.execute-api.us-east-1.amazonaws.com/Prod/"

# Every field DescribeUserPoolClient can return, with non-default values.
FULL_CLIENT: dict[str, Any] = {
    "UserPoolId": POOL,
    "ClientName": "app",
    "ClientId": CLIENT,
    "ClientSecret": "s3cr3t" * 8,
    "LastModifiedDate": datetime(2026, 1, 2, tzinfo=UTC),
    "CreationDate": datetime(2026, 1, 1, tzinfo=UTC),
    "RefreshTokenValidity": 10,
    "AccessTokenValidity": 480,
    "IdTokenValidity": 480,
    "TokenValidityUnits": {"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "days"},
    "ReadAttributes": ["email", "name"],
    "WriteAttributes": ["name"],
    "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    "SupportedIdentityProviders": ["COGNITO"],
    "CallbackURLs": ["https://existing.example.com/cb"],
    "LogoutURLs": ["https://existing.example.com/"],
    "DefaultRedirectURI": "https://existing.example.com/cb",
    "AllowedOAuthFlows": ["code"],
    "AllowedOAuthScopes": ["openid", "email", "rs/modelop_client"],
    "AllowedOAuthFlowsUserPoolClient": True,
    "AnalyticsConfiguration": {
        "ApplicationId": "0123abcd",
        "RoleArn": "arn:aws:iam::123456789012:role/pinpoint",
        "ExternalId": "ext",
        "UserDataShared": True,
    },
    "PreventUserExistenceErrors": "ENABLED",
    "EnableTokenRevocation": True,
    "EnablePropagateAdditionalUserContextData": True,
    "AuthSessionValidity": 7,
    "RefreshTokenRotation": {"Feature": "ENABLED", "RetryGracePeriodSeconds": 30},
}
READ_ONLY = {"ClientSecret", "CreationDate", "LastModifiedDate"}


def _model() -> Any:
    return boto3.client("cognito-idp").meta.service_model


def test_updatable_fields_are_the_update_input_that_describe_returns() -> None:
    # Given the service model of the botocore in use
    model = _model()
    # When
    fields = client_settings.client_fields(model)
    # Then every updatable field is accepted by the update and returned by describe
    update_input = set(model.operation_model("UpdateUserPoolClient").input_shape.members)
    assert fields.updatable <= update_input
    assert fields.read_only == READ_ONLY
    assert {
        "TokenValidityUnits",
        "ExplicitAuthFlows",
        "AnalyticsConfiguration",
        "PreventUserExistenceErrors",
        "EnableTokenRevocation",
        "EnablePropagateAdditionalUserContextData",
        "AuthSessionValidity",
        "RefreshTokenRotation",
        "DefaultRedirectURI",
    } <= fields.updatable


def test_the_full_client_fixture_covers_every_field_of_the_model() -> None:
    # if botocore learns a new field, this fixture (and so the exact-request test) must learn it too
    described = _model().operation_model("DescribeUserPoolClient").output_shape.members["UserPoolClient"]
    assert set(FULL_CLIENT) == set(described.members)


def test_update_request_sends_back_every_updatable_field_and_no_read_only_one() -> None:
    fields = client_settings.client_fields(_model())
    request = client_settings.update_request(fields, FULL_CLIENT, ["https://x.example.com/"], [])
    assert set(request) == set(FULL_CLIENT) - READ_ONLY
    assert request["CallbackURLs"] == ["https://x.example.com/"]
    assert request["LogoutURLs"] == []  # sent empty, so the list is emptied and not kept
    assert request["RefreshTokenRotation"] == FULL_CLIENT["RefreshTokenRotation"]


@pytest.fixture
def stubbed(aws: None) -> tuple[Any, Stubber, Any, str]:
    cognito = boto3.client("cognito-idp")
    dynamodb = boto3.client("dynamodb")
    return cognito, Stubber(cognito), dynamodb, create_ledger_table(dynamodb)


def _described(callback: list[str], logout: list[str]) -> dict[str, Any]:
    return {"UserPoolClient": {**FULL_CLIENT, "CallbackURLs": callback, "LogoutURLs": logout}}


def test_create_sends_the_exact_update_request(stubbed: tuple[Any, Stubber, Any, str]) -> None:
    cognito, stubber, dynamodb, table = stubbed
    key = {"UserPoolId": POOL, "ClientId": CLIENT}
    after_callback = [*FULL_CLIENT["CallbackURLs"], OURS]
    after_logout = [*FULL_CLIENT["LogoutURLs"], OURS]
    # Given Cognito returns the full client, then the client with our URLs
    stubber.add_response("describe_user_pool_client", {"UserPoolClient": FULL_CLIENT}, key)
    expected = {name: value for name, value in FULL_CLIENT.items() if name not in READ_ONLY}
    expected |= {"CallbackURLs": after_callback, "LogoutURLs": after_logout}
    stubber.add_response("update_user_pool_client", {}, expected)
    stubber.add_response("describe_user_pool_client", _described(after_callback, after_logout), key)
    # When
    with stubber:
        result = operation.converge(
            cognito,
            dynamodb,
            table,
            POOL,
            CLIENT,
            owner="owner-1",
            desired=Claim((OURS,), (OURS,)),
            deadline=time.monotonic() + 10,
        )
        # Then the update carried every setting unchanged (Stubber compares the whole request)
        stubber.assert_no_pending_responses()
    assert result.callback_urls == tuple(after_callback)
    assert result.added == (OURS, OURS)


def test_repeated_create_reads_but_makes_no_update_call(stubbed: tuple[Any, Stubber, Any, str]) -> None:
    cognito, stubber, dynamodb, table = stubbed
    key = {"UserPoolId": POOL, "ClientId": CLIENT}
    after_callback = [*FULL_CLIENT["CallbackURLs"], OURS]
    stubber.add_response("describe_user_pool_client", {"UserPoolClient": FULL_CLIENT}, key)
    stubber.add_response("update_user_pool_client", {}, None)
    stubber.add_response(
        "describe_user_pool_client", _described(after_callback, FULL_CLIENT["LogoutURLs"]), key
    )
    # Given a first create went through
    desired = Claim((OURS,), ())
    deadline = time.monotonic() + 10
    with stubber:
        operation.converge(
            cognito, dynamodb, table, POOL, CLIENT, owner="o", desired=desired, deadline=deadline
        )
    # When the same request comes again, Then only a describe happens (Stubber fails on any other call)
    stubber.add_response(
        "describe_user_pool_client", _described(after_callback, FULL_CLIENT["LogoutURLs"]), key
    )
    with stubber:
        result = operation.converge(
            cognito, dynamodb, table, POOL, CLIENT, owner="o", desired=desired, deadline=deadline
        )
        stubber.assert_no_pending_responses()
    assert result.client_updated is False
    assert result.callback_urls == tuple(after_callback)
