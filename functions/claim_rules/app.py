"""Custom::CognitoClaimRules: another stack registers claim rules for one app client of a pool; the pre token
trigger applies them, after the bundled rules, to that client's tokens. CloudFormation always gets an answer
(cognito_automation.custom_resource.runner).

Unguarded imports are stdlib-only; `_claim_rules` imports the rest and reads the settings at cold start,
inside the runner's guard, so a failed import or a bad setting is still answered.
"""

import os
from typing import TYPE_CHECKING, Any

from cognito_automation import aws
from cognito_automation.custom_resource import physical_ids, runner

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from mypy_boto3_dynamodb import DynamoDBClient


# One DescribeUserPoolClient, one DescribeUserPool and one table write per request: a few attempts each fit
# well within the function's timeout (the runner answers FAILED shortly before it).
def _cognito() -> "CognitoIdentityProviderClient":
    return aws.client(aws.COGNITO_IDP, connect_timeout=2.0, read_timeout=5.0, max_attempts=2)


def _dynamodb() -> "DynamoDBClient":
    return aws.client(aws.DYNAMODB, connect_timeout=2.0, read_timeout=5.0, max_attempts=2)


def _cloudformation() -> "CloudFormationClient":
    return aws.client(aws.CLOUDFORMATION, connect_timeout=2.0, read_timeout=5.0, max_attempts=2)


def _claim_rules() -> runner.Resource:
    from cognito_automation.claims.resource import ClaimRules  # noqa: PLC0415 - guarded, see above
    from cognito_automation.claims.resource_settings import Settings  # noqa: PLC0415 - guarded, see above

    settings = Settings.from_env(os.environ)
    return ClaimRules(
        _cognito,
        _dynamodb,
        settings.table,
        settings.event_version,
        pre_token_function_arn=settings.pre_token_function_arn,
        protected_client_ids=settings.protected_client_ids,
    )


# requests are believed only from CloudFormation, for entitled clients (DESIGN.md section 11)
_answer = runner.trusted_handler(physical_ids.CLAIM_RULES, _claim_rules, os.environ, _cloudformation)


def lambda_handler(event: Any, context: Any) -> dict[str, Any] | None:
    """Answer the CloudFormation request; the answer sent is returned (for direct invokes)."""
    return _answer(event, context)
