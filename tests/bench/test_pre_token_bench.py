"""Speed of the pre token generation trigger: warm per-invocation time beside a bare handler that makes the
same edits by hand, and cold-start import time beside the interpreter's own start-up. Run by `make bench`."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import ROOT, load_event
from tests.handlers import load_function

pytestmark = pytest.mark.bench

ROUNDS = 20
PER_ROUND = 2_000
COLD_RUNS = 9

ROLES = (("admins", "admin"), ("analysts", "analyst"), ("users", "user"))
SCOPES = (("admins", "app/admin"), ("analysts", "app/analytics"), ("users", "app/read"))


def bare_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The shipped rules' edits written by hand for the V2 shape: the floor any rule engine is judged by."""
    request = event["request"]
    attributes = request["userAttributes"]
    groups = request["groupConfiguration"]["groupsToOverride"]
    claims: dict[str, Any] = {"groups": list(groups), "roles": [r for g, r in ROLES if g in groups]}
    tenant = attributes.get("custom:tenant")
    if tenant:
        claims["tenant"] = tenant
    id_claims = dict(claims)
    id_claims["name"] = (
        attributes.get("name")
        or attributes.get("preferred_username")
        or attributes.get("email")
        or event["userName"]
    )
    scopes = [s for g, s in SCOPES if g in groups and s not in request["scopes"]]
    event["response"] = {
        "claimsAndScopeOverrideDetails": {
            "idTokenGeneration": {"claimsToAddOrOverride": id_claims},
            "accessTokenGeneration": {"claimsToAddOrOverride": claims, "scopesToAdd": scopes},
        }
    }
    return event


Handler = Callable[[dict[str, Any], Any], Any]


def _sample(handler: Handler, event: dict[str, Any], out: list[int]) -> None:
    clock = time.perf_counter_ns
    for _ in range(PER_ROUND):
        start = clock()
        handler(event, None)
        out.append(clock() - start)


def _figures(samples: list[int]) -> tuple[float, float]:
    ordered = sorted(samples)
    median = statistics.median(ordered) / 1000
    p99 = ordered[int(len(ordered) * 0.99)] / 1000
    return median, p99


def _interleaved(*runs: tuple[Handler, dict[str, Any]]) -> list[tuple[float, float]]:
    """(median, p99) in microseconds of each (handler, event), sampled in turn so all see the same load."""
    times: list[list[int]] = [[] for _ in runs]
    for _ in range(ROUNDS):
        for (handler, event), out in zip(runs, times, strict=True):
            _sample(handler, event, out)
    return [_figures(out) for out in times]


