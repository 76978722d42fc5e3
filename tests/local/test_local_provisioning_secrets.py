"""Temporary passwords at rest, end to end on the local stack with template.yaml: what anyone who may
read the provisioning queues sees of a password (a ciphertext, or a redaction), and that a redriven
message still creates the user with it."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cognito_automation import aws
from local.stack import LocalCloud
from tests.conftest import ROOT
from tests.local.conftest import run_producer, unique_name

pytestmark = pytest.mark.local

PASSWORD = "Zoe-Temp-Passw0rd!"


@pytest.fixture(scope="module")
def deployed(local_stack: LocalCloud) -> tuple[str, dict[str, str]]:
    # "contractors" is allowlisted but no such group exists, and the consumer may not create it
    name = unique_name("secrets")
    outputs = local_stack.deploy(
        ROOT / "template.yaml", {"ProvisioningAllowedGroups": "users,analysts,contractors"}, name
    )
    return name, outputs


def producer(stack: LocalCloud, *args: str) -> dict[str, Any]:
    """The producer command in its own process; nothing it prints shows the password."""
    result, printed = run_producer(stack, *args)
    assert PASSWORD not in printed
    return result


def dead_letters(stack: LocalCloud, dlq_url: str) -> list[Any]:
    """The dead-letter queue read raw, as any principal allowed ReceiveMessage on it reads it."""
    answer = stack.client(aws.SQS).receive_message(
        QueueUrl=dlq_url,
        MaxNumberOfMessages=10,
        MessageAttributeNames=["All"],
        AttributeNames=["All"],
        VisibilityTimeout=0,
    )
    return list(answer.get("Messages", []))


class _Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def text(self) -> str:
        """Every record, with its arguments and extra keys (whatever a handler would print, and more)."""
        return "\n".join(json.dumps(vars(record), default=str) for record in self.records)


@pytest.fixture
def function_logs() -> Iterator[_Kept]:
    """What the consumer logs during the test: its own logger (Powertools, named after the service) and the
    shared package's, whichever handlers and propagation they were given when the function was loaded."""
    kept = _Kept()
    loggers = [logging.getLogger(name) for name in ("provision-users", "cognito_automation")]
    for logger in loggers:
        logger.addHandler(kept)
    yield kept
    for logger in loggers:
        logger.removeHandler(kept)


def test_a_dead_lettered_password_is_only_a_ciphertext_and_a_redrive_still_creates_the_user(
    local_stack: LocalCloud,
    deployed: tuple[str, dict[str, str]],
    tmp_path: Path,
    function_logs: _Kept,
) -> None:
    name, outputs = deployed
    cognito = local_stack.client(aws.COGNITO_IDP)
    pool_id, client_id = outputs["UserPoolId"], outputs["AppClientId"]
    users = tmp_path / "users.csv"
    users.write_text(
        f"username,email,groups,temporary_password\nzoe,zoe@example.com,contractors,{PASSWORD}\n"
    )
    # Given zoe, with a temporary password, sent by the producer to a group that does not exist yet
    sent = producer(local_stack, "send", str(users), "--stack", name)
    local_stack.drain(outputs["ProvisioningQueueUrl"])
    # Then her message was dead-lettered for good, and the dead-letter queue holds no clear password:
    # not in the body, the reason, the attributes, nor the function's logs
    assert sent["sent"] == 1
    (dead,) = dead_letters(local_stack, outputs["ProvisioningDeadLetterQueueUrl"])
    assert PASSWORD not in json.dumps(dead)
    body = json.loads(dead["Body"])
    assert set(body) >= {"username", "temporary_password_ciphertext"}
    assert "temporary_password" not in body
    assert "group 'contractors' does not exist" in dead["MessageAttributes"]["failure_reason"]["StringValue"]
    logs = function_logs.text()
    assert "message dead-lettered" in logs, "the function's logs were captured"
    assert PASSWORD not in logs
    assert cognito.list_users(UserPoolId=pool_id, Filter='username = "zoe"')["Users"] == []
    # When the cause is fixed and the dead-letter queue redriven
    cognito.create_group(UserPoolId=pool_id, GroupName="contractors")
    assert producer(local_stack, "redrive", "--stack", name)["moved"] == 1
    local_stack.drain(outputs["ProvisioningQueueUrl"])
    # Then zoe exists in contractors and signs in with the temporary password the file gave
    assert dead_letters(local_stack, outputs["ProvisioningDeadLetterQueueUrl"]) == []
    groups = cognito.admin_list_groups_for_user(UserPoolId=pool_id, Username="zoe")["Groups"]
    assert [g["GroupName"] for g in groups] == ["contractors"]
    answer = cognito.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=client_id,
        AuthParameters={"USERNAME": "zoe", "PASSWORD": PASSWORD},
    )
    assert answer["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    with pytest.raises(cognito.exceptions.NotAuthorizedException):
        cognito.initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH",
            ClientId=client_id,
            AuthParameters={"USERNAME": "zoe", "PASSWORD": "Not-Her-Passw0rd!"},
        )
    assert PASSWORD not in function_logs.text()


def test_a_clear_password_sent_by_hand_is_refused_and_redacted_in_the_dead_letter_queue(
    local_stack: LocalCloud, deployed: tuple[str, dict[str, str]], function_logs: _Kept
) -> None:
    _, outputs = deployed
    clear = "Yan-Clear-Passw0rd!"
    message = {"action": "upsert", "username": "yan", "groups": ["users"], "temporary_password": clear}
    # Given a message with a clear password, sent straight to the queue (an old producer, by hand)
    local_stack.client(aws.SQS).send_message(
        QueueUrl=outputs["ProvisioningQueueUrl"], MessageBody=json.dumps(message)
    )
    local_stack.drain(outputs["ProvisioningQueueUrl"])
    # Then it is refused with a reason that says the password was redacted and why, and the dead-letter
    # queue keeps the message without it
    (dead,) = [
        m for m in dead_letters(local_stack, outputs["ProvisioningDeadLetterQueueUrl"]) if "yan" in m["Body"]
    ]
    assert clear not in json.dumps(dead)
    assert json.loads(dead["Body"]) == message | {"temporary_password": "***"}
    reason = dead["MessageAttributes"]["failure_reason"]["StringValue"]
    assert reason.startswith("temporary_password in clear is refused")
    assert "redacted" in reason
    assert "message dead-lettered" in function_logs.text()
    assert clear not in function_logs.text()
    users = local_stack.client(aws.COGNITO_IDP).list_users(UserPoolId=outputs["UserPoolId"])["Users"]
    assert "yan" not in {u["Username"] for u in users}
    local_stack.client(aws.SQS).delete_message(
        QueueUrl=outputs["ProvisioningDeadLetterQueueUrl"], ReceiptHandle=dead["ReceiptHandle"]
    )
