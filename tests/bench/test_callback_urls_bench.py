"""Custom::CognitoCallbackUrls figures: one operation through the handler on in-process moto, and 20
instances creating and deleting at once against one client on a loopback moto server."""

from __future__ import annotations

import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from moto.server import ThreadedMotoServer

from cognito_automation import aws as aws_clients
from cognito_automation.callback_urls import operation
from cognito_automation.callback_urls.ledger import Claim
from tests.conftest import FakeLambdaContext, load_event
from tests.unit.cognito_automation.callback_urls.support import (
    create_client,
    create_ledger_table,
    retarget,
    urls_of,
)
from tests.unit.cognito_automation.custom_resource.support import (
    CloudFormationStandIn,
    ResponseServer,
    load_custom_resource,
)

pytestmark = pytest.mark.bench
ROUNDS = 20


def test_bench_handler_create_and_delete_latency(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    aws_clients.reset()
    pool, client = create_client(boto3.client("cognito-idp"), CallbackURLs=["http://localhost:3000/"])
    env = {"LEDGER_TABLE": create_ledger_table(boto3.client("dynamodb"))}
    app = load_custom_resource(monkeypatch, "callback_urls", env, [pool], CloudFormationStandIn())
    timings: dict[str, list[float]] = {"create": [], "delete": []}
    with ResponseServer() as server:
        for _ in range(ROUNDS):
            for name in ("create", "delete"):
                event = retarget(load_event(f"callback_urls/{name}.json"), server.url, pool, client)
                started = time.perf_counter()
                assert app.lambda_handler(event, FakeLambdaContext())["Status"] == "SUCCESS"
                timings[name].append(time.perf_counter() - started)
    for name, values in timings.items():
        median_ms, max_ms = statistics.median(values) * 1000, max(values) * 1000
        print(f"\nhandler {name}, moto, {ROUNDS} rounds: median {median_ms:.1f} ms, max {max_ms:.1f} ms")


def test_bench_twenty_concurrent_instances_on_a_loopback_moto_server() -> None:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        session = boto3.session.Session()
        cognito, dynamodb = (
            session.client("cognito-idp", endpoint_url=endpoint),
            session.client("dynamodb", endpoint_url=endpoint),
        )
        table = create_ledger_table(dynamodb)
        pool, client = create_client(cognito, CallbackURLs=["http://localhost:3000/"])
        barrier = threading.Barrier(20)

        def run(n: int, delete: bool) -> None:
            own = boto3.session.Session()
            my_cognito = own.client("cognito-idp", endpoint_url=endpoint)
            my_dynamodb = own.client("dynamodb", endpoint_url=endpoint)
            barrier.wait(timeout=30)
            operation.converge(
                my_cognito,
                my_dynamodb,
                table,
                pool,
                client,
                owner=f"i{n}",
                desired=Claim() if delete else Claim((f"https://app{n}.example.com/",)),
                deadline=time.monotonic() + 120,
                delete=delete,
            )

        for delete in (False, True):
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=20) as executor:
                list(executor.map(lambda n, d=delete: run(n, d), range(20)))
            elapsed = time.perf_counter() - started
            print(f"\n20 concurrent {'deletes' if delete else 'creates'} on one client: {elapsed:.2f} s wall")
        assert urls_of(cognito, pool, client)[0] == ["http://localhost:3000/"]
    finally:
        server.stop()
