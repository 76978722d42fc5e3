"""Custom::CognitoCallbackUrls: CloudFormation asks, the shared package converges the app client's URLs,
and CloudFormation always gets an answer (cognito_automation.custom_resource.runner).

Unguarded imports are stdlib-only; `_callback_urls` imports the rest and reads the settings at cold start,
inside the runner's guard, so a failed import or a missing setting is still answered.
"""

import os
from typing import TYPE_CHECKING, Any

from cognito_automation import aws, config
from cognito_automation.custom_resource import physical_ids, runner

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from mypy_boto3_dynamodb import DynamoDBClient

# Bounded so that one call with all its retries (ledger.worst_case_call_seconds: 70 s) ends well within
# the lease, which is extended right before UpdateUserPoolClient; the standard retry mode still retries
# Cognito's throttling (5 client updates per second per pool).
COGNITO_CONNECT_TIMEOUT = 2.0
COGNITO_READ_TIMEOUT = 5.0
COGNITO_MAX_ATTEMPTS = 4  # retries after the first attempt (botocore's meaning)


def _cognito() -> "CognitoIdentityProviderClient":
    return aws.client(
        aws.COGNITO_IDP,
        connect_timeout=COGNITO_CONNECT_TIMEOUT,
        read_timeout=COGNITO_READ_TIMEOUT,
        max_attempts=COGNITO_MAX_ATTEMPTS,
    )


def _dynamodb() -> "DynamoDBClient":
    return aws.client(aws.DYNAMODB, connect_timeout=2.0, read_timeout=5.0, max_attempts=4)


def _cloudformation() -> "CloudFormationClient":
    return aws.client(aws.CLOUDFORMATION, connect_timeout=2.0, read_timeout=5.0, max_attempts=2)


def _callback_urls() -> runner.Resource:
    from cognito_automation.callback_urls.resource import CallbackUrls  # noqa: PLC0415 - guarded, see above

    return CallbackUrls(_cognito, _dynamodb, table=config.required(os.environ, "LEDGER_TABLE"))


# requests are believed only from CloudFormation, for entitled clients (DESIGN.md section 11)
_answer = runner.trusted_handler(physical_ids.CALLBACK_URLS, _callback_urls, os.environ, _cloudformation)


def lambda_handler(event: Any, context: Any) -> dict[str, Any] | None:
    """Answer the CloudFormation request; the answer sent is returned (for direct invokes)."""
    return _answer(event, context)
