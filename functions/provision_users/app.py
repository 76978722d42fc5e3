"""SQS consumer that provisions Cognito users: upsert, disable, enable or delete, one user per message.

Thin: settings at cold start, clients on first use, the work in `cognito_automation.provisioning`.
Traced with X-Ray (Powertools Tracer): every AWS call and every pacing wait is a subsegment, so a trace
shows whether a slow batch waited for Cognito's quota or for Cognito.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from cognito_automation import aws, config
from cognito_automation.provisioning.consumer import Consumer, ThreadedBatchProcessor
from cognito_automation.provisioning.messages import Allowlist
from cognito_automation.provisioning.pacing import Pacer
from cognito_automation.provisioning.passwords import PasswordKey
from cognito_automation.provisioning.provisioner import Outcome, Provisioner, Target

# Threads per batch: a batch holds at most 10 messages, and pacing, not threads, bounds the call rate.
WORKERS = 10
# Worst durations of the calls a message can make after its last deadline check: every Cognito attempt
# and every table write checks the deadline first, so at most one Cognito attempt (connect + read
# timeout, no botocore retry), then a table write (giving an invitation claim back), then the send to
# the dead-letter queue can still run past it. (A KMS Decrypt checks the deadline first too, and
# AdminCreateUser checks it again after: at most a decrypt and a dead-letter send run past it, less.)
COGNITO_ATTEMPT_S = 2.0 + 5.0
DATA_CALL_S = 1.0 + 2.0  # DynamoDB, SQS and KMS: connect + read timeout, one attempt
# Time kept back from the invocation's timeout: messages not done by then are left to SQS (reported as
# batch item failures), and the ones under way still finish before the timeout.
SAFETY_MARGIN_S = COGNITO_ATTEMPT_S + 2 * DATA_CALL_S + 2.0


@dataclass(frozen=True)
class Settings:
    user_pool_id: str
    users_table: str
    dead_letter_queue_url: str
    allowed_groups: frozenset[str]
    allowed_attributes: frozenset[str]
    create_missing_groups: bool
    max_concurrency: int
    max_receive_count: int | None
    # the KMS key that decrypts temporary passwords (the stack's ProvisioningKey)
    temporary_password_key_arn: str


def load_settings(env: Mapping[str, str]) -> Settings:
    max_receive = config.integer(env, "MAX_RECEIVE_COUNT", 0, 0, 1000)
    return Settings(
        user_pool_id=config.user_pool_id(env, "USER_POOL_ID"),
        users_table=config.required(env, "USERS_TABLE"),
        dead_letter_queue_url=config.required(env, "DEAD_LETTER_QUEUE_URL"),
        allowed_groups=frozenset(config.string_list(env, "ALLOWED_GROUPS")),
        allowed_attributes=frozenset(config.string_list(env, "ALLOWED_ATTRIBUTES")),
        create_missing_groups=config.boolean(env, "CREATE_MISSING_GROUPS", default=False),
        max_concurrency=config.integer(env, "MAX_CONCURRENCY", 2, 1, 1000),
        max_receive_count=max_receive or None,
        temporary_password_key_arn=config.required(env, "TEMPORARY_PASSWORD_KEY_ARN"),
    )


logger = Logger()
metrics = Metrics()
# patches botocore: each Cognito, DynamoDB and SQS call is a subsegment (off in tests and the local stack:
# POWERTOOLS_TRACE_DISABLED)
tracer = Tracer()
copy_config_to_registered_loggers(source_logger=logger, include={"cognito_automation"})
SETTINGS = load_settings(os.environ)
POOL = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="provision")


def traced_sleep(seconds: float) -> None:
    """A pacing wait (a token bucket's or a backoff), as a subsegment of the trace."""
    with tracer.provider.in_subsegment("## pacing wait") as subsegment:
        subsegment.put_metadata("seconds", seconds)
        time.sleep(seconds)


@functools.cache
def consumer() -> Consumer:
    # No botocore retries for Cognito (its max_attempts counts retries, hence 0): the pacer owns every
    # attempt, so retries neither hide throttling nor multiply the request rate. Short timeouts: a slow
    # call is retried by the pacer within the invocation.
    cognito = aws.client(aws.COGNITO_IDP, connect_timeout=2.0, read_timeout=5.0, max_attempts=0)
    target = Target(
        user_pool_id=SETTINGS.user_pool_id,
        users_table=SETTINGS.users_table,
        allowlist=Allowlist(SETTINGS.allowed_groups, SETTINGS.allowed_attributes),
        create_missing_groups=SETTINGS.create_missing_groups,
    )
    # DynamoDB, SQS and KMS: short timeouts and a single attempt, so that a call started before the
    # deadline ends within DATA_CALL_S; a failure is transient and SQS retries the message
    dynamodb = aws.client(aws.DYNAMODB, connect_timeout=1.0, read_timeout=2.0, max_attempts=0)
    sqs = aws.client(aws.SQS, connect_timeout=1.0, read_timeout=2.0, max_attempts=0)
    kms = aws.client(aws.KMS, connect_timeout=1.0, read_timeout=2.0, max_attempts=0)
    pacer = Pacer(instances=SETTINGS.max_concurrency, sleep=time.sleep if tracer.disabled else traced_sleep)
    passwords = PasswordKey(kms, SETTINGS.temporary_password_key_arn)
    provisioner = Provisioner(cognito, pacer, dynamodb, target, passwords=passwords)
    return Consumer(provisioner, sqs, SETTINGS.dead_letter_queue_url, SETTINGS.max_receive_count)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    worker = consumer()
    deadline = time.monotonic() + context.get_remaining_time_in_millis() / 1000 - SAFETY_MARGIN_S
    before = worker.tally.snapshot()
    throttled_before = worker.provisioner.pacer.stats.throttled

    def record_handler(record: SQSRecord) -> Outcome | None:
        return worker.handle(record, deadline)

    response = process_partial_response(
        event=event, record_handler=record_handler, processor=ThreadedBatchProcessor(POOL), context=context
    )
    for name, value in worker.tally.snapshot().items():
        if value > before.get(name, 0):
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=value - before.get(name, 0))
    throttled = worker.provisioner.pacer.stats.throttled - throttled_before
    if throttled:
        metrics.add_metric(name="CognitoThrottled", unit=MetricUnit.Count, value=throttled)
    return dict(response)
