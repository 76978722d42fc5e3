"""The SQS side of provisioning: a batch is worked by a few threads, each message converged once, and
every message ends either done, dead-lettered with its reason (permanent failures), or reported as a
batch item failure so that SQS retries it (transient failures, until the redrive limit). A dead-lettered
body keeps its encrypted temporary password (a redrive still creates the user), never a clear one.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
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
LEFT_OUT_ATTRIBUTE = "attributes_left_out"
FAILURE_ATTRIBUTES = (
    REASON_ATTRIBUTE,
    KIND_ATTRIBUTE,
    SOURCE_ID_ATTRIBUTE,
    FAILED_AT_ATTRIBUTE,
    LEFT_OUT_ATTRIBUTE,
)
MAX_REASON = 1000  # bytes of a reason on a dead-letter message
MIN_REASON = 200  # bytes of it that the other failure attributes give way to
# SQS's limits on a message: the body and every attribute's name, type and value, in bytes (the queues keep
# the default MaximumMessageSize), and 10 attributes
MAX_MESSAGE_SIZE = 1_048_576
MAX_ATTRIBUTES = 10
_LOCK_STRIPES = 4096


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
        """Send the original body to the dead-letter queue with the reason beside it, as attributes, and the
        sender's own attributes; a clear temporary password in it (refused) is redacted first, from the
        attributes too. What does not fit SQS's limits is left out and named (`dead_letter_copy`)."""
        body, secrets = redact_body(record.body) if record.body else ("(empty body)", ())
        failure = {
            KIND_ATTRIBUTE: kind,
            SOURCE_ID_ATTRIBUTE: record.message_id,
            FAILED_AT_ATTRIBUTE: datetime.now(UTC).isoformat(timespec="seconds"),
        }
        sender = _sender_attributes(record.raw_event.get("messageAttributes") or {}, secrets)
        attributes, dropped, shown = dead_letter_copy(body, sender, failure, reason)
        self.sqs.send_message(
            QueueUrl=self.dead_letter_queue_url, MessageBody=body, MessageAttributes=attributes
        )
        self.tally.add("dead_lettered")
        logger.warning(
            "message dead-lettered",
            extra={
                "message_id": record.message_id,
                "failure_kind": kind,
                "reason": reason,
                "reason_cut": shown != reason,
                "attributes_left_out": dropped,
            },
        )


def _sender_attributes(
    raw: Mapping[str, Mapping[str, Any]], secrets: tuple[str, ...]
) -> dict[str, MessageAttributeValueTypeDef]:
    """The sender's attributes of a Lambda SQS record as SendMessage takes them (a binary value arrives
    base64-encoded), leaving out our own failure attributes and any that held a redacted password."""
    kept: dict[str, MessageAttributeValueTypeDef] = {}
    for name, value in raw.items():
        data_type = value.get("dataType")
        if name in FAILURE_ATTRIBUTES or not data_type:
            continue
        if value.get("stringValue") is not None:
            text = str(value["stringValue"])
            if not any(secret in text for secret in secrets):
                kept[name] = {"DataType": data_type, "StringValue": text}
        elif value.get("binaryValue") is not None:
            data = base64.b64decode(value["binaryValue"])
            if not any(secret.encode("utf-8") in data for secret in secrets):
                kept[name] = {"DataType": data_type, "BinaryValue": data}
    return kept


def attribute_size(name: str, value: MessageAttributeValueTypeDef) -> int:
    """Bytes SQS counts for one message attribute: its name, data type and value."""
    data = value.get("BinaryValue", b"")
    size = len(name.encode("utf-8")) + len(value["DataType"].encode("utf-8")) + len(_as_bytes(data))
    return size + len(value.get("StringValue", "").encode("utf-8"))


def _as_bytes(data: Any) -> bytes:
    return data if isinstance(data, bytes) else str(data).encode("utf-8")


def _text(value: str) -> MessageAttributeValueTypeDef:
    return {"DataType": "String", "StringValue": value}


def _cut(text: str, size: int) -> str:
    """`text` cut to at most `size` UTF-8 bytes (never inside a character)."""
    return text.encode("utf-8")[: max(size, 0)].decode("utf-8", "ignore")


def dead_letter_copy(
    body: str,
    sender: Mapping[str, MessageAttributeValueTypeDef],
    failure: Mapping[str, str],
    reason: str,
) -> tuple[dict[str, MessageAttributeValueTypeDef], list[str], str]:
    """The attributes of a dead-letter copy of `body` within SQS's limits (10 attributes; body and
    attributes at most MAX_MESSAGE_SIZE bytes), the names of the sender's attributes left out, and the
    reason as sent.

    The body is never cut. The reason (at most MAX_REASON bytes) and the failure attributes come first,
    then the sender's, in their order, while they fit; when one is left out, `attributes_left_out` names
    them. For a body that (nearly) fills the limit by itself, the reason is cut to what is left, and
    failed_at, source_message_id and failure_kind give way to it in turn, until MIN_REASON bytes of it
    fit; the function's log keeps all of it.
    """
    reason = _cut(reason, MAX_REASON)
    room = MAX_MESSAGE_SIZE - len(body.encode("utf-8"))
    ours = {name: _text(value) for name, value in failure.items()}

    def used(*groups: Mapping[str, MessageAttributeValueTypeDef]) -> int:
        return sum(attribute_size(n, v) for group in groups for n, v in group.items())

    kept: dict[str, MessageAttributeValueTypeDef] = {}
    dropped: list[str] = []
    first = used(ours) + attribute_size(REASON_ATTRIBUTE, _text(reason))
    for name, value in sender.items():
        # room is left for the attribute that names what was left out, should one be
        note = attribute_size(LEFT_OUT_ATTRIBUTE, _text(", ".join([*dropped, name])))
        fits = first + used(kept) + attribute_size(name, value) + note <= room
        if fits and len(ours) + len(kept) + 3 <= MAX_ATTRIBUTES:
            kept[name] = value
        else:
            dropped.append(name)
    if dropped:
        ours[LEFT_OUT_ATTRIBUTE] = _text(_cut(", ".join(dropped), MAX_REASON))
    shown = ""
    for giving_way in (None, FAILED_AT_ATTRIBUTE, LEFT_OUT_ATTRIBUTE, SOURCE_ID_ATTRIBUTE, KIND_ATTRIBUTE):
        if giving_way is not None:
            ours.pop(giving_way, None)
        shown = _cut(reason, room - used(ours, kept) - attribute_size(REASON_ATTRIBUTE, _text("")))
        if shown == reason or len(shown.encode("utf-8")) >= MIN_REASON:
            break
    if shown:
        ours[REASON_ATTRIBUTE] = _text(shown)
    return {**ours, **kept}, dropped, shown


def _request_id(body: str) -> str:
    """Same body, same id: a replayed message is recognised as the same request."""
    return hashlib.sha256(body.encode("utf-8")).hexdigest()[:32]
