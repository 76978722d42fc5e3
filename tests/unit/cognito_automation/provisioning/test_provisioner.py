"""The provisioner's order (issued_at, the per-user high-water mark and tombstones in the users table) and
its case-insensitive usernames, on moto; a pool that compares usernames as Cognito documents is a fake
(`CaseInsensitivePool`), since moto's pools are case-sensitive."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from cognito_automation.provisioning.consumer import Consumer
from cognito_automation.provisioning.errors import PermanentError, TransientError
from cognito_automation.provisioning.messages import Allowlist, Invitation, ProvisioningMessage
from cognito_automation.provisioning.pacing import Pacer
from cognito_automation.provisioning.provisioner import Provisioner, Target
from cognito_automation.users import ORDER_RETENTION_S, get_order, get_user_record
from tests.unit.cognito_automation.provisioning.support import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_GROUPS,
    CaseInsensitivePool,
    RecordingClient,
    Stack,
    build_stack,
    user_attributes,
    user_state,
)

NOW_S = 1_800_000_000.0
T1, T2 = int(NOW_S * 1e6) - 2_000_000, int(NOW_S * 1e6) - 1_000_000


@pytest.fixture
def stack(aws: None) -> Stack:
    return build_stack()


def _provisioner(stack: Stack, cognito: Any = None, *, case_sensitive: bool = False) -> Provisioner:
    target = Target(
        stack.pool_id,
        stack.table,
        Allowlist(frozenset(ALLOWED_GROUPS), frozenset(ALLOWED_ATTRIBUTES)),
        case_sensitive_usernames=case_sensitive,
    )
    pacer = Pacer(instances=1, sleep=lambda _: None, max_attempts=1)
    return Provisioner(
        cognito or stack.cognito,
        pacer,
        stack.dynamodb,
        target,
        passwords=stack.passwords(),
        wall_clock=lambda: NOW_S,
    )


def _upsert(username: str, issued_at: int | None, invitation: Invitation = "EMAIL") -> ProvisioningMessage:
    return ProvisioningMessage(
        "upsert",
        username,
        attributes=user_attributes(username.lower()),
        groups=("users",),
        invitation=invitation,
        issued_at=issued_at,
    )


def _delete(username: str, issued_at: int | None) -> ProvisioningMessage:
    return ProvisioningMessage("delete", username, issued_at=issued_at)


def test_an_upsert_delivered_again_after_the_delete_changes_nothing(stack: Stack) -> None:
    recorder = RecordingClient(stack.cognito)
    provisioner = _provisioner(stack, recorder)
    assert provisioner.apply(_upsert("uma", T1)).changes == ("created", "+users")
    assert provisioner.apply(_delete("uma", T2)).changes == ("deleted",)
    recorder.calls.clear()
    # When the upsert arrives again
    outcome = provisioner.apply(_upsert("uma", T1))
    # Then it is skipped, naming both orders, and Cognito was not even asked
    assert outcome.stale == f"issued_at {T1} is older than the last message applied for this user ({T2})"
    assert outcome.changes == ()
    assert recorder.calls == []
    assert user_state(stack.cognito, stack.pool_id, "uma").exists is False
    # the delete's tombstone expires once no older message can still be in the queues
    tombstone = get_order(stack.dynamodb, stack.table, stack.pool_id, "uma")
    assert tombstone is not None
    assert tombstone["last_action"] == {"S": "delete"}
    assert tombstone["expires_at"] == {"N": str(int(NOW_S) + ORDER_RETENTION_S)}


def test_a_later_upsert_after_the_delete_brings_the_user_back_and_keeps_the_mark(stack: Stack) -> None:
    provisioner = _provisioner(stack)
    provisioner.apply(_upsert("uma", T1))
    provisioner.apply(_delete("uma", T2))
    # When a newer upsert arrives
    outcome = provisioner.apply(_upsert("uma", T2 + 1))
    # Then it is applied, and the mark is no longer a tombstone (it does not expire)
    assert outcome.changes == ("created", "+users")
    mark = get_order(stack.dynamodb, stack.table, stack.pool_id, "uma")
    assert mark is not None
    assert mark["issued_at"] == {"N": str(T2 + 1)}
    assert "expires_at" not in mark


def test_the_same_message_redelivered_after_a_failure_is_applied(stack: Stack) -> None:
    # Given an upsert whose first attempt claimed the order, then failed on Cognito's throttling
    failing = _provisioner(stack, RecordingClient(stack.cognito, always_fail=lambda operation: True))
    with pytest.raises(TransientError):
        failing.apply(_upsert("uma", T1))
    assert get_order(stack.dynamodb, stack.table, stack.pool_id, "uma") is not None
    # When SQS delivers it again
    outcome = _provisioner(stack).apply(_upsert("uma", T1))
    # Then it converges the user (the same order is not older than itself)
    assert outcome.stale == ""
    assert outcome.changes == ("created", "+users")


def test_a_message_without_issued_at_is_applied_unordered_and_leaves_the_mark(stack: Stack) -> None:
    provisioner = _provisioner(stack)
    provisioner.apply(_upsert("uma", T1))
    provisioner.apply(_delete("uma", T2))
    # When an old producer's upsert (no issued_at) arrives
    outcome = provisioner.apply(_upsert("uma", None))
    # Then it is applied as before this change, counted as unordered, and the tombstone stays as it was
    assert outcome.unordered is True
    assert outcome.changes == ("created", "+users")
    mark = get_order(stack.dynamodb, stack.table, stack.pool_id, "uma")
    assert mark is not None
    assert mark["issued_at"] == {"N": str(T2)}


def test_a_message_from_a_clock_far_ahead_is_refused(stack: Stack) -> None:
    ahead = int((NOW_S + 3600) * 1e6)
    with pytest.raises(PermanentError) as refused:
        _provisioner(stack).apply(_upsert("uma", ahead))
    assert refused.value.reason == (
        f"issued_at {ahead} is 3600 s in the future (more than 300 s): the producer's clock is wrong; "
        "fix it and send the user again"
    )
    assert get_order(stack.dynamodb, stack.table, stack.pool_id, "uma") is None
    assert user_state(stack.cognito, stack.pool_id, "uma").exists is False


def test_a_message_older_than_a_tombstone_is_kept_is_skipped(stack: Stack) -> None:
    # Given an upsert issued before the tombstones' retention, with no mark left for the user
    old = int((NOW_S - ORDER_RETENTION_S - 1) * 1e6)
    outcome = _provisioner(stack).apply(_upsert("uma", old))
    # Then it is skipped: a delete issued after it may have left a tombstone that has since expired
    assert outcome.stale == f"issued_at {old} is more than 30 days old: send the user again"
    assert user_state(stack.cognito, stack.pool_id, "uma").exists is False


def test_in_a_case_insensitive_pool_the_order_is_kept_for_the_name_in_any_case(stack: Stack) -> None:
    provisioner = _provisioner(stack, CaseInsensitivePool(stack.cognito, stack.pool_id))
    provisioner.apply(_upsert("Uma", T1))
    provisioner.apply(_delete("uma", T2))
    # When the upsert arrives again, spelt otherwise
    outcome = provisioner.apply(_upsert("UMA", T1))
    # Then it is stale: one mark, under the name as the pool compares it
    assert outcome.stale
    assert get_order(stack.dynamodb, stack.table, stack.pool_id, "uma") is not None
    assert get_order(stack.dynamodb, stack.table, stack.pool_id, "Uma") is None
    assert stack.cognito.list_users(UserPoolId=stack.pool_id)["Users"] == []


def test_in_a_case_insensitive_pool_a_case_variant_updates_the_existing_user(stack: Stack) -> None:
    provisioner = _provisioner(stack, CaseInsensitivePool(stack.cognito, stack.pool_id))
    provisioner.apply(_upsert("admin2", T1, invitation="SUPPRESS"))
    # When a message spells the name "Admin2", with another email address
    message = ProvisioningMessage(
        "upsert", "Admin2", attributes={"email": "new@example.com"}, invitation="EMAIL", issued_at=T2
    )
    outcome = provisioner.apply(message)
    # Then the one user is updated (no second user, no invitation), and its record keeps Cognito's spelling
    assert outcome.changes == ("attributes:email",)
    assert outcome.invited is False
    users = stack.cognito.list_users(UserPoolId=stack.pool_id)["Users"]
    assert [u["Username"] for u in users] == ["admin2"]
    assert get_user_record(stack.dynamodb, stack.table, stack.pool_id, "admin2") is not None
    assert get_user_record(stack.dynamodb, stack.table, stack.pool_id, "Admin2") is None


def test_in_a_case_insensitive_pool_an_administrators_case_variant_is_refused(stack: Stack) -> None:
    # Given an administrator "root" (in admins, which provisioning does not manage)
    stack.cognito.admin_create_user(UserPoolId=stack.pool_id, Username="root", MessageAction="SUPPRESS")
    stack.cognito.admin_add_user_to_group(UserPoolId=stack.pool_id, Username="root", GroupName="admins")
    provisioner = _provisioner(stack, CaseInsensitivePool(stack.cognito, stack.pool_id))
    # When a message names "Root"
    with pytest.raises(PermanentError) as refused:
        provisioner.apply(_upsert("Root", T1))
    # Then it is refused as the administrator's, and no second user exists
    assert refused.value.reason == "user Root is in group admins, which provisioning does not manage"
    assert [u["Username"] for u in stack.cognito.list_users(UserPoolId=stack.pool_id)["Users"]] == ["root"]


def test_in_a_case_sensitive_pool_each_spelling_has_its_own_order(aws: None) -> None:
    # Given a pool whose usernames are case sensitive (Cognito's default when the setting is absent)
    stack = build_stack(case_sensitive_usernames=True)
    provisioner = _provisioner(stack, case_sensitive=True)
    provisioner.apply(_upsert("Uma", T2))
    # When "uma" (another user there) comes with an older order
    outcome = provisioner.apply(_upsert("uma", T1))
    # Then it is applied
    assert outcome.changes == ("created", "+users")
    assert get_order(stack.dynamodb, stack.table, stack.pool_id, "Uma") is not None


def _record(body: dict[str, Any], message_id: str) -> SQSRecord:
    return SQSRecord(
        {
            "messageId": message_id,
            "body": json.dumps(body),
            "attributes": {"ApproximateReceiveCount": "1"},
            "messageAttributes": {},
        }
    )


def test_the_consumer_counts_and_logs_a_stale_message_and_acknowledges_it(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    consumer = Consumer(_provisioner(stack), stack.sqs, stack.dlq_url)
    upsert = {"action": "upsert", "username": "uma", "groups": ["users"], "issued_at": T1}
    consumer.handle(_record(upsert, "m-1"))
    consumer.handle(_record({"action": "delete", "username": "uma", "issued_at": T2}, "m-2"))
    # When the upsert is delivered again
    with caplog.at_level(logging.INFO, logger="cognito_automation"):
        outcome = consumer.handle(_record(upsert, "m-3"))
    # Then it is acknowledged (no exception, nothing dead-lettered), counted, and logged with the reason
    assert outcome is not None and outcome.stale
    tally = consumer.tally.snapshot()
    assert tally["StaleSkipped"] == 1
    assert tally["UsersUpsert"] == 1
    assert tally["DeadLettered"] == 0
    (logged,) = [r for r in caplog.records if r.getMessage() == "stale message skipped"]
    assert vars(logged)["message_id"] == "m-3"
    assert (
        vars(logged)["reason"]
        == f"issued_at {T1} is older than the last message applied for this user ({T2})"
    )
    # and a message without issued_at is counted as unordered
    consumer.handle(_record({"action": "upsert", "username": "vic"}, "m-4"))
    assert consumer.tally.snapshot()["Unordered"] == 1
