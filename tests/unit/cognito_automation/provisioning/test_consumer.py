"""The dead-letter copy: the sender's attributes travel with it, and it stays within SQS's limits."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cognito_automation.provisioning.consumer import (
    LEFT_OUT_ATTRIBUTE,
    MAX_MESSAGE_SIZE,
    MAX_REASON,
    MIN_REASON,
    REASON_ATTRIBUTE,
    attribute_size,
    dead_letter_copy,
)

if TYPE_CHECKING:
    from mypy_boto3_sqs.type_defs import MessageAttributeValueTypeDef

FAILURE = {
    "failure_kind": "permanent",
    "source_message_id": "m" * 36,
    "failed_at": "2026-01-01T00:00:00+00:00",
}
REASON = "schema violation: data must not contain {'pad'} properties"


def _size(body: str, attributes: dict[str, MessageAttributeValueTypeDef]) -> int:
    return len(body.encode()) + sum(attribute_size(name, value) for name, value in attributes.items())


def test_the_sender_s_attributes_travel_with_the_reason_text_and_binary() -> None:
    sender: dict[str, MessageAttributeValueTypeDef] = {
        "trace_id": {"DataType": "String", "StringValue": "t-1"},
        "count": {"DataType": "Number.int", "StringValue": "42"},
        "signature": {"DataType": "Binary", "BinaryValue": b"\x00\xff"},
    }
    attributes, left_out, shown = dead_letter_copy("{}", sender, FAILURE, REASON)
    assert (left_out, shown) == ([], REASON)
    assert {name: attributes[name] for name in sender} == sender
    assert attributes[REASON_ATTRIBUTE] == {"DataType": "String", "StringValue": REASON}
    assert set(attributes) == {*sender, *FAILURE, REASON_ATTRIBUTE}


def test_beyond_ten_attributes_the_sender_s_last_ones_are_left_out_and_named() -> None:
    sender: dict[str, MessageAttributeValueTypeDef] = {
        f"a{i}": {"DataType": "String", "StringValue": str(i)} for i in range(10)
    }
    attributes, left_out, _ = dead_letter_copy("{}", sender, FAILURE, REASON)
    assert len(attributes) == 10
    assert left_out == ["a5", "a6", "a7", "a8", "a9"]
    assert attributes[LEFT_OUT_ATTRIBUTE]["StringValue"] == "a5, a6, a7, a8, a9"


def test_near_the_size_limit_the_reason_goes_before_the_sender_s_attributes() -> None:
    big: MessageAttributeValueTypeDef = {"DataType": "String", "StringValue": "x" * 5000}
    small: MessageAttributeValueTypeDef = {"DataType": "String", "StringValue": "y"}
    body = "b" * (MAX_MESSAGE_SIZE - 5100)
    attributes, left_out, shown = dead_letter_copy(body, {"big": big, "small": small}, FAILURE, REASON)
    assert (left_out, shown) == (["big"], REASON)
    assert attributes["small"] == small
    assert _size(body, attributes) <= MAX_MESSAGE_SIZE


def test_a_body_that_nearly_fills_the_limit_keeps_as_much_of_the_reason_as_fits() -> None:
    reason = "r" * 5000
    # room for the reason's name, type and MIN_REASON bytes once the other failure attributes give way
    body = "b" * (MAX_MESSAGE_SIZE - len(REASON_ATTRIBUTE) - len("String") - MIN_REASON)
    attributes, _, shown = dead_letter_copy(body, {}, FAILURE, reason)
    assert shown == "r" * MIN_REASON
    assert attributes == {REASON_ATTRIBUTE: {"DataType": "String", "StringValue": shown}}
    assert _size(body, attributes) == MAX_MESSAGE_SIZE
    # with a little more room, the kind (the last to give way) stays too
    attributes, _, shown = dead_letter_copy(body[:-30], {}, FAILURE, reason)
    assert set(attributes) == {REASON_ATTRIBUTE, "failure_kind"}
    assert len(shown) >= MIN_REASON
    assert _size(body[:-30], attributes) <= MAX_MESSAGE_SIZE


def test_a_body_at_the_limit_is_still_sent_whole_without_attributes() -> None:
    attributes, _, shown = dead_letter_copy("b" * MAX_MESSAGE_SIZE, {}, FAILURE, REASON)
    assert (attributes, shown) == ({}, "")


def test_a_long_reason_is_cut_to_its_bytes_never_inside_a_character() -> None:
    _, _, shown = dead_letter_copy("{}", {}, FAILURE, "é" * MAX_REASON)
    assert shown == "é" * (MAX_REASON // 2)
