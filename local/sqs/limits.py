"""A message's size as SQS counts it: the body and every message attribute's name, data type and value,
in bytes (moto counts the body's characters only). A message over the queue's `MaximumMessageSize` is
refused with SQS's own error, so that code near the limit (a dead-letter copy that adds attributes) is
tried as AWS treats it."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from typing import Any

from moto.sqs.exceptions import InvalidParameterValue
from moto.sqs.models import SQSBackend


def message_size(body: str, attributes: Mapping[str, Mapping[str, Any]] | None) -> int:
    """Bytes SQS counts for a message: UTF-8 body, plus each attribute's name, DataType and value."""
    size = len(body.encode("utf-8"))
    for name, value in (attributes or {}).items():
        size += len(name.encode("utf-8")) + len(str(value.get("DataType", "")).encode("utf-8"))
        if value.get("StringValue") is not None:
            size += len(str(value["StringValue"]).encode("utf-8"))
        binary = value.get("BinaryValue")
        if isinstance(binary, bytes):
            size += len(binary)
        elif isinstance(binary, str):  # the JSON protocol carries it base64-encoded
            try:
                size += len(base64.b64decode(binary, validate=True))
            except binascii.Error:
                size += len(binary)
    return size


def counted_with_attributes(original: Callable[..., Any]) -> Callable[..., Any]:
    """`SQSBackend.send_message` (SendMessageBatch calls it per entry), refusing a message whose body and
    attributes exceed the queue's MaximumMessageSize."""

    def send_message(
        self: SQSBackend,
        queue_name: str,
        message_body: str,
        message_attributes: dict[str, Any] | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        limit = int(self.get_queue(queue_name).maximum_message_size)  # type: ignore[attr-defined]
        if message_size(message_body, message_attributes) > limit:
            raise InvalidParameterValue(
                f"One or more parameters are invalid. Reason: Message must be shorter than {limit} bytes."
            )
        return original(self, queue_name, message_body, message_attributes, *args, **kwargs)

    return send_message
