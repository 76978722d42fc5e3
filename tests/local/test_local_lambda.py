"""Lambda on the local stack: functions of the template run in this process from their code and layer
directories, with their environment and the stack's endpoint."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from cognito_automation import aws
from local.stack import LocalCloud
from tests.local.conftest import deploy_fixture, unique_name

pytestmark = pytest.mark.local


@pytest.fixture(scope="module")
def outputs(local_stack: LocalCloud) -> dict[str, str]:
    return deploy_fixture(local_stack, unique_name("fn"), Greeting="hi there")


def invoke(stack: LocalCloud, name: str, payload: dict[str, Any], **kwargs: Any) -> tuple[Any, str | None]:
    response = stack.client(aws.LAMBDA).invoke(
        FunctionName=name, Payload=json.dumps(payload).encode(), **kwargs
    )
    return json.loads(response["Payload"].read() or b"null"), response.get("FunctionError")


def test_invoke_runs_the_function_with_its_environment_and_layer(local_stack, outputs):
    # Given the echo function, whose GREETING comes from a stack parameter
    # When it is invoked
    result, error = invoke(local_stack, outputs["EchoFunctionName"], {"a": 1})
    # Then it answered with its cold-start setting, the event and a working call back into the stack
    assert error is None
    assert result["greeting"] == "hi there"
    assert result["event"] == {"a": 1}
    assert result["queues"] >= 2


def test_function_sees_the_local_endpoint_and_a_lambda_context(local_stack, outputs):
    # When the echo function is invoked
    result, _ = invoke(local_stack, outputs["EchoFunctionName"], {})
    # Then boto3 inside it points at the local stack, and its context names it with time left
    assert result["endpoint"] == local_stack.endpoint_url
    assert result["function_name"] == outputs["EchoFunctionName"]
    assert 0 < result["remaining_ms"] <= 5000


def test_an_exception_is_reported_as_a_function_error(local_stack, outputs):
    # When the function raises
    result, error = invoke(local_stack, outputs["EchoFunctionName"], {"raise": "boom"})
    # Then the caller gets Lambda's error shape
    assert error == "Unhandled"
    assert result["errorType"] == "ValueError"
    assert result["errorMessage"] == "boom"


def test_asynchronous_invoke_is_accepted(local_stack, outputs):
    # When the function is invoked with InvocationType=Event
    response = local_stack.client(aws.LAMBDA).invoke(
        FunctionName=outputs["EchoFunctionName"], InvocationType="Event", Payload=b"{}"
    )
    # Then Lambda accepted it without waiting for a result
    assert response["StatusCode"] == 202


def test_concurrent_invocations_run_in_separate_environments_then_reuse_them(local_stack):
    # Given a function deployed afresh (no warm environment yet)
    outputs = deploy_fixture(local_stack, unique_name("conc"))
    name = outputs["EchoFunctionName"]
    # When two invocations overlap, and a third follows them
    with ThreadPoolExecutor(max_workers=2) as pool:
        overlapping = list(pool.map(lambda _: invoke(local_stack, name, {"sleep": 0.5})[0], range(2)))
    after, _ = invoke(local_stack, name, {})
    # Then each overlapping call had an environment of its own, and the next call found one warm
    assert [r["invocations_in_environment"] for r in overlapping] == [1, 1]
    assert after["invocations_in_environment"] == 2


def test_an_update_changes_a_function_with_layers_and_it_runs_with_its_new_environment(local_stack):
    # Given a stack whose functions list its layer (Ref of an AWS::Lambda::LayerVersion)
    name = unique_name("fn-update")
    deploy_fixture(local_stack, name, Greeting="before")
    # When an update changes a function's environment
    outputs = deploy_fixture(local_stack, name, Greeting="after")
    # Then the update completes, the function lists its layer by ARN and runs with the new environment
    configuration = local_stack.client(aws.LAMBDA).get_function(FunctionName=outputs["EchoFunctionName"])[
        "Configuration"
    ]
    assert [layer["Arn"].split(":")[5] for layer in configuration["Layers"]] == ["layer"]
    result, error = invoke(local_stack, outputs["EchoFunctionName"], {})
    assert (error, result["greeting"]) == (None, "after")
    local_stack.delete(name)
