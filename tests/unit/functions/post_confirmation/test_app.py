"""The post confirmation function on moto: default groups and the user record on confirm sign-up,
idempotent under Cognito's retries, nothing on forgot password, and bad input refused with a logged reason."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from types import ModuleType
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from cognito_automation.config import ConfigError
from cognito_automation.confirmation import confirm_sign_up
from cognito_automation.users import get_user_record
from tests.conftest import REGION, create_table_from_template, load_event, load_peer_event, peer_events
from tests.handlers import load_function

TABLE = "users-table"
QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/provisioning"


def env(*, queue: str = QUEUE_URL, **variables: str) -> dict[str, str]:
    return {"USERS_TABLE": TABLE, "PROVISIONING_QUEUE_URL": queue, **variables}


@dataclass
class Pool:
    app: ModuleType
    pool_id: str
    cognito: Any
    dynamodb: Any
    sqs: Any
    queue_url: str

    def event(self, name: str = "confirm_sign_up.json") -> dict[str, Any]:
        event = load_event(f"post_confirmation/{name}")
        event["userPoolId"] = self.pool_id
        return event

    def groups_of(self, username: str) -> list[str]:
        groups = self.cognito.admin_list_groups_for_user(UserPoolId=self.pool_id, Username=username)["Groups"]
        return sorted(g["GroupName"] for g in groups)

    def record(self, username: str) -> dict[str, Any] | None:
        return get_user_record(self.dynamodb, TABLE, self.pool_id, username)

    def queued(self) -> list[dict[str, Any]]:
        """The messages on the provisioning queue: body and message attributes."""
        answer = self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        )
        return [
            {"body": json.loads(m["Body"]), "attributes": m.get("MessageAttributes", {})}
            for m in answer.get("Messages", [])
        ]


def log_records(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str, dict[str, Any]]]:
    return [(r.levelname, r.getMessage(), vars(r)) for r in caplog.records]


@pytest.fixture
def pool(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Pool]:
    cognito = boto3.client("cognito-idp", region_name=REGION)
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    pool_id = cognito.create_user_pool(PoolName="users")["UserPool"]["Id"]
    for group in ("users", "analysts"):
        cognito.create_group(UserPoolId=pool_id, GroupName=group)
    for username in ("carol", "userName"):
        cognito.admin_create_user(UserPoolId=pool_id, Username=username, MessageAction="SUPPRESS")
    create_table_from_template(dynamodb, "UsersTable", TABLE)
    sqs = boto3.client("sqs", region_name=REGION)
    queue_url = sqs.create_queue(QueueName="provisioning")["QueueUrl"]
    app = load_function(
        monkeypatch, "post_confirmation", env(DEFAULT_GROUPS="users,analysts", queue=queue_url)
    )
    yield Pool(app, pool_id, cognito, dynamodb, sqs, queue_url)


def test_confirm_sign_up_adds_the_default_groups_and_writes_the_record(
    pool: Pool, lambda_context: Any
) -> None:
    # Given a confirmed sign-up for carol
    event = pool.event()
    original = copy.deepcopy(event)
    # When the trigger runs
    result = pool.app.lambda_handler(event, lambda_context)
    # Then the event comes back, carol is in both default groups, and her record lists them
    assert result == original
    assert pool.groups_of("carol") == ["analysts", "users"]
    record = pool.record("carol")
    assert record is not None
    assert record["last_source"] == {"S": "post_confirmation"}
    assert sorted(record["groups"]["SS"]) == ["analysts", "users"]
    assert record["user_attributes"]["M"]["custom:tenant"] == {"S": "acme"}
    assert "cognito:user_status" not in record["user_attributes"]["M"]


def test_a_retried_confirmation_neither_fails_nor_duplicates(pool: Pool, lambda_context: Any) -> None:
    pool.app.lambda_handler(pool.event(), lambda_context)
    first = pool.record("carol")
    # Cognito retries the trigger (a timeout on its side, say)
    pool.app.lambda_handler(pool.event(), lambda_context)
    second = pool.record("carol")
    assert first is not None and second is not None
    assert pool.groups_of("carol") == ["analysts", "users"]
    assert sorted(second["groups"]["SS"]) == ["analysts", "users"]
    assert second["created_at"] == first["created_at"]
    items = pool.dynamodb.scan(TableName=TABLE)["Items"]
    assert len(items) == 1


def test_confirm_forgot_password_does_nothing(pool: Pool, lambda_context: Any) -> None:
    event = pool.event("confirm_forgot_password.json")
    original = copy.deepcopy(event)
    assert pool.app.lambda_handler(event, lambda_context) == original
    assert pool.groups_of("carol") == []
    assert pool.record("carol") is None


def test_a_missing_default_group_is_logged_and_the_user_still_confirmed(
    pool: Pool, lambda_context: Any, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pool.app, "SETTINGS", replace(pool.app.SETTINGS, default_groups=("users", "ghosts")))
    pool.app.lambda_handler(pool.event(), lambda_context)
    assert pool.groups_of("carol") == ["users"]
    record = pool.record("carol")
    assert record is not None
    assert record["groups"] == {"SS": ["users"]}
    errors = [(m, extra) for level, m, extra in log_records(caplog) if level == "ERROR"]
    assert [m for m, _ in errors] == ["default groups do not exist; the user was confirmed without them"]
    assert errors[0][1]["missing_groups"] == ["ghosts"]


def test_the_peer_event_is_refused_with_a_logged_reason_because_its_pool_id_is_not_one(
    pool: Pool, lambda_context: Any, caplog: pytest.LogCaptureFixture
) -> None:
    event = load_peer_event("cognitoPostConfirmationEvent.json")
    original = copy.deepcopy(event)
    assert pool.app.lambda_handler(event, lambda_context) == original
    ((level, message, extra),) = log_records(caplog)
    assert (level, message) == ("ERROR", "malformed confirm sign-up event passed through unchanged")
    assert extra["reason"] == "userPoolId is not a user pool id"


@pytest.mark.parametrize("name", peer_events("cognitoPostConfirmation"))
def test_a_peer_event_for_a_real_pool_is_processed(pool: Pool, lambda_context: Any, name: str) -> None:
    # the same event with this pool's id: its boolean email_verified is stored as Cognito's "true"
    event = load_peer_event(name)
    event["userPoolId"] = pool.pool_id
    pool.app.lambda_handler(event, lambda_context)
    assert pool.groups_of("userName") == ["analysts", "users"]
    record = pool.record("userName")
    assert record is not None
    assert record["user_attributes"]["M"]["email_verified"] == {"S": "true"}


@pytest.mark.parametrize(
    ("name", "level", "message", "reason"),
    [
        (
            "malformed_no_attributes.json",
            "ERROR",
            "malformed confirm sign-up event passed through unchanged",
            "request.userAttributes is missing or not an object",
        ),
        (
            "unknown_trigger_source.json",
            "WARNING",
            "event passed through unchanged",
            "not a post confirmation trigger source",
        ),
    ],
)
def test_a_bad_event_comes_back_unchanged_with_a_logged_reason(  # noqa: PLR0917 - fixtures and parameters
    pool: Pool,
    lambda_context: Any,
    caplog: pytest.LogCaptureFixture,
    name: str,
    level: str,
    message: str,
    reason: str,
) -> None:
    event = pool.event(name)
    original = copy.deepcopy(event)
    assert pool.app.lambda_handler(event, lambda_context) == original
    ((got_level, got_message, extra),) = log_records(caplog)
    assert (got_level, got_message, extra["reason"]) == (level, message, reason)
    assert pool.groups_of("carol") == []


@pytest.mark.parametrize("event", [None, [], "x"])
def test_an_event_that_is_not_an_object_comes_back(pool: Pool, lambda_context: Any, event: Any) -> None:
    assert pool.app.lambda_handler(event, lambda_context) == event


def test_too_little_time_left_fails_fast_before_any_call(pool: Pool, lambda_context: Any) -> None:
    lambda_context.remaining_ms = pool.app.CALL_BUDGET_MS - 1
    with pytest.raises(pool.app.OutOfTimeError):
        pool.app.lambda_handler(pool.event(), lambda_context)
    assert pool.groups_of("carol") == []
    assert pool.record("carol") is None


def test_the_worst_case_fits_cognitos_five_seconds_with_a_cold_start(pool: Pool) -> None:
    # one attempt per call (Cognito retries the whole trigger), each bounded by connect + read timeouts
    app = pool.app
    call_ms = 0.0
    for client in (app._cognito(), app._dynamodb()):
        client_config = client.meta.config
        assert client_config.retries["total_max_attempts"] == 1
        call_ms = max(call_ms, (client_config.connect_timeout + client_config.read_timeout) * 1000)
    # the most groups the function accepts: the record, one call per group, the groups into the record
    for groups in (len(app.SETTINGS.default_groups), app.MAX_DEFAULT_GROUPS):
        calls = groups + 2
        worst_case_ms = app.COLD_START_ALLOWANCE_MS + calls * call_ms + app.RETURN_MARGIN_MS
        assert worst_case_ms <= 5000


def test_more_default_groups_than_fit_the_budget_fail_the_cold_start(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="DEFAULT_GROUPS names 4 groups; at most 3 fit"):
        load_function(monkeypatch, "post_confirmation", env(DEFAULT_GROUPS="a,b,c,d"))


def test_a_cold_start_leaves_the_init_its_allowance_before_a_call(pool: Pool, lambda_context: Any) -> None:
    # Given enough of Lambda's time for a call, but not once the init Cognito also counted is deducted
    lambda_context.remaining_ms = pool.app.CALL_BUDGET_MS + pool.app.COLD_START_ALLOWANCE_MS - 1
    # When the first (cold) invocation runs, Then it fails fast before any call
    with pytest.raises(pool.app.OutOfTimeError):
        pool.app.lambda_handler(pool.event(), lambda_context)
    assert pool.record("carol") is None
    # And a warm invocation with the same time left goes ahead
    pool.app.lambda_handler(pool.event(), lambda_context)
    assert pool.groups_of("carol") == ["analysts", "users"]


def test_the_record_is_written_before_the_groups_and_then_gets_them(pool: Pool) -> None:
    calls: list[str] = []
    for client in (pool.cognito, pool.dynamodb):
        client.meta.events.register("before-call.*.*", lambda model, **_: calls.append(model.name))
    confirm_sign_up(
        pool.cognito,
        pool.dynamodb,
        table_name=TABLE,
        user_pool_id=pool.pool_id,
        username="carol",
        attributes={"email": "carol@example.com"},
        default_groups=("users", "analysts"),
    )
    assert calls == ["UpdateItem", "AdminAddUserToGroup", "AdminAddUserToGroup", "UpdateItem"]
    record = pool.record("carol")
    assert record is not None
    assert sorted(record["groups"]["SS"]) == ["analysts", "users"]


def test_a_throttled_group_is_reported_the_other_steps_still_run_and_the_record_survives(pool: Pool) -> None:
    # Given Cognito throttles adding the user to the first of two groups
    cognito = boto3.client("cognito-idp", region_name=REGION)
    with Stubber(cognito) as stub:
        stub.add_client_error("admin_add_user_to_group", service_error_code="TooManyRequestsException")
        stub.add_response("admin_add_user_to_group", {})
        # When the confirmation runs
        result = confirm_sign_up(
            cognito,
            pool.dynamodb,
            table_name=TABLE,
            user_pool_id=pool.pool_id,
            username="carol",
            attributes={"email": "carol@example.com"},
            default_groups=("users", "analysts"),
        )
    # Then the failed step is reported with its error, the second group was still joined
    assert result.failed == ("group users: TooManyRequestsException",)
    assert result.added_groups == ("analysts",)
    # And the record has the attributes and the group joined
    record = pool.record("carol")
    assert record is not None
    assert record["user_attributes"]["M"]["email"] == {"S": "carol@example.com"}
    assert record["groups"] == {"SS": ["analysts"]}


def test_a_failed_record_write_does_not_stop_the_groups(pool: Pool) -> None:
    # Given the users table is gone
    pool.dynamodb.delete_table(TableName=TABLE)
    # When the confirmation runs
    result = confirm_sign_up(
        pool.cognito,
        pool.dynamodb,
        table_name=TABLE,
        user_pool_id=pool.pool_id,
        username="carol",
        attributes={},
        default_groups=("users",),
    )
    # Then carol is in her group now, and both record writes are reported
    assert pool.groups_of("carol") == ["users"]
    assert result.failed == (
        "user record: ResourceNotFoundException",
        "groups into the user record: ResourceNotFoundException",
    )


def assert_one_alert(caplog: pytest.LogCaptureFixture, alert: str, pool: Pool) -> None:
    """One error log, with the alert the metric filter counts, carol, her pool and the failed record write."""
    errors = [extra for level, _, extra in log_records(caplog) if level == "ERROR"]
    assert len(errors) == 1
    assert errors[0]["alert"] == alert
    assert (errors[0]["username"], errors[0]["user_pool_id"]) == ("carol", pool.pool_id)
    assert errors[0]["failed"][0] == "user record: ResourceNotFoundException"


def test_a_failed_confirmation_is_handed_to_the_provisioning_queue_and_the_event_comes_back(
    pool: Pool, lambda_context: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # Given the users table is gone, so the record cannot be written
    pool.dynamodb.delete_table(TableName=TABLE)
    event = pool.event()
    original = copy.deepcopy(event)
    # When carol confirms, Then the event comes back (her confirmation succeeds)
    before_us = time.time_ns() // 1000
    assert pool.app.lambda_handler(event, lambda_context) == original
    after_us = time.time_ns() // 1000
    # And the provisioning queue has her upsert with the default groups, marked as the trigger's and ordered
    # as of her confirmation (an administrator's later delete of her is not undone by it)
    (queued,) = pool.queued()
    issued_at = queued["body"].pop("issued_at")
    assert before_us <= issued_at <= after_us
    assert queued["body"] == {
        "action": "upsert",
        "username": "carol",
        "groups": ["users", "analysts"],
        "invitation": "SUPPRESS",
    }
    assert queued["attributes"]["sender"]["StringValue"] == "post_confirmation"
    # And one error log carries the queued alert the metric filter counts, the user, the pool, what failed
    assert_one_alert(caplog, "post_confirmation_queued", pool)


def test_a_confirmation_that_cannot_be_handed_over_either_is_alerted_and_re_raised(
    pool: Pool, lambda_context: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # Given the users table and the provisioning queue are both gone
    pool.dynamodb.delete_table(TableName=TABLE)
    pool.sqs.delete_queue(QueueUrl=pool.queue_url)
    # When carol confirms, Then the queue's error reaches Cognito
    with pytest.raises(ClientError, match="NonExistentQueue"):
        pool.app.lambda_handler(pool.event(), lambda_context)
    # And one error log carries the incomplete alert, naming the user and what failed
    assert_one_alert(caplog, "post_confirmation_incomplete", pool)


def test_too_little_time_for_the_direct_path_hands_the_confirmation_over(
    pool: Pool, lambda_context: Any
) -> None:
    # Given time for one call but not for a call and then the hand-over
    lambda_context.remaining_ms = pool.app.DIRECT_BUDGET_MS - 1
    # When carol confirms (warm), Then no direct call is made and her confirmation is queued
    pool.app.lambda_handler(pool.event("confirm_forgot_password.json"), lambda_context)  # the cold one
    pool.app.lambda_handler(pool.event(), lambda_context)
    assert pool.record("carol") is None
    assert [q["body"]["username"] for q in pool.queued()] == ["carol"]


def test_a_missing_users_table_setting_fails_the_cold_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("USERS_TABLE", raising=False)
    with pytest.raises(ConfigError, match="USERS_TABLE is required"):
        load_function(
            monkeypatch, "post_confirmation", {"DEFAULT_GROUPS": "users", "PROVISIONING_QUEUE_URL": QUEUE_URL}
        )
