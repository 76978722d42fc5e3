"""Custom::CognitoUserPoolTriggers: the installation's pre token generation and post confirmation triggers on
its pool, attached to an existing pool and taken off any pool on delete; and
Custom::CognitoHostedUiDomainGuard, which refuses a change of the hosted UI prefix before CloudFormation
replaces the domain. Both serve only this stack; the event's ResourceType picks the resource.
CloudFormation always gets an answer (cognito_automation.custom_resource.runner).

Unguarded imports are stdlib-only; `_user_pool_triggers` imports the rest and reads the settings at cold
start, inside the runner's guard, so a failed import or a missing setting is still answered.
"""

import functools
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cognito_automation import aws, config
from cognito_automation.custom_resource import physical_ids, runner
from cognito_automation.custom_resource.provenance import ResponseUrls

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from mypy_boto3_dynamodb import DynamoDBClient


# One DescribeUserPool, one UpdateUserPool and two ledger calls per request (the guard: one DescribeStacks),
# a few attempts each.
_client = functools.partial(aws.client, connect_timeout=2.0, read_timeout=5.0, max_attempts=3)
_cognito: "Callable[[], CognitoIdentityProviderClient]" = functools.partial(_client, aws.COGNITO_IDP)
_dynamodb: "Callable[[], DynamoDBClient]" = functools.partial(_client, aws.DYNAMODB)
_cloudformation: "Callable[[], CloudFormationClient]" = functools.partial(_client, aws.CLOUDFORMATION)


def _user_pool_triggers() -> runner.Resource:
    from cognito_automation.user_pool_triggers.resource import UserPoolTriggers  # noqa: PLC0415 - guarded

    return UserPoolTriggers(
        _cognito,
        _dynamodb,
        table=config.required(os.environ, "LEDGER_TABLE"),
        pre_token_arn=config.required(os.environ, "PRE_TOKEN_FUNCTION_ARN"),
        post_confirmation_arn=config.required(os.environ, "POST_CONFIRMATION_FUNCTION_ARN"),
    )


def _hosted_ui_domain_guard() -> runner.Resource:
    from cognito_automation.hosted_ui_domain.guard import HostedUiDomainGuard  # noqa: PLC0415 - guarded

    return HostedUiDomainGuard(_cloudformation)


def _check() -> runner.Check:
    from cognito_automation.custom_resource.own_stack import OwnStack  # noqa: PLC0415 - guarded

    return OwnStack.from_env(os.environ, _cloudformation)


# requests are believed only from CloudFormation, for this installation's own stack (DESIGN.md section 11)
_answer = runner.handler(
    physical_ids.USER_POOL_TRIGGERS,
    _user_pool_triggers,
    check=_check,
    response_urls=ResponseUrls.from_env(os.environ),
)
_answer_domain_guard = runner.handler(
    physical_ids.HOSTED_UI_DOMAIN,
    _hosted_ui_domain_guard,
    check=_check,
    response_urls=ResponseUrls.from_env(os.environ),
)
# the guard's type, spelled here so that the dispatch needs no import outside the runner's guard
HOSTED_UI_DOMAIN_GUARD = "Custom::CognitoHostedUiDomainGuard"


def lambda_handler(event: Any, context: Any) -> dict[str, Any] | None:
    """Answer the CloudFormation request; the answer sent is returned (for direct invokes)."""
    if isinstance(event, dict) and event.get("ResourceType") == HOSTED_UI_DOMAIN_GUARD:
        return _answer_domain_guard(event, context)
    return _answer(event, context)
