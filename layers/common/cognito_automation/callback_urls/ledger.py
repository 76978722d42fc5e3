"""The ledger (a DynamoDB table with string keys `pk`, `sk` and the TTL attribute `expires_at`).

For each app client, partition `client#<pool id>#<client id>` holds:
- one claim per resource instance (`sk` = `owner#<physical resource id>`): the URLs that instance owns,
  in order;
- the lease (`sk` = `lease`): whoever holds it may read and change the client and its claims. It expires
  by itself (`expires_at`, epoch seconds), so a function that dies holding it blocks others only briefly.
"""

from __future__ import annotations

import contextlib
import random
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

LEASE_SECONDS = 60


class LeaseTimeoutError(TimeoutError):
    """Another operation on the same app client held the lease until our deadline."""


@dataclass(frozen=True)
class Claim:
    """The URLs one resource instance owns on one app client."""

    callback_urls: tuple[str, ...] = ()
    logout_urls: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.callback_urls or self.logout_urls)


def partition(user_pool_id: str, client_id: str) -> str:
    return f"client#{user_pool_id}#{client_id}"


def _owner_key(owner: str) -> str:
    return f"owner#{owner}"


def _strings(item: Mapping[str, Any], name: str) -> tuple[str, ...]:
    return tuple(value["S"] for value in item.get(name, {}).get("L", []))


def read_claims(dynamodb: Any, table: str, user_pool_id: str, client_id: str) -> dict[str, Claim]:
    """Every claim on the client, by owner (strongly consistent)."""
    claims: dict[str, Claim] = {}
    paginator = dynamodb.get_paginator("query")
    pages = paginator.paginate(
        TableName=table,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :owner)",
        ExpressionAttributeValues={
            ":pk": {"S": partition(user_pool_id, client_id)},
            ":owner": {"S": "owner#"},
        },
        ConsistentRead=True,
    )
    for page in pages:
        for item in page["Items"]:
            owner = item["sk"]["S"].removeprefix("owner#")
            claims[owner] = Claim(_strings(item, "callback_urls"), _strings(item, "logout_urls"))
    return claims


def put_claim(
    dynamodb: Any, table: str, user_pool_id: str, client_id: str, *, owner: str, claim: Claim
) -> None:
    dynamodb.put_item(
        TableName=table,
        Item={
            "pk": {"S": partition(user_pool_id, client_id)},
            "sk": {"S": _owner_key(owner)},
            "callback_urls": {"L": [{"S": url} for url in claim.callback_urls]},
            "logout_urls": {"L": [{"S": url} for url in claim.logout_urls]},
            "updated_at": {"N": str(int(time.time()))},
        },
    )


def delete_claim(dynamodb: Any, table: str, user_pool_id: str, client_id: str, owner: str) -> None:
    dynamodb.delete_item(
        TableName=table,
        Key={"pk": {"S": partition(user_pool_id, client_id)}, "sk": {"S": _owner_key(owner)}},
    )


@contextmanager
def lease(
    dynamodb: Any,
    table: str,
    user_pool_id: str,
    client_id: str,
    *,
    deadline: float,
    seconds: int = LEASE_SECONDS,
    monotonic: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[str]:
    """Hold the client's lease for the block; wait for it (with jittered backoff) until `deadline`
    (a `time.monotonic()` value), then raise `LeaseTimeoutError`."""
    holder = uuid.uuid4().hex
    key = {"pk": {"S": partition(user_pool_id, client_id)}, "sk": {"S": "lease"}}
    delay = 0.02
    while True:
        now = int(time.time())
        try:
            dynamodb.put_item(
                TableName=table,
                Item={**key, "holder": {"S": holder}, "expires_at": {"N": str(now + seconds)}},
                ConditionExpression="attribute_not_exists(pk) OR expires_at < :now",
                ExpressionAttributeValues={":now": {"N": str(now)}},
            )
            break
        except dynamodb.exceptions.ConditionalCheckFailedException:
            remaining = deadline - monotonic()
            if remaining <= 0:
                raise LeaseTimeoutError(
                    f"app client {client_id} of pool {user_pool_id} was busy with another operation "
                    "(lease held) until the deadline; retry the deployment"
                ) from None
            sleep(min(remaining, random.uniform(0, delay)))  # noqa: S311 - jitter, not cryptography
            delay = min(delay * 2, 0.5)
    try:
        yield holder
    finally:
        # when it expired and someone else holds it now, it is theirs to release
        with contextlib.suppress(dynamodb.exceptions.ConditionalCheckFailedException):
            dynamodb.delete_item(
                TableName=table,
                Key=key,
                ConditionExpression="holder = :me",
                ExpressionAttributeValues={":me": {"S": holder}},
            )
