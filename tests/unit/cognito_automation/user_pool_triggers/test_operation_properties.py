"""Custom::CognitoUserPoolTriggers, property-based: over random user pool configurations, attach then detach
change nothing on the pool but this installation's two trigger slots, and detach gives the pool back exactly.

The pool is a fake with Cognito's UpdateUserPool semantics (every setting the call does not pass goes back
to its default, a request the service model rejects fails the test), which moto lacks; every request sent
is checked as sent. Configurations are drawn from the botocore model itself, so a new setting is covered.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

import boto3
import pytest
from botocore.validate import ParamValidator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cognito_automation.user_pool_triggers import operation
from cognito_automation.user_pool_triggers.errors import FeaturePlanError, SlotTakenError
from cognito_automation.user_pool_triggers.lambda_config import SLOTS, Triggers
from tests.unit.cognito_automation.callback_urls.support import create_ledger_table
from tests.unit.cognito_automation.model_strategies import strategy

MODEL: Any = boto3.client("cognito-idp", region_name="us-east-1").meta.service_model
POOL_SHAPE = MODEL.operation_model("DescribeUserPool").output_shape.members["UserPool"]
UPDATE_SHAPE = MODEL.operation_model("UpdateUserPool").input_shape
# What Cognito keeps on an update, worked out here independently of the code under test.
READ_ONLY = set(POOL_SHAPE.members) - set(UPDATE_SHAPE.members)
POOL_ID = "us-east-1_Prop1"
OURS = (
    "arn:aws:lambda:us-east-1:123456789012:function:auth-pre-token",
    "arn:aws:lambda:us-east-1:123456789012:function:auth-post-confirmation",
)


@st.composite
def pool_configurations(draw: st.DrawFn) -> dict[str, Any]:
    optional = {name: strategy(shape) for name, shape in POOL_SHAPE.members.items() if name != "Id"}
    return draw(st.fixed_dictionaries({}, optional=optional)) | {"Id": POOL_ID}


class ResettingPool:
    """A user pool with Cognito's UpdateUserPool semantics; `requests` holds every update sent."""

    def __init__(self, config: dict[str, Any]) -> None:
        client = boto3.client("cognito-idp", region_name="us-east-1")
        self.config = copy.deepcopy(config)
        self.meta, self.exceptions = client.meta, client.exceptions
        self.requests: list[dict[str, Any]] = []

    def describe_user_pool(self, UserPoolId: str) -> dict[str, Any]:  # noqa: N803 - boto3's names
        assert UserPoolId == POOL_ID
        return {"UserPool": copy.deepcopy(self.config)}

    def update_user_pool(self, **request: Any) -> dict[str, Any]:
        report = ParamValidator().validate(request, UPDATE_SHAPE)
        assert not report.has_errors(), report.generate_report()
        self.requests.append(copy.deepcopy(request))
        kept = {name: value for name, value in self.config.items() if name in READ_ONLY}
        sent = {name: value for name, value in copy.deepcopy(request).items() if name != "UserPoolId"}
        self.config = kept | sent
        return {}


def _expected_request(config: dict[str, Any], lambda_config: dict[str, Any]) -> dict[str, Any]:
    """What the update must carry: every setting Describe returned that the update accepts, as it was."""
    request = {name: value for name, value in config.items() if name in UPDATE_SHAPE.members}
    return request | {"UserPoolId": POOL_ID, "LambdaConfig": lambda_config}


def _others(lambda_config: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in lambda_config.items() if name not in SLOTS}


def _without_empty_lambda_config(config: dict[str, Any]) -> dict[str, Any]:
    """A pool without triggers, whether Describe leaves LambdaConfig out or returns it empty."""
    return {name: value for name, value in config.items() if not (name == "LambdaConfig" and value == {})}


def _held(config: dict[str, Any]) -> bool:
    lambda_config = config.get("LambdaConfig") or {}
    return any(lambda_config.get(name) for name in SLOTS)


@pytest.fixture
def dynamodb(aws: None) -> Any:
    client = boto3.client("dynamodb")
    create_ledger_table(client)
    return client


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    config=pool_configurations(),
    version=st.sampled_from(["V1_0", "V2_0", "V3_0"]),
    take_over=st.booleans(),
)
def test_attach_then_detach_changes_nothing_but_the_two_slots(
    dynamodb: Any, config: dict[str, Any], version: str, take_over: bool
) -> None:
    # Given a pool with a random configuration
    pool: Any = ResettingPool(config)  # a stand-in with Cognito's reset semantics, duck-typed
    triggers, owner = Triggers(*OURS, version), uuid.uuid4().hex
    refused = (version != "V1_0" and config.get("UserPoolTier") not in ("ESSENTIALS", "PLUS")) or (
        _held(config) and not take_over
    )
    # When the triggers are attached
    on_pool = operation.PoolTriggers(pool, dynamodb, "ledger", POOL_ID, owner=owner, triggers=triggers)
    try:
        on_pool.attach(take_over=take_over)
    except (FeaturePlanError, SlotTakenError):
        # Then a refusal changes nothing
        assert refused
        assert pool.requests == []
        return
    assert not refused
    # Then the one request sent carries every other setting as it was, and sets the two slots
    attached = _others(config.get("LambdaConfig") or {}) | {
        "PreTokenGenerationConfig": {"LambdaArn": OURS[0], "LambdaVersion": version},
        "PostConfirmation": OURS[1],
    }
    assert pool.requests == [_expected_request(config, attached)]
    # When detached
    on_pool.detach(mode=operation.ATTACH)
    # Then the detach request carries every setting as the attach left it, with the slots given back,
    # and the pool is exactly as it was
    assert pool.requests[1] == _expected_request(
        {**config, "LambdaConfig": attached}, config.get("LambdaConfig") or {}
    )
    assert _without_empty_lambda_config(pool.config) == _without_empty_lambda_config(config)
