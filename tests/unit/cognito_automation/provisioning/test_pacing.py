"""Pacing under Cognito's quotas: token buckets, the per-instance share, retries that respect the pace."""

from __future__ import annotations

import threading
import time
from typing import Any

import boto3
import pytest
from botocore.exceptions import ReadTimeoutError

from cognito_automation.provisioning.errors import DeadlineReachedError, TransientError
from cognito_automation.provisioning.pacing import (
    Pacer,
    RequestWindow,
    TokenBucket,
    is_transient,
    operation_name,
)
from cognito_automation.quotas import CATEGORIES
from tests.unit.cognito_automation.provisioning.support import client_error, server_error, throttling_error


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class ScriptedCognito:
    """Answers admin_add_user_to_group from a script of exceptions, then succeeds."""

    def __init__(self, clock: FakeClock, *errors: Exception) -> None:
        self.clock = clock
        self.errors = list(errors)
        self.call_times: list[float] = []

    def admin_add_user_to_group(self, **params: Any) -> dict[str, Any]:
        self.call_times.append(self.clock.now)
        if self.errors:
            raise self.errors.pop(0)
        return {}


def _pacer(clock: FakeClock, **kwargs: Any) -> Pacer:
    return Pacer(instances=1, clock=clock, sleep=clock.sleep, base_backoff=0.5, **kwargs)


def test_bucket_spaces_permits_evenly_at_its_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(25.0, clock=clock, sleep=clock.sleep)
    times = []
    for _ in range(5):
        bucket.acquire()
        times.append(round(clock.now - 100.0, 6))
    assert times == [0.0, 0.04, 0.08, 0.12, 0.16]


def test_bucket_does_not_save_up_permits_while_idle_beyond_its_burst() -> None:
    clock = FakeClock()
    bucket = TokenBucket(10.0, burst=2, clock=clock, sleep=clock.sleep)
    clock.now += 60
    start = clock.now
    for _ in range(4):
        bucket.acquire()
    # two at once (the burst), then one every 0.1 s
    assert round(clock.now - start, 6) == 0.2


def test_paused_bucket_gives_no_permit_until_the_pause_ends() -> None:
    clock = FakeClock()
    bucket = TokenBucket(50.0, clock=clock, sleep=clock.sleep)
    bucket.pause(1.5)
    bucket.acquire()
    assert clock.now == pytest.approx(101.5)


def test_each_instance_takes_its_share_of_the_account_quota() -> None:
    pacer = Pacer(instances=4)
    assert pacer.buckets["UserCreation"].rate == 12.5
    assert pacer.buckets["UserUpdate"].rate == 6.25
    assert CATEGORIES["AdminAddUserToGroup"] == "UserUpdate"
    assert CATEGORIES["AdminCreateUser"] == "UserCreation"


def test_each_instance_keeps_its_whole_requests_per_second_in_its_window() -> None:
    # 25/2 = 12.5 per second: 12 in any second, so that two instances stay within 25 together
    pacer = Pacer(instances=2)
    assert pacer.windows["UserUpdate"].limit == 12
    assert pacer.windows["UserCreation"].limit == 25
    assert pacer.buckets["UserUpdate"].rate == 12.5
    assert pacer.buckets["UserUpdate"].burst == 12
    # a share under one request per second still lets one through (the bucket keeps the pace)
    assert Pacer(instances=20).windows["UserPoolResourceRead"].limit == 1


def test_window_counts_a_request_until_one_second_after_its_answer() -> None:
    # Given a window of 3 and three requests sent at 0 whose answers came at 0.0, 0.2 and 0.5
    clock = FakeClock()
    window = RequestWindow(3, clock=clock, sleep=clock.sleep)
    for answered_after in (0.0, 0.2, 0.3):
        window.enter()
        clock.now += answered_after
        window.leave()
    # When two more are sent
    window.enter()
    first = clock.now - 100.0
    window.leave()
    window.enter()
    second = clock.now - 100.0
    # Then each waited for one second after the answer whose place it took, not after its sending
    assert round(first, 6) == 1.0
    assert round(second, 6) == 1.2


def test_window_full_of_requests_in_flight_waits_for_an_answer() -> None:
    window = RequestWindow(1)
    window.enter()
    entered = threading.Event()

    def second() -> None:
        window.enter()
        entered.set()

    thread = threading.Thread(target=second)
    thread.start()
    assert not entered.wait(0.2)  # the first request has no answer yet
    window.leave()
    assert not entered.wait(0.5)  # answered: its place is free one second later
    assert entered.wait(2.0)
    thread.join(timeout=2)


