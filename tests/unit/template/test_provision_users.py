"""The provisioning consumer in the template: least privilege (CreateGroup only when the stack lets it
create groups), and X-Ray tracing exactly where a Tracer is used."""

from __future__ import annotations

import json

from tests.conftest import ROOT
from tests.unit.template.support import FUNCTIONS, RESOURCES, TEMPLATE


def test_the_consumers_own_policies_never_grant_create_group() -> None:
    # Given the consumer's own policies  # Then none grants CreateGroup
    policies = FUNCTIONS["ProvisionUsersFunction"]["Properties"]["Policies"]
    assert "cognito-idp:CreateGroup" not in json.dumps(policies)


def test_create_group_is_granted_only_when_creating_missing_groups_is_on() -> None:
    # Given every resource that grants CreateGroup
    granting = {name: r for name, r in RESOURCES.items() if "cognito-idp:CreateGroup" in json.dumps(r)}
    # Then it is one policy on the consumer's role, on the pool only, under a condition that holds
    # only when ProvisioningCreateMissingGroups is "true"
    assert list(granting) == ["ProvisionUsersCreateGroupPolicy"]
    policy = granting["ProvisionUsersCreateGroupPolicy"]
    assert policy["Type"] == "AWS::IAM::Policy"
    assert policy["Properties"]["Roles"] == [{"Ref": "ProvisionUsersFunctionRole"}]
    assert policy["Properties"]["PolicyDocument"]["Statement"] == [
        {
            "Effect": "Allow",
            "Action": "cognito-idp:CreateGroup",
            "Resource": {"Fn::GetAtt": ["UserPool", "Arn"]},
        }
    ]
    assert TEMPLATE["Conditions"][policy["Condition"]] == {
        "Fn::Equals": [{"Ref": "ProvisioningCreateMissingGroups"}, "true"]
    }


def test_tracing_is_active_exactly_on_the_functions_that_use_a_tracer() -> None:
    # Given the functions whose handler makes a Powertools Tracer
    tracing = {
        name
        for name, function in FUNCTIONS.items()
        if "Tracer()" in (ROOT / function["Properties"]["CodeUri"] / "app.py").read_text(encoding="utf-8")
    }
    # Then those, and only those, have X-Ray tracing on (none from Globals)
    assert tracing == {"ProvisionUsersFunction"}
    assert "Tracing" not in TEMPLATE["Globals"]["Function"]
    assert {name for name, f in FUNCTIONS.items() if f["Properties"].get("Tracing") == "Active"} == tracing
