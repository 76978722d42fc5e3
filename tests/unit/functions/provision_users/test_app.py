"""The provision_users handler end to end on moto: convergence, idempotency, allowlists, dead-lettering."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from botocore.exceptions import ReadTimeoutError

from cognito_automation import aws
from cognito_automation.config import ConfigError
from cognito_automation.provisioning.passwords import PasswordKey
from cognito_automation.users import get_user_record
from tests.conftest import load_event, load_peer_event, peer_events
from tests.handlers import load_function
from tests.unit.cognito_automation.provisioning.support import (
    CaseInsensitivePool,
    RecordingClient,
    Stack,
    build_stack,
    client_error,
    drain,
    handler_env,
    run_sqs_loop,
    send_bodies,
    signs_in_with,
    user_attributes,
    user_state,
)
from tools.producer import main as producer_main


def _import_app(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> ModuleType:
    aws.reset()
    return load_function(monkeypatch, "provision_users", env)


@pytest.fixture
def stack(aws: None) -> Stack:
    return build_stack()


@pytest.fixture
def app(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    module = _import_app(monkeypatch, handler_env(stack))
    yield module
    module.POOL.shutdown(wait=False)
    aws.reset()


def _record(body: dict[str, Any] | str, message_id: str = "m-1", receive_count: int = 1) -> dict[str, Any]:
    event = load_event("provision_users/upsert.json")
    record = dict(event["Records"][0])
    record["messageId"] = message_id
    record["body"] = body if isinstance(body, str) else json.dumps(body)
    record["attributes"] = {**record["attributes"], "ApproximateReceiveCount": str(receive_count)}
    return record


def _invoke(app: ModuleType, lambda_context: Any, *records: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = app.lambda_handler({"Records": list(records)}, lambda_context)
    return result


def _upsert(username: str, **fields: Any) -> dict[str, Any]:
    return {"action": "upsert", "username": username, "attributes": user_attributes(username), **fields}


def _recording(app: ModuleType, **faults: Any) -> RecordingClient:
    worker = app.consumer()
    recorder = RecordingClient(worker.provisioner.cognito, **faults)
    worker.provisioner.cognito = recorder
    return recorder


def test_upsert_event_creates_users_with_attributes_groups_and_records(
    app: ModuleType, stack: Stack, lambda_context: Any
) -> None:
    # Given the sample upsert event, When it is handled
    result = app.lambda_handler(load_event("provision_users/upsert.json"), lambda_context)
    # Then every message is done, and alice is as the message says
    assert result == {"batchItemFailures": []}
    alice = user_state(stack.cognito, stack.pool_id, "alice")
    assert alice.exists and alice.enabled
    assert alice.attributes["email"] == "alice@example.com"
    assert alice.groups == {"analysts"}
    assert user_state(stack.cognito, stack.pool_id, "bob").groups == {"users"}
    record = get_user_record(stack.dynamodb, stack.table, stack.pool_id, "alice")
    assert record is not None
    assert record["last_source"] == {"S": "provisioning"}
    assert record["groups"] == {"SS": ["analysts"]}
    assert record["user_attributes"]["M"]["email"] == {"S": "alice@example.com"}


def test_replayed_upsert_makes_no_cognito_write_and_sends_no_second_invitation(
    app: ModuleType, stack: Stack, lambda_context: Any
) -> None:
    # Given a user created with an email invitation
    message = _upsert("carol", groups=["users"], invitation="EMAIL")
    recorder = _recording(app)
    _invoke(app, lambda_context, _record(message, "first"))
    writes_after_first = len(recorder.writes())
    # When the same message is delivered again
    result = _invoke(app, lambda_context, _record(message, "again"))
    # Then
    assert result == {"batchItemFailures": []}
    assert len(recorder.writes()) == writes_after_first
    invitations = [c for c in recorder.succeeded("AdminCreateUser") if "MessageAction" not in c.params]
    assert len(invitations) == 1


def test_upsert_of_existing_user_updates_only_changed_attributes_and_memberships(
    app: ModuleType, stack: Stack, lambda_context: Any
) -> None:
    # Given an existing user in "users"
    _invoke(app, lambda_context, _record(_upsert("dan", groups=["users"])))
    recorder = _recording(app)
    # When the name changes and the user moves from users to analysts
    attributes = user_attributes("dan", name="Daniel")
    message = _upsert("dan", groups=["analysts"], remove_groups=["users"]) | {"attributes": attributes}
    _invoke(app, lambda_context, _record(message))
    # Then
    updates = recorder.succeeded("AdminUpdateUserAttributes")
    assert [c.params["UserAttributes"] for c in updates] == [[{"Name": "name", "Value": "Daniel"}]]
    assert recorder.succeeded("AdminCreateUser") == []
    state = user_state(stack.cognito, stack.pool_id, "dan")
    assert state.attributes["name"] == "Daniel"
    assert state.groups == {"analysts"}
    record = get_user_record(stack.dynamodb, stack.table, stack.pool_id, "dan")
    assert record is not None
    assert record["groups"] == {"SS": ["analysts"]}


def test_disable_enable_and_delete_events_converge_user_and_record(
    app: ModuleType, stack: Stack, lambda_context: Any
) -> None:
    # Given alice exists
    app.lambda_handler(load_event("provision_users/upsert.json"), lambda_context)
    # When disabled
    app.lambda_handler(load_event("provision_users/disable.json"), lambda_context)
    # Then
    assert user_state(stack.cognito, stack.pool_id, "alice").enabled is False
    record = get_user_record(stack.dynamodb, stack.table, stack.pool_id, "alice")
    assert record is not None and record["enabled"] == {"BOOL": False}
    # When enabled again
    app.lambda_handler(load_event("provision_users/enable.json"), lambda_context)
    assert user_state(stack.cognito, stack.pool_id, "alice").enabled is True
    # When deleted, twice (a replay)
    for _ in range(2):
        assert app.lambda_handler(load_event("provision_users/delete.json"), lambda_context) == {
            "batchItemFailures": []
        }
    # Then
    assert user_state(stack.cognito, stack.pool_id, "alice").exists is False
    assert get_user_record(stack.dynamodb, stack.table, stack.pool_id, "alice") is None


def test_invalid_event_dead_letters_every_message_with_its_reason(
    app: ModuleType, stack: Stack, lambda_context: Any
) -> None:
    # Given invalid JSON, a forbidden group, an unknown action, fields on a disable and a clear password
    event = load_event("provision_users/invalid.json")
    # When
    result = app.lambda_handler(event, lambda_context)
    # Then none is retried, all are in the dead-letter queue, with reasons
    assert result == {"batchItemFailures": []}
    dead = drain(stack.sqs, stack.dlq_url)
    reasons = {
        m["MessageAttributes"]["source_message_id"]["StringValue"]: m["MessageAttributes"]["failure_reason"][
            "StringValue"
        ]
        for m in dead
    }
    ids = [r["messageId"] for r in event["Records"]]
    assert set(reasons) == set(ids)
    assert reasons[ids[0]].startswith("invalid JSON")
    assert "forbidden group(s) ['admins']" in reasons[ids[1]]
    assert "data.action must be one of" in reasons[ids[2]]
    assert "only allowed with action upsert" in reasons[ids[3]]
    assert reasons[ids[4]].startswith("temporary_password in clear is refused")
    assert all(m["MessageAttributes"]["failure_kind"]["StringValue"] == "permanent" for m in dead)
    # the bodies are kept as they came, but for the clear password, redacted
    bodies = {m["MessageAttributes"]["source_message_id"]["StringValue"]: m["Body"] for m in dead}
    assert [bodies[i] for i in ids[:4]] == [r["body"] for r in event["Records"][:4]]
    assert json.loads(bodies[ids[4]]) == json.loads(event["Records"][4]["body"]) | {
        "temporary_password": "***"
    }


def test_forbidden_group_is_never_joined_nor_created(
    app: ModuleType, stack: Stack, lambda_context: Any
) -> None:
    # Given a message that asks for the admins group and a group that does not exist
    recorder = _recording(app)
    _invoke(app, lambda_context, _record(_upsert("mallory", groups=["admins"]), "a"))
    _invoke(app, lambda_context, _record(_upsert("mallory", groups=["root"]), "b"))
    # Then Cognito was not even asked
    assert recorder.calls == []
    assert user_state(stack.cognito, stack.pool_id, "mallory").exists is False


def _admin(stack: Stack, username: str, *, enabled: bool = True) -> None:
    stack.cognito.admin_create_user(
        UserPoolId=stack.pool_id,
        Username=username,
        UserAttributes=[{"Name": "email", "Value": f"{username}@corp.example"}],
        MessageAction="SUPPRESS",
    )
    stack.cognito.admin_add_user_to_group(UserPoolId=stack.pool_id, Username=username, GroupName="admins")
    if not enabled:
        stack.cognito.admin_disable_user(UserPoolId=stack.pool_id, Username=username)


@pytest.mark.parametrize(
    ("message", "enabled"),
    [
        (
            _upsert("root", groups=["users"])
            | {"attributes": {"email": "attacker@evil.example", "email_verified": "true"}},
            True,
        ),
        ({"action": "disable", "username": "root"}, True),
        ({"action": "enable", "username": "root"}, False),
        ({"action": "delete", "username": "root"}, True),
    ],
    ids=["upsert", "disable", "enable", "delete"],
)
def test_user_in_a_group_provisioning_does_not_manage_is_never_touched(
    app: ModuleType, stack: Stack, lambda_context: Any, message: dict[str, Any], enabled: bool
) -> None:
    # Given an administrator (a member of "admins", which is not on the allowlist)
    _admin(stack, "root", enabled=enabled)
    before = user_state(stack.cognito, stack.pool_id, "root")
    recorder = _recording(app)
    # When a message names that user
    result = _invoke(app, lambda_context, _record(message))
    # Then it is dead-lettered as permanent with the reason, and nothing was written
    assert result == {"batchItemFailures": []}
    (dead,) = drain(stack.sqs, stack.dlq_url)
    attributes = dead["MessageAttributes"]
    assert attributes["failure_kind"]["StringValue"] == "permanent"
    assert (
        attributes["failure_reason"]["StringValue"]
        == "user root is in group admins, which provisioning does not manage"
    )
    assert recorder.writes() == []
    assert user_state(stack.cognito, stack.pool_id, "root") == before
    assert get_user_record(stack.dynamodb, stack.table, stack.pool_id, "root") is None


def test_allowlisted_group_that_does_not_exist_is_dead_lettered_when_creation_is_off(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, lambda_context: Any
) -> None:
    # Given "auditors" is allowlisted but absent, and creating groups is off
    app = _import_app(monkeypatch, handler_env(stack, ALLOWED_GROUPS="users,auditors"))
    # When
    result = _invoke(app, lambda_context, _record(_upsert("erin", groups=["auditors"])))
    # Then
    assert result == {"batchItemFailures": []}
    (dead,) = drain(stack.sqs, stack.dlq_url)
    assert "'auditors' does not exist" in dead["MessageAttributes"]["failure_reason"]["StringValue"]
    groups = stack.cognito.list_groups(UserPoolId=stack.pool_id)["Groups"]
    assert "auditors" not in {g["GroupName"] for g in groups}
    # and no half-provisioned user is left behind
    assert user_state(stack.cognito, stack.pool_id, "erin").exists is False


def test_allowlisted_missing_group_is_created_when_configured(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, lambda_context: Any
) -> None:
    # Given creating missing groups is on
    env = handler_env(stack, ALLOWED_GROUPS="users,auditors", CREATE_MISSING_GROUPS="true")
    app = _import_app(monkeypatch, env)
    # When
    result = _invoke(app, lambda_context, _record(_upsert("erin", groups=["auditors"])))
    # Then
    assert result == {"batchItemFailures": []}
    assert user_state(stack.cognito, stack.pool_id, "erin").groups == {"auditors"}


def test_forbidden_attribute_is_dead_lettered(app: ModuleType, stack: Stack, lambda_context: Any) -> None:
    message = _upsert("frank")
    message["attributes"]["custom:role"] = "admin"
    _invoke(app, lambda_context, _record(message))
    (dead,) = drain(stack.sqs, stack.dlq_url)
    assert (
        "forbidden attribute(s) ['custom:role']" in dead["MessageAttributes"]["failure_reason"]["StringValue"]
    )


class _FailingTable:
    """A DynamoDB client whose writes fail with an error the consumer does not classify."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def update_item(self, **params: Any) -> Any:
        raise client_error("UpdateItem", "ProvisionedThroughputExceededException", "slow down", 400)


