"""Cognito post confirmation trigger: on PostConfirmation_ConfirmSignUp the user joins the default groups
and gets a user record; PostConfirmation_ConfirmForgotPassword needs nothing. The event always comes back.

Time budget. Cognito gives the trigger 5 seconds in all (the function's Timeout is 5 s too) and retries a
failed trigger, so the SDK does not retry on its own: every AWS call gets one attempt of at most
CONNECT_TIMEOUT + READ_TIMEOUT = 1.5 s. With the default single group that is two calls, 3 s, plus about
1 s of cold start (boto3 import), under 5 s. Before each call the handler checks that the call still fits
in the remaining time with a margin; if not, it fails fast and Cognito's retry (idempotent) finishes.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.cognito_user_pool_event import PostConfirmationTriggerEvent

from cognito_automation import aws, config
from cognito_automation.confirmation import confirm_sign_up

logger = Logger()

CONNECT_TIMEOUT = 0.5
READ_TIMEOUT = 1.0
RETRIES = 0  # botocore's retries "max_attempts" counts retries after the first attempt
CALL_BUDGET_MS = int((CONNECT_TIMEOUT + READ_TIMEOUT) * 1000) + 250  # one call plus a margin to return

CONFIRM_SIGN_UP = "PostConfirmation_ConfirmSignUp"
CONFIRM_FORGOT_PASSWORD = "PostConfirmation_ConfirmForgotPassword"  # noqa: S105 - a trigger source name
_POOL_ID = config.USER_POOL_ID


class OutOfTimeError(Exception):
    """Too little of Cognito's 5 seconds is left for another AWS call."""


@dataclass(frozen=True)
class Settings:
    users_table: str
    default_groups: tuple[str, ...]


def read_settings(env: Mapping[str, str]) -> Settings:
    return Settings(
        users_table=config.required(env, "USERS_TABLE"),
        default_groups=config.string_list(env, "DEFAULT_GROUPS"),
    )


SETTINGS = read_settings(os.environ)


def _client(service: str) -> Any:
    return aws.client(
        service, connect_timeout=CONNECT_TIMEOUT, read_timeout=READ_TIMEOUT, max_attempts=RETRIES
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
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
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

    def before_call() -> None:
        remaining = context.get_remaining_time_in_millis()
        if remaining < CALL_BUDGET_MS:
            raise OutOfTimeError(f"{remaining} ms left, an AWS call may take {CALL_BUDGET_MS} ms")

    confirmed = PostConfirmationTriggerEvent(event)
    result = confirm_sign_up(
        cognito=_client("cognito-idp"),
        dynamodb=_client("dynamodb"),
        table_name=SETTINGS.users_table,
        user_pool_id=confirmed.user_pool_id,
        username=confirmed.user_name,
        attributes=confirmed.request.user_attributes,
        default_groups=SETTINGS.default_groups,
        before_call=before_call,
    )
    if result.missing_groups:
        logger.error(
            "default groups do not exist; the user was confirmed without them",
            extra={"missing_groups": list(result.missing_groups), "user_pool_id": confirmed.user_pool_id},
        )
    logger.info(
        "user confirmed",
        extra={"user_pool_id": confirmed.user_pool_id, "groups": list(result.added_groups)},
    )
    return event
