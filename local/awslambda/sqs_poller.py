"""SQS event source mappings consumed as Lambda does: poll, invoke with a batch, delete what succeeded.

Honours BatchSize, MaximumBatchingWindowInSeconds, ScalingConfig.MaximumConcurrency (worker threads),
FunctionResponseTypes=ReportBatchItemFailures (partial batch failures) and the queue's visibility
timeout; a message that keeps failing reaches the dead-letter queue through the queue's redrive policy
(moto moves it when it is received past maxReceiveCount).
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any

from moto.awslambda.models import LambdaBackend, lambda_backends
from moto.sqs.models import Message, Queue, SQSBackend, sqs_backends

from local.threads import ThreadGroup

log = logging.getLogger("local.awslambda.sqs_poller")

IDLE_WAIT_S = 0.1
MAX_WORKERS = 10


def as_received(message: Message) -> dict[str, Any]:
    """A message of moto's queue as SQS's ReceiveMessage returns it (every attribute requested)."""
    attributes = {
        "ApproximateReceiveCount": str(message.approximate_receive_count),
        "SentTimestamp": str(message.sent_timestamp),
        "SenderId": str(message.sender_id),
        "ApproximateFirstReceiveTimestamp": str(getattr(message, "approximate_first_receive_timestamp", "")),
    }
    if getattr(message, "group_id", None):
        attributes["MessageGroupId"] = str(message.group_id)
        attributes["MessageDeduplicationId"] = str(message.deduplication_id)
    return {
        "MessageId": message.id,
        "ReceiptHandle": message.receipt_handle,
        "Body": message.body,
        "MD5OfBody": message.body_md5,
        "Attributes": attributes,
        "MessageAttributes": dict(getattr(message, "message_attributes", None) or {}),
    }


def sqs_record(message: Mapping[str, Any], queue_arn: str) -> dict[str, Any]:
    """One message of ReceiveMessage's output as the record of Lambda's SQS event for that queue."""
    message_attributes = {}
    for name, value in (message.get("MessageAttributes") or {}).items():
        binary = value.get("BinaryValue")
        message_attributes[name] = {
            "stringValue": value.get("StringValue"),
            # boto3 hands binary values over decoded; the event carries them base64-encoded, as SQS does.
            "binaryValue": base64.b64encode(binary).decode() if isinstance(binary, bytes) else binary,
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": value.get("DataType"),
        }
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes") or {}),
        "messageAttributes": message_attributes,
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": queue_arn.split(":")[3],
    }


def failed_ids(payload: str | bytes, batch_ids: Iterable[str]) -> set[str] | None:
    """Message ids a ReportBatchItemFailures response names; None means the whole batch failed."""
    ids = set(batch_ids)
    try:
        response = json.loads(payload) if payload else None
    except ValueError:
        return None
    if response is None or (isinstance(response, dict) and not response.get("batchItemFailures")):
        return set()
    if not isinstance(response, dict) or not isinstance(response.get("batchItemFailures"), list):
        return None
    failures: set[str] = set()
    for item in response["batchItemFailures"]:
        identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not identifier or identifier not in ids:
            return None  # Lambda treats a malformed or unknown identifier as a failed batch
        failures.add(identifier)
    return failures


class EventSourcePoller:
    """Background workers for every enabled SQS event source mapping of one account and region."""

    def __init__(self, account_id: str, region: str):
        self.account_id = account_id
        self.region = region
        self._stop = threading.Event()
        self._threads = ThreadGroup()
        self._workers: set[str] = set()  # the mappings that have their workers
        self._queue_locks: dict[str, threading.Lock] = {}
        self._supervisor: threading.Thread | None = None

    @property
    def _lambda(self) -> LambdaBackend:
        backend: LambdaBackend = lambda_backends[self.account_id][self.region]
        return backend

    @property
    def _sqs(self) -> SQSBackend:
        backend: SQSBackend = sqs_backends[self.account_id][self.region]
        return backend

    def start(self) -> None:
        self._stop.clear()
        self._threads = ThreadGroup()
        self._workers.clear()
        self._supervisor = threading.Thread(target=self._supervise, name="esm-supervisor", daemon=True)
        self._supervisor.start()

    def stop(self, timeout: float = 10.0) -> list[str]:
        """Stop polling and wait up to `timeout` for the workers (an invocation in progress finishes);
        returns the names of the threads still running."""
        deadline = time.monotonic() + timeout
        self._stop.set()
        # The supervisor first, then no new workers: every worker it started is in the group to join.
        if self._supervisor is not None:
            self._supervisor.join(timeout)
        self._threads.close()
        running = self._threads.join(max(0.0, deadline - time.monotonic()))
        if self._supervisor is not None and self._supervisor.is_alive():
            running.append(self._supervisor.name)
        return running

    def _supervise(self) -> None:
        while not self._stop.wait(IDLE_WAIT_S):
            try:
                mappings = dict(self._lambda._event_source_mappings)
            except Exception:  # backends being reset
                log.debug("event source mappings unavailable", exc_info=True)
                continue
            for uuid, esm in mappings.items():
                if uuid in self._workers or ":sqs:" not in esm.event_source_arn:
                    continue
                self._workers.add(uuid)
                concurrency = int((esm.scaling_config or {}).get("MaximumConcurrency") or 2)
                for n in range(min(max(concurrency, 1), MAX_WORKERS)):
                    if not self._threads.start(f"esm-{uuid[:8]}-{n}", self._work, uuid):
                        return  # stopping

    def _queue(self, arn: str) -> Queue | None:
        for queue in list(self._sqs.queues.values()):
            if queue.queue_arn == arn:
                return queue
        return None

    def _receive(self, queue: Queue, batch_size: int, window_s: float) -> list[Message]:
        lock = self._queue_locks.setdefault(queue.name, threading.Lock())
        deadline = time.monotonic() + window_s
        # By message id: a message whose visibility timeout ends within the batching window comes back
        # with a new receipt handle, and a batch holds each message once.
        messages: dict[str, Message] = {}
        while True:
            with lock:
                received = self._sqs.receive_message(
                    queue.name,
                    batch_size - len(messages),
                    0,
                    int(getattr(queue, "visibility_timeout", 30)),
                    message_attribute_names=["All"],  # Lambda's SQS event carries every message attribute
                )
            messages.update((m.id, m) for m in received)
            if len(messages) >= batch_size or not messages or time.monotonic() >= deadline:
                return list(messages.values())
            if self._stop.wait(min(0.05, max(0.0, deadline - time.monotonic()))):
                return list(messages.values())

    def _work(self, uuid: str) -> None:
        while not self._stop.is_set():
            try:
                esm = self._lambda._event_source_mappings.get(uuid)
                if esm is None:
                    return  # the mapping was deleted
                busy = esm.enabled and self._poll_once(esm)
            except Exception:  # keep polling, as Lambda does; the error is logged
                log.exception("event source mapping %s failed", uuid)
                busy = False
            if not busy:
                self._stop.wait(IDLE_WAIT_S)

    def _poll_once(self, esm: Any) -> bool:
        queue = self._queue(esm.event_source_arn)
        if queue is None:
            return False
        batch_size = int(esm.batch_size or 10)
        window = float(esm.max_batch_window or 0)
        messages = self._receive(queue, batch_size, window)
        if not messages:
            return False
        event = {"Records": [sqs_record(as_received(m), queue.queue_arn) for m in messages]}
        function = self._lambda.get_function(esm.function_arn)
        headers: dict[str, str] = {}
        payload = function.invoke(json.dumps(event), {}, headers)
        if "x-amz-function-error" in headers:
            log.info("batch of %d failed; messages return after the visibility timeout", len(messages))
            return True
        failed: set[str] | None = set()
        if "ReportBatchItemFailures" in (esm.function_response_types or []):
            failed = failed_ids(payload, (m.id for m in messages))
        if failed is None:
            return True
        for message in messages:
            if message.id not in failed:
                with contextlib.suppress(Exception):  # deleted meanwhile: nothing to do
                    self._sqs.delete_message(queue.name, str(message.receipt_handle))
        return True
