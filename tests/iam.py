"""The IAM grants of template.yaml as CloudFormation receives it (after the SAM transform, offline): each
function's statements, the AWS managed policies allowed and why, what counts as a broadened statement,
and whether a statement set allows an action. The template tests and the end-to-end grant check share it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from local.cloudformation.sam_transform import load_template, translate
from tests.conftest import ROOT

Statement = Mapping[str, Any]


@dataclass(frozen=True)
class ManagedPolicy:
    """An AWS managed policy a function's role may carry: why no narrower statement replaces it, and the
    actions it allows (as its AWS documentation lists them)."""

    reason: str
    actions: tuple[str, ...]


# The allowlist: an AWS managed policy not named here fails the template tests.
MANAGED_POLICIES = {
    "service-role/AWSLambdaBasicExecutionRole": ManagedPolicy(
        "SAM attaches it to every role it makes (only an explicit Role avoids it); its logs actions on every "
        "log group are fenced by a Deny to the function's own log group in the function's policies",
        ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"),
    ),
    "AWSXrayWriteOnlyAccess": ManagedPolicy(
        "the traced consumer's X-Ray writes: X-Ray's write actions have no resource-level permissions",
        (
            "xray:PutTraceSegments",
            "xray:PutTelemetryRecords",
            "xray:GetSamplingRules",
            "xray:GetSamplingTargets",
            "xray:GetSamplingStatisticSummaries",
        ),
    ),
}


# Resource wildcards a statement may keep, each with why no narrower resource can replace it (the literal
# text as the template writes it, e.g. a Fn::Sub pattern).
ALLOWED_WILDCARDS: dict[str, str] = {
    "arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:stack/*/*": (
        "the custom resources confirm each request with CloudFormation (DescribeStackResource(s), read-only):"
        " any stack of the account and region may be the requester (docs/trust-model.md)"
    ),
}


@functools.cache
def transformed(parameters: tuple[tuple[str, str], ...] = ()) -> dict[str, Any]:
    """template.yaml after the SAM transform (the local stack's offline transform), with these parameters."""
    template = load_template(ROOT / "template.yaml")
    return translate(template, ROOT, dict(parameters)).template


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def managed_policy_name(arn: Any) -> str:
    """`service-role/AWSLambdaBasicExecutionRole` of an AWS managed policy's ARN (as SAM writes it)."""
    text = arn if isinstance(arn, str) else str(arn)
    return text.split(":policy/", 1)[-1]


def role_of(resources: Mapping[str, Any], function: str) -> str:
    """The logical id of a function's execution role."""
    role = resources[function]["Properties"]["Role"]
    return str(role["Fn::GetAtt"][0])


def role_statements(resources: Mapping[str, Any], role: str, *, conditional: bool = True) -> list[Statement]:
    """Every statement of a role: its inline policies and the AWS::IAM::Policy resources attached to it
    (those under a Condition only if `conditional`)."""
    statements = [
        s
        for policy in resources[role]["Properties"].get("Policies", [])
        for s in as_list(policy["PolicyDocument"]["Statement"])
    ]
    for resource in resources.values():
        if resource["Type"] != "AWS::IAM::Policy" or {"Ref": role} not in resource["Properties"]["Roles"]:
            continue
        if conditional or "Condition" not in resource:
            statements += as_list(resource["Properties"]["PolicyDocument"]["Statement"])
    return statements


def all_statements(resources: Mapping[str, Any]) -> Iterator[tuple[str, Statement]]:
    """Every IAM statement of the template, with the logical id of the resource that holds it."""
    for name, resource in resources.items():
        if resource["Type"] == "AWS::IAM::Role":
            for policy in resource["Properties"].get("Policies", []):
                for statement in as_list(policy["PolicyDocument"]["Statement"]):
                    yield name, statement
        elif resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            for statement in as_list(resource["Properties"]["PolicyDocument"]["Statement"]):
                yield name, statement


def _texts(value: Any) -> Iterator[str]:
    """The literal text of a Resource value: strings, Fn::Sub's pattern, Fn::Join's literal parts, both
    branches of Fn::If; Ref and Fn::GetAtt name one resource and yield nothing."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)
    elif isinstance(value, dict) and len(value) == 1:
        ((function, argument),) = value.items()
        if function == "Fn::Sub":
            yield argument if isinstance(argument, str) else argument[0]
        elif function == "Fn::Join":
            yield str(argument[0]).join(p if isinstance(p, str) else "${}" for p in argument[1])
        elif function == "Fn::If":
            yield from _texts(argument[1:])


def _broad_resource(text: str) -> bool:
    """`*`, an ARN whose resource part is `*`, or a wildcard over a resource type (`userpool/*`,
    `queue/*`, `table/*`)."""
    if text == "*" or text.endswith("/*"):
        return True
    parts = text.split(":", 5)
    return text.startswith("arn:") and len(parts) == 6 and parts[5] == "*"


def broadened(statement: Statement) -> list[str]:
    """Why an Allow statement grants more than named actions on named resources (empty when it does not).
    A Deny only narrows, so it is never broadened."""
    if statement.get("Effect") != "Allow":
        return []
    reasons = [f"{key} in an Allow" for key in ("NotAction", "NotResource") if key in statement]
    reasons += [f"wildcard action {a}" for a in as_list(statement.get("Action", [])) if "*" in str(a)]
    reasons += [
        f"resource {t}"
        for t in _texts(statement.get("Resource", []))
        if _broad_resource(t) and t not in ALLOWED_WILDCARDS
    ]
    return reasons


def _matches(pattern: str, action: str) -> bool:
    """IAM's action match: case-insensitive, `*` any run of characters, `?` one character."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, action, re.IGNORECASE) is not None


def allows(statements: list[Statement], managed: list[str], action: str) -> bool:
    """Whether an Allow statement, or an allowed managed policy, grants the action (resources coarse)."""
    granted = [str(a) for s in statements if s.get("Effect") == "Allow" for a in as_list(s.get("Action", []))]
    granted += [a for name in managed if name in MANAGED_POLICIES for a in MANAGED_POLICIES[name].actions]
    return any(_matches(pattern, action) for pattern in granted)
