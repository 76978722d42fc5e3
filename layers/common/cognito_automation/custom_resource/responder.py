"""Answering a CloudFormation custom resource request exactly once, with the standard library only.

It must work when nothing else does (a failed import, bad settings), so it imports nothing outside the
standard library. The body always stays under CloudFormation's 4096-byte limit; the PUT to the response
URL retries transient failures (connection errors, timeouts, 429 and 5xx) a bounded number of times.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any, Literal
from urllib.parse import urlsplit

Status = Literal["SUCCESS", "FAILED"]

MAX_BODY_BYTES = 4096  # the body must stay strictly below this
SEND_ATTEMPTS = 5
ATTEMPT_TIMEOUT_SECONDS = 10.0
_TRUNCATED = " [truncated]"

logger = logging.getLogger(__name__)


def _encode(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def _fit_reason(body: dict[str, Any], reason: str) -> bytes | None:
    """The body with as much of `reason` (from its start) as fits, or None when even none fits."""
    body["Reason"] = reason
    encoded = _encode(body)
    if len(encoded) < MAX_BODY_BYTES:
        return encoded
    body["Reason"] = _TRUNCATED.strip()
    if len(_encode(body)) >= MAX_BODY_BYTES:
        return None
    low, high = 0, len(reason)  # binary search for the longest head that fits
    while low < high:
        middle = (low + high + 1) // 2
        body["Reason"] = reason[:middle] + _TRUNCATED
        if len(_encode(body)) < MAX_BODY_BYTES:
            low = middle
        else:
            high = middle - 1
    body["Reason"] = reason[:low] + _TRUNCATED
    return _encode(body)


def build_body(
    event: Mapping[str, Any],
    status: Status,
    reason: str,
    physical_resource_id: str,
    data: Mapping[str, str] | None = None,
) -> bytes:
    """The response document, under 4096 bytes: the reason is cut from its end first, then the largest
    attributes are left out (and named in the reason) until it fits."""
    kept = dict(data or {})
    body: dict[str, Any] = {
        "Status": status,
        "Reason": reason,
        "PhysicalResourceId": physical_resource_id[:1024] or "none",
        "StackId": event.get("StackId", ""),
        "RequestId": event.get("RequestId", ""),
        "LogicalResourceId": event.get("LogicalResourceId", ""),
    }
    omitted: list[str] = []
    while True:
        if kept:
            body["Data"] = kept
        else:
            body.pop("Data", None)
        full_reason = reason
        if omitted:
            full_reason = (
                f"attributes left out to keep the response under {MAX_BODY_BYTES} bytes: "
                f"{', '.join(omitted)}. {reason}"
            ).strip()
        encoded = _fit_reason(body, full_reason)
        if encoded is not None:
            return encoded
        if not kept:
            raise ValueError("the response cannot fit 4096 bytes even without Data and Reason")
        largest = max(kept, key=lambda name: len(_encode({name: kept[name]})))
        del kept[largest]
        omitted.append(largest)


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, urllib.error.HTTPError):
        return exc.code == 429 or exc.code >= 500
    return isinstance(exc, (urllib.error.URLError, TimeoutError, ConnectionError, OSError))


def send(
    url: str,
    body: bytes,
    *,
    deadline: float,
    attempts: int = SEND_ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
) -> bool:
    """PUT the body to the presigned response URL; True once CloudFormation's store took it (2xx)."""
    if urlsplit(url).scheme not in ("https", "http"):
        logger.error(
            "response URL has no http(s) scheme; cannot answer", extra={"scheme": urlsplit(url).scheme}
        )
        return False
    for attempt in range(1, attempts + 1):
        remaining = deadline - monotonic()
        if remaining <= 0:
            break
        request = urllib.request.Request(  # noqa: S310 - scheme checked above: http(s) only
            url, data=body, method="PUT", headers={"Content-Type": "", "Content-Length": str(len(body))}
        )
        try:
            with urllib.request.urlopen(  # noqa: S310 - scheme checked above: http(s) only
                request, timeout=min(ATTEMPT_TIMEOUT_SECONDS, remaining)
            ) as response:
                status = int(response.status)
            logger.info("answered CloudFormation", extra={"http_status": status, "attempt": attempt})
            return True
        except Exception as exc:  # noqa: BLE001 - every failure is either retried or reported below
            if not _transient(exc):
                logger.error(  # noqa: TRY400 - the response body or URL is not worth a traceback
                    "response URL refused the answer",
                    extra={"attempt": attempt, "error": f"{type(exc).__name__}: {exc}"},
                )
                return False
            logger.warning(
                "answering CloudFormation failed",
                extra={
                    "attempt": attempt,
                    "will_retry": attempt < attempts,
                    "error": f"{type(exc).__name__}: {exc}",
                },
            )
        backoff = min(0.5 * 2 ** (attempt - 1), 4.0)
        if attempt < attempts:
            sleep(max(0.0, min(backoff, deadline - monotonic())))
    logger.error("could not answer CloudFormation; it will wait for the resource's timeout")
    return False


def timer_delay(remaining_ms: int) -> float:
    """Seconds after which to answer FAILED: shortly before the Lambda timeout, with enough time left to
    send the answer (10 s for long runs, a tenth of the time for short ones, at least a second)."""
    remaining = remaining_ms / 1000
    reserve = min(10.0, max(1.0, remaining / 10))
    return max(0.0, remaining - reserve)


class Responder:
    """Answers one request exactly once, whoever asks first (the work or the timeout timer)."""

    def __init__(
        self,
        event: Mapping[str, Any],
        *,
        remaining_ms: int,
        monotonic: Callable[[], float] = time.monotonic,
        sender: Callable[..., bool] = send,
    ) -> None:
        self.event = event
        self._monotonic = monotonic
        self._sender = sender
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self.started = monotonic()
        # answers must go out before the Lambda ends, with a little to spare
        self.end = self.started + max(0.0, remaining_ms / 1000 - 0.2)
        self.timeout_at = self.started + timer_delay(remaining_ms)
        self.answer: dict[str, Any] | None = None
        self.delivered = False

    def respond(
        self,
        status: Status,
        reason: str,
        physical_resource_id: str,
        data: Mapping[str, str] | None = None,
    ) -> bool:
        """Send the answer unless one was sent already; True when this call sent it."""
        with self._lock:
            if self.answer is not None:
                logger.warning(
                    "request already answered; dropping the later answer",
                    extra={"status": status, "answered": self.answer["Status"]},
                )
                return False
            body = build_body(self.event, status, reason, physical_resource_id, data)
            self.answer = json.loads(body)
            url = self.event.get("ResponseURL")
            if not isinstance(url, str) or not url:
                logger.error("the request has no ResponseURL; nothing to answer to")
                return True
            self.delivered = self._sender(url, body, deadline=self.end)
            return True

    def start_timer(self, physical_resource_id: str) -> None:
        """Answer FAILED at `timeout_at` unless an answer was sent before."""

        def expire() -> None:
            logger.error("approaching the Lambda timeout; answering FAILED")
            self.respond(
                "FAILED",
                "timed out: the operation did not finish before the function's timeout; "
                "see the function's logs",
                physical_resource_id,
            )

        self._timer = threading.Timer(max(0.0, self.timeout_at - self._monotonic()), expire)
        self._timer.daemon = True
        self._timer.start()

    def cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
