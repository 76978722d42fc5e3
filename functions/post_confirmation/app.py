"""Cognito post confirmation trigger: on PostConfirmation_ConfirmSignUp the user joins the default groups
and gets a user record; PostConfirmation_ConfirmForgotPassword needs nothing. The event always comes back.

Nothing is lost. Cognito retries a trigger only when it times out, not when it fails, and a failed post
confirmation leaves the user confirmed all the same. So the handler does not leave a failure to Cognito:
every step is tried (a record that cannot be written does not stop the groups), and when any fails, or time
runs short, the whole confirmation is handed to the provisioning queue (PROVISIONING_QUEUE_URL): an upsert of
the user with the default groups, which the provisioning consumer converges idempotently. That is logged as
an error naming the user with "alert": "post_confirmation_queued" and the event comes back (the user's
confirmation succeeds: her work is safely queued). Only when the hand-over fails too is the error raised,
after an error log with "alert": "post_confirmation_incomplete" (the user may lack her default groups or
record until someone sends her upsert). The template counts both alerts with metric filters and alarms.

Time budget. Cognito gives the trigger 5 seconds in all, cold start included (Lambda's own clock, and
so the context's remaining time, starts after the init), so the SDK does not retry on its own: every AWS
call gets one attempt of at most CONNECT_TIMEOUT + READ_TIMEOUT = 0.75 s. A confirmation makes at most
len(DEFAULT_GROUPS) + 2 calls (record, groups, groups into the record), so COLD_START_ALLOWANCE (1 s,
mostly the boto3 import) + that many calls + RETURN_MARGIN (0.25 s) fits 5 s for up to MAX_DEFAULT_GROUPS =
3 groups; more fail the cold start. Before each call the handler checks that the call, the hand-over's
SendMessage and the margin still fit in the remaining time (less the allowance on a cold start); if not, it
stops and hands the confirmation over. The hand-over itself starts only while it and the margin fit.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.cognito_user_pool_event import PostConfirmationTriggerEvent

from cognito_automation import aws, config
from cognito_automation.confirmation import confirm_sign_up, hand_over

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sqs import SQSClient

logger = Logger()

COGNITO_TIMEOUT_MS = 5000  # what Cognito allows a trigger, cold start included
COLD_START_ALLOWANCE_MS = 1000  # init before Lambda's clock starts: Python, Powertools, boto3
CONNECT_TIMEOUT = 0.25
READ_TIMEOUT = 0.5
RETRIES = 0  # botocore's retries "max_attempts" counts retries after the first attempt
CALL_MS = int((CONNECT_TIMEOUT + READ_TIMEOUT) * 1000)  # the longest one AWS call may take
RETURN_MARGIN_MS = 250  # to return the event after the last call
CALL_BUDGET_MS = CALL_MS + RETURN_MARGIN_MS  # what must remain before the hand-over is started
DIRECT_BUDGET_MS = CALL_MS + CALL_BUDGET_MS  # before a call of the direct path: it, then the hand-over
# calls per confirmation: one per group, plus writing the record before and the groups into it after
MAX_DEFAULT_GROUPS = (COGNITO_TIMEOUT_MS - COLD_START_ALLOWANCE_MS - RETURN_MARGIN_MS) // CALL_MS - 2
ALERT = "post_confirmation_incomplete"  # counted by PostConfirmationIncompleteMetricFilter (template.yaml)
QUEUED_ALERT = "post_confirmation_queued"  # counted by PostConfirmationQueuedMetricFilter (template.yaml)

CONFIRM_SIGN_UP = "PostConfirmation_ConfirmSignUp"
CONFIRM_FORGOT_PASSWORD = "PostConfirmation_ConfirmForgotPassword"  # noqa: S105 - a trigger source name
_POOL_ID = config.USER_POOL_ID


class OutOfTimeError(Exception):
    """Too little of Cognito's 5 seconds is left for another AWS call."""


@dataclass(frozen=True)
class Settings:
    users_table: str
    default_groups: tuple[str, ...]
    provisioning_queue_url: str


def read_settings(env: Mapping[str, str]) -> Settings:
    default_groups = config.string_list(env, "DEFAULT_GROUPS")
    if len(default_groups) > MAX_DEFAULT_GROUPS:
        raise config.ConfigError(
            f"environment variable DEFAULT_GROUPS names {len(default_groups)} groups; at most "
            f"{MAX_DEFAULT_GROUPS} fit in Cognito's {COGNITO_TIMEOUT_MS // 1000} s with a cold start"
        )
    return Settings(
        users_table=config.required(env, "USERS_TABLE"),
        default_groups=default_groups,
        provisioning_queue_url=config.required(env, "PROVISIONING_QUEUE_URL"),
    )


