"""Pacing Cognito calls under the account's request-rate quotas, and retrying the transient failures.

Cognito's quotas are per account and region, per category of operations (UserCreation 50/s, UserUpdate
25/s, ...), and not adjustable for updates. Each consumer instance takes its share (quota divided by the
most concurrent instances), per category and shared by its threads, through a window of its whole requests
per second (a request counts until one second after its answer, so the instances together stay within
the quota in any second as Cognito sees it) and a token bucket at the share whose allowance carries over
up to a second's worth (so the pause between two batches is made up). A throttling answer pushes the
whole category back (everyone in the process waits) and lowers the bucket's rate, which climbs back with
every success (additive increase, multiplicative decrease), then the call is retried with jittered
exponential backoff. botocore's own retries are switched off for this client (retries max_attempts=0),
so every attempt goes through the bucket and the window and nothing retries behind the pacer's back.
"""

from __future__ import annotations

import collections
import logging
import math
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import ParamSpec, TypeVar

from botocore import xform_name
from botocore.exceptions import (
    ClientError,
    ConnectionError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
    ReadTimeoutError,
)

from cognito_automation.provisioning.errors import DeadlineReachedError, TransientError
from cognito_automation.quotas import CATEGORIES, QUOTAS

P = ParamSpec("P")
R = TypeVar("R")

logger = logging.getLogger(__name__)

THROTTLING_CODES = frozenset(
    {"TooManyRequestsException", "ThrottlingException", "Throttling", "RequestLimitExceeded"}
)
# Server-side and credential problems that a later attempt (or a fixed deployment) can get past.
TRANSIENT_CODES = frozenset(
    {
        "InternalErrorException",
        "InternalFailure",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "RequestTimeout",
        "RequestTimeoutException",
        "ExpiredTokenException",
        "UnrecognizedClientException",
        "AccessDeniedException",
    }
)


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, ClientError):
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        code = error_code(exc)
        return code in THROTTLING_CODES or code in TRANSIENT_CODES or status >= 500 or status == 429
    # timeouts and connection failures (ReadTimeoutError and ConnectTimeoutError are among these)
    return isinstance(exc, ConnectionError | HTTPClientError | ReadTimeoutError)


def was_not_sent(exc: BaseException) -> bool:
    """The failed attempt certainly had no effect: refused before any work (throttling, credentials,
    any 4xx) or never reached the service (no connection)."""
    if isinstance(exc, ClientError):
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        return 400 <= status < 500 or is_throttling(exc)
    return isinstance(exc, ConnectTimeoutError | EndpointConnectionError)


def is_throttling(exc: BaseException) -> bool:
    if not isinstance(exc, ClientError):
        return False
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    return error_code(exc) in THROTTLING_CODES or status == 429