def _cognito_throttles(app: ModuleType, stack: Stack) -> None:
    """Cognito throttles every call (a transient failure)."""
    _recording(app, always_fail=lambda operation: True)
    app.consumer().provisioner.pacer.max_attempts = 2


def _table_fails(app: ModuleType, stack: Stack) -> None:
    """The users table fails with an error that is neither permanent nor known to be transient."""
    app.consumer().provisioner.dynamodb = _FailingTable(stack.dynamodb)


FAULT_IDS = ["cognito-throttles", "unexpected-table-error"]


@pytest.mark.parametrize("fault", [_cognito_throttles, _table_fails], ids=FAULT_IDS)
def test_failure_before_the_last_allowed_receive_is_retried_by_sqs(
    app: ModuleType, stack: Stack, lambda_context: Any, fault: Any
) -> None:
    # Given the fault
    fault(app, stack)
    # When
    result = _invoke(app, lambda_context, _record(_upsert("gina"), "m1"))
    # Then SQS retries it, it is not dead-lettered yet
    assert result == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
    assert drain(stack.sqs, stack.dlq_url) == []


@pytest.mark.parametrize(
    ("fault", "reason_start", "named"),
    [
        (_cognito_throttles, "gave up after 3 receives: ", "TooManyRequestsException"),
        (_table_fails, "gave up after 3 receives: ClientError:", "ProvisionedThroughputExceededException"),
    ],
    ids=FAULT_IDS,
)
def test_failure_on_the_last_allowed_receive_is_dead_lettered_with_reason(  # noqa: PLR0917 - fixtures and parameters
    stack: Stack,
    monkeypatch: pytest.MonkeyPatch,
    lambda_context: Any,
    fault: Any,
    reason_start: str,
    named: str,
) -> None:
    # Given the redrive limit is known to the function and the fault keeps happening
    app = _import_app(monkeypatch, handler_env(stack, MAX_RECEIVE_COUNT="3"))
    fault(app, stack)
    message = _upsert("olga") | {"temporary_password_ciphertext": stack.sealed("olga", "Secret-Temp-1!")}
    # When the message arrives for the third time
    result = _invoke(app, lambda_context, _record(message, "m3", receive_count=3))
    # Then it is dead-lettered by the function, with the reason (and never the password)
    assert result == {"batchItemFailures": []}
    (dead,) = drain(stack.sqs, stack.dlq_url)
    assert json.loads(dead["Body"]) == message  # the ciphertext unchanged: a redrive still works
    attributes = dead["MessageAttributes"]
    assert attributes["failure_kind"]["StringValue"] == "transient"
    reason = attributes["failure_reason"]["StringValue"]
    assert reason.startswith(reason_start)
    assert named in reason
    assert "Secret-Temp-1!" not in reason


