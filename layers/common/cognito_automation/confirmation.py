"""What happens when a user confirms sign-up: membership of the default groups and the user record.

The record is written first, so it survives a failure to join a group. Every step is idempotent (adding a
member twice is a no-op in Cognito; the record is converged with UpdateItem), so Cognito's retries of a
failed trigger neither fail nor duplicate anything.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cognito_automation.users import UserRecord, put_user_record

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from mypy_boto3_dynamodb import DynamoDBClient


@dataclass(frozen=True)
class Confirmation:
    added_groups: tuple[str, ...]
    missing_groups: tuple[str, ...]


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
    confirmed); any other error propagates, so Cognito retries the trigger. At most
    `len(default_groups) + 2` AWS calls. `before_call` runs before every AWS call (the handler uses it to
    stop before Cognito's time limit).
    """
    before_call()
    put_user_record(
        dynamodb, table_name, UserRecord.from_cognito(user_pool_id, username, "post_confirmation", attributes)
    )
    added: list[str] = []
    missing: list[str] = []
    for group in default_groups:
        before_call()
        try:
            cognito.admin_add_user_to_group(UserPoolId=user_pool_id, Username=username, GroupName=group)
        except cognito.exceptions.ResourceNotFoundException:
            missing.append(group)
            continue
        added.append(group)
    if added:
        before_call()
        record = UserRecord.from_cognito(
            user_pool_id, username, "post_confirmation", attributes, groups=tuple(added)
        )
        put_user_record(dynamodb, table_name, record)
    return Confirmation(tuple(added), tuple(missing))
