"""What a pool's trigger slots held before this installation attached its triggers: one item per pool
and resource instance in the installation's ledger table (the table of Custom::CognitoCallbackUrls: string
keys `pk`, `sk`), partition `triggers#<pool id>`, sort key `owner#<instance digest>`, attribute `previous`
(the slots as JSON). The item is written before the pool changes and deleted once the pool is restored.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import UniversalAttributeValueTypeDef


def _key(user_pool_id: str, owner: str) -> dict[str, UniversalAttributeValueTypeDef]:
    return {"pk": {"S": f"triggers#{user_pool_id}"}, "sk": {"S": f"owner#{owner}"}}


def read(dynamodb: DynamoDBClient, table: str, user_pool_id: str, owner: str) -> dict[str, Any] | None:
    """The slots recorded for the owner, None when nothing is recorded."""
    item = dynamodb.get_item(TableName=table, Key=_key(user_pool_id, owner), ConsistentRead=True).get("Item")
    if not item:
        return None
    value: dict[str, Any] = json.loads(str(item["previous"]["S"]))
    return value


def record(
    dynamodb: DynamoDBClient, table: str, user_pool_id: str, owner: str, previous: dict[str, Any]
) -> None:
    item = {**_key(user_pool_id, owner), "previous": {"S": json.dumps(previous, sort_keys=True)}}
    dynamodb.put_item(TableName=table, Item=item)


def forget(dynamodb: DynamoDBClient, table: str, user_pool_id: str, owner: str) -> None:
    dynamodb.delete_item(TableName=table, Key=_key(user_pool_id, owner))
