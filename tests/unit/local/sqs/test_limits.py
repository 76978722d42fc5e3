"""A message's size as SQS counts it on the local stack: body and attributes, in bytes."""

from __future__ import annotations

import base64

from local.sqs.limits import message_size


def test_the_body_and_every_attribute_s_name_type_and_value_count_in_bytes() -> None:
    attributes = {
        "trace": {"DataType": "String", "StringValue": "é"},  # 2 bytes
        "n": {"DataType": "Number", "StringValue": "42"},
        "sig": {"DataType": "Binary", "BinaryValue": base64.b64encode(b"\x00\x01\x02").decode()},
    }
    expected = len("zoé".encode()) + (5 + 6 + 2) + (1 + 6 + 2) + (3 + 6 + 3)
    assert message_size("zoé", attributes) == expected
    assert message_size("zoé", None) == 4
