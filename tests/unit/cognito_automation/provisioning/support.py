"""Test doubles for provisioning: a moto stack built from template.yaml, a fault-injecting Cognito client,
an SQS loop that honours partial batch failures and redrive, and a log collector."""

from __future__ import annotations

import functools
import json
import logging
import random
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.exceptions import ClientError, ReadTimeoutError

from cognito_automation.provisioning.passwords import PasswordKey
from cognito_automation.users import ORDER_PARTITION_SUFFIX
from local.awslambda.sqs_poller import sqs_record
from tests.conftest import create_table_from_template
from tests.unit.template.support import RESOURCES

ALLOWED_GROUPS = ("users", "analysts")
ALLOWED_ATTRIBUTES = (
    "email",
    "email_verified",
    "name",
    "preferred_username",
    "phone_number",
    "phone_number_verified",
    "custom:tenant",
)


@dataclass
class Stack:
    cognito: Any
    dynamodb: Any
    sqs: Any
    pool_id: str
    table: str
    queue_url: str
    dlq_url: str
    key_arn: str
    kms: Any

    def passwords(self) -> PasswordKey:
        """The stack's temporary-password key, as the producer and the consumer use it."""
        return PasswordKey(self.kms, self.key_arn)

    def sealed(self, username: str, password: str) -> str:
        """A temporary password as the producer puts it in a message (`temporary_password_ciphertext`)."""
        return self.passwords().encrypt(username, password)


def build_stack(
    max_receive_count: int = 5, visibility_timeout: int = 30, *, case_sensitive_usernames: bool = False
) -> Stack:
    """Pool, groups, users table, queues and the temporary-password key as template.yaml declares them
    (inside an active moto mock); `case_sensitive_usernames` makes the pool case sensitive instead."""
    cognito = boto3.client("cognito-idp")
    pool_props = RESOURCES["UserPool"]["Properties"]
    usernames = pool_props["UsernameConfiguration"]
    if case_sensitive_usernames:
        usernames = {**usernames, "CaseSensitive": True}
    pool_id = cognito.create_user_pool(
        PoolName="provisioning-test",
        Schema=pool_props["Schema"],
        UsernameConfiguration=usernames,
    )["UserPool"]["Id"]
    for name in ("UsersGroup", "AnalystsGroup", "AdminsGroup"):
        group = RESOURCES[name]["Properties"]
        cognito.create_group(UserPoolId=pool_id, GroupName=group["GroupName"], Precedence=group["Precedence"])

    dynamodb = boto3.client("dynamodb")
    create_table_from_template(dynamodb, "UsersTable", "users")

    sqs = boto3.client("sqs")
    dlq_url = sqs.create_queue(QueueName="provisioning-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    queue_url = sqs.create_queue(
        QueueName="provisioning",
        Attributes={
            "VisibilityTimeout": str(visibility_timeout),
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive_count}
            ),
        },
    )["QueueUrl"]
    kms = boto3.client("kms")
    key_arn = kms.create_key(Description="temporary passwords")["KeyMetadata"]["Arn"]
    return Stack(cognito, dynamodb, sqs, pool_id, "users", queue_url, dlq_url, key_arn, kms)