def test_resend_invitation_is_sent_once_per_distinct_message(
    app: ModuleType, stack: Stack, lambda_context: Any
) -> None:
    # Given a user created without an invitation, who has not signed in yet
    _invoke(app, lambda_context, _record(_upsert("ivy")))
    recorder = _recording(app)
    # When a RESEND message arrives twice
    for message_id in ("r1", "r2"):
        _invoke(app, lambda_context, _record(_upsert("ivy", invitation="RESEND"), message_id))
    # Then one invitation was resent
    resends = [c for c in recorder.succeeded("AdminCreateUser") if c.params.get("MessageAction") == "RESEND"]
    assert len(resends) == 1


def test_resend_message_that_created_the_user_does_not_resend_on_replay(
    app: ModuleType, stack: Stack, lambda_context: Any
) -> None:
    # Given a RESEND message that creates the user (the invitation goes out with the creation)
    recorder = _recording(app)
    message = _upsert("jane", invitation="RESEND")
    # When it is delivered twice
    for message_id in ("r1", "r2"):
        assert _invoke(app, lambda_context, _record(message, message_id)) == {"batchItemFailures": []}
    # Then one invitation in all
    creates = recorder.succeeded("AdminCreateUser")
    assert [c.params.get("MessageAction") for c in creates] == [None]
    assert creates[0].params["DesiredDeliveryMediums"] == ["EMAIL"]


