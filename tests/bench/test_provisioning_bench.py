"""Provisioning throughput against Cognito's quotas: the consumer (2 instances, threads, pacing) beside a
plain sequential loop of the same calls, as an administrator's shell loop would make them.

The Cognito here enforces UserCreation 50/s and UserUpdate 25/s per account (token buckets holding one
second of quota; a call past them is answered TooManyRequestsException) and answers every call after
30-80 ms. Each new user costs AdminGetUser, AdminCreateUser and AdminAddUserToGroup, so the limit-bound
rate is 25 users/s (one UserUpdate each). Figures are printed; run with `make bench`.
BENCH_USERS (default 3000, about two minutes at the limit), BENCH_SECONDS (the time cap, default 150) and
BENCH_SEQUENTIAL_USERS (default 300) size it;
a second run shares the account with another client (BENCH_NEIGHBOUR_USERS, default 600).
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from collections import Counter, deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from botocore.exceptions import ClientError

from cognito_automation.provisioning.consumer import Consumer, ThreadedBatchProcessor
from cognito_automation.provisioning.messages import Allowlist
from cognito_automation.provisioning.pacing import Pacer
from cognito_automation.provisioning.provisioner import Provisioner, Target
from tests.conftest import FakeLambdaContext

POOL = "us-east-1_Bench1"
LIMITS = {"UserCreation": 50.0, "UserUpdate": 25.0}
CATEGORY = {
    "AdminCreateUser": "UserCreation",
    "AdminAddUserToGroup": "UserUpdate",
    "AdminRemoveUserFromGroup": "UserUpdate",
    "AdminUpdateUserAttributes": "UserUpdate",
    "AdminDisableUser": "UserUpdate",
    "AdminEnableUser": "UserUpdate",
    "AdminDeleteUser": "UserUpdate",
}
INSTANCES = 2
USERS = int(os.environ.get("BENCH_USERS", "3000"))
SEQUENTIAL_USERS = int(os.environ.get("BENCH_SEQUENTIAL_USERS", "300"))
NEIGHBOUR_USERS = int(os.environ.get("BENCH_NEIGHBOUR_USERS", "600"))
NEIGHBOUR_RATE = 8.0
TIME_BUDGET_S = float(os.environ.get("BENCH_SECONDS", "150"))
LIMIT_BOUND_USERS_PER_S = LIMITS["UserUpdate"]  # one group add per user


def _error(operation: str, code: str, status: int = 400) -> ClientError:
    response: Any = {"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return ClientError(response, operation)


class QuotaBucket:
    """Cognito's side: a request is admitted while the bucket holds a token (refilled at `rate`)."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.capacity = rate  # one second of quota
        self.tokens = rate
        self.last = time.monotonic()
        self.lock = threading.Lock()

    def admit(self) -> bool:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.capacity, self.tokens + (now - self.last) * self.rate)
            self.last = now
            if self.tokens >= 1:
                self.tokens -= 1
                return True
            return False


class QuotaCognito:
    """An in-memory user pool behind Cognito's two quotas and a realistic latency, for one account."""

    def __init__(self, seed: int = 1) -> None:
        self.buckets = {name: QuotaBucket(rate) for name, rate in LIMITS.items()}
        self.users: dict[str, dict[str, Any]] = {}
        self.groups: dict[str, set[str]] = {}
        self.lock = threading.Lock()
        self.rng = random.Random(seed)
        self.calls: Counter[str] = Counter()
        self.throttled: Counter[str] = Counter()

    def _serve(self, operation: str) -> None:
        with self.lock:
            latency = self.rng.uniform(0.030, 0.080)
            self.calls[operation] += 1
        time.sleep(latency / 2)
        category = CATEGORY.get(operation)
        if category is not None and not self.buckets[category].admit():
            with self.lock:
                self.throttled[operation] += 1
            time.sleep(latency / 2)
            raise _error(operation, "TooManyRequestsException")
        time.sleep(latency / 2)

    def admin_get_user(self, *, UserPoolId: str, Username: str) -> dict[str, Any]:  # noqa: N803 - boto3 names
        self._serve("AdminGetUser")
        with self.lock:
            user = self.users.get(Username)
        if user is None:
            raise _error("AdminGetUser", "UserNotFoundException")
        return {
            "Username": Username,
            "UserAttributes": user["attributes"],
            "Enabled": True,
            "UserStatus": "X",
        }

    def admin_create_user(self, *, UserPoolId: str, Username: str, **params: Any) -> dict[str, Any]:  # noqa: N803
        self._serve("AdminCreateUser")
        with self.lock:
            if Username in self.users:
                raise _error("AdminCreateUser", "UsernameExistsException")
            self.users[Username] = {"attributes": params.get("UserAttributes", [])}
        return {"User": {"Username": Username, "Attributes": params.get("UserAttributes", [])}}

    def admin_list_groups_for_user(self, *, UserPoolId: str, Username: str, **params: Any) -> dict[str, Any]:  # noqa: N803
        self._serve("AdminListGroupsForUser")
        with self.lock:
            return {"Groups": [{"GroupName": g} for g, members in self.groups.items() if Username in members]}

    def get_group(self, *, UserPoolId: str, GroupName: str) -> dict[str, Any]:  # noqa: N803
        self._serve("GetGroup")
        return {"Group": {"GroupName": GroupName}}

    def admin_add_user_to_group(self, *, UserPoolId: str, Username: str, GroupName: str) -> dict[str, Any]:  # noqa: N803
        self._serve("AdminAddUserToGroup")
        with self.lock:
            self.groups.setdefault(GroupName, set()).add(Username)
        return {}


