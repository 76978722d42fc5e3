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


def test_the_cold_path_against_cognitos_five_seconds(
    aws: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A cold start, then the first token of a client with registered rules whose first Query fails and is
    retried, and the first token of the protected main client (no read): what each leaves of Cognito's 5 s,
    which count the init. Figures only."""
    event = load_event("pre_token/v2_authentication.json")
    main_client = "1mainclient567890abcdefghi"
    dynamodb = boto3.client("dynamodb")
    table = create_registrations_table(dynamodb)
    owner = Owner("arn:aws:cloudformation:us-east-1:123456789012:stack/api/1", "ApiClaimRules")
    put_registration(
        dynamodb,
        table,
        Registration(event["userPoolId"], event["callerContext"]["clientId"], _document(0), owner),
    )
    env = {
        "CLAIM_RULES_FILE": "claim_rules.json",
        "PRE_TOKEN_EVENT_VERSION": "V2_0",
        "CLAIM_RULES_TABLE": table,
        "PROTECTED_CLIENT_IDS": main_client,
    }
    load = (
        "import importlib.util, sys\n"
        "spec = importlib.util.spec_from_file_location('app', 'functions/pre_token/app.py')\n"
        "app = importlib.util.module_from_spec(spec)\n"
        "sys.modules['app'] = app\n"
        "spec.loader.exec_module(app)\n"
    )
    init: list[float] = []
    retried: list[float] = []
    protected: list[float] = []
    attempts: list[int] = []
    assumed: list[float] = []
    for _ in range(COLD_RUNS):
        # the init as Lambda runs it: a fresh interpreter that loads the function (boto3 not imported)
        init.append(_wall_ms(f"import os; os.environ.update({env!r})\n" + load))
        aws_clients.reset()
        app = load_function(monkeypatch, "pre_token", env)
        assumed.append(app.COLD_START_ALLOWANCE_MS + (app._LOADED - app._IMPORTED) * 1000)
        failures = [1]
        query = app.query_registrations

        def failing_once(*args: Any, _failures: list[int] = failures, _query: Any = query) -> Any:
            if _failures:
                _failures.pop()
                raise ConnectionError("injected once")
            return _query(*args)

        monkeypatch.setattr(app, "query_registrations", failing_once)
        calls = len(failures)
        started = time.perf_counter()
        result: Any = app.lambda_handler(copy.deepcopy(event), FakeLambdaContext(remaining_ms=4_900))
        retried.append((time.perf_counter() - started) * 1000)
        attempts.append(calls - len(failures) + 1)
        # a fresh instance again, for the main client's first token
        aws_clients.reset()
        app = load_function(monkeypatch, "pre_token", env)
        main_event = copy.deepcopy(event)
        main_event["callerContext"]["clientId"] = main_client
        started = time.perf_counter()
        app.lambda_handler(main_event, FakeLambdaContext(remaining_ms=4_900))
        protected.append((time.perf_counter() - started) * 1000)
    # Then the registered rules applied after the retry
    assert attempts == [2] * COLD_RUNS
    assert (
        "tier"
        in result["response"]["claimsAndScopeOverrideDetails"]["idTokenGeneration"]["claimsToAddOrOverride"]
    )
    bare = statistics.median(_wall_ms("pass") for _ in range(5))
    boto3_import = statistics.median(_wall_ms("import boto3") for _ in range(5)) - bare
    cold_init = statistics.median(init)
    worst = cold_init + boto3_import + statistics.median(retried)
    main_token = statistics.median(protected)
    main = cold_init + main_token
    with capsys.disabled():
        sys.stdout.write(
            f"\npre token cold path against Cognito's 5 s, median of {COLD_RUNS} (milliseconds):\n"
            f"  init: fresh interpreter loads the function (wall)       {cold_init:7.1f}\n"
            f"    the handler's assumed init (allowance + measured load) {statistics.median(assumed):7.1f}\n"
            f"  boto3 import, fresh interpreter (made by the first token) {boto3_import:7.1f}\n"
            f"  first token, registered client, Query fails once, retried {statistics.median(retried):7.1f}"
            f"  (max {max(retried):.1f}, moto in process)\n"
            f"  first token, protected main client (no read)             {main_token:7.1f}\n"
            f"  cold path, registered client with a retry: {worst:7.1f} of 5000, {5000 - worst:7.1f} left\n"
            f"  cold path, main client:                    {main:7.1f} of 5000, {5000 - main:7.1f} left\n"
        )
