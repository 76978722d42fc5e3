"""Post confirmation end to end on the local stack with template.yaml: when DynamoDB and Cognito each fail
once during the trigger, the confirmation still succeeds and the work reaches the user through the
provisioning queue (nothing is lost)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from cognito_automation import aws
from cognito_automation.users import get_user_record
from local.stack import LocalCloud
from local.testing.signup import sign_up
from tests.conftest import ROOT
from tests.local.conftest import unique_name

pytestmark = pytest.mark.local

PASSWORD = "Correct-Horse-9-battery"


@pytest.fixture(scope="module")
def outputs(local_stack: LocalCloud) -> dict[str, str]:
    return local_stack.deploy(ROOT / "template.yaml", {"AllowSelfSignUp": "true"}, unique_name("postconf"))


class _FailOnce:
    """Every botocore client of this process answers the first call of each (operation, key) an error."""

    def __init__(self, failures: dict[tuple[str, str], str]) -> None:
        self._pending = dict(failures)  # (operation, value of a parameter) -> error code
        self._lock = threading.Lock()
        self.failed: list[str] = []

    def should_fail(self, operation: str, params: dict[str, Any]) -> str | None:
        with self._lock:
            for (name, value), code in list(self._pending.items()):
                if name == operation and value in params.values():
                    del self._pending[(name, value)]
                    self.failed.append(operation)
                    return code
        return None


@pytest.fixture
def fail_once(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    # the one place every client's call passes (the functions' cached clients included)
    original = BaseClient._make_api_call  # type: ignore[attr-defined]  # botocore leaves it untyped
    installed: list[_FailOnce] = []

    def make_api_call(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        for failures in installed:
            code = failures.should_fail(operation, params)
            if code is not None:
                raise ClientError({"Error": {"Code": code, "Message": "injected once"}}, operation)
        return original(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", make_api_call)

    def install(failures: dict[tuple[str, str], str]) -> _FailOnce:
        installed.append(_FailOnce(failures))
        return installed[-1]

    yield install


def test_a_confirmation_whose_dynamodb_and_cognito_calls_fail_once_is_finished_through_the_queue(
    local_stack: LocalCloud, outputs: dict[str, str], fail_once: Any
) -> None:
    cognito = local_stack.client(aws.COGNITO_IDP)
    pool_id, client_id = outputs["UserPoolId"], outputs["AppClientId"]
    sign_up(cognito, client_id, "hana", PASSWORD, email="hana@example.com", name="Hana")
    # Given the users table and Cognito's AdminAddUserToGroup each fail once, during the trigger
    failures = fail_once(
        {
            ("UpdateItem", outputs["UsersTableName"]): "InternalServerError",
            ("AdminAddUserToGroup", "hana"): "InternalErrorException",
        }
    )
    # When hana is confirmed
    cognito.admin_confirm_sign_up(UserPoolId=pool_id, Username="hana")
    # Then the confirmation succeeded, and once the provisioning queue is delivered she is in the default
    # group and has her user record
    assert sorted(failures.failed) == ["AdminAddUserToGroup", "UpdateItem"]
    local_stack.drain(outputs["ProvisioningQueueUrl"])
    groups = cognito.admin_list_groups_for_user(UserPoolId=pool_id, Username="hana")["Groups"]
    assert [group["GroupName"] for group in groups] == ["users"]
    record = get_user_record(local_stack.client(aws.DYNAMODB), outputs["UsersTableName"], pool_id, "hana")
    assert record is not None
    assert record["groups"] == {"SS": ["users"]}
    assert record["user_attributes"]["M"]["email"] == {"S": "hana@example.com"}
    dead = local_stack.client(aws.SQS).receive_message(
        QueueUrl=outputs["ProvisioningDeadLetterQueueUrl"], VisibilityTimeout=0
    )
    assert dead.get("Messages", []) == []
