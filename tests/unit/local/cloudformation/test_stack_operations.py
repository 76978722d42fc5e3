"""CloudFormation stack operations: the delete order, the template limits."""

from __future__ import annotations

import json

import pytest

from local.cloudformation.stack_operations import deletion_order, template_refusal


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


def body_of(size: int) -> str:
    """A JSON template of exactly `size` bytes."""
    empty = json.dumps({"Resources": {}, "Metadata": {"Padding": ""}})
    return json.dumps({"Resources": {}, "Metadata": {"Padding": "x" * (size - len(empty))}})


@pytest.mark.parametrize(
    ("size", "from_url", "refused"),
    [
        (51_200, False, None),
        (51_201, False, "Member must have length less than or equal to 51200"),
        (51_201, True, None),
        (1_048_577, True, "Template may not exceed 1048576 bytes in size."),
    ],
)
def test_template_size_limits_are_cloudformations(size, from_url, refused):
    reason = template_refusal(body_of(size), from_url=from_url)
    assert (reason is None) if refused is None else (refused in str(reason))


def test_resource_and_output_counts_are_read_from_yaml_templates_too():
    resources = "".join(f"  R{i}: {{Type: AWS::SNS::Topic}}\n" for i in range(500))
    outputs = "".join(f"  O{i}: {{Value: !Ref R0}}\n" for i in range(201))
    assert template_refusal(f"Resources:\n{resources}") is None
    assert template_refusal(f"Resources:\n{resources}Outputs:\n{outputs}") == (
        "Template format error: Number of outputs, 201, is greater than maximum allowed, 200"
    )
