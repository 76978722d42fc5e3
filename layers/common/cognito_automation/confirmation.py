"""What happens when a user confirms sign-up: membership of the default groups and the user record.

The record is written first, so it survives a failure to join a group. Every step is idempotent (adding a
member twice is a no-op in Cognito; the record is converged with UpdateItem), so a retry neither fails nor
duplicates anything. Cognito retries a trigger only when it times out, not when it fails, so a failed step
is not left to Cognito: the caller hands the confirmation over to the provisioning queue (`hand_over`),
whose consumer converges the same user to the same groups and writes the record.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cognito_automation.users import UserRecord, put_user_record

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sqs import SQSClient

SENDER = "post_confirmation"
"""The `sender` message attribute of a hand-over (it travels with the message to the dead-letter queue)."""


@dataclass(frozen=True)
class Confirmation:
    added_groups: tuple[str, ...]
    missing_groups: tuple[str, ...]
    failed: tuple[str, ...] = ()
    """The steps that failed, with their errors (`user record: ...`, `group users: ...`); empty when done."""


def _error(exc: Exception) -> str:
    code = getattr(exc, "response", {}).get("Error", {}).get("Code")
    return f"{type(exc).__name__}: {exc}" if code is None else str(code)


def confirm_sign_up(
    cognito: CognitoIdentityProviderClient,
    dynamodb: DynamoDBClient,
    *,
    table_name: str,
    user_pool_id: str,
    username: str,
    attributes: Mapping[str, Any],
    default_groups: tuple[str, ...],
    before_call: Callable[[], None] = lambda: None,
) -> Confirmation:
    """Write the user record, add the user to each default group, then add the groups joined to the record.

    The record comes first so that it survives a failure to join a group; it then lists only the groups
    actually joined. A default group that does not exist is skipped and reported (the user is still
    confirmed). A step that fails otherwise does not stop the others (a user whose record cannot be written
    still gets her groups now): it is reported in `Confirmation.failed`, for the caller to hand the whole
    confirmation over (`hand_over`). At most `len(default_groups) + 2` AWS calls. `before_call` runs before
    every AWS call (the handler uses it to stop before Cognito's time limit); what it raises propagates.
    """
    failed: list[str] = []
    before_call()
    try:
        put_user_record(
            dynamodb,
            table_name,
            UserRecord.from_cognito(user_pool_id, username, "post_confirmation", attributes),
        )
    except Exception as exc:  # noqa: BLE001 - any failure is reported, and the work handed over
        failed.append(f"user record: {_error(exc)}")
    added: list[str] = []
    missing: list[str] = []
    for group in default_groups:
        before_call()
        try:
            cognito.admin_add_user_to_group(UserPoolId=user_pool_id, Username=username, GroupName=group)
        except cognito.exceptions.ResourceNotFoundException:
            missing.append(group)
            continue
        except Exception as exc:  # noqa: BLE001 - as above
            failed.append(f"group {group}: {_error(exc)}")
            continue
        added.append(group)
    if added:
        before_call()
        record = UserRecord.from_cognito(
            user_pool_id, username, "post_confirmation", attributes, groups=tuple(added)
        )
        try:
            put_user_record(dynamodb, table_name, record)
        except Exception as exc:  # noqa: BLE001 - as above
            failed.append(f"groups into the user record: {_error(exc)}")
    return Confirmation(tuple(added), tuple(missing), tuple(failed))


def hand_over(sqs: SQSClient, queue_url: str, *, username: str, default_groups: tuple[str, ...]) -> str:
    """Send the confirmation's work to the provisioning queue: an upsert of the user with the default
    groups and no attributes nor invitation, which the consumer converges idempotently (it reads the user's
    attributes from Cognito for the record). Returns the SQS message id; raises what SendMessage raises."""
    # imported here: the schema validator stays off the cold start of a confirmation that needs no hand-over
    from cognito_automation.provisioning.messages import ProvisioningMessage, validate_data  # noqa: PLC0415

    # Ordered as of the confirmation, so that an administrator's later delete of the user is not undone.
    message = ProvisioningMessage(action="upsert", username=username, groups=default_groups)
    body = message.stamped(time.time_ns() // 1000).to_body()
    validate_data(body)
    response = sqs.send_message(
        QueueUrl=queue_url,
        MessageBody=json.dumps(body, separators=(",", ":")),
        MessageAttributes={"sender": {"DataType": "String", "StringValue": SENDER}},
    )
    return response["MessageId"]
