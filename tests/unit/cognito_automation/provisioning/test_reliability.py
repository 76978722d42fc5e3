"""Reliability of provisioning under faults, through an SQS loop on moto that honours partial batch
failures and the redrive policy: about 2,000 messages with throttling, 5xx errors, timeouts (before and
after the call took effect), duplicates, random order, malformed rows and forbidden groups mixed in.

The scenario runs once per module; each test checks one property of its outcome.
"""

from __future__ import annotations

import contextlib
import io
import json
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from cognito_automation import aws
from cognito_automation.provisioning.consumer import Consumer
from cognito_automation.provisioning.messages import Allowlist, redact_body
from cognito_automation.provisioning.pacing import Pacer
from cognito_automation.provisioning.provisioner import Provisioner, Target
from cognito_automation.quotas import QUOTAS
from tests.conftest import REGION, FakeLambdaContext
from tests.handlers import load_function
from tests.unit.cognito_automation.provisioning.support import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_GROUPS,
    LoopResult,
    RecordingClient,
    Stack,
    UserState,
    all_records,
    all_user_states,
    build_stack,
    collect_logs,
    drain,
    handler_env,
    run_sqs_loop,
    send_bodies,
    user_attributes,
)

NEW_USERS = 1200
EXISTING_TO_UPDATE = 150
TO_DISABLE = 100
TO_ENABLE = 60
TO_DELETE = 100
TO_RESEND = 60
WAVE = 40


@dataclass
class Outcome:
    expected: dict[str, UserState]
    states: dict[str, UserState]
    records: dict[str, dict[str, Any] | None]
    invalid_bodies: list[str]
    dead: list[dict[str, Any]]
    left_in_queue: int
    loop: LoopResult
    cognito_calls: RecordingClient
    passwords: list[str]
    logs: list[str]
    metrics_output: str
    sent: int


def _password(rng: random.Random) -> str:
    return f"Tmp-{rng.getrandbits(64):016x}-Aa1!"


@dataclass
class Messages:
    bodies: list[str]
    invalid: list[str]
    expected: dict[str, UserState]
    passwords: list[str]


def _invalid_messages(
    stack: Stack, rng: random.Random, expected: dict[str, UserState], passwords: list[str]
) -> list[str]:
    """Malformed rows (some with a clear password, as an old producer sends it), forbidden groups and
    forbidden attributes; none of these users may come to exist."""
    invalid: list[str] = []
    for i in range(80):
        secret = _password(rng)
        passwords.append(secret)
        invalid.append(
            rng.choice(
                [
                    '{"action": "upsert", "username": "broken'
                    + str(i)
                    + '", "temporary_password": "'
                    + secret,
                    json.dumps({"action": "upsert", "temporary_password": secret}),
                    json.dumps({"action": "promote", "username": f"bad{i}", "temporary_password": secret}),
                    json.dumps({"action": "disable", "username": f"bad{i}", "groups": ["users"]}),
                    json.dumps({"action": "upsert", "username": f"bad{i}", "temporary_password": secret[:3]}),
                ]
            )
        )
    for i in range(60):
        secret = _password(rng)
        passwords.append(secret)
        message = {
            "action": "upsert",
            "username": f"intruder{i:03d}",
            "attributes": user_attributes(f"intruder{i:03d}"),
            "groups": ["users", "admins"],
            "temporary_password_ciphertext": stack.sealed(f"intruder{i:03d}", secret),
        }
        invalid.append(json.dumps(message))
        expected[f"intruder{i:03d}"] = UserState(False)
    for i in range(40):
        attributes = user_attributes(f"sneaky{i:03d}", **{"custom:role": "admin"})
        invalid.append(
            json.dumps({"action": "upsert", "username": f"sneaky{i:03d}", "attributes": attributes})
        )
        expected[f"sneaky{i:03d}"] = UserState(False)
    return invalid


