"""The SQS poller: records as Lambda builds them, batch item failures as Lambda reads them."""

from __future__ import annotations

import pytest

from local.awslambda.sqs_poller import failed_ids, sqs_record


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b'{"batchItemFailures": [{"itemIdentifier": "m2"}]}', {"m2"}),
        (b'{"batchItemFailures": []}', set()),
        (b"null", set()),
        (b'{"batchItemFailures": [{"itemIdentifier": "unknown"}]}', None),
        (b'{"batchItemFailures": [{"itemIdentifier": ""}]}', None),
        (b"not json", None),
    ],
)
def test_batch_item_failures_are_read_as_lambda_does(payload, expected):
    assert failed_ids(payload, ["m1", "m2"]) == expected


def test_a_received_message_becomes_lambdas_sqs_record():
    # Given a message as ReceiveMessage returns it, with a string and a binary attribute
    message = {
        "MessageId": "m1",
        "ReceiptHandle": "r1",
        "Body": '{"id": 1}',
        "MD5OfBody": "md5",
        "Attributes": {"ApproximateReceiveCount": "2"},
        "MessageAttributes": {
            "kind": {"StringValue": "user", "DataType": "String"},
            "blob": {"BinaryValue": b"\x00\x01", "DataType": "Binary"},
        },
    }
    # When it is shaped as the event source mapping's record
    record = sqs_record(message, "arn:aws:sqs:eu-west-1:123456789012:work")
    # Then it has Lambda's field names, the queue's region and the binary value base64-encoded
    assert record["messageId"] == "m1"
    assert record["receiptHandle"] == "r1"
    assert record["attributes"] == {"ApproximateReceiveCount": "2"}
    assert record["awsRegion"] == "eu-west-1"
    assert record["eventSource"] == "aws:sqs"
    assert record["messageAttributes"]["kind"]["stringValue"] == "user"
    assert record["messageAttributes"]["blob"]["binaryValue"] == "AAE="
