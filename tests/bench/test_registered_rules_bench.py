"""The cold path of registered claim rules: the first event of a pool with 50 registrations, against moto in
process. That event makes the pool's Query, reads its client's allowed scopes and readies its client's
rules, inside Cognito's 5 seconds for the whole trigger. The boto3 import (made by that first event in
Lambda; already done here, by moto) is reported on its own, from fresh interpreters. Run by `make bench`."""

from __future__ import annotations

import copy
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from cognito_automation import aws as aws_clients
from cognito_automation.claims.registrations import Owner, Registration, put_registration
from tests.conftest import ROOT, FakeLambdaContext, load_event
from tests.handlers import load_function
from tests.unit.cognito_automation.claims.support import create_registrations_table, rules_text, scoped_client

pytestmark = pytest.mark.bench

REGISTRATIONS = 50
COLD_RUNS = 9


def _document(n: int) -> str:
    """A registration of a realistic size: five rules, groups mapped to roles and scopes."""
    roles = {f"team-{n}-{k}": f"role-{k}" for k in range(8)}
    return rules_text(
        {
            "name": f"c{n}-roles",
            "when": {"grant": "user"},
            "id_token": {"claims": {"roles": {"map_groups": roles, "default": []}}},
        },
        {"name": f"c{n}-groups", "access_token": {"claims": {"groups": {"groups": True, "default": []}}}},
        {
            "name": f"c{n}-tier",
            "when": {"groups_any": ["analysts"]},
            "id_token": {"claims": {"tier": {"value": "gold"}}},
        },
        {
            "name": f"c{n}-scopes",
            "access_token": {"scopes_by_group": {"analysts": [f"rs{n}/read"], "admins": [f"rs{n}/write"]}},
        },
        {
            "name": f"c{n}-tenant",
            "id_token": {"claims": {"org": {"attribute": "custom:tenant", "default": "none"}}},
        },
    )


def _wall_ms(code: str) -> float:
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": "layers/common"}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, timeout=60)  # noqa: S603
    return (time.perf_counter() - started) * 1000


def _timed(create: Callable[[float], Any], times: list[float]) -> Callable[[float], Any]:
    """`create` (a function's client factory), with how long each call took appended to `times` (ms)."""

    def timed(read_timeout: float) -> Any:
        started = time.perf_counter()
        client = create(read_timeout)
        times.append((time.perf_counter() - started) * 1000)
        return client

    return timed


def test_the_first_event_of_a_pool_with_50_registrations(
    aws: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a pool with 50 registrations, two of them for clients of a moto pool allowed their scopes (the
    # sample event's is the first: its first event also reads its allowed scopes)
    event = load_event("pre_token/v2_authentication.json")
    cognito = boto3.client("cognito-idp")
    pool = cognito.create_user_pool(PoolName="bench")["UserPool"]["Id"]
    client, second = (scoped_client(cognito, pool, f"c{n}", [f"rs{n}/read", f"rs{n}/write"]) for n in (0, 1))
    event["userPoolId"], event["callerContext"]["clientId"] = pool, client
    dynamodb = boto3.client("dynamodb")
    table = create_registrations_table(dynamodb)
    owner = Owner("arn:aws:cloudformation:us-east-1:123456789012:stack/api/1", "ApiClaimRules")
    clients = [client, second] + [f"{n}client{n:04d}abcdefghijklmno"[:26] for n in range(2, REGISTRATIONS)]
    for n, client_id in enumerate(clients):
        put_registration(dynamodb, table, Registration(pool, client_id, _document(n), owner))
    env = {
        "CLAIM_RULES_FILE": "claim_rules.json",
        "PRE_TOKEN_EVENT_VERSION": "V2_0",
        "CLAIM_RULES_TABLE": table,
    }
    first: list[float] = []
    other: list[float] = []
    creating: list[float] = []
    idp: list[float] = []
    for _ in range(COLD_RUNS):
        # When a fresh instance (its own DynamoDB client, as after a cold start) gets the pool's first event
        aws_clients.reset()
        app = load_function(monkeypatch, "pre_token", env)
        monkeypatch.setattr(app, "_dynamodb", _timed(app._dynamodb, creating))
        monkeypatch.setattr(app, "_cognito", _timed(app._cognito, idp))
        started = time.perf_counter()
        result: Any = app.lambda_handler(copy.deepcopy(event), FakeLambdaContext(remaining_ms=4_900))
        first.append((time.perf_counter() - started) * 1000)
        # and then the first event of another registered client
        another = copy.deepcopy(event)
        another["callerContext"]["clientId"] = clients[1]
        started = time.perf_counter()
        app.lambda_handler(another, FakeLambdaContext(remaining_ms=4_900))
        other.append((time.perf_counter() - started) * 1000)
    # Then the registered rules applied
    assert (
        "tier"
        in result["response"]["claimsAndScopeOverrideDetails"]["idTokenGeneration"]["claimsToAddOrOverride"]
    )
    bare = statistics.median(_wall_ms("pass") for _ in range(5))
    with_boto3 = statistics.median(_wall_ms("import boto3") for _ in range(5))
    with capsys.disabled():
        sys.stdout.write(
            f"\nregistered rules, cold path, pool with {REGISTRATIONS} registrations, moto in process, "
            f"median of {COLD_RUNS} fresh instances (milliseconds):\n"
            f"  first event of the pool (Query, scopes, its rules)   {statistics.median(first):7.1f}"
            f"  (max {max(first):.1f})\n"
            f"    of which creating the DynamoDB client              {statistics.median(creating):7.1f}\n"
            f"    of which creating the Cognito client               {statistics.median(idp):7.1f}\n"
            f"  first event of another registered client             {statistics.median(other):7.1f}\n"
            f"  boto3 import, fresh interpreter (not included above)  {with_boto3 - bare:7.1f}\n"
        )
    assert statistics.median(first) < 1_000
