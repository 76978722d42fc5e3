"""Bad input to user provisioning, end to end on the local stack with template.yaml: the producer command
refuses a file it cannot read for certain (by line, with the reason, nothing sent), and the consumer
dead-letters what it refuses with a reason that names the fault, the sender's attributes, and its body,
even near SQS's size limit."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import pytest

from cognito_automation import aws
from local.stack import LocalCloud
from tests.conftest import ROOT
from tests.local.conftest import unique_name
from tests.local_stack import run_python

if TYPE_CHECKING:
    from mypy_boto3_sqs.type_defs import MessageAttributeValueTypeDef

pytestmark = pytest.mark.local

HEADER = "username,email,name,groups\n"
MAX_MESSAGE = 1_048_576  # SQS's MaximumMessageSize (the template's queues keep the default)


@pytest.fixture(scope="module")
def deployed(local_stack: LocalCloud) -> tuple[str, dict[str, str]]:
    name = unique_name("input")
    return name, local_stack.deploy(ROOT / "template.yaml", {}, name)


def producer(stack: LocalCloud, *args: str) -> subprocess.CompletedProcess[str]:
    """The producer command in its own process, as an administrator runs it against the stack, whatever
    its exit status (these tests look at refusals too)."""
    return run_python(["-m", "tools.producer", *args], 120, stack.process_environment())


def queued(stack: LocalCloud, queue_url: str) -> int:
    attributes = stack.client(aws.SQS).get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(value) for value in attributes.values())


def dead_letter_of(stack: LocalCloud, dlq_url: str, marker: str) -> dict[str, Any]:
    """The one dead-lettered message whose body holds `marker`, read and removed from the queue."""
    sqs = stack.client(aws.SQS)
    found: list[Any] = []
    for _ in range(5):
        answer = sqs.receive_message(
            QueueUrl=dlq_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], VisibilityTimeout=5
        )
        found += [m for m in answer.get("Messages", []) if marker in m["Body"]]
        if found:
            break
    (message,) = found
    sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"])
    return dict(message)


TEN_MB = "x" * 10_000_000


class Refused(NamedTuple):
    suffix: str
    text: str
    error: str


@pytest.mark.parametrize(
    "case",
    [
        Refused(
            ".csv",
            HEADER + 'amy,amy@example.com,"Amy Doe,users\nbob,bob@example.com,Bob Roe,users\n',
            "line 2: a quoted cell is not closed before the end of the file",
        ),
        Refused(
            ".csv",
            HEADER + 'amy,amy@example.com,"Amy Doe,users\nbob,bob@example.com,"Bob Roe",users\n',
            "line 2: a quoted cell runs over lines 2-3",
        ),
        Refused(
            ".csv",
            HEADER + 'amy,amy@example.com,Amy",users\n',
            'line 2: a quote (") in cell 3 that is not quoted',
        ),
        Refused(
            ".csv",
            HEADER + 'amy,amy@example.com,"Amy"x,users\n',
            "line 2: text after the closing quote of a cell",
        ),
        Refused(
            ".csv",
            "username,email,name,email\namy,amy@example.com,Amy Doe,other@example.com\n",
            "line 1: column 'email' is in the header twice (columns 2 and 4)",
        ),
        Refused(
            ".csv", HEADER + f"amy,amy@example.com,{TEN_MB},users\n", "line 2: a cell is longer than 65536"
        ),
        Refused(
            ".jsonl",
            '{"action": "upsert", "username": "amy", "username": "bob"}\n',
            "line 1: key 'username' is in an object twice",
        ),
        Refused(
            ".jsonl",
            json.dumps({"action": "upsert", "username": "amy", "pad": TEN_MB}) + "\n",
            "line 1: the line is",
        ),
    ],
    ids=[
        "unterminated-quote",
        "quote-swallows-a-row",
        "stray-quote",
        "text-after-quote",
        "duplicate-column",
        "10-MB-cell",
        "duplicate-key",
        "10-MB-line",
    ],
)
def test_a_file_that_cannot_be_read_for_certain_is_refused_by_line_and_nothing_is_sent(
    local_stack: LocalCloud,
    deployed: tuple[str, dict[str, str]],
    tmp_path: Path,
    case: Refused,
) -> None:
    name, outputs = deployed
    users = tmp_path / f"users{case.suffix}"
    users.write_text(case.text, encoding="utf-8")
    # When an administrator sends the file
    done = producer(local_stack, "send", str(users), "--stack", name)
    # Then it is refused with the line and the reason, without a traceback, and nothing is on the queue
    assert done.returncode == 1, done.stdout + done.stderr
    assert case.error in done.stdout, done.stdout + done.stderr
    assert "nothing was sent" in done.stdout
    assert "Traceback" not in done.stderr
    assert queued(local_stack, outputs["ProvisioningQueueUrl"]) == 0


def test_a_spreadsheet_s_byte_order_mark_is_read_as_the_start_of_the_file(
    local_stack: LocalCloud, deployed: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    name, outputs = deployed
    # Given a CSV as a spreadsheet program saves it ("CSV UTF-8"): a byte-order mark before the header
    users = tmp_path / "users.csv"
    users.write_bytes("username,email,groups\namelie,amelie@example.com,users\n".encode("utf-8-sig"))
    # When it is sent
    done = producer(local_stack, "send", str(users), "--stack", name)
    local_stack.drain(outputs["ProvisioningQueueUrl"])
    # Then the user is created as the file says
    assert done.returncode == 0, done.stdout + done.stderr
    user = local_stack.client(aws.COGNITO_IDP).admin_get_user(
        UserPoolId=outputs["UserPoolId"], Username="amelie"
    )
    assert {"Name": "email", "Value": "amelie@example.com"} in user["UserAttributes"]


def test_an_invalid_attribute_name_is_named_and_the_sender_s_attributes_travel_with_the_dead_letter(
    local_stack: LocalCloud, deployed: tuple[str, dict[str, str]]
) -> None:
    _, outputs = deployed
    body = json.dumps({"action": "upsert", "username": "nia", "attributes": {"email\n": "nia@example.com"}})
    sender: dict[str, MessageAttributeValueTypeDef] = {
        "trace_id": {"DataType": "String", "StringValue": "trace-123"},
        "batch": {"DataType": "Number", "StringValue": "42"},
        "signature": {"DataType": "Binary", "BinaryValue": b"\x00\x01sig"},
    }
    # Given a message sent by hand with the sender's own attributes and an attribute named "email\n"
    local_stack.client(aws.SQS).send_message(
        QueueUrl=outputs["ProvisioningQueueUrl"], MessageBody=body, MessageAttributes=sender
    )
    local_stack.drain(outputs["ProvisioningQueueUrl"])
    # Then it is dead-lettered, the reason naming the attribute (escaped), with the body and the sender's
    # attributes as they were sent
    dead = dead_letter_of(local_stack, outputs["ProvisioningDeadLetterQueueUrl"], '"nia"')
    assert dead["Body"] == body
    attributes = dead["MessageAttributes"]
    reason = attributes["failure_reason"]["StringValue"]
    assert reason.startswith('schema violation: invalid attribute names "email\\n"'), reason
    assert attributes["failure_kind"]["StringValue"] == "permanent"
    for name, value in sender.items():
        assert {k: v for k, v in attributes[name].items() if k in value} == value


def test_a_message_near_sqs_s_size_limit_is_dead_lettered_whole_with_its_reason(
    local_stack: LocalCloud, deployed: tuple[str, dict[str, str]]
) -> None:
    _, outputs = deployed
    trace = "trace-" + "t" * 1000
    sender: dict[str, MessageAttributeValueTypeDef] = {
        "trace_id": {"DataType": "String", "StringValue": trace}
    }
    sender_size = len("trace_id") + len("String") + len(trace)
    head = '{"action":"upsert","username":"max","pad":"'
    # Given a message exactly at SQS's limit, its attributes counted (the consumer's failure attributes
    # cannot fit beside the sender's)
    body = head + "m" * (MAX_MESSAGE - sender_size - len(head) - 2) + '"}'
    assert len(body.encode()) + sender_size == MAX_MESSAGE
    local_stack.client(aws.SQS).send_message(
        QueueUrl=outputs["ProvisioningQueueUrl"], MessageBody=body, MessageAttributes=sender
    )
    local_stack.drain(outputs["ProvisioningQueueUrl"])
    # Then it is dead-lettered at once, its body whole, with the reason (what did not fit is named)
    dead = dead_letter_of(local_stack, outputs["ProvisioningDeadLetterQueueUrl"], '"max"')
    assert dead["Body"] == body
    attributes = dead["MessageAttributes"]
    assert (
        attributes["failure_reason"]["StringValue"]
        == "schema violation: data must not contain {'pad'} properties"
    )
    assert attributes["failure_kind"]["StringValue"] == "permanent"
    assert attributes["attributes_left_out"]["StringValue"] == "trace_id"
    assert "trace_id" not in attributes
