"""The ledger (a DynamoDB table with string keys `pk`, `sk` and the TTL attribute `expires_at`).

For each app client, partition `client#<pool id>#<client id>` holds:
- one claim per resource instance (`sk` = `owner#<physical resource id>`): the URLs that instance owns,
  in order;
- the lease (`sk` = `lease`): whoever holds it may read and change the client and its claims. It expires
  by itself (`expires_at`, epoch seconds) after LEASE_SECONDS, longer than any run of the function, so a
  holder never outlives it and one that dies holding it blocks others for at most that long.
"""

from __future__ import annotations

import contextlib
import random
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cognito_automation.callback_urls.errors import (
    LeaseLostError,
    LeaseTimeoutError,
    LedgerUnavailableError,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# The lease outlives any run of the function: a holder can never still be working after its lease expired
# (and another operation took it), however slowly its calls go. One place for both numbers.
FUNCTION_TIMEOUT_SECONDS = 120  # CallbackUrlsFunction's Timeout in template.yaml (a test keeps them equal)
LEASE_MARGIN_SECONDS = 30
LEASE_SECONDS = FUNCTION_TIMEOUT_SECONDS + LEASE_MARGIN_SECONDS


RETRY_AFTER_MAX_SECONDS = 5.0  # botocore's standard mode honours x-amz-retry-after up to 5 s more


def worst_case_call_seconds(connect_timeout: float, read_timeout: float, total_attempts: int) -> float:
    """The longest one AWS call can take with botocore's standard retry mode: every one of its
    `total_attempts` (botocore's `total_max_attempts`: the first plus the retries) times out, with the
    largest backoff before each retry (2**(n-1) seconds before retry n, at most 20, plus a retry-after)."""
    backoff = sum(min(2.0 ** (n - 1), 20.0) + RETRY_AFTER_MAX_SECONDS for n in range(1, total_attempts))
    return total_attempts * (connect_timeout + read_timeout) + backoff


@contextmanager
def reachable(dynamodb: DynamoDBClient, table: str) -> Iterator[None]:
    """Turn DynamoDB's bare "Requested resource not found" about the ledger into an error that names the
    table and says what to do (`LedgerUnavailableError`)."""
    try:
        yield
    except dynamodb.exceptions.ResourceNotFoundException as exc:
        answer = exc.response.get("Error", {}).get("Message") or "Requested resource not found"
        raise LedgerUnavailableError(
            f"the ledger table {table!r} (CallbackUrlLedgerTable of the installation that serves this "
            f"ServiceToken) answered {answer!r}: the table is missing, or the installation's stack is being "
            "deleted; redeploy the installation (its stack must exist and keep that table), then retry "
            "this stack"
        ) from exc


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


def read_claims(dynamodb: DynamoDBClient, table: str, user_pool_id: str, client_id: str) -> dict[str, Claim]:
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
    dynamodb: DynamoDBClient, table: str, user_pool_id: str, client_id: str, *, owner: str, claim: Claim
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


def delete_claim(dynamodb: DynamoDBClient, table: str, user_pool_id: str, client_id: str, owner: str) -> None:
    dynamodb.delete_item(
        TableName=table,
        Key={"pk": {"S": partition(user_pool_id, client_id)}, "sk": {"S": _owner_key(owner)}},
    )


def _lease_key(user_pool_id: str, client_id: str) -> dict[str, Any]:
    return {"pk": {"S": partition(user_pool_id, client_id)}, "sk": {"S": "lease"}}


def renew(
    dynamodb: DynamoDBClient,
    table: str,
    user_pool_id: str,
    client_id: str,
    holder: str,
    *,
    seconds: int = LEASE_SECONDS,
) -> None:
    """Check that `holder` still holds the client's lease and extend it by `seconds` from now (one
    conditional write); raise `LeaseLostError` when another operation holds it (or nobody does)."""
    now = int(time.time())
    try:
        dynamodb.put_item(
            TableName=table,
            Item={
                **_lease_key(user_pool_id, client_id),
                "holder": {"S": holder},
                "expires_at": {"N": str(now + seconds)},
            },
            ConditionExpression="holder = :me",
            ExpressionAttributeValues={":me": {"S": holder}},
        )
    except dynamodb.exceptions.ConditionalCheckFailedException:
        raise LeaseLostError(
            f"the lease on app client {client_id} of pool {user_pool_id} was taken by another operation"
        ) from None


@contextmanager
def lease(
    dynamodb: DynamoDBClient,
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
    key = _lease_key(user_pool_id, client_id)
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
