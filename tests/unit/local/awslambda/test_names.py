"""Function names on the local stack as Lambda refuses them: over 64 characters, or already taken."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.awslambda.exceptions import FunctionAlreadyExists
from moto.awslambda.models import LambdaBackend, lambda_backends

from local.awslambda.names import FunctionNameTooLongError, checked_function_name

ACCOUNT = "123456789012"
create = checked_function_name(LambdaBackend.create_function)


@pytest.fixture
def backend() -> Iterator[tuple[LambdaBackend, str]]:
    with mock_aws():
        role = boto3.client("iam", region_name="us-east-1").create_role(
            RoleName="fn", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []})
        )["Role"]["Arn"]
        yield lambda_backends[ACCOUNT]["us-east-1"], role


def spec(name: str, role: str) -> dict[str, Any]:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("app.py", "def handler(event, context):\n    return event\n")
    return {
        "FunctionName": name,
        "Role": role,
        "Runtime": "python3.11",
        "Handler": "app.handler",
        "Code": {"ZipFile": base64.b64encode(archive.getvalue()).decode()},  # as the JSON API carries it
    }


def test_a_name_of_64_characters_is_created(backend):
    lambdas, role = backend
    assert create(lambdas, spec("f" * 64, role)).function_name == "f" * 64


def test_a_name_over_64_characters_is_refused_with_lambdas_validation_error(backend):
    lambdas, role = backend
    with pytest.raises(FunctionNameTooLongError) as refused:
        create(lambdas, spec("f" * 65, role))
    assert refused.value.code == 400
    assert refused.value.error_type == "ValidationException"
    assert "at 'functionName' failed to satisfy constraint" in refused.value.message
    assert "less than or equal to 64" in refused.value.message
    assert lambdas.list_functions() == []


def test_a_taken_name_is_refused_and_the_first_function_kept(backend):
    lambdas, role = backend
    first = create(lambdas, spec("shared-name", role))
    with pytest.raises(FunctionAlreadyExists) as refused:
        create(lambdas, {**spec("shared-name", role), "Handler": "other.handler"})
    assert refused.value.error_type == "ResourceConflictException"
    assert refused.value.message == "Function already exist: shared-name"
    assert lambdas.get_function("shared-name", None).function_arn == first.function_arn
    assert lambdas.get_function("shared-name", None).handler == "app.handler"