class _LosesAnswer:
    """Passes calls through; the first `times` AdminCreateUser calls that match happen, but their answer
    is lost (a read timeout)."""

    def __init__(self, client: Any, resend: bool, times: int = 1) -> None:
        self._client = client
        self._resend = resend
        self._times = times

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def admin_create_user(self, **params: Any) -> Any:
        response = self._client.admin_create_user(**params)
        if self._times and (params.get("MessageAction") == "RESEND") == self._resend:
            self._times -= 1
            raise ReadTimeoutError(endpoint_url="https://cognito-idp.us-east-1.amazonaws.com/")
        return response


def _resends(recorder: RecordingClient) -> list[Any]:
    return [c for c in recorder.succeeded("AdminCreateUser") if c.params.get("MessageAction") == "RESEND"]


def test_resend_whose_answer_is_lost_is_neither_retried_nor_resent_on_redelivery(
    app: ModuleType, stack: Stack, lambda_context: Any
) -> None:
    # Given a user who has not signed in yet, and a resend that happens but whose answer is lost
    _invoke(app, lambda_context, _record(_upsert("kim")))
    recorder = _recording(app)
    provisioner = app.consumer().provisioner
    provisioner.cognito = _LosesAnswer(provisioner.cognito, resend=True)
    message = _upsert("kim", invitation="RESEND")
    # When the message is delivered, fails, and is delivered again
    first = _invoke(app, lambda_context, _record(message, "r1"))
    second = _invoke(app, lambda_context, _record(message, "r1", receive_count=2))
    # Then one invitation went out in all, and the message finished on the redelivery
    assert first == {"batchItemFailures": [{"itemIdentifier": "r1"}]}
    assert second == {"batchItemFailures": []}
    assert len(_resends(recorder)) == 1