def test_warm_invocation_is_within_twice_a_bare_handler_and_under_100_microseconds(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    app = load_function(
        monkeypatch, "pre_token", {"CLAIM_RULES_FILE": "claim_rules.json", "PRE_TOKEN_EVENT_VERSION": "V2_0"}
    )
    event = load_event("pre_token/v2_authentication.json")
    # the bare handler really makes the same edits
    assert bare_handler(load_event("pre_token/v2_authentication.json"), None) == app.lambda_handler(
        load_event("pre_token/v2_authentication.json"), None
    )
    (rules_median, rules_p99), (bare_median, bare_p99) = _interleaved(
        (app.lambda_handler, event), (bare_handler, event)
    )
    with capsys.disabled():
        sys.stdout.write(
            f"\npre token warm, {ROUNDS * PER_ROUND} invocations each (microseconds):\n"
            f"  claim rules handler  median {rules_median:7.2f}  p99 {rules_p99:7.2f}\n"
            f"  bare handler         median {bare_median:7.2f}  p99 {bare_p99:7.2f}\n"
            f"  ratio of medians     {rules_median / bare_median:.2f}\n"
        )
    assert rules_median < 100
    assert rules_median <= 2 * bare_median


def test_warm_invocation_with_registered_rules_costs_a_lookup_not_a_query(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from cognito_automation.claims.registered_rules import RegisteredRules

    env = {"CLAIM_RULES_FILE": "claim_rules.json", "PRE_TOKEN_EVENT_VERSION": "V2_0"}
    plain = load_function(monkeypatch, "pre_token", env)
    app = load_function(monkeypatch, "pre_token", {**env, "CLAIM_RULES_TABLE": "claim-rules"})
    event = load_event("pre_token/v2_authentication.json")
    other = load_event("pre_token/v2_authentication.json")
    other["callerContext"]["clientId"] = "4otherclient"
    rules = '{"rules": [{"name": "api", "access_token": {"scopes_add": ["rs/read"]}}]}'
    queries: list[str] = []

    def query(pool_id: str, read_timeout: float) -> dict[str, str | None]:
        queries.append(pool_id)
        return {event["callerContext"]["clientId"]: rules}

    # a cache period longer than the benchmark: every invocation after the first is warm
    registered = RegisteredRules(
        app.RULES, query, cache_seconds=3600, allowed_scopes=lambda pool_id, client_id, timeout: ["rs/read"]
    )
    monkeypatch.setattr(app, "REGISTERED", registered)
    (
        (plain_median, plain_p99),
        (registered_median, registered_p99),
        (unregistered_median, unregistered_p99),
    ) = _interleaved((plain.lambda_handler, event), (app.lambda_handler, event), (app.lambda_handler, other))
    with capsys.disabled():
        sys.stdout.write(
            f"\npre token warm with CLAIM_RULES_TABLE, {ROUNDS * PER_ROUND} invocations each "
            "(microseconds):\n"
            f"  bundled rules, no table        median {plain_median:7.2f}  p99 {plain_p99:7.2f}\n"
            f"  client with registered rules   median {registered_median:7.2f}  p99 {registered_p99:7.2f}\n"
            f"  client without registration    median {unregistered_median:7.2f}  "
            f"p99 {unregistered_p99:7.2f}\n"
        )
    assert queries == [event["userPoolId"]]
    assert registered_median < 100
    assert unregistered_median <= 2 * plain_median


def _run(code: str, env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    completed = subprocess.run(  # noqa: S603 - this interpreter on this repository's files
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=60,
        capture_output=True,
        text=True,
    )
    return (time.perf_counter() - start) * 1000, completed.stdout


def test_cold_start_import_time_beside_the_interpreter_start(capsys: pytest.CaptureFixture[str]) -> None:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": "layers/common",
        "CLAIM_RULES_FILE": "claim_rules.json",
        "PRE_TOKEN_EVENT_VERSION": "V2_0",
        "AWS_REGION": "us-east-1",
    }
    load = (
        "import time\n"
        "start = time.perf_counter()\n"
        "import importlib.util, sys\n"
        "spec = importlib.util.spec_from_file_location('app', 'functions/pre_token/app.py')\n"
        "app = importlib.util.module_from_spec(spec)\n"
        "sys.modules['app'] = app\n"
        "spec.loader.exec_module(app)\n"
        "assert 'boto3' not in sys.modules and 'botocore.session' not in sys.modules\n"
        "print((time.perf_counter() - start) * 1000)\n"
    )
    baseline, cold, in_process = [], [], []
    for _ in range(COLD_RUNS):  # interleaved, so both see the same machine load
        baseline.append(_run("pass", env)[0])
        wall, out = _run(load, env)
        cold.append(wall)
        in_process.append(float(out))
    importtime = subprocess.run(  # noqa: S603 - this interpreter on this repository's files
        [sys.executable, "-X", "importtime", "-c", load],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=60,
        capture_output=True,
    ).stderr.decode()
    top_level = [
        line.split("|")
        for line in importtime.splitlines()
        if line.startswith("import time:")
        and line.count("|") == 2
        and not line.split("|")[2].startswith("  ")
    ]
    heaviest = sorted(top_level[1:], key=lambda parts: -int(parts[1]))[:3]
    base, wall, own = statistics.median(baseline), statistics.median(cold), statistics.median(in_process)
    with capsys.disabled():
        sys.stdout.write(
            f"\npre token cold start, median of {COLD_RUNS} fresh interpreters (milliseconds):\n"
            f"  python -c pass (wall)                   {base:7.1f}\n"
            f"  python, import handler + rules (wall)   {wall:7.1f}  (+{wall - base:.1f})\n"
            f"  of which the import, measured inside    {own:7.1f}\n"
            "  heaviest top-level imports (cumulative us): "
            + ", ".join(f"{p[2].strip()} {p[1].strip()}" for p in heaviest)
            + "\n"
        )
    assert wall > base
    assert 0 < own < wall