SETTINGS = read_settings(os.environ)
_invocations = itertools.count()  # the first invocation of this process is the cold one


def _cognito() -> CognitoIdentityProviderClient:
    return aws.client(
        aws.COGNITO_IDP, connect_timeout=CONNECT_TIMEOUT, read_timeout=READ_TIMEOUT, max_attempts=RETRIES
    )


def _dynamodb() -> DynamoDBClient:
    return aws.client(
        aws.DYNAMODB, connect_timeout=CONNECT_TIMEOUT, read_timeout=READ_TIMEOUT, max_attempts=RETRIES
    )


def _sqs() -> SQSClient:
    return aws.client(
        aws.SQS, connect_timeout=CONNECT_TIMEOUT, read_timeout=READ_TIMEOUT, max_attempts=RETRIES
    )


def malformed(event: Any) -> str | None:
    """Why the event cannot be a post confirmation event, or None."""
    if not isinstance(event, dict):
        return "the event is not a JSON object"
    if not isinstance(event.get("userPoolId"), str) or not _POOL_ID.match(event["userPoolId"]):
        return "userPoolId is not a user pool id"
    if not isinstance(event.get("userName"), str) or not event["userName"]:
        return "userName is missing or empty"
    request = event.get("request")
    if not isinstance(request, dict) or not isinstance(request.get("userAttributes"), dict):
        return "request.userAttributes is missing or not an object"
    return None


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    cold = next(_invocations) == 0
    source = event.get("triggerSource") if isinstance(event, dict) else None
    if source == CONFIRM_FORGOT_PASSWORD:
        return event
    if source != CONFIRM_SIGN_UP:
        logger.warning(
            "event passed through unchanged",
            extra={"reason": "not a post confirmation trigger source", "trigger_source": source},
        )
        return event
    reason = malformed(event)
    if reason is not None:
        logger.error("malformed confirm sign-up event passed through unchanged", extra={"reason": reason})
        return event

    # Cognito's clock started before the init that Lambda's remaining time does not count
    allowance = COLD_START_ALLOWANCE_MS if cold else 0

    def time_left() -> int:
        return context.get_remaining_time_in_millis() - allowance

    def before_call() -> None:
        _check_time(time_left(), DIRECT_BUDGET_MS, "an AWS call and the hand-over")

    confirmed = PostConfirmationTriggerEvent(event)
    where = {"username": confirmed.user_name, "user_pool_id": confirmed.user_pool_id}
    try:
        result = confirm_sign_up(
            cognito=_cognito(),
            dynamodb=_dynamodb(),
            table_name=SETTINGS.users_table,
            user_pool_id=confirmed.user_pool_id,
            username=confirmed.user_name,
            attributes=confirmed.request.user_attributes,
            default_groups=SETTINGS.default_groups,
            before_call=before_call,
        )
    except OutOfTimeError as exc:
        failed: tuple[str, ...] = (str(exc),)
        added: tuple[str, ...] = ()
    else:
        failed, added = result.failed, result.added_groups
        if result.missing_groups:
            logger.error(
                "default groups do not exist; the user was confirmed without them",
                extra={"missing_groups": list(result.missing_groups), "user_pool_id": confirmed.user_pool_id},
            )
    if failed:
        _hand_over(confirmed.user_name, failed, time_left, where)
        return event
    logger.info("user confirmed", extra={"user_pool_id": confirmed.user_pool_id, "groups": list(added)})
    return event


def _check_time(remaining_ms: int, needed_ms: int, what: str) -> None:
    if remaining_ms < needed_ms:
        raise OutOfTimeError(f"{remaining_ms} ms left, {what} may take {needed_ms} ms")


def _hand_over(
    username: str, failed: tuple[str, ...], time_left: Callable[[], int], where: dict[str, str]
) -> None:
    """Queue the confirmation for the provisioning consumer; raises when it cannot be queued."""
    try:
        _check_time(time_left(), CALL_BUDGET_MS, "the hand-over")
        message_id = hand_over(
            _sqs(), SETTINGS.provisioning_queue_url, username=username, default_groups=SETTINGS.default_groups
        )
    except Exception:
        # nothing retries a failed trigger: the user is confirmed, perhaps without default groups or record
        logger.exception(
            "confirm sign-up failed and could not be handed to the provisioning queue; the user may lack "
            "default groups or record until an upsert of the user is sent",
            extra={"alert": ALERT, "failed": list(failed), **where},
        )
        raise
    logger.error(
        "confirm sign-up failed; handed to the provisioning queue, whose consumer finishes it",
        extra={"alert": QUEUED_ALERT, "failed": list(failed), "message_id": message_id, **where},
    )