def test_resend_message_whose_creation_answer_is_lost_sends_one_invitation(
    app: ModuleType, stack: Stack, lambda_context: Any
) -> None:
    # Given a RESEND message that creates the user, and the creation's answer is lost once
    recorder = _recording(app)
    provisioner = app.consumer().provisioner
    provisioner.cognito = _LosesAnswer(provisioner.cognito, resend=False)
    # When it is delivered
    result = _invoke(app, lambda_context, _record(_upsert("lee", invitation="RESEND"), "c1"))
    # Then the creation's invitation is the only one
    assert result == {"batchItemFailures": []}
    assert _resends(recorder) == []
    assert user_state(stack.cognito, stack.pool_id, "lee").exists


def test_resend_refused_before_it_happened_is_sent_on_the_retry(
    app: ModuleType, stack: Stack, lambda_context: Any
) -> None:
    # Given a user who has not signed in yet, and Cognito throttling every resend of the first delivery
    _invoke(app, lambda_context, _record(_upsert("max")))
    recorder = _recording(app, always_fail=lambda operation: operation == "AdminCreateUser")
    app.consumer().provisioner.pacer.max_attempts = 2
    message = _upsert("max", invitation="RESEND")
    assert _invoke(app, lambda_context, _record(message, "t1")) == {
        "batchItemFailures": [{"itemIdentifier": "t1"}]
    }
    # When it is delivered again and Cognito answers
    recorder.always_fail = None
    result = _invoke(app, lambda_context, _record(message, "t1", receive_count=2))
    # Then the invitation is resent (the claim was given back)
    assert result == {"batchItemFailures": []}
    assert len(_resends(recorder)) == 1


def _existing(stack: Stack, username: str, attributes: dict[str, str]) -> None:
    stack.cognito.admin_create_user(
        UserPoolId=stack.pool_id,
        Username=username,
        UserAttributes=[{"Name": k, "Value": v} for k, v in attributes.items()],
        MessageAction="SUPPRESS",
    )


def _existing_pat(app: ModuleType, stack: Stack) -> None:
    """The user Pat exists, in a pool that finds it under any spelling, as Cognito's pools do."""
    _existing(stack, "Pat", user_attributes("pat"))
    provisioner = app.consumer().provisioner
    provisioner.cognito = CaseInsensitivePool(provisioner.cognito, stack.pool_id)


def test_record_and_claim_are_keyed_by_the_spelling_cognito_keeps(
    app: ModuleType, stack: Stack, lambda_context: Any
) -> None:
    # Given "Pat" exists, and the messages spell the name "pat"
    _existing_pat(app, stack)
    # When an upsert that resends the invitation arrives
    result = _invoke(app, lambda_context, _record(_upsert("pat", groups=["users"], invitation="RESEND")))
    # Then the record (with the claim) is Pat's, as post confirmation would write it, and no "pat" item
    assert result == {"batchItemFailures": []}
    record = get_user_record(stack.dynamodb, stack.table, stack.pool_id, "Pat")
    assert record is not None
    assert "invitation_request_id" in record
    assert get_user_record(stack.dynamodb, stack.table, stack.pool_id, "pat") is None


