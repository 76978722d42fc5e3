"""template.yaml as the template tests read it (cfn-lint's decoder, so short-form intrinsics load), once."""

from __future__ import annotations

from typing import Any

from cfnlint.decode import cfn_yaml

from tests.conftest import ROOT

TEMPLATE: dict[str, Any] = cfn_yaml.load(str(ROOT / "template.yaml"))
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
FUNCTIONS = {name: r for name, r in RESOURCES.items() if r["Type"] == "AWS::Serverless::Function"}
# The pool in use: the stack's own, or ExistingUserPoolId's; every statement and property names it so.
POOL_ID = {"Fn::If": ["UseExistingUserPool", {"Ref": "ExistingUserPoolId"}, {"Ref": "UserPool"}]}
POOL_ARN = {
    "Fn::If": [
        "UseExistingUserPool",
        {
            "Fn::Sub": "arn:${AWS::Partition}:cognito-idp:${AWS::Region}:${AWS::AccountId}:userpool/"
            "${ExistingUserPoolId}"
        },
        {"Fn::GetAtt": ["UserPool", "Arn"]},
    ]
}


def allow_statements(properties: dict[str, Any]) -> list[dict[str, Any]]:
    """A function's explicit Allow statements (no broad policy template allowed; the Deny that fences its
    logs is checked in test_least_privilege)."""
    statements: list[dict[str, Any]] = []
    for policy in properties["Policies"]:
        assert set(policy) == {"Statement"}, "only explicit statements, no broad policy templates"
        statements += [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    return statements


def granted_actions(properties: dict[str, Any]) -> set[str]:
    """The actions a function's explicit Allow statements grant."""
    actions: set[str] = set()
    for statement in allow_statements(properties):
        granted = statement["Action"]
        actions.update(granted if isinstance(granted, list) else [granted])
    return actions