class RecordTable:
    """The users table's UpdateItem, in memory (DynamoDB is not what is measured)."""

    def __init__(self) -> None:
        self.items: set[str] = set()
        self.lock = threading.Lock()

    def update_item(self, **params: Any) -> dict[str, Any]:
        with self.lock:
            self.items.add(params["Key"]["username"]["S"])
        return {}


def _body(i: int) -> str:
    username = f"bench{i:05d}"
    return json.dumps(
        {
            "action": "upsert",
            "username": username,
            "attributes": {
                "email": f"{username}@example.com",
                "name": username,
                "preferred_username": username,
            },
            "groups": ["users"],
            "invitation": "SUPPRESS",
        }
    )


def _record(message_id: str, body: str, receives: int) -> dict[str, Any]:
    return {
        "messageId": message_id,
        "receiptHandle": message_id,
        "body": body,
        "attributes": {"ApproximateReceiveCount": str(receives)},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:provisioning",
        "awsRegion": "us-east-1",
    }


@dataclass
class Run:
    users: int
    seconds: float
    batch_failures: int
    cognito: QuotaCognito
    neighbour: Counter[str]

    @property
    def throttled(self) -> int:
        """Throttling answers to the consumer (not to the other client)."""
        return sum(self.cognito.throttled.values()) - self.neighbour["throttled"]

    @property
    def calls(self) -> int:
        return sum(self.cognito.calls.values()) - self.neighbour["calls"]

    @property
    def rate(self) -> float:
        return self.users / self.seconds


def _neighbour(cognito: QuotaCognito, rate: float, stop: threading.Event, seen: Counter[str]) -> None:
    """Another client of the same account: group updates at `rate` per second, whatever happens."""
    due = time.monotonic()
    while not stop.wait(max(0.0, due - time.monotonic())):
        due += 1 / rate
        seen["calls"] += 1
        try:
            cognito.admin_add_user_to_group(UserPoolId=POOL, Username=f"other{seen['calls']}", GroupName="x")
        except ClientError:
            seen["throttled"] += 1


def _run_consumer(users: int, neighbour_rate: float = 0.0) -> Run:
    # fakes standing in for the Cognito and DynamoDB clients (the methods the provisioner calls)
    cognito: Any = QuotaCognito()
    neighbour: Counter[str] = Counter()
    table: Any = RecordTable()
    no_sqs: Any = None  # every message is valid: nothing is dead-lettered
    queue: deque[tuple[str, str, int]] = deque((f"m{i}", _body(i), 1) for i in range(users))
    queue_lock = threading.Lock()
    failures = Counter[str]()
    target = Target(
        POOL, "users", Allowlist(frozenset({"users"}), frozenset({"email", "name", "preferred_username"}))
    )
    deadline = time.monotonic() + TIME_BUDGET_S

    def instance() -> None:
        # one Lambda instance: its own pacer (its share of the quotas), thread pool and consumer
        consumer = Consumer(
            Provisioner(cognito, Pacer(instances=INSTANCES), table, target),
            sqs=no_sqs,
            dead_letter_queue_url="",
        )
        with ThreadPoolExecutor(max_workers=10) as pool:
            while time.monotonic() < deadline:
                with queue_lock:
                    batch = [queue.popleft() for _ in range(min(10, len(queue)))]
                if not batch:
                    return
                event = {"Records": [_record(mid, body, n) for mid, body, n in batch]}

                def handle(record: SQSRecord, c: Consumer = consumer) -> Any:
                    return c.handle(record, deadline=time.monotonic() + 55)

                response = process_partial_response(
                    event=event,
                    record_handler=handle,
                    processor=ThreadedBatchProcessor(pool),
                    context=FakeLambdaContext(),  # type: ignore[arg-type]
                )
                failed = {item["itemIdentifier"] for item in response.get("batchItemFailures", [])}
                with queue_lock:
                    failures["batch_item_failures"] += len(failed)
                    queue.extend((mid, body, n + 1) for mid, body, n in batch if mid in failed)

    stop = threading.Event()
    if neighbour_rate:
        args = (cognito, neighbour_rate, stop, neighbour)
        threading.Thread(target=_neighbour, args=args, daemon=True).start()
    start = time.monotonic()
    threads = [threading.Thread(target=instance) for _ in range(INSTANCES)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=TIME_BUDGET_S + 60)
    elapsed = time.monotonic() - start
    stop.set()
    done = len(cognito.groups.get("users", ()))
    return Run(done, elapsed, failures["batch_item_failures"], cognito, neighbour)


