"""Least privilege of the provisioning consumer: CreateGroup only when the stack lets it create groups."""

from __future__ import annotations

import json

from tests.unit.test_template import FUNCTIONS, TEMPLATE


def test_create_group_is_granted_only_when_creating_missing_groups_is_on() -> None:
    # Given the consumer's policies
    policies = FUNCTIONS["ProvisionUsersFunction"]["Properties"]["Policies"]
    unconditional = [p for p in policies if "Fn::If" not in p]
    conditional = [p["Fn::If"] for p in policies if "Fn::If" in p]
    # Then no unconditional statement grants CreateGroup
    assert "cognito-idp:CreateGroup" not in json.dumps(unconditional)
    # and the one that does is on a condition that holds only when the parameter is "true"
    (condition, granted, otherwise) = next(c for c in conditional if "CreateGroup" in json.dumps(c))
    assert granted["Statement"][0]["Action"] == "cognito-idp:CreateGroup"
    assert otherwise == {"Ref": "AWS::NoValue"}
    assert TEMPLATE["Conditions"][condition] == {
        "Fn::Equals": [{"Ref": "ProvisioningCreateMissingGroups"}, "true"]
    }
