"""SQS event source mappings on the local stack: a poller with batch size, partial batch failures,
visibility timeout and redrive to the dead-letter queue."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

import pytest

from cognito_automation import aws
from local.stack import LocalCloud
from tests.local.conftest import deploy_fixture, items, unique_name

if TYPE_CHECKING:
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef

pytestmark = pytest.mark.local


@pytest.fixture(scope="module")
def outputs(local_stack: LocalCloud) -> dict[str, str]:
    return deploy_fixture(local_stack, unique_name("sqs"))


def send(stack: LocalCloud, queue_url: str, bodies: list[dict[str, Any]]) -> None:
    entries: list[SendMessageBatchRequestEntryTypeDef] = [
        {"Id": str(i), "MessageBody": json.dumps(body)} for i, body in enumerate(bodies)
    ]
    for start in range(0, len(entries), 10):
        stack.client(aws.SQS).send_message_batch(QueueUrl=queue_url, Entries=entries[start : start + 10])


def seen(stack: LocalCloud, outputs: dict[str, str], prefix: str) -> list[dict[str, Any]]:
    return [item for item in items(stack, outputs["SeenTable"]) if item["pk"].startswith(prefix)]


def wait_for(condition, timeout_s: float = 30.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def dead_letters(stack: LocalCloud, outputs: dict[str, str]) -> list[dict[str, Any]]:
    response = stack.client(aws.SQS).receive_message(
        QueueUrl=outputs["DeadLetterQueueUrl"], MaxNumberOfMessages=10, WaitTimeSeconds=0
    )
    return [json.loads(m["Body"]) for m in response.get("Messages", [])]


def test_messages_are_consumed_in_batches_of_at_most_the_batch_size(local_stack, outputs):
    # Given twelve messages sent at once
    send(local_stack, outputs["WorkQueueUrl"], [{"id": f"ok{i}"} for i in range(12)])
    # When the poller has drained the queue
    local_stack.drain(outputs["WorkQueueUrl"], timeout_s=30)
    records = seen(local_stack, outputs, "ok")
    # Then each was seen once, in batches no larger than 5
    assert sorted(r["pk"] for r in records) == sorted(f"ok{i}#1" for i in range(12))
    assert max(int(r["batch"]) for r in records) <= 5


def test_partial_failure_is_retried_after_the_visibility_timeout_then_dead_lettered(local_stack, outputs):
    # Given a batch where one message always fails (maxReceiveCount 2, visibility timeout 5 s)
    send(local_stack, outputs["WorkQueueUrl"], [{"id": "partial-good"}, {"id": "partial-bad", "fail": True}])
    # When the poller has retried it past the redrive limit
    dead = wait_for(lambda: dead_letters(local_stack, outputs))
    # Then only the failing message was retried, and it ended in the dead-letter queue
    attempts = sorted(r["pk"] for r in seen(local_stack, outputs, "partial"))
    assert attempts == ["partial-bad#1", "partial-bad#2", "partial-good#1"]
    assert dead == [{"id": "partial-bad", "fail": True}]


def test_a_crashing_batch_is_retried_whole(local_stack, outputs):
    # Given a message that makes the function raise
    send(local_stack, outputs["WorkQueueUrl"], [{"id": "crash", "crash": True}])
    # When the poller has retried it
    records = wait_for(lambda: (r := seen(local_stack, outputs, "crash#2")) and r)
    # Then it was delivered again after the visibility timeout
    assert records[0]["pk"] == "crash#2"


def test_send_message_does_not_invoke_the_function_synchronously(local_stack, outputs):
    # When a message is sent
    send(local_stack, outputs["WorkQueueUrl"], [{"id": "async"}])
    # Then SendMessage returned before the function saw it (the poller batches for up to 1 s), and the
    # poller delivered it afterwards
    assert not seen(local_stack, outputs, "async")
    wait_for(lambda: seen(local_stack, outputs, "async"))
