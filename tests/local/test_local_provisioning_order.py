"""Provisioning messages applied in the order the producer issued them, end to end on the local stack with
template.yaml: SQS delivers at least once and out of order, so an upsert delivered again after the user's
delete must not bring the user back (nor invite her a second time)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from cognito_automation import aws
from cognito_automation.users import get_order
from local.stack import LocalCloud
from tests.conftest import ROOT
from tests.local.conftest import run_producer, unique_name

pytestmark = pytest.mark.local


@pytest.fixture(scope="module")
def deployed(local_stack: LocalCloud) -> tuple[str, dict[str, str]]:
    name = unique_name("order")
    return name, local_stack.deploy(ROOT / "template.yaml", {}, name)


def producer_send(stack: LocalCloud, path: Path, *target: str) -> dict[str, Any]:
    """`producer send` in its own process, as an administrator runs it against the stack."""
    return run_producer(stack, "send", str(path), *target)[0]


def test_an_upsert_delivered_again_after_the_delete_changes_nothing(
    local_stack: LocalCloud, deployed: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    name, outputs = deployed
    sqs = local_stack.client(aws.SQS)
    cognito = local_stack.client(aws.COGNITO_IDP)
    pool_id, queue_url = outputs["UserPoolId"], outputs["ProvisioningQueueUrl"]
    # Given uma's upsert as the producer sends it (caught on a queue of its own, so that SQS can be made
    # to deliver it twice, as it may)
    upsert = tmp_path / "upsert.csv"
    upsert.write_text("username,email,groups,invitation\numa,uma@example.com,users,EMAIL\n")
    capture = sqs.create_queue(QueueName=unique_name("order-capture"))["QueueUrl"]
    assert producer_send(local_stack, upsert, "--queue-url", capture)["sent"] == 1
    (sent,) = sqs.receive_message(QueueUrl=capture, MaxNumberOfMessages=10)["Messages"]
    body = sent["Body"]
    assert isinstance(json.loads(body)["issued_at"], int)
    # delivered once: uma is created and invited
    sqs.send_message(QueueUrl=queue_url, MessageBody=body)
    local_stack.drain(queue_url)
    assert cognito.admin_get_user(UserPoolId=pool_id, Username="uma")["Username"] == "uma"
    assert len(local_stack.invitations(pool_id, "uma")) == 1
    # When the administrator deletes her with the producer
    delete = tmp_path / "delete.csv"
    delete.write_text("action,username\ndelete,uma\n")
    assert producer_send(local_stack, delete, "--stack", name)["sent"] == 1
    local_stack.drain(queue_url)
    with pytest.raises(cognito.exceptions.UserNotFoundException):
        cognito.admin_get_user(UserPoolId=pool_id, Username="uma")
    # and SQS delivers the old upsert again
    sqs.send_message(QueueUrl=queue_url, MessageBody=body)
    local_stack.drain(queue_url)
    # Then it changed nothing: uma stays deleted, was not invited again, and nothing was dead-lettered
    with pytest.raises(cognito.exceptions.UserNotFoundException):
        cognito.admin_get_user(UserPoolId=pool_id, Username="uma")
    assert len(local_stack.invitations(pool_id, "uma")) == 1
    dead = sqs.receive_message(QueueUrl=outputs["ProvisioningDeadLetterQueueUrl"], MaxNumberOfMessages=10)
    assert "uma" not in json.dumps(dead.get("Messages", []))
    # the delete's tombstone holds the order, and expires (the table's TTL attribute, enabled from the
    # template: test_local_cognito_access.py::test_a_template_table_keeps_its_time_to_live)
    tombstone = get_order(local_stack.client(aws.DYNAMODB), outputs["UsersTableName"], pool_id, "uma")
    assert tombstone is not None
    assert tombstone["last_action"] == {"S": "delete"}
    assert int(tombstone["issued_at"]["N"]) > json.loads(body)["issued_at"]
    assert int(tombstone["expires_at"]["N"]) > int(time.time()) + 14 * 24 * 3600
