"""The application-side user record (users table), written by both the post confirmation trigger and the
provisioning consumer, since users created with AdminCreateUser never fire post confirmation.

One item per user: partition key `user_pool_id`, sort key `username`. Writing is idempotent: a repeat
with the same input leaves the same item (only `updated_at` moves), and `created_at` keeps the first
write's time, so Cognito's retries and SQS redeliveries neither fail nor duplicate.

The provisioning consumer also keeps, per user, the order of the last message it applied (its
`issued_at`): one item per user under the partition key `<user_pool_id>#provisioning-order` (no pool id
holds a `#`, so these items never meet a user record), sort key the username as the pool compares it
(lower case in a case-insensitive pool), so that it outlives the user. After a delete it is a tombstone:
`expires_at` (the table's TTL attribute) lets DynamoDB remove it once no older message can still arrive.
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


ORDER_PARTITION_SUFFIX = "#provisioning-order"
# How long a tombstone (the order of a delete) is kept, and so the age past which any message is too old
# to apply: longer than a message can live in the queues (SQS keeps one at most 14 days in each).
ORDER_RETENTION_S = 30 * 24 * 3600


def _order_key(user_pool_id: str, name_key: str) -> dict[str, AttributeValueTypeDef]:
    return {"user_pool_id": {"S": user_pool_id + ORDER_PARTITION_SUFFIX}, "username": {"S": name_key}}


def claim_order(
    dynamodb: DynamoDBClient,
    table_name: str,
    user_pool_id: str,
    name_key: str,
    *,
    issued_at: int,
    action: str,
    now_s: float,
) -> int | None:
    """Make `issued_at` the user's high-water mark (conditional write) unless a later message was applied.

    None when the message may be applied (its order is the newest, or the same message again: a
    redelivery converges as before); otherwise the `issued_at` of the later message that makes it stale.
    A delete leaves a tombstone that expires after ORDER_RETENTION_S; a later upsert takes the expiry off.
    """
    values: dict[str, AttributeValueTypeDef] = {
        ":issued": {"N": str(issued_at)},
        ":action": {"S": action},
        ":now": {"S": datetime.fromtimestamp(now_s, UTC).isoformat(timespec="seconds")},
    }
    update = "SET issued_at = :issued, last_action = :action, updated_at = :now"
    if action == "delete":
        values[":expires"] = {"N": str(int(now_s) + ORDER_RETENTION_S)}
        update += ", expires_at = :expires"
    else:
        update += " REMOVE expires_at"
    try:
        dynamodb.update_item(
            TableName=table_name,
            Key=_order_key(user_pool_id, name_key),
            UpdateExpression=update,
            ConditionExpression="attribute_not_exists(issued_at) OR issued_at <= :issued",
            ExpressionAttributeValues=values,
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except dynamodb.exceptions.ConditionalCheckFailedException as exc:
        # (the item as it was, returned with the refusal: ReturnValuesOnConditionCheckFailure)
        item: Any = exc.response.get("Item") or {}
        later: Any = item.get("issued_at", {}).get("N")
        return int(later) if later is not None else issued_at + 1
    return None


def get_order(
    dynamodb: DynamoDBClient, table_name: str, user_pool_id: str, name_key: str
) -> dict[str, AttributeValueTypeDef] | None:
    """The raw high-water mark item of a user, for tests and the demo."""
    return dynamodb.get_item(
        TableName=table_name, Key=_order_key(user_pool_id, name_key), ConsistentRead=True
    ).get("Item")


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
