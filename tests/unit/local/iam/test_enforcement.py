"""A deployed function's calls are checked against its role while enforcement is on: a denied call raises
the service's own error with AWS's message; calls outside functions, and everything while it is off, are
not checked."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from local.awslambda.invoke import CURRENT
from local.awslambda.runtime import FunctionCode, FunctionRuntime
from local.iam import enforcement
from tests.unit.local.awslambda.support import invoke

ACCOUNT = "123456789012"
# A handler that reads a table it is granted, then one it is not, and reports what each call answered.
HANDLER = """
import boto3

def lambda_handler(event, context):
    dynamodb = boto3.session.Session().client("dynamodb")
    answers = {}
    for table in ("granted", "other"):
        try:
            dynamodb.describe_table(TableName=table)
            answers[table] = "ok"
        except dynamodb.exceptions.ClientError as exc:
            answers[table] = {"type": type(exc).__name__, **exc.response["Error"],
                              "status": exc.response["ResponseMetadata"]["HTTPStatusCode"]}
    return answers
"""
ROLE_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "dynamodb:DescribeTable",
            "Resource": f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/granted",
        }
    ],
}


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", HANDLER)
    return buffer.getvalue()


@pytest.fixture
def runtime(tmp_path: Path, aws: None) -> Iterator[FunctionRuntime]:
    # Given a function deployed with a role that may describe the table "granted" only
    iam = boto3.client("iam")
    trust = {
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ]
    }
    role = iam.create_role(RoleName="reader", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    iam.put_role_policy(RoleName="reader", PolicyName="tables", PolicyDocument=json.dumps(ROLE_POLICY))
    boto3.client("lambda").create_function(
        FunctionName="reader-fn",
        Runtime="python3.11",
        Role=role["Arn"],
        Handler="app.lambda_handler",
        Code={"ZipFile": _zip()},
    )
    dynamodb = boto3.client("dynamodb")
    for table in ("granted", "other"):
        dynamodb.create_table(
            TableName=table,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    (tmp_path / "app.py").write_text(HANDLER)
    runtime = FunctionRuntime(region="us-east-1", account_id=ACCOUNT, process_env={})
    runtime.register("code", FunctionCode(tmp_path))
    CURRENT.runtime = runtime
    try:
        yield runtime
    finally:
        enforcement.uninstall()
        CURRENT.runtime = None
        runtime.close()


def _invoke(runtime: FunctionRuntime) -> dict[str, Any]:
    answers: dict[str, Any] = invoke(runtime, "reader-fn", ACCOUNT).json()
    return answers


def test_a_call_the_role_does_not_allow_fails_with_the_services_access_denied(
    runtime: FunctionRuntime,
) -> None:
    # When enforcement is on and the function describes both tables
    enforcement.install(ACCOUNT, "us-east-1", enabled=True)
    answers = _invoke(runtime)
    # Then the granted one answers, and the other fails as DynamoDB answers a denied call
    assert answers["granted"] == "ok"
    assert answers["other"] == {
        "type": "ClientError",
        "Code": "AccessDeniedException",
        "status": 400,
        "Message": (
            f"User: arn:aws:sts::{ACCOUNT}:assumed-role/reader/reader-fn is not authorized to perform: "
            f"dynamodb:DescribeTable on resource: arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/other "
            "because no identity-based policy allows the dynamodb:DescribeTable action"
        ),
    }
    # and a client outside any function is not checked
    assert boto3.client("dynamodb").describe_table(TableName="other")["Table"]["TableName"] == "other"


def test_nothing_is_checked_while_enforcement_is_off(runtime: FunctionRuntime) -> None:
    enforcement.install(ACCOUNT, "us-east-1", enabled=False)
    assert _invoke(runtime) == {"granted": "ok", "other": "ok"}


@pytest.mark.parametrize(("value", "enabled"), [("", True), ("1", True), ("0", False), ("false", False)])
def test_the_setting_turns_enforcement_off_only_when_it_says_so(value: str, enabled: bool) -> None:
    assert enforcement.enabled_by({enforcement.SETTING: value}) is enabled
    assert enforcement.enabled_by({}) is True
