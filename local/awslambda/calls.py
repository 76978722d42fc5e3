"""Which AWS operations each function calls while the local stack runs it: an opt-in record, for the check
that every call a function makes has a grant in template.yaml (tests/local/test_local_grants.py).

`install()` (the local stack calls it at start) makes every botocore session created afterwards register
one `before-call` handler, which does nothing until `recording()` is entered. A call belongs to the
function whose handler module is on the calling thread's stack: the handler itself, or a task the handler
gave a thread pool (the provisioning consumer's records), so threads need no context of their own.
"""

from __future__ import annotations

import contextlib
import inspect
import threading
from collections.abc import Iterator
from typing import Any

from botocore import handlers

from local.awslambda.invoke import CURRENT


class CallRecord:
    """`service:Operation` per function name, as IAM names the actions (the service's signing name)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: dict[str, set[str]] = {}

    def add(self, function: str, operation: str) -> None:
        with self._lock:
            self._calls.setdefault(function, set()).add(operation)

    def by_function(self) -> dict[str, list[str]]:
        with self._lock:
            return {function: sorted(calls) for function, calls in sorted(self._calls.items())}


_RECORDS: list[CallRecord] = []
_RECORDS_LOCK = threading.Lock()


def calling_function() -> str | None:
    runtime = CURRENT.runtime
    if runtime is None:
        return None
    frame = inspect.currentframe()
    while frame is not None:
        function = runtime.function_of(str(frame.f_globals.get("__name__", "")))
        if function is not None:
            return function
        frame = frame.f_back
    return None


def _before_call(model: Any, **_: Any) -> None:
    if not _RECORDS:
        return
    function = calling_function()
    if function is None:
        return  # the local stack's own or a test's client
    operation = f"{model.service_model.signing_name}:{model.name}"
    with _RECORDS_LOCK:
        records = list(_RECORDS)
    for record in records:
        record.add(function, operation)


_HANDLER = ("before-call", _before_call)


def install() -> None:
    """Every botocore session created from now on registers the recording handler (idempotent)."""
    if _HANDLER not in handlers.BUILTIN_HANDLERS:
        handlers.BUILTIN_HANDLERS.append(_HANDLER)


@contextlib.contextmanager
def recording() -> Iterator[CallRecord]:
    """Record the calls functions make until the block ends (clients made after `install()` only)."""
    record = CallRecord()
    with _RECORDS_LOCK:
        _RECORDS.append(record)
    try:
        yield record
    finally:
        with _RECORDS_LOCK:
            _RECORDS.remove(record)
