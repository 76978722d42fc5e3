"""Least privilege of the provisioning consumer: CreateGroup only when the stack lets it create groups."""

from __future__ import annotations

import json

from tests.unit.test_template import FUNCTIONS, RESOURCES, TEMPLATE


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
