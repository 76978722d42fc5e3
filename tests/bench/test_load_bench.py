"""Users through the whole local path under Cognito's quotas: the producer command sends LOAD_USERS new
users (default 10,000) while the consumer runs (SQS on the local server, the poller, the provisioning
function in-process, Cognito enforcing its request-rate quotas). Run by `make bench`; iterate with
`LOAD_USERS=1000 .venv/bin/pytest tests/bench/test_load_bench.py -m bench -s`.

The bound: a new user in one group costs the consumer one AdminGetUser (UserRead), one AdminCreateUser
(UserCreation) and one AdminAddUserToGroup (UserUpdate), so the account's quotas allow at most
min(UserRead/1, UserCreation/1, UserUpdate/1) = min(120, 50, 25) = 25 users per second.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from cognito_automation import aws
from cognito_automation.quotas import QUOTAS
from local.stack import LocalCloud
from tests.conftest import REGION, ROOT

if TYPE_CHECKING:
    from mypy_boto3_sqs.literals import QueueAttributeNameType

pytestmark = pytest.mark.bench

USERS = int(os.environ.get("LOAD_USERS", "10000"))
GROUP = "users"
# What one new user in one group costs, by quota category (see the module's docstring).
COST = {"UserRead": 1, "UserCreation": 1, "UserUpdate": 1}
BOUND = min(QUOTAS[category] / calls for category, calls in COST.items())
TARGET = 0.9


def _users_file(path: Path) -> Path:
    lines = ["username,email,groups,invitation"]
    lines += [f"load{n:05d},load{n:05d}@example.com,{GROUP},SUPPRESS" for n in range(USERS)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _drained(stack: LocalCloud, queue_url: str, deadline: float) -> None:
    """Wait until the queue has no message left, visible or in flight: every 0.5 s, not drain's 0.1 s,
    so that the measurement does not load the server it measures."""
    sqs = stack.client(aws.SQS)
    names: list[QueueAttributeNameType] = [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
    ]
    while time.perf_counter() < deadline:
        attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=names)["Attributes"]
        if all(attributes.get(name) == "0" for name in names):
            return
        time.sleep(0.5)
    raise TimeoutError(f"{queue_url} still has messages")


def _members(stack: LocalCloud, pool_id: str) -> tuple[set[str], set[str]]:
    """The pool's usernames, and those of its GROUP."""
    cognito = stack.client(aws.COGNITO_IDP)
    users = {
        user["Username"]
        for page in cognito.get_paginator("list_users").paginate(UserPoolId=pool_id)
        for user in page["Users"]
    }
    members = {
        user["Username"]
        for page in cognito.get_paginator("list_users_in_group").paginate(UserPoolId=pool_id, GroupName=GROUP)
        for user in page["Users"]
    }
    return users, members


def test_load_through_the_whole_local_path(tmp_path: Path) -> None:
    stack = LocalCloud(port=0, region=REGION, enforce_quotas=True).start()
    try:
        outputs = stack.deploy(ROOT / "template.yaml", {}, "load")
        users_file = _users_file(tmp_path / "users.csv")
        env = stack.process_environment()
        started = time.perf_counter()
        producer = subprocess.run(  # noqa: S603 - the bench's own fixed arguments
            [sys.executable, "-m", "tools.producer", "send", str(users_file), "--stack", "load", "--json"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=USERS / BOUND * 3 + 120,
            check=False,
        )
        sent_s = time.perf_counter() - started
        assert producer.returncode == 0, producer.stderr[-2000:]
        _drained(stack, outputs["ProvisioningQueueUrl"], started + USERS / BOUND * 3 + 120)
        total_s = time.perf_counter() - started
        users, members = _members(stack, outputs["UserPoolId"])
        dead = stack.client(aws.SQS).get_queue_attributes(
            QueueUrl=outputs["ProvisioningDeadLetterQueueUrl"],
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
    finally:
        stack.stop()
    end_to_end, producer_rate = USERS / total_s, USERS / sent_s
    print(
        f"\nload: {USERS} new users (one group each) through producer, SQS, poller, function and Cognito "
        f"with quotas; bound {BOUND:.0f} users/s (UserCreation {QUOTAS['UserCreation']:.0f}/s, "
        f"UserUpdate {QUOTAS['UserUpdate']:.0f}/s, UserRead {QUOTAS['UserRead']:.0f}/s, one call each); "
        f"end to end {total_s:.1f} s = {end_to_end:.1f} users/s ({end_to_end / BOUND:.2f} of the bound); "
        f"producer alone {sent_s:.1f} s = {producer_rate:.0f} rows/s ({producer_rate / BOUND:.1f}x the bound)"
    )
    expected = {f"load{n:05d}" for n in range(USERS)}
    assert expected - users == set(), "users lost"
    assert expected - members == set(), f"users not in {GROUP}"
    assert dead == {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"}
    assert end_to_end / BOUND >= TARGET
