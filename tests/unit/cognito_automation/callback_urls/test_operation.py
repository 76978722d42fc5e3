"""Custom::CognitoCallbackUrls: ownership, idempotency and the lease, on moto's Cognito and DynamoDB."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from cognito_automation.callback_urls import ledger, operation
from cognito_automation.callback_urls.errors import InvalidUrlError, LeaseTimeoutError
from cognito_automation.callback_urls.ledger import Claim
from cognito_automation.callback_urls.operation import plan_list
from cognito_automation.custom_resource.errors import ClientNotFoundError
from tests.unit.cognito_automation.callback_urls.support import create_client, create_ledger_table, urls_of

BEFORE = "http://localhost:3000/callback"
BEFORE_LOGOUT = "http://localhost:3000/"
API = "https://a1b2c3.execute-api.us-east-1.amazonaws.com/Prod/"
OTHER = "https://other.example.com/cb"


class Env:
    def __init__(self) -> None:
        self.cognito = boto3.client("cognito-idp")
        self.dynamodb = boto3.client("dynamodb")
        self.table = create_ledger_table(self.dynamodb)
        self.pool, self.client = create_client(
            self.cognito,
            CallbackURLs=[BEFORE],
            LogoutURLs=[BEFORE_LOGOUT],
            AllowedOAuthFlows=["code"],
            AllowedOAuthScopes=["openid"],
            AllowedOAuthFlowsUserPoolClient=True,
        )
        self.updates = 0

        def count(**_: Any) -> None:
            self.updates += 1

        self.cognito.meta.events.register("before-call.cognito-idp.UpdateUserPoolClient", count)

    def converge(
        self, owner: str, callback: tuple[str, ...] = (), logout: tuple[str, ...] = (), **kw: Any
    ) -> Any:
        return operation.converge(
            self.cognito,
            self.dynamodb,
            self.table,
            self.pool,
            self.client,
            owner=owner,
            desired=Claim(callback, logout),
            deadline=time.monotonic() + 10,
            **kw,
        )

    def urls(self) -> tuple[list[str], list[str]]:
        return urls_of(self.cognito, self.pool, self.client)


@pytest.fixture
def env(aws: None) -> Env:
    return Env()


def test_create_appends_the_urls_after_those_already_there(env: Env) -> None:
    result = env.converge("a", (API,), (API,))
    assert env.urls() == ([BEFORE, API], [BEFORE_LOGOUT, API])
    assert result.added == (API, API)
    assert env.updates == 1


def test_repeated_create_changes_nothing_and_makes_no_update_call(env: Env) -> None:
    env.converge("a", (API,), (API,))
    result = env.converge("a", (API,), (API,))
    assert env.updates == 1
    assert result.client_updated is False
    assert env.urls() == ([BEFORE, API], [BEFORE_LOGOUT, API])


def test_delete_removes_only_what_the_instance_added(env: Env) -> None:
    env.converge("a", (API,), (API,))
    env.converge("a", delete=True)
    assert env.urls() == ([BEFORE], [BEFORE_LOGOUT])


def test_a_url_that_was_on_the_client_before_stays_after_delete(env: Env) -> None:
    # Given the resource lists a URL the client already had
    env.converge("a", (BEFORE, API), ())
    # When it is deleted
    env.converge("a", delete=True)
    # Then the URL that was there before stays
    assert env.urls()[0] == [BEFORE]


def test_a_url_another_instance_also_claims_stays_until_both_are_gone(env: Env) -> None:
    env.converge("a", (API,))
    env.converge("b", (API, OTHER))
    env.converge("a", delete=True)
    assert env.urls()[0] == [BEFORE, API, OTHER]
    env.converge("b", delete=True)
    assert env.urls()[0] == [BEFORE]


def test_update_removes_the_old_urls_and_adds_the_new(env: Env) -> None:
    env.converge("a", (API,), (API,))
    result = env.converge("a", (OTHER,), ())
    assert env.urls() == ([BEFORE, OTHER], [BEFORE_LOGOUT])
    assert set(result.removed) == {API}
    assert result.added == (OTHER,)


def test_urls_dropped_from_the_client_by_someone_else_are_added_again_on_update(env: Env) -> None:
    # Given a CloudFormation update of the client dropped the resource's URL
    env.converge("a", (API,))
    env.cognito.update_user_pool_client(UserPoolId=env.pool, ClientId=env.client, CallbackURLs=[BEFORE])
    # When the resource is updated (even with the same URLs)
    env.converge("a", (API,))
    # Then its URL is back
    assert env.urls()[0] == [BEFORE, API]


def test_any_instance_puts_back_the_urls_other_instances_own(env: Env) -> None:
    # Given two instances' URLs, then a CloudFormation update of the client that dropped them all
    env.converge("a", (API,))
    env.converge("b", (OTHER,), (OTHER,))
    env.cognito.update_user_pool_client(
        UserPoolId=env.pool, ClientId=env.client, CallbackURLs=[BEFORE], LogoutURLs=[BEFORE_LOGOUT]
    )
    # When one instance is updated
    result = env.converge("a", (API,))
    # Then both instances' URLs are back
    assert env.urls() == ([BEFORE, API, OTHER], [BEFORE_LOGOUT, OTHER])
    assert set(result.restored) == {OTHER}


def test_the_default_redirect_uri_is_never_removed(env: Env) -> None:
    env.converge("a", (API,))
    env.cognito.update_user_pool_client(UserPoolId=env.pool, ClientId=env.client, DefaultRedirectURI=API)
    env.converge("a", delete=True)
    assert env.urls()[0] == [BEFORE, API]


def test_delete_of_a_client_that_no_longer_exists_succeeds_and_forgets_the_claim(env: Env) -> None:
    env.converge("a", (API,))
    env.cognito.delete_user_pool_client(UserPoolId=env.pool, ClientId=env.client)
    result = env.converge("a", delete=True)
    assert result.client_missing is True
    assert ledger.read_claims(env.dynamodb, env.table, env.pool, env.client) == {}


def test_delete_of_a_pool_that_no_longer_exists_succeeds(env: Env) -> None:
    env.converge("a", (API,))
    env.cognito.delete_user_pool(UserPoolId=env.pool)
    assert env.converge("a", delete=True).client_missing is True


def test_create_on_a_missing_client_fails_with_a_clear_error(env: Env) -> None:
    env.cognito.delete_user_pool_client(UserPoolId=env.pool, ClientId=env.client)
    with pytest.raises(ClientNotFoundError, match=f"app client {env.client} of user pool"):
        env.converge("a", (API,))


def test_more_than_100_urls_on_the_client_after_the_change_fails_before_any_change(env: Env) -> None:
    many = tuple(f"https://app.example.com/{n}" for n in range(100))
    with pytest.raises(InvalidUrlError, match="CallbackURLs would hold 101 URLs"):
        env.converge("a", many)
    assert env.updates == 0
    assert env.urls()[0] == [BEFORE]


def test_the_ledger_records_what_each_instance_owns(env: Env) -> None:
    env.converge("a", (BEFORE, API), (API,))
    claims = ledger.read_claims(env.dynamodb, env.table, env.pool, env.client)
    # the URL that was there before is not owned by anyone
    assert claims == {"a": Claim((API,), (API,))}


def test_the_lease_is_released_after_each_operation(env: Env) -> None:
    env.converge("a", (API,))
    item = env.dynamodb.get_item(
        TableName=env.table, Key={"pk": {"S": ledger.partition(env.pool, env.client)}, "sk": {"S": "lease"}}
    )
    assert "Item" not in item


def test_a_held_lease_makes_others_wait_until_their_deadline(env: Env) -> None:
    sleeps: list[float] = []
    clock = iter(range(100))
    monotonic: Callable[[], float] = lambda: float(next(clock))  # noqa: E731 - a fake clock
    with (
        ledger.lease(env.dynamodb, env.table, env.pool, env.client, deadline=1e9),
        pytest.raises(LeaseTimeoutError, match="busy with another operation"),
        ledger.lease(
            env.dynamodb,
            env.table,
            env.pool,
            env.client,
            deadline=3.0,
            monotonic=monotonic,
            sleep=sleeps.append,
        ),
    ):
        pass
    assert 1 <= len(sleeps) <= 3


def test_an_expired_lease_is_taken_over(env: Env) -> None:
    env.dynamodb.put_item(
        TableName=env.table,
        Item={
            "pk": {"S": ledger.partition(env.pool, env.client)},
            "sk": {"S": "lease"},
            "holder": {"S": "crashed"},
            "expires_at": {"N": str(int(time.time()) - 1)},
        },
    )
    env.converge("a", (API,))
    assert env.urls()[0] == [BEFORE, API]


def _lease_item(env: Env) -> dict[str, Any]:
    item: dict[str, Any] = env.dynamodb.get_item(
        TableName=env.table,
        Key={"pk": {"S": ledger.partition(env.pool, env.client)}, "sk": {"S": "lease"}},
        ConsistentRead=True,
    )["Item"]
    return item


def _set_lease(env: Env, holder: str, expires_at: int) -> None:
    env.dynamodb.put_item(
        TableName=env.table,
        Item={
            "pk": {"S": ledger.partition(env.pool, env.client)},
            "sk": {"S": "lease"},
            "holder": {"S": holder},
            "expires_at": {"N": str(expires_at)},
        },
    )


def test_the_lease_is_extended_right_before_the_client_is_written(env: Env) -> None:
    # Given the lease is about to expire by the time the operation has read and planned
    seen: list[tuple[str, int]] = []

    def nearly_expired(**_: Any) -> None:
        item = _lease_item(env)
        _set_lease(env, item["holder"]["S"], int(time.time()) + 1)

    def record(**_: Any) -> None:
        item = _lease_item(env)
        seen.append((item["holder"]["S"], int(item["expires_at"]["N"]) - int(time.time())))

    env.cognito.meta.events.register_first("before-call.cognito-idp.DescribeUserPoolClient", nearly_expired)
    env.cognito.meta.events.register("before-call.cognito-idp.UpdateUserPoolClient", record)
    # When it writes the client
    env.converge("a", (API,))
    # Then at that moment the lease runs for a whole lease period again
    assert len(seen) == 1
    assert seen[0][1] >= ledger.LEASE_SECONDS - 2


def test_a_lost_lease_is_never_used_to_write_the_client(env: Env) -> None:
    # Given another operation takes the lease while this one plans (its lease expired)
    def taken(**_: Any) -> None:
        _set_lease(env, "someone-else", int(time.time()) + 300)

    env.cognito.meta.events.register_first("before-call.cognito-idp.DescribeUserPoolClient", taken)
    # When the operation goes on, Then it waits for the lease again instead of writing the client
    with pytest.raises(LeaseTimeoutError):
        operation.converge(
            env.cognito,
            env.dynamodb,
            env.table,
            env.pool,
            env.client,
            owner="a",
            desired=Claim((API,)),
            deadline=time.monotonic() + 0.5,
        )
    assert env.updates == 0
    assert env.urls()[0] == [BEFORE]
    assert _lease_item(env)["holder"]["S"] == "someone-else"


def test_worst_case_call_time_counts_every_attempt_and_the_largest_backoff() -> None:
    extra = ledger.RETRY_AFTER_MAX_SECONDS
    # 5 attempts of (2 s connect + 5 s read), backoffs of at most 1, 2, 4 and 8 s (plus a retry-after)
    assert ledger.worst_case_call_seconds(2.0, 5.0, 5) == 5 * 7.0 + 1 + 2 + 4 + 8 + 4 * extra
    # one attempt: no backoff; backoffs are capped at 20 s
    assert ledger.worst_case_call_seconds(1.0, 1.0, 1) == 2.0
    assert ledger.worst_case_call_seconds(0.0, 0.0, 8) == 1 + 2 + 4 + 8 + 16 + 20 + 20 + 7 * extra


def test_concurrent_change_outside_the_lease_is_detected_and_retried(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given something outside the resource rewrites the lists right after the resource's first update
    real_update = env.cognito.update_user_pool_client
    calls = {"n": 0}

    def interfering(**request: Any) -> Any:
        response = real_update(**request)
        calls["n"] += 1
        if calls["n"] == 1:
            real_update(UserPoolId=env.pool, ClientId=env.client, CallbackURLs=[BEFORE, OTHER])
        return response

    monkeypatch.setattr(env.cognito, "update_user_pool_client", interfering)
    # When
    env.converge("a", (API,))
    # Then the verification noticed and the second pass converged, keeping the other writer's URL
    assert calls["n"] == 2
    assert env.urls()[0] == [BEFORE, OTHER, API]


def test_plan_keeps_order_and_appends_new_urls() -> None:
    plan = plan_list(current=["x", "y"], desired=["z", "y"], mine=[], others=[])
    assert plan.new_list == ("x", "y", "z")
    assert plan.claim == ("z",)