def signs_in_with(stack: Stack, username: str, password: str) -> bool:
    """Whether `password` is the user's (temporary) password: Cognito then answers a challenge or tokens."""
    client_id = stack.cognito.create_user_pool_client(
        UserPoolId=stack.pool_id,
        ClientName="sign-in",
        ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    try:
        answer = stack.cognito.admin_initiate_auth(
            UserPoolId=stack.pool_id,
            ClientId=client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "NotAuthorizedException":
            return False
        raise
    return answer.get("ChallengeName") == "NEW_PASSWORD_REQUIRED" or "AuthenticationResult" in answer


def handler_env(stack: Stack, **overrides: str) -> dict[str, str]:
    env = {
        "POWERTOOLS_SERVICE_NAME": "provision-users",
        "USER_POOL_ID": stack.pool_id,
        "USERS_TABLE": stack.table,
        "DEAD_LETTER_QUEUE_URL": stack.dlq_url,
        "ALLOWED_GROUPS": ",".join(ALLOWED_GROUPS),
        "ALLOWED_ATTRIBUTES": ",".join(ALLOWED_ATTRIBUTES),
        "CREATE_MISSING_GROUPS": "false",
        "MAX_CONCURRENCY": "2",
        "TEMPORARY_PASSWORD_KEY_ARN": stack.key_arn,
    }
    env.update(overrides)
    return env


def user_attributes(username: str, **extra: str) -> dict[str, str]:
    return {
        "email": f"{username}@example.com",
        "name": username.title(),
        "preferred_username": username,
        **extra,
    }


def client_error(operation: str, code: str, message: str, status: int) -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, operation)


def throttling_error(operation: str) -> ClientError:
    return client_error(operation, "TooManyRequestsException", "Rate exceeded", 400)


def server_error(operation: str) -> ClientError:
    return client_error(operation, "InternalErrorException", "internal error", 500)


@dataclass
class Call:
    operation: str
    params: dict[str, Any]
    outcome: str  # "ok", an error code, or "timeout-after" (the call happened, the answer was lost)


class RecordingClient:
    """Wraps a boto3 client: records every call, optionally injects faults before or after it."""

    def __init__(
        self,
        client: Any,
        *,
        seed: int = 0,
        throttle: float = 0.0,
        server_errors: float = 0.0,
        timeouts_before: float = 0.0,
        timeouts_after: float = 0.0,
        resend_timeouts_after: float = 0.0,
        always_fail: Callable[[str], bool] | None = None,
    ) -> None:
        self._client = client
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self.throttle = throttle
        self.server_errors = server_errors
        self.timeouts_before = timeouts_before
        self.timeouts_after = timeouts_after
        # resends are few: their own (higher) rate of lost answers makes sure the scenario meets one
        self.resend_timeouts_after = resend_timeouts_after
        self.always_fail = always_fail
        self.calls: list[Call] = []
        self.exceptions = client.exceptions
        self.meta = client.meta

    def _roll(self) -> float:
        with self._lock:
            return self._rng.random()

    def _record(self, operation: str, params: dict[str, Any], outcome: str) -> None:
        with self._lock:
            self.calls.append(Call(operation, params, outcome))

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)
        operation = self._client.meta.method_to_api_mapping.get(name)
        if operation is None:
            return method

        @functools.wraps(method)  # keeps the method's name, which the pacer reads the operation from
        def call(**params: Any) -> Any:
            if self.always_fail is not None and self.always_fail(operation):
                self._record(operation, params, "TooManyRequestsException")
                raise throttling_error(operation)
            roll = self._roll()
            if roll < self.throttle:
                self._record(operation, params, "TooManyRequestsException")
                raise throttling_error(operation)
            roll -= self.throttle
            if roll < self.server_errors:
                self._record(operation, params, "InternalErrorException")
                raise server_error(operation)
            roll -= self.server_errors
            if roll < self.timeouts_before:
                self._record(operation, params, "timeout-before")
                raise ReadTimeoutError(endpoint_url="https://cognito-idp.us-east-1.amazonaws.com/")
            roll -= self.timeouts_before
            try:
                if operation == "AdminCreateUser" and params.get("MessageAction") == "RESEND":
                    response = self._resend(params)
                else:
                    response = method(**params)
            except ClientError as exc:
                self._record(operation, params, str(exc.response["Error"]["Code"]))
                raise
            resend = operation == "AdminCreateUser" and params.get("MessageAction") == "RESEND"
            if roll < self.timeouts_after or (resend and self._roll() < self.resend_timeouts_after):
                self._record(operation, params, "timeout-after")
                raise ReadTimeoutError(endpoint_url="https://cognito-idp.us-east-1.amazonaws.com/")
            self._record(operation, params, "ok")
            return response

        return call

    def _resend(self, params: dict[str, Any]) -> Any:
        """Cognito resends the invitation and leaves the user as it is; moto instead replaces the user
        (attributes and groups lost), so a resend is answered here from the user as it stands."""
        user = self._client.admin_get_user(UserPoolId=params["UserPoolId"], Username=params["Username"])
        attributes = user.get("UserAttributes", [])
        return {"User": {"Username": user["Username"], "Attributes": attributes, "Enabled": user["Enabled"]}}

    def succeeded(self, operation: str) -> list[Call]:
        """Calls that took effect (including those whose answer was lost)."""
        return [c for c in self.calls if c.operation == operation and c.outcome in ("ok", "timeout-after")]

    def writes(self) -> list[Call]:
        reads = {"AdminGetUser", "AdminListGroupsForUser", "GetGroup"}
        return [c for c in self.calls if c.operation not in reads]


class CaseInsensitivePool:
    """A Cognito client for a pool with case-insensitive usernames, as Cognito documents it (moto's pools
    are case-sensitive): a `Username` in any case reaches the user under the spelling it was created
    with, so creating a case variant of an existing user answers UsernameExistsException."""

    def __init__(self, client: Any, pool_id: str) -> None:
        self._client = client
        self._pool_id = pool_id
        self.exceptions = client.exceptions
        self.meta = client.meta

    def _spelling(self, username: str) -> str:
        pages = self._client.get_paginator("list_users").paginate(UserPoolId=self._pool_id)
        names = (user["Username"] for page in pages for user in page["Users"])
        return next((name for name in names if name.lower() == username.lower()), username)

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)
        if name not in self._client.meta.method_to_api_mapping:
            return method

        @functools.wraps(method)  # keeps the method's name, which the pacer reads the operation from
        def call(**params: Any) -> Any:
            if "Username" in params:
                params = {**params, "Username": self._spelling(params["Username"])}
            return method(**params)

        return call


def lambda_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    """SQS ReceiveMessage output shaped as the Lambda event the event source mapping delivers (the
    local stack's records)."""
    return {"Records": [sqs_record(m, queue_arn) for m in messages]}