def test_delete_removes_the_record_under_the_spelling_cognito_keeps(
    app: ModuleType, stack: Stack, lambda_context: Any
) -> None:
    # Given "Pat" exists with a record
    _existing_pat(app, stack)
    _invoke(app, lambda_context, _record(_upsert("Pat"), "u"))
    assert get_user_record(stack.dynamodb, stack.table, stack.pool_id, "Pat") is not None
    # When a delete spells it "PAT"
    result = _invoke(app, lambda_context, _record({"action": "delete", "username": "PAT"}, "d"))
    # Then
    assert result == {"batchItemFailures": []}
    assert get_user_record(stack.dynamodb, stack.table, stack.pool_id, "Pat") is None
    assert user_state(stack.cognito, stack.pool_id, "Pat").exists is False


def test_resend_to_an_existing_user_uses_the_users_own_channel(
    app: ModuleType, stack: Stack, lambda_context: Any
) -> None:
    # Given a user with an email address, and a RESEND message that names no email
    _existing(stack, "quinn", user_attributes("quinn"))
    recorder = _recording(app)
    message = {
        "action": "upsert",
        "username": "quinn",
        "attributes": {"name": "Quinn"},
        "invitation": "RESEND",
    }
    # When
    assert _invoke(app, lambda_context, _record(message)) == {"batchItemFailures": []}
    # Then the invitation goes to the user's email
    (resend,) = _resends(recorder)
    assert resend.params["DesiredDeliveryMediums"] == ["EMAIL"]


@pytest.mark.parametrize("name", peer_events("sqs"))
def test_peer_sqs_events_are_dead_lettered_not_crashing(
    app: ModuleType, stack: Stack, lambda_context: Any, name: str
) -> None:
    # Given SQS events written outside the project (bodies that are not provisioning messages)
    event = load_peer_event(name)
    # When
    result = app.lambda_handler(event, lambda_context)
    # Then each is handled: dead-lettered with a reason, never retried
    assert result == {"batchItemFailures": []}
    dead = drain(stack.sqs, stack.dlq_url)
    assert len(dead) == len(event["Records"])
    assert all(m["MessageAttributes"]["failure_reason"]["StringValue"] for m in dead)


@pytest.mark.parametrize("missing", ["USER_POOL_ID", "USERS_TABLE", "DEAD_LETTER_QUEUE_URL"])
def test_missing_setting_fails_the_cold_start_naming_it(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, missing: str
) -> None:
    env = handler_env(stack)
    del env[missing]
    monkeypatch.delenv(missing, raising=False)
    with pytest.raises(ConfigError, match=missing):
        _import_app(monkeypatch, env)


def test_cognito_client_has_botocore_retries_off_so_pacing_owns_every_attempt(app: ModuleType) -> None:
    client = app.consumer().provisioner.cognito
    assert client.meta.config.retries["total_max_attempts"] == 1
    assert client.meta.config.read_timeout == 5.0


def test_table_and_queue_clients_end_a_call_within_the_safety_margin(app: ModuleType) -> None:
    # Given the clients the consumer writes the record and the dead-letter queue with
    worker = app.consumer()
    cognito = worker.provisioner.cognito.meta.config
    # Then every call ends within its share of the margin: one attempt each, short timeouts
    for client in (worker.provisioner.dynamodb, worker.sqs):
        config = client.meta.config
        assert config.retries["total_max_attempts"] == 1
        assert config.connect_timeout + config.read_timeout <= app.DATA_CALL_S
    assert cognito.connect_timeout + cognito.read_timeout <= app.COGNITO_ATTEMPT_S
    # and the margin covers a Cognito attempt, giving a claim back and a dead-letter send after the last check
    assert app.SAFETY_MARGIN_S > app.COGNITO_ATTEMPT_S + 2 * app.DATA_CALL_S


def test_record_write_past_the_deadline_is_left_to_sqs_and_finished_on_redelivery(
    app: ModuleType, stack: Stack, lambda_context: Any
) -> None:
    # Given the deadline passes once the user is converged in Cognito
    worker = app.consumer()
    worker.provisioner.clock = lambda: float("inf")
    message = _upsert("nina", groups=["users"])
    # When
    first = _invoke(app, lambda_context, _record(message, "d1"))
    # Then the record is not written and SQS retries the message
    assert first == {"batchItemFailures": [{"itemIdentifier": "d1"}]}
    assert get_user_record(stack.dynamodb, stack.table, stack.pool_id, "nina") is None
    # When it is redelivered in time
    worker.provisioner.clock = lambda: 0.0
    recorder = _recording(app)
    second = _invoke(app, lambda_context, _record(message, "d1", receive_count=2))
    # Then it finishes with no Cognito write, and the record is there
    assert second == {"batchItemFailures": []}
    assert recorder.writes() == []
    assert get_user_record(stack.dynamodb, stack.table, stack.pool_id, "nina") is not None


