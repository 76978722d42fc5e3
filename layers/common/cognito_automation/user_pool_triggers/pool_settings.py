"""The UpdateUserPool round-trip: change the pool's `LambdaConfig` and nothing else.

UpdateUserPool resets every setting the call does not pass. The request sends back every setting
DescribeUserPool returned that UpdateUserPool accepts (`cognito_automation.round_trip`, from the botocore
model of the client in use), unchanged, with only `LambdaConfig` replaced. What Describe returns and the
update has no field for (the name, the schema, username settings, domains, dates) is fixed or read-only
and never sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from cognito_automation.round_trip import Fields, fields
from cognito_automation.user_pool_triggers.errors import FeaturePlanError, PoolNotFoundError

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient

# Pre token generation event versions beyond V1_0 need one of these feature plans (Cognito's UserPoolTier).
PLANS_FOR_VERSION = {"V2_0": ("ESSENTIALS", "PLUS"), "V3_0": ("ESSENTIALS", "PLUS")}


def pool_fields(service_model: Any) -> Fields:
    """Updatable and read-only settings of a user pool, from a botocore `ServiceModel` of cognito-idp."""
    return fields(service_model, "DescribeUserPool", "UserPool", "UpdateUserPool")


def describe_pool(cognito: CognitoIdentityProviderClient, user_pool_id: str) -> dict[str, Any]:
    try:
        return dict(cognito.describe_user_pool(UserPoolId=user_pool_id)["UserPool"])
    except cognito.exceptions.ResourceNotFoundException as exc:
        raise PoolNotFoundError(f"user pool {user_pool_id} does not exist") from exc


def check_feature_plan(pool: Mapping[str, Any], event_version: str) -> None:
    """Pre token V2_0/V3_0 need the Essentials or Plus feature plan (FeaturePlanError saying what to do)."""
    plans = PLANS_FOR_VERSION.get(event_version)
    tier = pool.get("UserPoolTier")
    if plans is None or tier in plans:
        return
    plan = f"the {tier} feature plan (UserPoolTier {tier})" if tier else "no feature plan (no UserPoolTier)"
    raise FeaturePlanError(
        f"user pool {pool.get('Id')} has {plan}; pre token generation {event_version} needs the Essentials "
        "or Plus feature plan: change the pool's feature plan to Essentials or Plus (console, or "
        "UpdateUserPool with UserPoolTier), or deploy with PreTokenEventVersion=V1_0"
    )


def update_request(
    fields: Fields, described: Mapping[str, Any], lambda_config: Mapping[str, Any]
) -> dict[str, Any]:
    """Every updatable setting Describe returned, unchanged, with `LambdaConfig` replaced."""
    request = {name: value for name, value in described.items() if name in fields.updatable}
    request["UserPoolId"] = described["Id"]
    request["LambdaConfig"] = dict(lambda_config)
    return request


def update_pool(
    cognito: CognitoIdentityProviderClient, described: Mapping[str, Any], lambda_config: Mapping[str, Any]
) -> dict[str, Any]:
    """Send the round-trip; returns the request sent."""
    request = update_request(pool_fields(cognito.meta.service_model), described, lambda_config)
    cognito.update_user_pool(**request)
    return request
