"""A queue's visible messages and its approximate counts, read against one clock reading per scan.

moto's `Queue.messages` and the `ApproximateNumberOfMessages*` counts ask the clock twice per message
(`Message.visible`, `Message.delayed`): with thousands of messages queued (the producer ahead of the
consumer), every ReceiveMessage and GetQueueAttributes spent tens of milliseconds of the server's one
interpreter on the clock. Same answers, one clock reading.
"""

from __future__ import annotations

from moto.core.utils import unix_time_millis
from moto.sqs.models import Message, Queue


def visible_messages(queue: Queue) -> list[Message]:
    """The messages a receive may return: visible and not delayed."""
    now = unix_time_millis()
    return [m for m in queue._messages if now > m.visible_at and now >= m.delayed_until]


def number_of_messages(queue: Queue) -> int:
    return len(visible_messages(queue))


def number_of_messages_not_visible(queue: Queue) -> int:
    now = unix_time_millis()
    return sum(1 for m in queue._messages if now <= m.visible_at)


def number_of_messages_delayed(queue: Queue) -> int:
    now = unix_time_millis()
    return sum(1 for m in queue._messages if now < m.delayed_until)
