"""CloudFormation stack operations: the delete order."""

from __future__ import annotations

from local.cloudformation.stack_operations import deletion_order


def test_dependents_are_deleted_before_what_they_use():
    # Given a custom resource that uses a function and a table, and a function that uses a role
    resources = {
        "Role": {"Type": "AWS::IAM::Role"},
        "Function": {
            "Type": "AWS::Lambda::Function",
            "Properties": {"Role": {"Fn::GetAtt": ["Role", "Arn"]}},
        },
        "Table": {"Type": "AWS::DynamoDB::Table"},
        "Custom": {
            "Type": "Custom::X",
            "Properties": {"ServiceToken": {"Fn::GetAtt": "Function.Arn"}, "T": {"Fn::Sub": "${Table}"}},
        },
    }
    # When the deletion order is computed
    order = deletion_order(resources)
    # Then each resource goes before what it depends on
    assert order.index("Custom") < order.index("Function") < order.index("Role")
    assert order.index("Custom") < order.index("Table")