def test_window_gives_up_at_the_deadline() -> None:
    clock = FakeClock()
    window = RequestWindow(1, clock=clock, sleep=clock.sleep)
    window.enter()
    window.leave()
    with pytest.raises(DeadlineReachedError):
        window.enter(deadline=clock.now + 0.5)


def test_two_paced_instances_together_stay_within_the_quota_in_any_second() -> None:
    # Given two instances (threads of their own, as in two Lambda instances) at 45 per second together,
    # each with ten threads, and a Cognito that answers after a few milliseconds
    cognito = _Instant(latency=0.003)
    pacers = [Pacer(instances=2, quotas={"UserUpdate": 45.0}) for _ in range(2)]

    # When each instance's ten threads make ten calls each
    _call_from_threads(cognito, [pacer for pacer in pacers for _ in range(10)], calls=10)
    # Then Cognito never saw more than 44 in any one second (22 from each, 22.5 rounded down), so the
    # 200 calls took more than 4 s
    times = sorted(cognito.times)
    assert len(times) == 200
    assert max(sum(1 for t in times if start <= t < start + 1.0) for start in times) <= 44
    assert times[-1] - times[0] >= 4.0


def test_operation_and_its_quota_category_come_from_the_client_method_name() -> None:
    # Given a real Cognito client's bound method, and a fake's method of the same name
    cognito = boto3.client("cognito-idp", region_name="us-east-1")
    fake = ScriptedCognito(FakeClock())
    # Then both name botocore's operation, the key of the quota category
    assert operation_name(cognito.admin_create_user) == "AdminCreateUser"
    assert operation_name(fake.admin_add_user_to_group) == "AdminAddUserToGroup"
    assert CATEGORIES[operation_name(cognito.admin_list_groups_for_user)] == "UserResourceRead"


def test_throttled_call_is_retried_after_backoff_and_pauses_its_category() -> None:
    # Given Cognito throttles twice
    clock = FakeClock()
    cognito = ScriptedCognito(clock, throttling_error("AdminAddUserToGroup"), throttling_error("X"))
    pacer = _pacer(clock)
    # When
    response = pacer.paced(cognito.admin_add_user_to_group)(UserPoolId="p", Username="u", GroupName="g")
    # Then it succeeded on the third attempt, each one later than the previous by at least the pace
    assert response == {}
    assert len(cognito.call_times) == 3
    gaps = [b - a for a, b in zip(cognito.call_times, cognito.call_times[1:], strict=False)]
    assert all(gap >= 1 / 25 - 1e-9 for gap in gaps)
    assert pacer.stats.throttled == 2


def test_permanent_error_is_raised_after_one_attempt() -> None:
    clock = FakeClock()
    cognito = ScriptedCognito(
        clock, client_error("AdminAddUserToGroup", "InvalidParameterException", "bad", 400)
    )
    pacer = _pacer(clock)
    with pytest.raises(Exception, match="InvalidParameterException"):
        pacer.paced(cognito.admin_add_user_to_group)(UserPoolId="p")
    assert len(cognito.call_times) == 1


def test_transient_errors_past_the_attempts_raise_transient_error_naming_the_last() -> None:
    clock = FakeClock()
    errors = [server_error("AdminAddUserToGroup") for _ in range(3)]
    cognito = ScriptedCognito(clock, *errors)
    pacer = _pacer(clock, max_attempts=3)
    with pytest.raises(TransientError, match="failed 3 times, last: InternalErrorException"):
        pacer.paced(cognito.admin_add_user_to_group)(UserPoolId="p")


def test_retry_that_would_pass_the_deadline_is_left_to_sqs() -> None:
    clock = FakeClock()
    cognito = ScriptedCognito(clock, *[throttling_error("X") for _ in range(5)])
    pacer = _pacer(clock)
    with pytest.raises(DeadlineReachedError):
        pacer.paced(cognito.admin_add_user_to_group, clock.now + 0.3)(UserPoolId="p")
    assert clock.now <= 100.3


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (throttling_error("X"), True),
        (server_error("X"), True),
        (client_error("X", "ServiceUnavailable", "", 503), True),
        (ReadTimeoutError(endpoint_url="https://cognito-idp.us-east-1.amazonaws.com/"), True),
        (client_error("X", "InvalidParameterException", "", 400), False),
        (client_error("X", "UserNotFoundException", "", 400), False),
        (ValueError("bug"), False),
    ],
)
def test_errors_are_classified_as_transient_or_not(error: Exception, transient: bool) -> None:
    assert is_transient(error) is transient