class TokenBucket:
    """Evenly spaced permits at `rate` per second with a small burst, shared by threads.

    Each caller reserves the next free slot under the lock and sleeps outside it, so waiting threads
    are served in order and never busy-wait.
    """

    def __init__(
        self,
        rate: float,
        burst: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.base_rate = rate
        self.rate = rate
        self.interval = 1.0 / rate
        self.burst = max(burst, 1.0)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next = clock()

    def reserve(self) -> float:
        """Reserve a permit; the seconds to wait before using it."""
        with self._lock:
            now = self._clock()
            # unused capacity accumulates up to `burst` permits, no more
            earliest = now - (self.burst - 1.0) * self.interval
            slot = max(self._next, earliest)
            self._next = slot + self.interval
            return max(0.0, slot - now)

    def acquire(self, deadline: float | None = None) -> None:
        wait = self.reserve()
        if deadline is not None and self._clock() + wait > deadline:
            raise DeadlineReachedError("no permit before the invocation's deadline")
        if wait > 0:
            self._sleep(wait)

    def pause(self, seconds: float) -> None:
        """Nobody gets a permit for `seconds`, and the rate drops by a quarter (after a throttling answer:
        someone else is using the account's quota too). It never drops below a tenth of the share."""
        with self._lock:
            self._next = max(self._next, self._clock() + seconds)
            self._set_rate(max(self.base_rate / 10, self.rate * 0.75))

    def recover(self) -> None:
        """After a success, the rate climbs back towards the share, by 2.5% of it per call."""
        if self.rate < self.base_rate:
            with self._lock:
                self._set_rate(min(self.base_rate, self.rate + self.base_rate / 40))

    def _set_rate(self, rate: float) -> None:
        self.rate = rate
        self.interval = 1.0 / rate


class RequestWindow:
    """At most `limit` requests in any one second, as the service sees them, shared by threads.

    A request counts from when it is sent until one second after its answer: the service saw it at some
    moment in between, so a request sent once the window has room is at least one second after, at the
    service, the one whose place it takes, however long either took on the network. Instances that each
    keep to their own window of floor(quota / instances) therefore stay together within the quota in any
    one-second interval, whether the service counts in sliding or fixed seconds or by a bucket holding
    a second's worth of requests.
    """

    def __init__(
        self,
        limit: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self._clock = clock
        self._sleep = sleep
        self._answered: collections.deque[float] = collections.deque()  # answers of the last second
        self._in_flight = 0
        self._changed = threading.Condition()

    def enter(self, deadline: float | None = None) -> None:
        """Wait for room in the window and take it; `leave()` once answered."""
        while True:
            with self._changed:
                now = self._clock()
                while self._answered and self._answered[0] <= now - 1.0:
                    self._answered.popleft()
                if self._in_flight + len(self._answered) < self.limit:
                    self._in_flight += 1
                    return
                if not self._answered:  # every place is taken by a request in flight: wait for an answer
                    if deadline is not None and now >= deadline:
                        raise DeadlineReachedError("no room in the request window before the deadline")
                    self._changed.wait(1.0 if deadline is None else min(1.0, deadline - now))
                    continue
                wait = self._answered[0] + 1.0 - now
            if deadline is not None and now + wait > deadline:
                raise DeadlineReachedError("no room in the request window before the deadline")
            self._sleep(wait)

    def leave(self) -> None:
        """The request taken by `enter()` was answered (or failed)."""
        with self._changed:
            self._in_flight -= 1
            self._answered.append(self._clock())
            self._changed.notify()


@dataclass
class CallStats:
    """Counters for metrics and logs (thread-safe)."""

    calls: dict[str, int] = field(default_factory=dict)
    throttled: int = 0
    retried: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, operation: str, *, throttled: bool = False, retried: bool = False) -> None:
        with self._lock:
            self.calls[operation] = self.calls.get(operation, 0) + 1
            self.throttled += int(throttled)
            self.retried += int(retried)


# The boto3 method of each operation with a quota category (admin_create_user: AdminCreateUser).
_OPERATIONS = {xform_name(operation): operation for operation in CATEGORIES}


def operation_name(method: Callable[..., object]) -> str:
    """botocore's name of the operation a client method calls (`admin_create_user`: AdminCreateUser), the
    key of its quota category; a method of no category keeps its own name."""
    return _OPERATIONS.get(method.__name__, method.__name__)


class Pacer:
    """Paces calls of Cognito client methods through per-category token buckets, retrying transient
    failures.

    `pacer.paced(cognito.admin_create_user, deadline)(UserPoolId=..., ...)` returns the response, or
    raises the ClientError of a permanent failure, or `TransientError` when the attempts or the
    invocation's time run out.
    """

    def __init__(
        self,
        *,
        instances: int,
        quotas: Mapping[str, float] = QUOTAS,
        burst: float | None = None,
        max_attempts: int = 6,
        base_backoff: float = 0.25,
        max_backoff: float = 4.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if instances < 1:
            raise ValueError("instances must be at least 1")
        # Each instance's share of a quota: a window of its whole requests per second (rounded down) and a
        # bucket at the share itself, whose burst (a second's worth unless given) lets an instance make up
        # the pause between two batches; the bucket also slows down after a throttling answer.
        shares = {name: rate / instances for name, rate in quotas.items()}
        limits = {name: max(1, math.floor(share + 1e-9)) for name, share in shares.items()}
        self.buckets = {
            name: TokenBucket(share, limits[name] if burst is None else burst, clock=clock, sleep=sleep)
            for name, share in shares.items()
        }
        self.windows = {name: RequestWindow(limits[name], clock=clock, sleep=sleep) for name in shares}
        self.max_attempts = max_attempts
        self.base_backoff = base_backoff
        self.max_backoff = max_backoff
        self.stats = CallStats()
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not security

    def _backoff(self, attempt: int) -> float:
        # full jitter: spreads the retries of all threads and instances
        return self._rng.uniform(0, min(self.max_backoff, self.base_backoff * 2**attempt))

    def _admit(self, operation: str, deadline: float | None) -> RequestWindow | None:
        """Wait for a permit of the operation's bucket, then for room in its window (to leave once
        answered)."""
        category = CATEGORIES.get(operation, "")
        bucket, window = self.buckets.get(category), self.windows.get(category)
        if bucket is not None:
            bucket.acquire(deadline)
        if window is not None:
            window.enter(deadline)
        return window

    def paced(
        self, method: Callable[P, R], deadline: float | None = None, *, idempotent: bool = True
    ) -> Callable[P, R]:
        """`method` (a client method), paced and retried. A call that is not idempotent (it would act
        twice, like an invitation resend) is retried only after failures that certainly had no effect
        (throttling, no connection); after a timeout or a 5xx it raises TransientError(maybe_done=True)
        at once."""
        operation = operation_name(method)
        bucket = self.buckets.get(CATEGORIES.get(operation, ""))

        def call(*args: P.args, **kwargs: P.kwargs) -> R:
            maybe_done = False
            for attempt in range(self.max_attempts):
                window = self._admit(operation, deadline)
                try:
                    response = _sent(window, method, *args, **kwargs)
                except Exception as exc:
                    if not is_transient(exc):
                        self.stats.count(operation)
                        raise
                    throttled = is_throttling(exc)
                    code = error_code(exc) if isinstance(exc, ClientError) else type(exc).__name__
                    maybe_done = maybe_done or not was_not_sent(exc)
                    if maybe_done and not idempotent:
                        self.stats.count(operation)
                        raise TransientError(
                            f"{operation} failed ({code}) and may have taken effect: not retried",
                            maybe_done=True,
                        ) from exc
                    self.stats.count(operation, throttled=throttled, retried=True)
                    delay = self._backoff(attempt)
                    if throttled and bucket is not None:
                        bucket.pause(delay)
                    if attempt + 1 == self.max_attempts:
                        raise TransientError(
                            f"{operation} failed {self.max_attempts} times, last: {code}",
                            maybe_done=maybe_done,
                        ) from exc
                    if deadline is not None and self._clock() + delay > deadline:
                        raise DeadlineReachedError(
                            f"{operation} failed ({code}) and the deadline is near", maybe_done=maybe_done
                        ) from exc
                    logger.debug(
                        "transient failure, retrying",
                        extra={"operation": operation, "error": code, "attempt": attempt + 1, "delay": delay},
                    )
                    self._sleep(delay)
                else:
                    self.stats.count(operation)
                    if bucket is not None:
                        bucket.recover()
                    return response
            raise AssertionError("unreachable")  # pragma: no cover

        return call


def _sent(window: RequestWindow | None, method: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """One attempt of `method`, leaving the window entered for it once answered."""
    try:
        return method(*args, **kwargs)
    finally:
        if window is not None:
            window.leave()
