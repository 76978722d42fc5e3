"""Every name template.yaml derives from the stack fits its service's limit for the longest stack name
CloudFormation allows (128 characters), and is unique per installation; everything else is named by
CloudFormation, which fits its names to each service.

The limits, from each service's API reference: a Lambda function name 64 characters of [a-zA-Z0-9-_]
(CreateFunction, "if you specify only the function name, it is limited to 64 characters"); a layer name
140 (PublishLayerVersion); a user pool's and an app client's name 128 of [\\w\\s+=,.@-] (CreateUserPool,
CreateUserPoolClient); a KMS alias 256 of [a-zA-Z0-9/_-] (CreateAlias); a metric namespace 255, not
starting with a colon (PutMetricData, PutMetricFilter); an export name 255 (CloudFormation's quota for the
names in a template; exports name no other figure); a dashboard name 255 of [A-Za-z0-9_-] (PutDashboard).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.unit.template.support import FUNCTIONS, RESOURCES, TEMPLATE

STACK_NAME = (
    "S" + "t" * 126 + "k"
)  # the longest name CloudFormation accepts; stack names are [A-Za-z][-A-Za-z0-9]*
STACK_UUID = "1c2fa620-982a-11e3-aff7-50e2416294e0"
PSEUDO = {
    "AWS::StackName": STACK_NAME,
    "AWS::StackId": f"arn:aws:cloudformation:us-east-1:123456789012:stack/{STACK_NAME}/{STACK_UUID}",
    "AWS::Partition": "aws",
    "AWS::Region": "ap-southeast-2",
    "AWS::AccountId": "123456789012",
}
LAMBDA_NAME = (64, r"[a-zA-Z0-9_-]+")
COGNITO_NAME = (128, r"[\w\s+=,.@-]+")
NAMESPACE = (255, r"[^:][ -~]*")
EXPORT = (255, r"[A-Za-z0-9:-]+")


def resolve(value: Any) -> str:
    """A name as CloudFormation resolves it for STACK_NAME (the intrinsics names here are made of)."""
    if isinstance(value, str):
        return value
    ((function, argument),) = value.items()
    if function == "Ref":
        return PSEUDO[argument]
    if function == "Fn::Select":
        index, items = argument
        return _list(items)[int(index)]
    if function == "Fn::If":  # the branch a default installation takes: no parameter given
        return resolve(argument[2])
    if function == "Fn::Sub":
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        names = {**PSEUDO, **{k: resolve(v) for k, v in variables.items()}}
        return re.sub(r"\$\{([^}]+)\}", lambda m: names[m.group(1)], text)
    raise AssertionError(f"no resolver for {function}")


def _list(value: Any) -> list[str]:
    ((function, (separator, text)),) = value.items()
    assert function == "Fn::Split"
    return resolve(text).split(separator)


NAMES: list[tuple[str, Any, tuple[int, str]]] = [
    ("CommonLayer LayerName", RESOURCES["CommonLayer"]["Properties"]["LayerName"], (140, r"[a-zA-Z0-9_-]+")),
    ("UserPool UserPoolName", RESOURCES["UserPool"]["Properties"]["UserPoolName"], COGNITO_NAME),
    ("AppClient ClientName", RESOURCES["AppClient"]["Properties"]["ClientName"], COGNITO_NAME),
    ("PreTokenFunction", FUNCTIONS["PreTokenFunction"]["Properties"]["FunctionName"], LAMBDA_NAME),
    (
        "PostConfirmationFunction",
        FUNCTIONS["PostConfirmationFunction"]["Properties"]["FunctionName"],
        LAMBDA_NAME,
    ),
    (
        "ProvisioningKeyAlias AliasName",
        RESOURCES["ProvisioningKeyAlias"]["Properties"]["AliasName"],
        (256, r"alias/[a-zA-Z0-9/_-]+"),
    ),
    *(
        (
            f"{logical} MetricNamespace",
            r["Properties"]["MetricTransformations"][0]["MetricNamespace"],
            NAMESPACE,
        )
        for logical, r in RESOURCES.items()
        if r["Type"] == "AWS::Logs::MetricFilter"
    ),
    *(
        (f"{logical} Namespace", r["Properties"]["Namespace"], NAMESPACE)
        for logical, r in RESOURCES.items()
        if r["Type"] == "AWS::CloudWatch::Alarm"
    ),
    *(
        (f"export {output}", o["Export"]["Name"], EXPORT)
        for output, o in TEMPLATE["Outputs"].items()
        if "Export" in o
    ),
]


@pytest.mark.parametrize(("where", "value", "limit"), NAMES, ids=[n[0] for n in NAMES])
def test_each_stack_derived_name_fits_its_service_for_a_128_character_stack_name(where, value, limit):
    length, pattern = limit
    name = resolve(value)
    assert len(name) <= length, f"{where}: {len(name)} characters, over {length}: {name}"
    assert re.fullmatch(pattern, name), f"{where}: {name} is not {pattern}"


def _strings_naming_the_stack(value: Any, path: str, checked: set[str]) -> Iterator[str]:
    if json.dumps(value, sort_keys=True) in checked:
        return
    if isinstance(value, dict):
        if value.get("Ref") == "AWS::StackName":
            yield path
        for key, item in value.items():
            yield from _strings_naming_the_stack(item, f"{path}/{key}", checked)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings_naming_the_stack(item, f"{path}/{index}", checked)
    elif isinstance(value, str) and "${AWS::StackName}" in value:
        yield path


def test_no_other_property_is_derived_from_the_stack_name():
    # descriptions and the dashboard's body are text, not names; every other use is checked above
    checked = {json.dumps(value, sort_keys=True) for _, value, _ in NAMES}
    unchecked = []
    for logical, resource in RESOURCES.items():
        for key, value in resource.get("Properties", {}).items():
            if key not in ("Description", "DashboardBody"):
                unchecked += list(_strings_naming_the_stack(value, f"{logical}/{key}", checked))
    assert unchecked == []


def test_functions_are_named_by_cloudformation_but_the_two_whose_arns_are_built():
    named = sorted(name for name, f in FUNCTIONS.items() if "FunctionName" in f["Properties"])
    assert named == ["PostConfirmationFunction", "PreTokenFunction"]


@pytest.mark.parametrize("function", ["PreTokenFunction", "PostConfirmationFunction"])
def test_the_built_functions_are_named_after_the_stack_ids_uuid_unique_per_installation(function):
    name = resolve(FUNCTIONS[function]["Properties"]["FunctionName"])
    assert name.endswith(f"-{STACK_UUID}")
    assert STACK_NAME not in name


def test_log_groups_and_the_unnamed_resources_are_named_by_cloudformation():
    name_properties = {
        "AWS::Logs::LogGroup": "LogGroupName",
        "AWS::SQS::Queue": "QueueName",
        "AWS::CloudWatch::Alarm": "AlarmName",
        "AWS::CloudWatch::Dashboard": "DashboardName",
        "AWS::DynamoDB::Table": "TableName",
    }
    named = [
        logical
        for logical, r in RESOURCES.items()
        if name_properties.get(r["Type"]) in r.get("Properties", {})
    ]
    assert named == []
