"""The SQS side of provisioning: a batch is worked by a few threads, each message converged once, and
every message ends either done, dead-lettered with its reason (permanent failures), or reported as a
batch item failure so that SQS retries it (transient failures, until the redrive limit). A dead-lettered
body keeps its encrypted temporary password (a redrive still creates the user), never a clear one.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from cognito_automation.provisioning.errors import DeadlineReachedError, PermanentError, TransientError
from cognito_automation.provisioning.messages import parse_message, redact_body
from cognito_automation.provisioning.provisioner import Outcome, Provisioner

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageAttributeValueTypeDef

logger = logging.getLogger(__name__)

REASON_ATTRIBUTE = "failure_reason"
KIND_ATTRIBUTE = "failure_kind"
SOURCE_ID_ATTRIBUTE = "source_message_id"
FAILED_AT_ATTRIBUTE = "failed_at"
FAILURE_ATTRIBUTES = (REASON_ATTRIBUTE, KIND_ATTRIBUTE, SOURCE_ID_ATTRIBUTE, FAILED_AT_ATTRIBUTE)
_MAX_REASON = 1000
_LOCK_STRIPES = 64


class ThreadedBatchProcessor(BatchProcessor):
    """Powertools' SQS batch processor, working the records of a batch on a thread pool.

    The pool is the caller's, kept for the life of the process (threads are not restarted for every
    batch); its size bounds the concurrency. Success and failure bookkeeping stays Powertools' own (its
    lists are only appended to).
    """

    def __init__(self, pool: ThreadPoolExecutor) -> None:
        super().__init__(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
        self.pool = pool

    def process(self) -> list[tuple[Any, ...]]:
        records = list(self.records)
        if len(records) <= 1:
            return super().process()
        return list(self.pool.map(self._process_record, records))


@dataclass
class Tally:
    """What happened in one process, for metrics (thread-safe): `snapshot` names each count by its metric
    (PascalCase, CloudWatch's convention): UsersUpsert, UsersDisable, UsersEnable, UsersDelete,
    DeadLettered, Retried, StaleSkipped (older than the last message applied for the user: acknowledged,
    nothing changed), Unordered (no `issued_at`: applied without the order check)."""

    done: dict[str, int] = field(default_factory=dict)
    dead_lettered: int = 0
    retried: int = 0
    other: dict[str, int] = field(default_factory=lambda: {"StaleSkipped": 0, "Unordered": 0})
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return {
                **{f"Users{action.capitalize()}": count for action, count in self.done.items()},
                "DeadLettered": self.dead_lettered,
                "Retried": self.retried,
                **self.other,
            }

    def add(self, key: str) -> None:
        with self._lock:
            if key == "dead_lettered":
                self.dead_lettered += 1
            elif key == "retried":
                self.retried += 1
            elif key in self.other:
                self.other[key] += 1
            else:
                self.done[key] = self.done.get(key, 0) + 1


class Consumer:
    """Handles one SQS record: parse, converge, or dead-letter with the reason."""

    def __init__(
        self,
        provisioner: Provisioner,
        sqs: SQSClient,
        dead_letter_queue_url: str,
        max_receive_count: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.provisioner = provisioner
        self.sqs = sqs
        self.dead_letter_queue_url = dead_letter_queue_url
        self.max_receive_count = max_receive_count
        self.clock = clock
        self.tally = Tally()
        self._locks = tuple(threading.Lock() for _ in range(_LOCK_STRIPES))

    @contextmanager
    def _user_lock(self, username: str) -> Iterator[None]:
        # two messages for one user in a batch (duplicates) are worked one after the other; usernames
        # are case-insensitive in the pool, and a fixed set of locks keeps memory bounded
        digest = hashlib.blake2b(username.lower().encode("utf-8"), digest_size=2).digest()
        with self._locks[int.from_bytes(digest, "big") % _LOCK_STRIPES]:
            yield

    def handle(self, record: SQSRecord, deadline: float | None = None) -> Outcome | None:
        """None when the message went to the dead-letter queue; raises to have it retried: TransientError,
        or any other exception (an unexpected failure is treated as transient, never lost)."""
        try:
            message = parse_message(record.body)
            with self._user_lock(message.username):
                outcome = self.provisioner.apply(message, deadline, request_id=_request_id(record.body))
        except PermanentError as exc:
            if deadline is not None and self.clock() >= deadline:
                # no time left to send it: SQS redelivers it, and the next attempt dead-letters it
                raise DeadlineReachedError("the deadline came before the message was dead-lettered") from exc
            self.dead_letter(record, exc.reason, "permanent")
            return None
        except Exception as exc:
            # (the provisioner keeps the decrypted password out of every error it raises)
            reason = str(exc) if isinstance(exc, TransientError) else f"{type(exc).__name__}: {exc}"
            receives = int(record.attributes.approximate_receive_count or "1")
            if self.max_receive_count is not None and receives >= self.max_receive_count:
                # the last receive SQS allows: dead-letter it ourselves, so that the reason travels along
                self.dead_letter(record, f"gave up after {receives} receives: {reason}", "transient")
                return None
            self.tally.add("retried")
            logger.warning(
                "transient failure, SQS will retry",
                extra={"message_id": record.message_id, "receive_count": receives, "reason": reason},
            )
            if isinstance(exc, TransientError):
                raise
            raise TransientError(reason) from None
        if outcome.stale:
            self.tally.add("StaleSkipped")
            logger.info(
                "stale message skipped",
                extra={
                    "message_id": record.message_id,
                    "action": outcome.action,
                    "username": outcome.username,
                    "reason": outcome.stale,
                },
            )
            return outcome
        if outcome.unordered:
            self.tally.add("Unordered")
        self.tally.add(outcome.action)
        logger.info(
            "user converged",
            extra={
                "message_id": record.message_id,
                "action": outcome.action,
                "username": outcome.username,
                "changes": list(outcome.changes),
                "invited": outcome.invited,
            },
        )
        return outcome

    def dead_letter(self, record: SQSRecord, reason: str, kind: str) -> None:
        """Send the original body to the dead-letter queue with the reason beside it, as attributes; a
        clear temporary password in it (refused) is redacted first, from the attributes too."""
        reason = reason[:_MAX_REASON]
        body, secrets = redact_body(record.body) if record.body else ("(empty body)", ())
        # the sender's own text attributes travel along (binary ones, and any that holds a redacted
        # password, are dropped)
        attributes: dict[str, MessageAttributeValueTypeDef] = {
            name: {"DataType": value["dataType"], "StringValue": value["stringValue"]}
            for name, value in (record.raw_event.get("messageAttributes") or {}).items()
            if name not in FAILURE_ATTRIBUTES
            and value.get("dataType")
            and value.get("stringValue") is not None
            and not any(secret in value["stringValue"] for secret in secrets)
        }
        attributes.update(
            {
                REASON_ATTRIBUTE: {"DataType": "String", "StringValue": reason},
                KIND_ATTRIBUTE: {"DataType": "String", "StringValue": kind},
                SOURCE_ID_ATTRIBUTE: {"DataType": "String", "StringValue": record.message_id},
                FAILED_AT_ATTRIBUTE: {
                    "DataType": "String",
                    "StringValue": datetime.now(UTC).isoformat(timespec="seconds"),
                },
            }
        )
        # SQS allows 10 attributes per message; ours (added last) are the ones kept
        kept = dict(list(attributes.items())[-10:])
        self.sqs.send_message(QueueUrl=self.dead_letter_queue_url, MessageBody=body, MessageAttributes=kept)
        self.tally.add("dead_lettered")
        logger.warning(
            "message dead-lettered",
            extra={"message_id": record.message_id, "failure_kind": kind, "reason": reason},
        )


def _request_id(body: str) -> str:
    """Same body, same id: a replayed message is recognised as the same request."""
    return hashlib.sha256(body.encode("utf-8")).hexdigest()[:32]
