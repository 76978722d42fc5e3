"""The Cognito triggers when AWS fails, end to end on the local stack with template.yaml: a post confirmation
whose DynamoDB and Cognito calls each fail once still succeeds and the work reaches the user through the
provisioning queue (nothing is lost); a pre token trigger with nothing cached whose registrations read fails
still issues the main app client's tokens, and retries the read for a client with registered rules."""

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
from local.testing.tokens import verified_claims
from tests.conftest import ROOT
from tests.local.conftest import FIXTURES, create_analyst, unique_name

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


# --- Pre token: a registrations table that fails with nothing cached ----------------------------------


def test_the_main_app_client_signs_in_though_the_registrations_read_fails_with_nothing_cached(
    local_stack: LocalCloud, fail_once: Any
) -> None:
    # Given a fresh stack (nothing cached in its pre token function) whose registrations Query fails once
    outputs = local_stack.deploy(ROOT / "template.yaml", {}, unique_name("pretoken-main"))
    pool_id, client_id = outputs["UserPoolId"], outputs["AppClientId"]
    user = create_analyst(local_stack, pool_id, "maya", PASSWORD)
    failures = fail_once({("Query", outputs["ClaimRulesTableName"]): "InternalServerError"})
    # When a user signs in through the main app client
    tokens = local_stack.client(aws.COGNITO_IDP).initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": user, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    # Then her tokens carry the bundled rules' claims, and the table was never read for that client
    id_claims = verified_claims(
        local_stack.endpoint_url, local_stack.region, pool_id, tokens["IdToken"], audience=client_id
    )
    assert id_claims["groups"] == ["analysts"]
    assert failures.failed == []


def test_a_failed_registrations_read_with_nothing_cached_is_retried_for_a_registered_client(
    local_stack: LocalCloud, fail_once: Any
) -> None:
    # Given a fresh stack, another stack's client with registered rules, and a Query that fails once
    main_name = unique_name("pretoken-retry")
    outputs = local_stack.deploy(ROOT / "template.yaml", {}, main_name)
    app = local_stack.deploy(
        FIXTURES / "claim-rules-app.yaml", {"AutomationStackName": main_name}, unique_name("orders-api")
    )
    pool_id = outputs["UserPoolId"]
    user = create_analyst(local_stack, pool_id, "noor", PASSWORD)
    failures = fail_once({("Query", outputs["ClaimRulesTableName"]): "InternalServerError"})
    # When the user signs in through that client
    tokens = local_stack.client(aws.COGNITO_IDP).admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=app["ApiClientId"],
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": user, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    # Then the read was retried within the trigger and the token carries the registered claims
    assert failures.failed == ["Query"]
    id_claims = verified_claims(
        local_stack.endpoint_url, local_stack.region, pool_id, tokens["IdToken"], audience=app["ApiClientId"]
    )
    assert id_claims["api_roles"] == ["orders-reader"]