@dataclass
class LoopResult:
    invocations: int = 0
    reported_failures: int = 0
    deleted: int = 0


def run_sqs_loop(
    sqs: Any,
    queue_url: str,
    handler: Callable[[dict[str, Any], Any], dict[str, Any]],
    context: Any,
    *,
    batch_size: int = 10,
    max_invocations: int = 10_000,
) -> LoopResult:
    """Poll like Lambda's event source mapping: deliver batches, delete what succeeded, make reported
    failures visible again at once (a retry), until the queue is empty. moto moves a message to the
    dead-letter queue when it would be received more often than the redrive policy allows."""
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    result = LoopResult()
    empty_polls = 0
    while result.invocations < max_invocations:
        messages = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=batch_size,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            empty_polls += 1
            if empty_polls >= 2:
                return result
            continue
        empty_polls = 0
        result.invocations += 1
        response = handler(lambda_event(messages, arn), context)
        failed = {item["itemIdentifier"] for item in response.get("batchItemFailures", [])}
        result.reported_failures += len(failed)
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            chunk = done[start : start + 10]
            sqs.delete_message_batch(
                QueueUrl=queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)],
            )
        result.deleted += len(done)
        for m in messages:
            if m["MessageId"] in failed:
                sqs.change_message_visibility(
                    QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0
                )
    raise AssertionError(f"the queue did not drain within {max_invocations} invocations")


def drain(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    """Every message of a queue (received and deleted)."""
    found: list[dict[str, Any]] = []
    for _ in range(100_000):
        messages = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], AttributeNames=["All"]
        ).get("Messages", [])
        if not messages:
            return found
        found += messages
        sqs.delete_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
        )
    raise AssertionError("queue did not drain")


def send_bodies(sqs: Any, queue_url: str, bodies: list[str]) -> None:
    for start in range(0, len(bodies), 10):
        sqs.send_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(i), "MessageBody": b} for i, b in enumerate(bodies[start : start + 10])],
        )


class LogCollector(logging.Handler):
    """Every log line the function and the shared package emit, formatted as they would be shipped."""

    def __init__(self, formatter: logging.Formatter | None) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        if formatter is not None:
            self.setFormatter(formatter)

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@contextmanager
def collect_logs(service_logger: Any) -> Iterator[LogCollector]:
    """Attach a collector to the function's Powertools logger and every `cognito_automation` logger."""
    collector = LogCollector(service_logger.registered_formatter)
    targets = [service_logger._logger]  # the stdlib logger behind Powertools' Logger
    targets += [
        logging.getLogger(name)
        for name in list(logging.root.manager.loggerDict)
        if name.startswith("cognito_automation")
    ]
    saved = [(t, t.level) for t in targets]
    for t in targets:
        t.addHandler(collector)
        t.setLevel(logging.DEBUG)
    try:
        yield collector
    finally:
        for t, level in saved:
            t.removeHandler(collector)
            t.setLevel(level)


@dataclass
class UserState:
    exists: bool
    enabled: bool = False
    attributes: dict[str, str] = field(default_factory=dict)
    groups: set[str] = field(default_factory=set)


def user_state(cognito: Any, pool_id: str, username: str) -> UserState:
    try:
        user = cognito.admin_get_user(UserPoolId=pool_id, Username=username)
    except cognito.exceptions.UserNotFoundException:
        return UserState(exists=False)
    groups = cognito.admin_list_groups_for_user(UserPoolId=pool_id, Username=username)["Groups"]
    return UserState(
        exists=True,
        enabled=user["Enabled"],
        attributes={a["Name"]: a["Value"] for a in user["UserAttributes"]},
        groups={g["GroupName"] for g in groups},
    )


def all_user_states(cognito: Any, pool_id: str) -> dict[str, UserState]:
    """Every user of the pool with attributes, enabled flag and groups, in few calls (list, not get)."""
    states: dict[str, UserState] = {}
    for page in cognito.get_paginator("list_users").paginate(UserPoolId=pool_id):
        for user in page["Users"]:
            states[user["Username"]] = UserState(
                exists=True,
                enabled=user["Enabled"],
                attributes={a["Name"]: a["Value"] for a in user["Attributes"]},
            )
    for group_page in cognito.get_paginator("list_groups").paginate(UserPoolId=pool_id):
        for group in group_page["Groups"]:
            members = cognito.get_paginator("list_users_in_group").paginate(
                UserPoolId=pool_id, GroupName=group["GroupName"]
            )
            for page in members:
                for user in page["Users"]:
                    states[user["Username"]].groups.add(group["GroupName"])
    return states


def all_records(dynamodb: Any, table: str) -> dict[str, dict[str, Any]]:
    """Every user record of the users table by username (a scan: tests only), without the order marks."""
    items: dict[str, dict[str, Any]] = {}
    for page in dynamodb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        for item in page["Items"]:
            if not item["user_pool_id"]["S"].endswith(ORDER_PARTITION_SUFFIX):
                items[item["username"]["S"]] = item
    return items