def test_message_refused_after_the_deadline_is_left_to_sqs_not_dead_lettered_late(
    app: ModuleType, stack: Stack, lambda_context: Any
) -> None:
    # Given the deadline has passed when a message turns out to be invalid
    app.consumer().clock = lambda: float("inf")
    # When
    result = _invoke(app, lambda_context, _record("not json", "late"))
    # Then it is a batch item failure (not lost), and nothing was sent after the deadline
    assert result == {"batchItemFailures": [{"itemIdentifier": "late"}]}
    assert drain(stack.sqs, stack.dlq_url) == []


def test_transient_failures_reach_the_dead_letter_queue_only_after_the_redrive_limit(
    aws: None, monkeypatch: pytest.MonkeyPatch, lambda_context: Any
) -> None:
    # Given a queue that allows 3 receives, and Cognito throttling every call
    stack = build_stack(max_receive_count=3)
    app = _import_app(monkeypatch, handler_env(stack))
    _recording(app, always_fail=lambda operation: True)
    app.consumer().provisioner.pacer.max_attempts = 1
    send_bodies(stack.sqs, stack.queue_url, [json.dumps(_upsert("kim"))])
    # When the event source mapping keeps delivering it
    loop = run_sqs_loop(stack.sqs, stack.queue_url, app.lambda_handler, lambda_context)
    # Then it was tried three times, then SQS moved it, untouched, to the dead-letter queue
    assert (loop.invocations, loop.reported_failures) == (3, 3)
    (dead,) = drain(stack.sqs, stack.dlq_url)
    assert json.loads(dead["Body"])["username"] == "kim"


