"""Custom::CognitoCallbackUrls: 20 resource instances at once against one app client lose no URL.

A moto server on loopback stands for Cognito and DynamoDB; each instance runs in its own thread with its
own clients, as 20 Lambda invocations would.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from moto.dynamodb.models import DynamoDBBackend
from moto.server import ThreadedMotoServer

from cognito_automation.callback_urls import ledger, operation
from cognito_automation.callback_urls.ledger import Claim
from tests.unit.cognito_automation.callback_urls.support import create_client, create_ledger_table, urls_of

INSTANCES = 20
BEFORE = ["http://localhost:3000/callback", "https://kept.example.com/cb"]
BEFORE_LOGOUT = ["http://localhost:3000/"]


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    # DynamoDB evaluates a condition and writes as one atomic step; moto's server handles requests in
    # threads without that guarantee, so its conditional writes get the lock DynamoDB implies.
    lock = threading.RLock()
    for name in ("put_item", "delete_item", "update_item"):
        original: Callable[..., Any] = getattr(DynamoDBBackend, name)

        def atomic(self: Any, *args: Any, __original: Callable[..., Any] = original, **kwargs: Any) -> Any:
            with lock:
                return __original(self, *args, **kwargs)

        monkeypatch.setattr(DynamoDBBackend, name, atomic)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def _clients(endpoint: str) -> tuple[Any, Any]:
    session = boto3.session.Session()  # a session per thread: sessions are not thread-safe
    return (
        session.client("cognito-idp", endpoint_url=endpoint),
        session.client("dynamodb", endpoint_url=endpoint),
    )


def _ours(n: int) -> Claim:
    return Claim((f"https://app{n}.example.com/callback",), (f"https://app{n}.example.com/",))


def test_twenty_concurrent_creates_then_deletes_lose_no_update(endpoint: str) -> None:
    # Given one app client with URLs of its own, and the ledger
    cognito, dynamodb = _clients(endpoint)
    table = create_ledger_table(dynamodb)
    pool, client = create_client(cognito, CallbackURLs=BEFORE, LogoutURLs=BEFORE_LOGOUT)
    start = threading.Barrier(INSTANCES)

    def run(n: int, delete: bool) -> operation.Result:
        my_cognito, my_dynamodb = _clients(endpoint)
        start.wait(timeout=30)
        return operation.converge(
            my_cognito,
            my_dynamodb,
            table,
            pool,
            client,
            owner=f"instance-{n}",
            desired=Claim() if delete else _ours(n),
            deadline=time.monotonic() + 120,
            delete=delete,
        )

    # When 20 instances create at once
    with ThreadPoolExecutor(max_workers=INSTANCES) as pool_executor:
        list(pool_executor.map(lambda n: run(n, delete=False), range(INSTANCES)))
    # Then all 20 URL sets are on the client, after the URLs it had
    callback, logout = urls_of(cognito, pool, client)
    assert callback[:2] == BEFORE
    assert set(callback) == set(BEFORE) | {_ours(n).callback_urls[0] for n in range(INSTANCES)}
    assert set(logout) == set(BEFORE_LOGOUT) | {_ours(n).logout_urls[0] for n in range(INSTANCES)}
    assert len(callback) == len(set(callback)) == 2 + INSTANCES
    assert len(ledger.read_claims(dynamodb, table, pool, client)) == INSTANCES

    # When 20 instances delete at once
    with ThreadPoolExecutor(max_workers=INSTANCES) as pool_executor:
        list(pool_executor.map(lambda n: run(n, delete=True), range(INSTANCES)))
    # Then exactly the original lists remain, and the ledger is empty
    assert urls_of(cognito, pool, client) == (BEFORE, BEFORE_LOGOUT)
    assert ledger.read_claims(dynamodb, table, pool, client) == {}