def _call_from_threads(cognito: _Instant, pacers: list[Pacer], calls: int) -> None:
    """One thread per item of `pacers`, each making `calls` paced calls through it; waits for them."""

    def work(pacer: Pacer) -> None:
        for _ in range(calls):
            pacer.paced(cognito.admin_add_user_to_group)(UserPoolId="p")

    threads = [threading.Thread(target=work, args=(pacer,)) for pacer in pacers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)


class _Instant:
    """Counts each call when it arrives, and answers `latency` seconds later."""

    def __init__(self, latency: float = 0.0) -> None:
        self.times: list[float] = []
        self.lock = threading.Lock()
        self.latency = latency

    def admin_add_user_to_group(self, **params: Any) -> dict[str, Any]:
        with self.lock:
            self.times.append(time.monotonic())
        if self.latency:
            time.sleep(self.latency)
        return {}


def test_threads_sharing_a_client_together_stay_under_the_rate() -> None:
    # Given ten threads sharing one paced client allowed 100 updates per second (scaled up for speed)
    cognito = _Instant()
    pacer = Pacer(instances=1, quotas={"UserUpdate": 100.0}, burst=3)

    # When
    _call_from_threads(cognito, [pacer] * 10, calls=12)
    # Then 120 calls took at least the 117 intervals after the burst of 3, and no half second saw more
    # than its 50 permits plus the burst (plus a little for threads that woke late on a busy machine)
    times = sorted(cognito.times)
    assert len(times) == 120
    assert times[-1] - times[0] >= 117 / 100 - 0.01
    assert max(sum(1 for t in times if start <= t < start + 0.5) for start in times) <= 56


def test_throttling_lowers_the_rate_and_successes_bring_it_back_to_the_share() -> None:
    clock = FakeClock()
    bucket = TokenBucket(20.0, clock=clock, sleep=clock.sleep)
    # When throttled twice
    bucket.pause(0.1)
    bucket.pause(0.1)
    # Then the rate dropped multiplicatively
    assert bucket.rate == pytest.approx(20.0 * 0.75 * 0.75)
    # When calls succeed, it climbs back, never above the share
    for _ in range(200):
        bucket.recover()
    assert bucket.rate == 20.0


def test_after_one_throttling_answer_ten_successes_bring_the_rate_back() -> None:
    # (a consumer paced at its share of a quota meets an occasional throttling answer at the edge of the
    # quota's one-second window: a slow climb back kept it well under its share long after)
    bucket = TokenBucket(20.0)
    bucket.pause(0.0)
    for _ in range(9):
        bucket.recover()
    assert bucket.rate < 20.0
    bucket.recover()
    assert bucket.rate == 20.0


def test_rate_never_drops_below_a_tenth_of_the_share() -> None:
    bucket = TokenBucket(20.0)
    for _ in range(50):
        bucket.pause(0.0)
    assert bucket.rate == pytest.approx(2.0)


@pytest.mark.parametrize(
    "error",
    [ReadTimeoutError(endpoint_url="https://cognito-idp"), server_error("AdminAddUserToGroup")],
    ids=["read-timeout", "5xx"],
)
def test_call_that_is_not_idempotent_is_not_retried_after_it_may_have_happened(error: Exception) -> None:
    # Given the first attempt's answer is lost (it may have taken effect)
    clock = FakeClock()
    cognito = ScriptedCognito(clock, error)
    pacer = _pacer(clock)
    # When the call is not idempotent
    with pytest.raises(TransientError) as raised:
        pacer.paced(cognito.admin_add_user_to_group, idempotent=False)(GroupName="users")
    # Then it was attempted once, and the caller learns it may have happened
    assert len(cognito.call_times) == 1
    assert raised.value.maybe_done is True


def test_call_that_is_not_idempotent_is_retried_after_throttling() -> None:
    # Given a throttling answer (the call was refused before it did anything)
    clock = FakeClock()
    cognito = ScriptedCognito(clock, throttling_error("AdminAddUserToGroup"))
    pacer = _pacer(clock)
    # When
    pacer.paced(cognito.admin_add_user_to_group, idempotent=False)(GroupName="users")
    # Then
    assert len(cognito.call_times) == 2


def test_throttled_out_call_reports_that_it_did_not_happen() -> None:
    clock = FakeClock()
    cognito = ScriptedCognito(clock, *(throttling_error("AdminAddUserToGroup") for _ in range(3)))
    pacer = _pacer(clock, max_attempts=3)
    with pytest.raises(TransientError) as raised:
        pacer.paced(cognito.admin_add_user_to_group, idempotent=False)(GroupName="users")
    assert raised.value.maybe_done is False
