"""The application-side user record (users table), written by both the post confirmation trigger and the
provisioning consumer, since users created with AdminCreateUser never fire post confirmation.

One item per user: partition key `user_pool_id`, sort key `username`. Writing is idempotent: a repeat
with the same input leaves the same item (only `updated_at` moves), and `created_at` keeps the first
write's time, so Cognito's retries and SQS redeliveries neither fail nor duplicate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef, UpdateItemInputTypeDef

Source = Literal["post_confirmation", "provisioning"]

# Attributes copied from Cognito into the record; everything else (and every secret) stays out.
RECORDED_ATTRIBUTES = ("sub", "email", "email_verified", "name", "preferred_username", "custom:tenant")


@dataclass(frozen=True)
class UserRecord:
    user_pool_id: str
    username: str
    source: Source
    attributes: Mapping[str, str] = field(default_factory=dict)
    groups: tuple[str, ...] = ()
    enabled: bool = True

    @classmethod
    def from_cognito(
        cls,
        user_pool_id: str,
        username: str,
        source: Source,
        attributes: Mapping[str, Any],
        *,
        groups: tuple[str, ...] = (),
        enabled: bool = True,
    ) -> UserRecord:
        kept = {
            name: str(attributes[name]).lower()
            if isinstance(attributes[name], bool)
            else str(attributes[name])
            for name in RECORDED_ATTRIBUTES
            if name in attributes
        }
        return cls(user_pool_id, username, source, kept, tuple(dict.fromkeys(groups)), enabled)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def put_user_record(
    dynamodb: DynamoDBClient, table_name: str, record: UserRecord, now: str | None = None
) -> None:
    """Create or converge the record (UpdateItem, so a retry is harmless)."""
    values: dict[str, AttributeValueTypeDef] = {
        ":source": {"S": record.source},
        ":enabled": {"BOOL": record.enabled},
        ":now": {"S": now or _now()},
        ":attributes": {"M": {name: {"S": value} for name, value in record.attributes.items()}},
    }
    expression = [
        "last_source = :source",
        "enabled = :enabled",
        "updated_at = :now",
        "created_at = if_not_exists(created_at, :now)",
        "user_attributes = :attributes",
    ]
    names: dict[str, str] = {}
    if record.groups:
        # ADD to a string set is idempotent: a retry or redelivery adds nothing twice
        values[":groups"] = {"SS": list(record.groups)}
        update = "SET " + ", ".join(expression) + " ADD #groups :groups"
        names["#groups"] = "groups"
    else:
        update = "SET " + ", ".join(expression)
    kwargs: UpdateItemInputTypeDef = {
        "TableName": table_name,
        "Key": {"user_pool_id": {"S": record.user_pool_id}, "username": {"S": record.username}},
        "UpdateExpression": update,
        "ExpressionAttributeValues": values,
    }
    if names:
        kwargs["ExpressionAttributeNames"] = names
    dynamodb.update_item(**kwargs)


def remove_groups_from_record(
    dynamodb: DynamoDBClient, table_name: str, user_pool_id: str, username: str, groups: tuple[str, ...]
) -> None:
    """Drop groups from an existing record (no-op for a record that does not exist)."""
    if not groups:
        return
    try:
        dynamodb.update_item(
            TableName=table_name,
            Key={"user_pool_id": {"S": user_pool_id}, "username": {"S": username}},
            UpdateExpression="DELETE #groups :groups SET updated_at = :now",
            ConditionExpression="attribute_exists(username)",
            ExpressionAttributeNames={"#groups": "groups"},
            ExpressionAttributeValues={":groups": {"SS": list(groups)}, ":now": {"S": _now()}},
        )
    except dynamodb.exceptions.ConditionalCheckFailedException:
        return


def delete_user_record(dynamodb: DynamoDBClient, table_name: str, user_pool_id: str, username: str) -> None:
    """Remove the record (deleting an absent item succeeds, so a replay is harmless)."""
    dynamodb.delete_item(
        TableName=table_name,
        Key={"user_pool_id": {"S": user_pool_id}, "username": {"S": username}},
    )


def get_user_record(
    dynamodb: DynamoDBClient, table_name: str, user_pool_id: str, username: str
) -> dict[str, AttributeValueTypeDef] | None:
    """The raw item, for tests and the demo."""
    return dynamodb.get_item(
        TableName=table_name,
        Key={"user_pool_id": {"S": user_pool_id}, "username": {"S": username}},
        ConsistentRead=True,
    ).get("Item")
