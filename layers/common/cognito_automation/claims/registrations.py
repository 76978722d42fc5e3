"""The registrations table: the claim rules that other stacks register for one app client
(Custom::CognitoClaimRules), written and removed by the custom resource and read by the pre token trigger.

The table (`ClaimRulesTable`) has one item per app client: partition key `user_pool_id`, sort key
`client_id`, the rules document as text (`rules`), its owner (the resource instance: `owner_stack_id`,
`owner_logical_id`) and `updated_at`. Writes are conditional on the owner, so a client has exactly one
registration and only its owner changes or removes it.

Standard library only: the custom resource and the pre token trigger pass their boto3 DynamoDB client in.
A document is checked before it is written (`ruleset.load_registered_rules`) and after it is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from cognito_automation.claims.errors import OwnerConflictError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef, QueryInputTypeDef

# Attribute names of the table (some, like OWNER, are DynamoDB reserved words: expressions use #names).
POOL, CLIENT, RULES, OWNER_STACK, OWNER_LOGICAL, UPDATED_AT = (
    "user_pool_id",
    "client_id",
    "rules",
    "owner_stack_id",
    "owner_logical_id",
    "updated_at",
)
_NAMES = {
    "#pool": POOL,
    "#client": CLIENT,
    "#rules": RULES,
    "#stack": OWNER_STACK,
    "#logical": OWNER_LOGICAL,
}


@dataclass(frozen=True)
class Owner:
    """The resource instance that owns a registration."""

    stack_id: str
    logical_resource_id: str

    def __str__(self) -> str:
        return f"resource {self.logical_resource_id} of stack {self.stack_id}"


@dataclass(frozen=True)
class Registration:
    user_pool_id: str
    client_id: str
    rules: str
    owner: Owner


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _key(user_pool_id: str, client_id: str) -> dict[str, AttributeValueTypeDef]:
    return {POOL: {"S": user_pool_id}, CLIENT: {"S": client_id}}


def _owner_values(owner: Owner) -> dict[str, AttributeValueTypeDef]:
    return {":stack": {"S": owner.stack_id}, ":logical": {"S": owner.logical_resource_id}}


def _owner_of(item: object) -> Owner | None:
    """The owner in an item the table returned (botocore types the failed condition's item loosely)."""
    if not isinstance(item, Mapping) or not item:
        return None
    stack = (item.get(OWNER_STACK) or {}).get("S")
    logical = (item.get(OWNER_LOGICAL) or {}).get("S")
    if not stack or not logical:
        return None
    return Owner(stack, logical)


def put_registration(
    dynamodb: DynamoDBClient, table: str, registration: Registration, now: str | None = None
) -> None:
    """Write the registration unless another resource instance owns the client's (OwnerConflictError)."""
    try:
        dynamodb.put_item(
            TableName=table,
            Item={
                **_key(registration.user_pool_id, registration.client_id),
                RULES: {"S": registration.rules},
                OWNER_STACK: {"S": registration.owner.stack_id},
                OWNER_LOGICAL: {"S": registration.owner.logical_resource_id},
                UPDATED_AT: {"S": now or _now()},
            },
            ConditionExpression="attribute_not_exists(#client) OR (#stack = :stack AND #logical = :logical)",
            ExpressionAttributeNames={k: _NAMES[k] for k in ("#client", "#stack", "#logical")},
            ExpressionAttributeValues=_owner_values(registration.owner),
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except dynamodb.exceptions.ConditionalCheckFailedException as exc:
        raise OwnerConflictError(
            registration.user_pool_id, registration.client_id, _owner_of(exc.response.get("Item"))
        ) from None


@dataclass(frozen=True)
class Removal:
    """What a delete found: whether it removed the registration, and whose it is when it did not."""

    removed: bool
    other_owner: Owner | None = None


def delete_registration(
    dynamodb: DynamoDBClient, table: str, user_pool_id: str, client_id: str, owner: Owner
) -> Removal:
    """Remove the client's registration if `owner` owns it; someone else's is left alone."""
    try:
        dynamodb.delete_item(
            TableName=table,
            Key=_key(user_pool_id, client_id),
            ConditionExpression="#stack = :stack AND #logical = :logical",
            ExpressionAttributeNames={k: _NAMES[k] for k in ("#stack", "#logical")},
            ExpressionAttributeValues=_owner_values(owner),
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except dynamodb.exceptions.ConditionalCheckFailedException as exc:
        item = exc.response.get("Item")
        return Removal(removed=False, other_owner=_owner_of(item) if item else None)
    return Removal(removed=True)


def query_registrations(dynamodb: DynamoDBClient, table: str, user_pool_id: str) -> dict[str, str | None]:
    """Every registration of the pool (one paginated Query): client id to rules text (None if missing)."""
    request: QueryInputTypeDef = {
        "TableName": table,
        "KeyConditionExpression": "#pool = :pool",
        "ProjectionExpression": "#client, #rules",
        "ExpressionAttributeNames": {k: _NAMES[k] for k in ("#pool", "#client", "#rules")},
        "ExpressionAttributeValues": {":pool": {"S": user_pool_id}},
        "ConsistentRead": True,
    }
    found: dict[str, str | None] = {}
    while True:
        page = dynamodb.query(**request)
        for item in page.get("Items", []):
            client = (item.get(CLIENT) or {}).get("S")
            if client:
                found[client] = (item.get(RULES) or {}).get("S")
        last = page.get("LastEvaluatedKey")
        if not last:
            return found
        request["ExclusiveStartKey"] = last
