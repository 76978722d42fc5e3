"""Every exception of user provisioning: what ends a message for good (dead-lettered with its reason) and
what leaves it to SQS to retry."""

from __future__ import annotations

from cognito_automation.errors import InputError


class PermanentError(Exception):
    """A message that can never succeed as it is: it goes to the dead-letter queue at once, with `reason`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class InvalidMessageError(PermanentError, InputError):
    """The body is not JSON, breaks the schema, or names a group or attribute outside the allowlist."""


class TransientError(Exception):
    """Worth retrying later: SQS redelivers the message (and dead-letters it after the redrive limit).

    `maybe_done` is true when an attempt of the call may have taken effect although its answer was lost
    (a read timeout, a 5xx): the caller of a call that must not happen twice cannot assume it did not.
    """

    def __init__(self, message: str, *, maybe_done: bool = False) -> None:
        super().__init__(message)
        self.maybe_done = maybe_done


class DeadlineReachedError(TransientError):
    """The invocation is about to time out; the message is left for SQS to redeliver."""
