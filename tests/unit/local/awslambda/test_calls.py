"""The opt-in record of the AWS calls each function makes: by function, in its thread pool too, and
nothing for clients outside any function or outside a recording."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from local.awslambda import calls
from local.awslambda.invoke import CURRENT
from local.awslambda.runtime import FunctionCode, FunctionRuntime
from tests.unit.local.awslambda.support import invoke

# A handler that calls SQS itself and DynamoDB from a pool thread, as the provisioning consumer does.
HANDLER = """
from concurrent.futures import ThreadPoolExecutor
import boto3

POOL = ThreadPoolExecutor(max_workers=1)

def lambda_handler(event, context):
    boto3.session.Session().client("sqs").list_queues()
    POOL.submit(lambda: boto3.session.Session().client("dynamodb").list_tables()).result()
    return {}
"""


@pytest.fixture
def runtime(tmp_path: Path, aws: None) -> Iterator[FunctionRuntime]:
    (tmp_path / "app.py").write_text(HANDLER)
    runtime = FunctionRuntime(region="us-east-1", account_id="123456789012", process_env={})
    runtime.register("code", FunctionCode(tmp_path))
    calls.install()
    CURRENT.runtime = runtime
    try:
        yield runtime
    finally:
        CURRENT.runtime = None
        runtime.close()


def test_each_functions_calls_are_recorded_under_its_name_pool_threads_included(
    runtime: FunctionRuntime,
) -> None:
    # Given a recording  # When two functions run, and a client outside any function makes a call
    with calls.recording() as record:
        invoke(runtime, "first")
        invoke(runtime, "second")
        boto3.client("sqs").list_queues()
    # Then each function's calls are recorded by IAM action name, and the outside call is not
    assert record.by_function() == {
        "first": ["dynamodb:ListTables", "sqs:ListQueues"],
        "second": ["dynamodb:ListTables", "sqs:ListQueues"],
    }


def test_nothing_is_recorded_outside_a_recording(runtime: FunctionRuntime) -> None:
    with calls.recording() as record:
        pass
    invoke(runtime, "first")
    assert record.by_function() == {}