def _run_sequential(users: int) -> Run:
    """for user in users: admin-create-user; admin-add-user-to-group (the shell loop, one call at a time)."""
    cognito = QuotaCognito(seed=2)
    start = time.monotonic()
    for i in range(users):
        username = f"seq{i:05d}"
        attributes = [{"Name": "email", "Value": f"{username}@example.com"}]
        cognito.admin_create_user(UserPoolId=POOL, Username=username, UserAttributes=attributes)
        cognito.admin_add_user_to_group(UserPoolId=POOL, Username=username, GroupName="users")
    return Run(users, time.monotonic() - start, 0, cognito, Counter())


@pytest.mark.bench
def test_consumer_provisions_close_to_the_quota_bound_rate() -> None:
    # When
    paced = _run_consumer(USERS)
    sequential = _run_sequential(SEQUENTIAL_USERS)
    # Then (figures for the report)
    throttled, calls = paced.throttled, paced.calls
    print(
        "\nprovisioning benchmark (Cognito quotas UserCreation 50/s, UserUpdate 25/s; 30-80 ms per call)\n"
        f"  consumer, {INSTANCES} instances x 10 threads, paced: {paced.users} users in {paced.seconds:.1f} s"
        f" = {paced.rate:.1f} users/s = {paced.rate / LIMIT_BOUND_USERS_PER_S:.0%} of the limit-bound"
        f" {LIMIT_BOUND_USERS_PER_S:.0f} users/s; throttled {throttled} of {calls} calls,"
        f" {paced.batch_failures} batch item failures (retried by SQS)\n"
        f"  sequential loop (create, add to group): {sequential.users} users in {sequential.seconds:.1f} s"
        f" = {sequential.rate:.1f} users/s = {sequential.rate / LIMIT_BOUND_USERS_PER_S:.0%} of the bound\n"
        f"  speed-up {paced.rate / sequential.rate:.1f}x"
    )
    assert paced.users == USERS or paced.seconds >= TIME_BUDGET_S
    assert paced.rate >= 0.8 * LIMIT_BOUND_USERS_PER_S
    assert throttled <= 0.02 * calls
    assert paced.rate > sequential.rate


@pytest.mark.bench
def test_consumer_backs_off_when_another_client_shares_the_quota() -> None:
    # Given another client of the account makes 8 group updates per second throughout
    # When
    run = _run_consumer(NEIGHBOUR_USERS, neighbour_rate=NEIGHBOUR_RATE)
    # Then (figures for the report)
    # the other client's calls fall within the same window as ours
    other = (run.neighbour["calls"] - run.neighbour["throttled"]) / run.seconds
    left = LIMIT_BOUND_USERS_PER_S - other
    print(
        f"\nsharing the account with a client making {NEIGHBOUR_RATE:.0f} UserUpdate calls/s:\n"
        f"  consumer: {run.users} users in {run.seconds:.1f} s = {run.rate:.1f} users/s"
        f" ({run.rate / left:.0%} of the {left:.1f} users/s the other client's {other:.1f}/s leave);"
        f" throttled {run.throttled} of {run.calls} calls, {run.batch_failures} batch item failures\n"
        f"  the other client: throttled {run.neighbour['throttled']} of {run.neighbour['calls']} calls"
    )
    assert run.users == NEIGHBOUR_USERS
