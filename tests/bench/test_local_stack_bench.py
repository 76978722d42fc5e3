"""Speed of the local stack: start-up, a SAM deploy through CloudFormation, a sign-in through the pre
token trigger, and SQS throughput through the poller (fixture functions). Run by `make bench`."""

from __future__ import annotations

import json
import statistics
import time
from typing import TYPE_CHECKING

import pytest

from cognito_automation import aws
from local.stack import LocalCloud
from tests.local.conftest import FIXTURE_TEMPLATE

if TYPE_CHECKING:
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef

pytestmark = pytest.mark.bench

PASSWORD = "Correct-Horse-9-battery"
MESSAGES = 200
SIGN_INS = 30


def test_local_stack_speed() -> None:
    started = time.perf_counter()
    stack = LocalCloud(port=0, region="us-east-1", enforce_quotas=False).start()
    try:
        up = time.perf_counter() - started
        started = time.perf_counter()
        outputs = stack.deploy(FIXTURE_TEMPLATE, {}, "bench")
        deployed = time.perf_counter() - started

        cognito = stack.client(aws.COGNITO_IDP)
        cognito.admin_create_user(
            UserPoolId=outputs["UserPoolId"],
            Username="bench",
            TemporaryPassword=PASSWORD,
            MessageAction="SUPPRESS",
        )
        cognito.admin_set_user_password(
            UserPoolId=outputs["UserPoolId"], Username="bench", Password=PASSWORD, Permanent=True
        )
        timings = []
        for _ in range(SIGN_INS):
            begin = time.perf_counter()
            cognito.initiate_auth(
                ClientId=outputs["WebClientId"],
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": "bench", "PASSWORD": PASSWORD},
            )
            timings.append(time.perf_counter() - begin)

        sqs = stack.client(aws.SQS)
        started = time.perf_counter()
        for start in range(0, MESSAGES, 10):
            entries: list[SendMessageBatchRequestEntryTypeDef] = [
                {"Id": str(i), "MessageBody": json.dumps({"id": f"m{start + i}"})} for i in range(10)
            ]
            sqs.send_message_batch(QueueUrl=outputs["WorkQueueUrl"], Entries=entries)
        stack.drain(outputs["WorkQueueUrl"], timeout_s=120)
        consumed = time.perf_counter() - started
    finally:
        stack.stop()
    print(
        f"\nlocal stack: start {up:.2f} s, deploy of the fixture SAM template {deployed:.2f} s; "
        f"sign-in with the pre token trigger median {statistics.median(timings) * 1000:.0f} ms "
        f"(p90 {statistics.quantiles(timings, n=10)[-1] * 1000:.0f} ms, {SIGN_INS} runs); "
        f"{MESSAGES} SQS messages consumed in {consumed:.2f} s ({MESSAGES / consumed:.0f} messages/s)"
    )
    assert deployed < 60