def _messages(stack: Stack, rng: random.Random) -> Messages:
    """The users already in the pool, and the shuffled messages with the state each user must reach."""
    cognito = stack.cognito
    expected: dict[str, UserState] = {}
    bodies: list[str] = []
    passwords: list[str] = []

    def existing(username: str, groups: tuple[str, ...], enabled: bool = True) -> None:
        cognito.admin_create_user(
            UserPoolId=stack.pool_id,
            Username=username,
            UserAttributes=[{"Name": k, "Value": v} for k, v in user_attributes(username).items()],
            MessageAction="SUPPRESS",
        )
        for group in groups:
            cognito.admin_add_user_to_group(UserPoolId=stack.pool_id, Username=username, GroupName=group)
        if not enabled:
            cognito.admin_disable_user(UserPoolId=stack.pool_id, Username=username)

    for i in range(NEW_USERS):
        username = f"new{i:05d}"
        groups = sorted(rng.sample(ALLOWED_GROUPS, rng.randint(0, len(ALLOWED_GROUPS))))
        attributes = user_attributes(username, **({"custom:tenant": f"t{i % 7}"} if i % 3 == 0 else {}))
        message: dict[str, Any] = {
            "action": "upsert",
            "username": username,
            "attributes": attributes,
            "groups": groups,
            "invitation": rng.choice(["SUPPRESS", "EMAIL", "RESEND"]),
        }
        if i % 2 == 0:
            passwords.append(_password(rng))
            message["temporary_password_ciphertext"] = stack.sealed(username, passwords[-1])
        bodies.append(json.dumps(message))
        expected[username] = UserState(True, True, attributes, set(groups))
    for i in range(EXISTING_TO_UPDATE):
        username = f"old{i:05d}"
        existing(username, ("users",))
        attributes = user_attributes(username, name=f"Renamed {i}")
        message = {
            "action": "upsert",
            "username": username,
            "attributes": attributes,
            "groups": ["analysts"],
            "remove_groups": ["users"],
        }
        bodies.append(json.dumps(message))
        expected[username] = UserState(True, True, attributes, {"analysts"})
    for action, count, start_enabled in (("disable", TO_DISABLE, True), ("enable", TO_ENABLE, False)):
        for i in range(count):
            username = f"{action}{i:05d}"
            existing(username, ("users",), enabled=start_enabled)
            bodies.append(json.dumps({"action": action, "username": username}))
            expected[username] = UserState(True, action == "enable", user_attributes(username), {"users"})
    for i in range(TO_DELETE):
        username = f"gone{i:05d}"
        existing(username, ("analysts",))
        bodies.append(json.dumps({"action": "delete", "username": username}))
        expected[username] = UserState(False)

    for i in range(TO_RESEND):
        # created without an invitation and not signed in yet: a RESEND message sends one
        username = f"resend{i:05d}"
        existing(username, ("users",))
        message = {"action": "upsert", "username": username, "attributes": user_attributes(username)}
        bodies.append(json.dumps(message | {"groups": ["users"], "invitation": "RESEND"}))
        expected[username] = UserState(True, True, user_attributes(username), {"users"})

    # duplicates of a tenth of the valid messages (SQS delivers at least once; producers repeat too)
    bodies += rng.sample(bodies, len(bodies) // 10)

    invalid = _invalid_messages(stack, rng, expected, passwords)
    bodies += invalid
    rng.shuffle(bodies)
    return Messages(bodies, invalid, expected, passwords)


def _scenario(app: Any, stack: Stack, rng: random.Random) -> Outcome:
    given = _messages(stack, rng)
    bodies = given.bodies

    recorder: Any = RecordingClient(
        boto3.client("cognito-idp"),
        seed=rng.randint(0, 2**32),
        throttle=0.05,
        server_errors=0.02,
        timeouts_before=0.01,
        timeouts_after=0.01,
        resend_timeouts_after=0.3,
    )
    # pacing scaled up (moto has no quota) and short backoffs: the faults, not the clock, are under test
    pacer = Pacer(
        instances=2,
        quotas={name: rate * 1000 for name, rate in QUOTAS.items()},
        max_attempts=2,
        base_backoff=0.001,
        max_backoff=0.005,
    )
    target = Target(
        stack.pool_id, stack.table, Allowlist(frozenset(ALLOWED_GROUPS), frozenset(ALLOWED_ATTRIBUTES))
    )
    provisioner = Provisioner(recorder, pacer, boto3.client("dynamodb"), target, passwords=stack.passwords())
    worker = Consumer(provisioner, boto3.client("sqs"), stack.dlq_url)
    app.consumer = lambda: worker

    metrics_output = io.StringIO()
    with collect_logs(app.logger) as logs, contextlib.redirect_stdout(metrics_output):
        loop = LoopResult()
        # fed in waves, as a producer would, which also keeps moto's queue scans short
        for start in range(0, len(bodies), WAVE):
            send_bodies(stack.sqs, stack.queue_url, bodies[start : start + WAVE])
            wave = run_sqs_loop(stack.sqs, stack.queue_url, app.lambda_handler, FakeLambdaContext())
            loop.invocations += wave.invocations
            loop.reported_failures += wave.reported_failures
            loop.deleted += wave.deleted

    left = stack.sqs.get_queue_attributes(
        QueueUrl=stack.queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    states = all_user_states(stack.cognito, stack.pool_id)
    records = all_records(stack.dynamodb, stack.table)
    return Outcome(
        expected=given.expected,
        states={name: states.get(name, UserState(exists=False)) for name in given.expected},
        records={name: records.get(name) for name in given.expected},
        invalid_bodies=given.invalid,
        dead=drain(stack.sqs, stack.dlq_url),
        left_in_queue=sum(int(v) for v in left.values()),
        loop=loop,
        cognito_calls=recorder,
        passwords=given.passwords,
        logs=logs.lines,
        metrics_output=metrics_output.getvalue(),
        sent=len(bodies),
    )


@pytest.fixture(scope="module")
def outcome() -> Iterator[Outcome]:
    with pytest.MonkeyPatch.context() as mp, mock_aws():
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE"):
            mp.delenv(name, raising=False)
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "POWERTOOLS_METRICS_NAMESPACE": "CognitoAutomationTests",
            "POWERTOOLS_TRACE_DISABLED": "true",
        }.items():
            mp.setenv(name, value)
        stack = build_stack(max_receive_count=5)
        aws.reset()
        app = load_function(mp, "provision_users", handler_env(stack))
        yield _scenario(app, stack, random.Random(20261123))
        aws.reset()


def test_scenario_has_thousands_of_messages_and_exercised_every_fault(outcome: Outcome) -> None:
    outcomes = Counter(call.outcome for call in outcome.cognito_calls.calls)
    assert outcome.sent >= 1900
    assert outcomes["TooManyRequestsException"] > 0
    assert outcomes["InternalErrorException"] > 0
    assert outcomes["timeout-before"] > 0
    assert outcomes["timeout-after"] > 0
    lost_resends = [
        c
        for c in outcome.cognito_calls.calls
        if c.params.get("MessageAction") == "RESEND" and c.outcome == "timeout-after"
    ]
    assert lost_resends, "some resends went out but their answer was lost"
    # some messages failed every attempt of an invocation and were retried by SQS
    assert outcome.loop.reported_failures > 0


def test_every_valid_user_ends_in_exactly_the_requested_state(outcome: Outcome) -> None:
    wrong: dict[str, Any] = {}
    for name, want in outcome.expected.items():
        got = outcome.states[name]
        if got.exists != want.exists:
            wrong[name] = ("exists", got.exists)
        elif want.exists:
            attributes = {k: got.attributes.get(k) for k in want.attributes}
            if (got.enabled, attributes, got.groups) != (want.enabled, want.attributes, want.groups):
                wrong[name] = (got.enabled, attributes, got.groups)
    assert wrong == {}


def test_every_user_record_matches_the_user(outcome: Outcome) -> None:
    wrong = {}
    for name, want in outcome.expected.items():
        record = outcome.records[name]
        if not want.exists:
            if record is not None:
                wrong[name] = "record of an absent user"
        elif record is None:
            wrong[name] = "missing record"
        elif record["enabled"] != {"BOOL": want.enabled} or set(record.get("groups", {}).get("SS", [])) != (
            want.groups if not name.startswith(("disable", "enable")) else set()
        ):
            wrong[name] = str(record)
    assert wrong == {}


def test_every_invalid_message_is_dead_lettered_once_with_its_reason(outcome: Outcome) -> None:
    # (as they came, but for clear passwords: redacted, or the body withheld when it is not JSON)
    dead_bodies = Counter(m["Body"] for m in outcome.dead)
    assert dead_bodies == Counter(redact_body(body)[0] for body in outcome.invalid_bodies)
    for message in outcome.dead:
        attributes = message["MessageAttributes"]
        assert attributes["failure_kind"]["StringValue"] == "permanent"
        assert attributes["failure_reason"]["StringValue"]
    reasons = [m["MessageAttributes"]["failure_reason"]["StringValue"] for m in outcome.dead]
    assert sum("forbidden group(s) ['admins']" in r for r in reasons) == 60
    assert sum("forbidden attribute(s) ['custom:role']" in r for r in reasons) == 40


def test_nothing_is_lost_and_no_valid_message_is_dead_lettered(outcome: Outcome) -> None:
    assert outcome.left_in_queue == 0
    assert len(outcome.dead) == len(outcome.invalid_bodies)


def test_no_user_gets_a_second_invitation(outcome: Outcome) -> None:
    invitations = Counter(
        call.params["Username"]
        for call in outcome.cognito_calls.succeeded("AdminCreateUser")
        if call.params.get("MessageAction") != "SUPPRESS"
    )
    assert invitations, "the scenario sends invitations"
    assert max(invitations.values()) == 1
    resent = [name for name, n in invitations.items() if name.startswith("resend")]
    assert len(resent) > TO_RESEND // 2, "the scenario resends invitations"


def test_forbidden_groups_are_never_granted(outcome: Outcome) -> None:
    admins = [
        c
        for c in outcome.cognito_calls.calls
        if c.params.get("GroupName") == "admins" or c.operation == "CreateGroup"
    ]
    assert admins == []


def test_temporary_passwords_never_reach_logs_metrics_or_the_dead_letter_queue(outcome: Outcome) -> None:
    # (reasons, attributes and bodies: a dead-lettered body keeps a ciphertext, never a clear password)
    reasons = "\n".join(json.dumps(m) for m in outcome.dead)
    logs = "\n".join(outcome.logs)
    assert len(outcome.logs) > 1000, "the logs were captured"
    assert "UsersUpsert" in outcome.metrics_output, "the metrics were captured"
    leaked = [p for p in outcome.passwords if p in logs or p in outcome.metrics_output or p in reasons]
    leaked += [p[:8] for p in outcome.passwords if p[4:20] in logs + reasons]
    assert leaked == []


def test_every_encrypted_temporary_password_reached_cognito_in_clear(outcome: Outcome) -> None:
    # Given half the new users were sent with an encrypted password  # Then Cognito got each, decrypted
    created_with = {
        call.params["TemporaryPassword"]
        for call in outcome.cognito_calls.succeeded("AdminCreateUser")
        if "TemporaryPassword" in call.params
    }
    assert len(created_with) == NEW_USERS // 2
    assert created_with <= set(outcome.passwords)