def test_rows_sent_by_the_producer_are_provisioned_and_redrive_finishes_them_once_fixed(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, lambda_context: Any, tmp_path: Any
) -> None:
    # Given "auditors" is allowlisted but does not exist yet, and a file asks for it on one row, which
    # also gives the user's temporary password
    app = _import_app(monkeypatch, handler_env(stack, ALLOWED_GROUPS="users,analysts,auditors"))
    users = tmp_path / "users.jsonl"
    rows = [_upsert("lee", groups=["users"]), _upsert("max", groups=["analysts"])]
    rows.append(_upsert("ned", groups=["auditors"], temporary_password="Ned-Temp-Passw0rd!"))
    users.write_text("\n".join(json.dumps(row) for row in rows))
    # When the producer sends it (encrypting with the stack's key) and the consumer works the queue
    code = producer_main(
        ["send", str(users), "--queue-url", stack.queue_url, "--key-id", stack.key_arn],
        sqs=stack.sqs,
        kms=stack.kms,
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    run_sqs_loop(stack.sqs, stack.queue_url, app.lambda_handler, lambda_context)
    # Then two users are provisioned and the third waits in the dead-letter queue, password encrypted
    assert code == 0
    assert user_state(stack.cognito, stack.pool_id, "lee").groups == {"users"}
    assert user_state(stack.cognito, stack.pool_id, "max").groups == {"analysts"}
    assert user_state(stack.cognito, stack.pool_id, "ned").exists is False
    waiting = stack.sqs.receive_message(QueueUrl=stack.dlq_url, VisibilityTimeout=0)["Messages"]
    assert "Ned-Temp-Passw0rd!" not in json.dumps(waiting)
    assert "temporary_password_ciphertext" in json.loads(waiting[0]["Body"])
    # When the group is created and the dead-letter queue redriven
    stack.cognito.create_group(UserPoolId=stack.pool_id, GroupName="auditors")
    producer_main(
        ["redrive", "--dlq-url", stack.dlq_url, "--queue-url", stack.queue_url],
        sqs=stack.sqs,
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    run_sqs_loop(stack.sqs, stack.queue_url, app.lambda_handler, lambda_context)
    # Then ned is created, with the temporary password the file gave
    assert user_state(stack.cognito, stack.pool_id, "ned").groups == {"auditors"}
    assert drain(stack.sqs, stack.dlq_url) == []
    assert signs_in_with(stack, "ned", "Ned-Temp-Passw0rd!")
    assert not signs_in_with(stack, "ned", "Another-Passw0rd!")


def test_a_temporary_password_is_decrypted_only_for_the_user_it_was_encrypted_for(
    app: ModuleType, stack: Stack, lambda_context: Any
) -> None:
    # Given a ciphertext made for oz, copied into a message for pat (a replay for another user)
    recorder = _recording(app)
    message = _upsert("pat") | {"temporary_password_ciphertext": stack.sealed("oz", "Oz-Temp-Passw0rd!")}
    # When it arrives
    result = _invoke(app, lambda_context, _record(message, "replayed"))
    # Then it is dead-lettered for good, body unchanged, with a reason that names the user; pat is not created
    assert result == {"batchItemFailures": []}
    (dead,) = drain(stack.sqs, stack.dlq_url)
    assert json.loads(dead["Body"]) == message
    reason = dead["MessageAttributes"]["failure_reason"]["StringValue"]
    assert reason.startswith("temporary_password_ciphertext of user 'pat' cannot be decrypted")
    assert recorder.succeeded("AdminCreateUser") == []
    assert user_state(stack.cognito, stack.pool_id, "pat").exists is False


def test_the_password_is_decrypted_only_when_the_user_is_created(
    app: ModuleType, stack: Stack, lambda_context: Any
) -> None:
    # Given quinn exists already
    _invoke(app, lambda_context, _record(_upsert("quinn")))
    kms_calls = RecordingClient(stack.kms)
    app.consumer().provisioner.passwords = PasswordKey(kms_calls, stack.key_arn)
    # When a message with a temporary password arrives for quinn
    message = _upsert("quinn") | {"temporary_password_ciphertext": stack.sealed("quinn", "Quinn-Passw0rd!")}
    result = _invoke(app, lambda_context, _record(message))
    # Then KMS was not asked: the password would not be used
    assert result == {"batchItemFailures": []}
    assert kms_calls.calls == []


def test_a_clear_temporary_password_is_refused_and_never_kept(
    app: ModuleType, stack: Stack, lambda_context: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a hand-made message with a clear password, also copied into a message attribute
    record = _record(_upsert("rex") | {"temporary_password": "Rex-Clear-Passw0rd!"}, "clear")
    record["messageAttributes"] = {
        "note": {"dataType": "String", "stringValue": "pw Rex-Clear-Passw0rd!"},
        "team": {"dataType": "String", "stringValue": "blue"},
    }
    # When it arrives
    result = _invoke(app, lambda_context, record)
    # Then it is dead-lettered with the reason, and the password is nowhere: body, attributes, logs
    assert result == {"batchItemFailures": []}
    (dead,) = drain(stack.sqs, stack.dlq_url)
    assert "Rex-Clear-Passw0rd!" not in json.dumps(dead)
    assert json.loads(dead["Body"])["temporary_password"] == "***"
    assert dead["MessageAttributes"]["team"]["StringValue"] == "blue"
    assert "note" not in dead["MessageAttributes"]
    assert "redacted" in dead["MessageAttributes"]["failure_reason"]["StringValue"]
    assert "Rex-Clear-Passw0rd!" not in capsys.readouterr().out
    assert user_state(stack.cognito, stack.pool_id, "rex").exists is False


class _EchoingCognito:
    """Cognito whose refusal of a creation quotes the temporary password back (no known answer does,
    which is why nothing may rely on it)."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def admin_create_user(self, **params: Any) -> Any:
        raise client_error(
            "AdminCreateUser",
            "InvalidPasswordException",
            f"Password {params['TemporaryPassword']} does not conform to policy",
            400,
        )


def test_a_refusal_that_quotes_the_decrypted_password_is_dead_lettered_without_it(
    app: ModuleType, stack: Stack, lambda_context: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given Cognito quoting the password in its refusal
    worker = app.consumer()
    worker.provisioner.cognito = _EchoingCognito(worker.provisioner.cognito)
    message = _upsert("sam") | {"temporary_password_ciphertext": stack.sealed("sam", "Sam-Echo-Passw0rd!")}
    # When the message arrives
    result = _invoke(app, lambda_context, _record(message))
    # Then the reason keeps Cognito's words but not the password, nor do the logs
    assert result == {"batchItemFailures": []}
    (dead,) = drain(stack.sqs, stack.dlq_url)
    reason = dead["MessageAttributes"]["failure_reason"]["StringValue"]
    expected = "AdminCreateUser rejected the message: InvalidPasswordException: Password *** does not conform"
    assert reason == expected + " to policy"
    assert "Sam-Echo-Passw0rd!" not in json.dumps(dead) + capsys.readouterr().out
