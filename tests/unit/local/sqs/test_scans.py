"""A queue's visible messages and counts, read against one clock reading: the same answers as moto's."""

from __future__ import annotations

from moto.sqs.models import Queue, SQSBackend

from local.sqs import scans


def test_visible_in_flight_and_delayed_messages_are_told_apart() -> None:
    backend = SQSBackend("us-east-1", "123456789012")
    backend.create_queue("scans")
    for body in ("a", "b", "c"):
        backend.send_message("scans", body)
    backend.send_message("scans", "later", delay_seconds=60)
    (in_flight,) = backend.receive_message("scans", 1, 0, 30)
    queue: Queue = backend.get_queue("scans")

    visible = scans.visible_messages(queue)
    assert sorted(m.body for m in visible) == sorted({"a", "b", "c"} - {in_flight.body})
    # moto's own answers, from the clock per message
    assert visible == [m for m in queue._messages if m.visible and not m.delayed]
    assert scans.number_of_messages(queue) == 2
    assert scans.number_of_messages_not_visible(queue) == 1
    assert scans.number_of_messages_delayed(queue) == 1
