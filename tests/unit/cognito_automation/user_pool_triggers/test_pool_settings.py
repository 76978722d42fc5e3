"""The UpdateUserPool round-trip: fields from the botocore model, the exact request (botocore Stubber), and
the feature plan pre token V2_0/V3_0 need."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from cognito_automation.user_pool_triggers import pool_settings
from cognito_automation.user_pool_triggers.errors import FeaturePlanError, PoolNotFoundError

POOL = "us-east-1_Example1"
# Settings DescribeUserPool returns, with non-default values, read-only ones among them.
DESCRIBED: dict[str, Any] = {
    "Id": POOL,
    "Name": "console-pool",
    "Arn": f"arn:aws:cognito-idp:us-east-1:123456789012:userpool/{POOL}",
    "CreationDate": datetime(2026, 1, 1, tzinfo=UTC),
    "LastModifiedDate": datetime(2026, 1, 2, tzinfo=UTC),
    "Domain": "console-pool",
    "EstimatedNumberOfUsers": 12,
    "UsernameAttributes": ["email"],
    "SchemaAttributes": [{"Name": "email", "AttributeDataType": "String", "Required": True}],
    "Policies": {"PasswordPolicy": {"MinimumLength": 14, "RequireSymbols": True}},
    "DeletionProtection": "ACTIVE",
    "LambdaConfig": {"CustomMessage": "arn:aws:lambda:us-east-1:123456789012:function:custom-message"},
    "AutoVerifiedAttributes": ["email"],
    "MfaConfiguration": "OPTIONAL",
    "UserPoolTags": {"team": "ml"},
    "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
    "AccountRecoverySetting": {"RecoveryMechanisms": [{"Priority": 1, "Name": "verified_email"}]},
    "UserPoolTier": "ESSENTIALS",
}
READ_ONLY_SENT_NEVER = {
    "Id", "Name", "Arn", "CreationDate", "LastModifiedDate", "Domain", "EstimatedNumberOfUsers",
    "UsernameAttributes", "SchemaAttributes",
}  # fmt: skip


def test_fields_are_the_update_input_that_describe_returns() -> None:
    fields = pool_settings.pool_fields(boto3.client("cognito-idp").meta.service_model)
    assert {
        "LambdaConfig",
        "UserPoolTier",
        "DeletionProtection",
        "UserPoolTags",
        "Policies",
    } <= fields.updatable
    assert READ_ONLY_SENT_NEVER | {"CustomDomain", "UsernameConfiguration"} <= fields.read_only


def test_the_request_sends_every_setting_back_and_changes_only_lambda_config() -> None:
    # Given
    cognito = boto3.client("cognito-idp")
    lambda_config = {**DESCRIBED["LambdaConfig"], "PostConfirmation": "arn:aws:lambda:us-east-1:1:function:p"}
    expected = {name: value for name, value in DESCRIBED.items() if name not in READ_ONLY_SENT_NEVER}
    expected |= {"UserPoolId": POOL, "LambdaConfig": lambda_config}
    # When / Then the request is exactly that (the Stubber fails on any other)
    with Stubber(cognito) as stub:
        stub.add_response("update_user_pool", {}, expected)
        sent = pool_settings.update_pool(cognito, DESCRIBED, lambda_config)
        stub.assert_no_pending_responses()
    assert sent == expected


@pytest.mark.parametrize("tier", ["LITE", None])
@pytest.mark.parametrize("version", ["V2_0", "V3_0"])
def test_versioned_pre_token_is_refused_on_a_pool_without_essentials_or_plus(
    version: str, tier: str | None
) -> None:
    pool = {"Id": POOL} | ({"UserPoolTier": tier} if tier else {})
    with pytest.raises(FeaturePlanError) as caught:
        pool_settings.check_feature_plan(pool, version)
    message = str(caught.value)
    assert POOL in message
    assert version in message
    assert "Essentials or Plus" in message
    assert "PreTokenEventVersion=V1_0" in message


@pytest.mark.parametrize(("version", "tier"), [("V1_0", "LITE"), ("V2_0", "ESSENTIALS"), ("V3_0", "PLUS")])
def test_a_pool_with_the_plan_its_version_needs_passes(version: str, tier: str) -> None:
    pool_settings.check_feature_plan({"Id": POOL, "UserPoolTier": tier}, version)


def test_a_missing_pool_is_named(aws: None) -> None:
    with pytest.raises(PoolNotFoundError, match=f"user pool {POOL} does not exist"):
        pool_settings.describe_pool(boto3.client("cognito-idp"), POOL)
