"""CloudWatch dashboards in templates on the local stack: created from their body, refused as
PutDashboard refuses a body that is not a JSON object with widgets (moto stores any body)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cognito_automation import aws
from local.stack import DeployError, LocalCloud
from tests.local.conftest import unique_name

pytestmark = pytest.mark.local

WIDGET = {"type": "text", "x": 0, "y": 0, "width": 6, "height": 2, "properties": {"markdown": "hello"}}


def dashboard(body: str) -> dict[str, Any]:
    return {
        "Resources": {"Board": {"Type": "AWS::CloudWatch::Dashboard", "Properties": {"DashboardBody": body}}}
    }


def test_a_dashboard_is_created_with_its_body(local_stack: LocalCloud):
    # Given a template with a dashboard  # When it is deployed
    name = unique_name("board")
    body = json.dumps({"widgets": [WIDGET]})
    local_stack.deploy(dashboard(body), {}, name)
    # Then CloudWatch has it, under the name the stack reports
    resources = local_stack.client(aws.CLOUDFORMATION).describe_stack_resources(StackName=name)[
        "StackResources"
    ]
    board = resources[0]["PhysicalResourceId"]
    got = local_stack.client(aws.Service[Any]("cloudwatch")).get_dashboard(DashboardName=board)
    assert json.loads(got["DashboardBody"]) == {"widgets": [WIDGET]}
    local_stack.delete(name)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ('{"widgets": [', "The field DashboardBody must be a valid JSON object"),
        ("[]", "The field DashboardBody must be a valid JSON object"),
        ('{"widget": []}', "The dashboard body is invalid, there are 1 validation errors"),
    ],
    ids=["not-json", "not-an-object", "no-widgets"],
)
def test_a_body_cloudwatch_refuses_fails_the_stack(local_stack: LocalCloud, body: str, reason: str):
    # Given a dashboard whose body PutDashboard refuses  # When it is deployed  # Then the stack rolls back
    name = unique_name("badboard")
    with pytest.raises(DeployError, match=reason):
        local_stack.deploy(dashboard(body), {}, name)
    local_stack.delete(name)
